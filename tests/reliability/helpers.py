"""Shared machinery of the reliability tests: server processes, durations, retries and a funded book.

Durations scale with TOUDAI_SOAK_SECONDS: unset, each test runs its short version (what `make test` runs);
`make soak` sets it, and the bank test then runs that long, the fuzz test tries proportionally more
examples, and so on.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
from decimal import Decimal

from tests.serving import free_port, wait_until_serving
from toudai.v1 import ledger_pb2 as pb
from toudai.v1 import ledger_pb2_grpc

TODAY = {"year": 2026, "month": 11, "day": 26}
SOAK_SECONDS = float(os.environ.get("TOUDAI_SOAK_SECONDS", "0") or 0)


def soak(short: float) -> float:
    """The duration (or count) to use: `short` normally, scaled up under `make soak`."""
    return max(short, SOAK_SECONDS) if SOAK_SECONDS else short


class ServerProcess:
    """One `server.app.serve` in a child process, on a fixed port so that it can be killed and restarted."""

    def __init__(self, database_url: str, log_dir: pathlib.Path, *, name: str = "server", **serve_args: object) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.serve_args = serve_args
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    def start(self, *, wait: bool = True) -> None:
        extra = "".join(f", {k}={v!r}" for k, v in self.serve_args.items())
        code = (
            "import logging; logging.basicConfig(level=logging.WARNING)\n"
            "from server.app import serve\n"
            f"serve({self.address!r}, {self.database_url!r}, migrate=False{extra})"
        )
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=log)
        self.starts += 1
        if wait:
            wait_until_serving(self.address, self.process, timeout=30, log=self.log_path)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    def terminate(self, timeout: float = 30) -> int:
        if self.process is None or self.process.poll() is not None:
            return 0 if self.process is None else int(self.process.returncode)
        self.process.send_signal(signal.SIGTERM)
        try:
            return int(self.process.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def transfer(request_id: str, source: str, target: str, amount: Decimal) -> pb.TransactionInput:
    return pb.TransactionInput(
        request_id=request_id,
        value_date=TODAY,
        description="transfer",
        metadata={"bank-test": request_id},
        postings=[
            pb.Posting(account=target, side=pb.SIDE_DEBIT, amount=pb.Amount(commodity="CNY", value=str(amount))),
            pb.Posting(account=source, side=pb.SIDE_CREDIT, amount=pb.Amount(commodity="CNY", value=str(amount))),
        ],
    )


def setup_book(
    stub: ledger_pb2_grpc.LedgerServiceStub, accounts: int, opening: Decimal, party: str = "bank"
) -> list[str]:
    """One bank with `accounts` must-not-go-negative cash accounts, each funded with `opening` from equity."""
    stub.CreateParty(
        pb.CreatePartyRequest(
            request_id=f"p-{party}", party_id=party, display_name="Bank", kind=pb.PARTY_KIND_BANK_BRANCH
        ),
        timeout=30,
    )
    stub.CreateAccount(
        pb.CreateAccountRequest(
            request_id=f"a-{party}-equity",
            party=f"parties/{party}",
            code="equity",
            display_name="Equity",
            type=pb.ACCOUNT_TYPE_EQUITY,
            commodity="CNY",
        ),
        timeout=30,
    )
    names = []
    funding = []
    for i in range(accounts):
        stub.CreateAccount(
            pb.CreateAccountRequest(
                request_id=f"a-{party}-{i}",
                party=f"parties/{party}",
                code=f"cash-{i}",
                display_name=f"Cash {i}",
                type=pb.ACCOUNT_TYPE_ASSET,
                commodity="CNY",
                must_not_go_negative=True,
            ),
            timeout=30,
        )
        name = f"parties/{party}/accounts/cash-{i}"
        names.append(name)
        funding.append(transfer(f"fund-{party}-{i}", f"parties/{party}/accounts/equity", name, opening))
    stub.PostTransactions(pb.PostTransactionsRequest(transactions=funding), timeout=60)
    return names
