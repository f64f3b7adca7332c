"""bench/posting_budget.py's reading of PostgreSQL's log: durations per statement kind, one database only.

The log lines are made up in the format PostgreSQL 15 writes with log_min_duration_statement = 0 and the
log_line_prefix '%m [%p] %q%u@%d ' (Debian's default).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import posting_budget as pbudget

PREFIX = "%m [%p] %q%u@%d "

LOG = """\
2026-12-05 23:00:00.000 UTC [10] postgres@other LOG:  duration: 99.000 ms  statement: COMMIT
2026-12-05 23:00:00.001 UTC [11] postgres@bench LOG:  duration: 0.010 ms  statement: BEGIN
2026-12-05 23:00:00.002 UTC [11] postgres@bench LOG:  duration: 0.100 ms  parse <unnamed>: SELECT party_id, \
head_seq, head_hash FROM books WHERE party_id = ANY($1::varchar[]) ORDER BY party_id FOR UPDATE
2026-12-05 23:00:00.003 UTC [11] postgres@bench LOG:  duration: 0.200 ms  bind <unnamed>: SELECT party_id, \
head_seq, head_hash FROM books WHERE party_id = ANY($1::varchar[]) ORDER BY party_id FOR UPDATE
2026-12-05 23:00:00.004 UTC [11] postgres@bench LOG:  duration: 0.300 ms  execute <unnamed>: SELECT party_id, \
head_seq, head_hash FROM books WHERE party_id = ANY($1::varchar[]) ORDER BY party_id FOR UPDATE
2026-12-05 23:00:00.005 UTC [11] postgres@bench LOG:  duration: 5.000 ms  statement: COPY transactions (id, \
request_id) FROM STDIN
2026-12-05 23:00:00.006 UTC [11] postgres@bench LOG:  duration: 2.500 ms  execute _pg3_0:
\tWITH new_transactions AS (
\t    INSERT INTO transactions (id) SELECT 1
\t)
\tUPDATE books SET head_seq = 1
2026-12-05 23:00:00.007 UTC [11] postgres@bench LOG:  duration: 4.000 ms  statement: COMMIT
2026-12-05 23:00:00.008 UTC [12] postgres@bench ERROR:  duration: 1.000 ms  statement: COMMIT
2026-12-05 23:00:00.009 UTC [13] LOG:  checkpoint starting: time
"""


def test_sums_each_kind_of_one_database(tmp_path: Path) -> None:
    path = tmp_path / "postgresql.log"
    path.write_text(LOG)
    sums = pbudget.read_log(path, 0, path.stat().st_size, {"bench"}, pbudget.prefix_regex(PREFIX))["bench"]
    assert dict(sums.ms) == pytest.approx(
        {
            "BEGIN": 0.01,
            "read: book heads FOR UPDATE": 0.6,  # parse + bind + execute
            "COPY transactions": 5.0,
            "write CTE (totals, per-day, heads)": 2.5,  # its text continues on tab-indented lines
            "COMMIT": 4.0,  # not the other database's, not the ERROR line
        }
    )
    assert sums.count["read: book heads FOR UPDATE"] == 1  # one statement, three steps
    assert sums.total_ms == pytest.approx(12.11)


def test_reads_only_between_the_offsets(tmp_path: Path) -> None:
    path = tmp_path / "postgresql.log"
    path.write_text(LOG)
    start = LOG.index("2026-12-05 23:00:00.007")
    sums = pbudget.read_log(path, start, path.stat().st_size, {"bench"}, pbudget.prefix_regex(PREFIX))["bench"]
    assert dict(sums.ms) == {"COMMIT": 4.0}


def test_a_prefix_without_the_database_is_refused() -> None:
    with pytest.raises(SystemExit):
        pbudget.prefix_regex("%m [%p] ")
