#!/usr/bin/env bash
# A short scripted tour of toudai: a temporary server on a free port with a throw-away SQLite database,
# driven with the `toudai` CLI (run through `make demo`, which puts .venv/bin on PATH).
set -euo pipefail

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export TOUDAI_TARGET="127.0.0.1:${port}"
export TOUDAI_DATABASE_URL="sqlite:///${work}/demo.db"

toudai serve --listen "${TOUDAI_TARGET}" >"${work}/server.log" 2>&1 &
server_pid=$!
cleanup() {
  kill -TERM "${server_pid}" 2>/dev/null && wait "${server_pid}" 2>/dev/null || true
  rm -rf "${work}"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

for _ in $(seq 1 100); do
  toudai party list >/dev/null 2>&1 && break
  kill -0 "${server_pid}" 2>/dev/null || { cat "${work}/server.log" >&2; exit 1; }
  sleep 0.1
done
echo "toudai is serving on ${TOUDAI_TARGET} (database ${TOUDAI_DATABASE_URL})"

step toudai party create bank-hz --name "杭州科技支行" --kind bank_branch
step toudai party create pool-hz --name "杭州风险池" --kind risk_pool
step toudai account create bank-hz cash --type asset --commodity CNY --must-not-go-negative
step toudai account create bank-hz capital --type equity --commodity CNY
step toudai account create bank-hz loans --type asset --commodity CNY
step toudai account create bank-hz due-from-pool --type asset --commodity CNY
step toudai account create bank-hz recoveries --type income --commodity CNY
step toudai account create pool-hz cash --type asset --commodity CNY --must-not-go-negative
step toudai account create pool-hz fund --type equity --commodity CNY
step toudai account create pool-hz due-to-bank --type liability --commodity CNY
step toudai account create pool-hz compensation --type expense --commodity CNY
step toudai account list

cat >"${work}/opening.yaml" <<'YAML'
transactions:
  - request_id: open-bank-0001
    value_date: 2026-01-05
    description: Paid-in capital
    postings:
      - {account: bank-hz/cash, debit: "50000000.00"}
      - {account: bank-hz/capital, credit: "50000000.00"}
  - request_id: open-pool-0001
    value_date: 2026-01-05
    description: Fiscal contribution to the risk pool
    postings:
      - {account: pool-hz/cash, debit: "3000000.00"}
      - {account: pool-hz/fund, credit: "3000000.00"}
  - request_id: claim-0001
    value_date: 2026-02-10
    description: Risk-pool compensation agreed for a defaulted loan (50%)
    metadata: {deal: D-2026-001}
    postings:
      - {account: bank-hz/due-from-pool, debit: "200000.00"}
      - {account: bank-hz/recoveries, credit: "200000.00"}
      - {account: pool-hz/compensation, debit: "200000.00"}
      - {account: pool-hz/due-to-bank, credit: "200000.00"}
YAML
step cat "${work}/opening.yaml"
step toudai post "${work}/opening.yaml"

echo; echo "# A transfer, then the same request again: the retry does not post twice."
step toudai transfer --from bank-hz/cash --to bank-hz/loans --amount 10000000.00 --request-id disburse-0001
step toudai transfer --from bank-hz/cash --to bank-hz/loans --amount 10000000.00 --request-id disburse-0001
step toudai balance bank-hz/cash bank-hz/loans bank-hz/due-from-pool pool-hz/cash pool-hz/due-to-bank
step toudai balance bank-hz/cash --as-of 2026-01-31

echo; echo "# An overdraft of a must-not-go-negative account is refused (exit code 1) and changes nothing."
set +e
toudai transfer --from pool-hz/cash --to pool-hz/compensation --amount 9000000.00 --request-id oops-0001
status=$?
set -e
echo "exit code: ${status}"
[ "${status}" -eq 1 ] || { echo "expected exit code 1" >&2; exit 1; }
step toudai balance pool-hz/cash

echo; echo "# A hold reserves money now (it counts against must-not-go-negative); capture posts part of it."
hold="$(toudai hold create --debit pool-hz/due-to-bank --credit pool-hz/cash --amount 150000.00 --request-id hold-0001 --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])')"
echo "created ${hold}"
step toudai balance pool-hz/cash
step toudai hold capture "${hold}" --amount 100000.00 --request-id capture-0001
step toudai hold get "${hold}"
step toudai balance pool-hz/cash pool-hz/due-to-bank

step toudai tx list --party bank-hz
step toudai tx list --meta deal=D-2026-001 --json

echo; echo "Done. The server log (one JSON line per call):"
tail -n 5 "${work}/server.log"
