"""server.availability without a server: the back-off schedule and which start-up failures are waited out."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from clients import cli_args
from server.availability import Backoff, is_permanent


def test_backoff_doubles_from_the_first_wait_up_to_the_cap() -> None:
    backoff = Backoff(0.5, 4.0, jitter=False)
    assert [backoff.next_delay() for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


def test_backoff_jitter_stays_between_half_and_all_of_each_step() -> None:
    backoff = Backoff(1.0, 8.0)
    steps = [1.0, 2.0, 4.0, 8.0, 8.0]
    for step in steps:
        assert step / 2 <= backoff.next_delay() <= step


def test_backoff_refuses_a_cap_below_the_first_wait() -> None:
    with pytest.raises(ValueError, match="0 < first <= cap"):
        Backoff(5.0, 1.0)


def _connect_error(message: str) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("connect", None, Exception(message))


@pytest.mark.parametrize(
    "message",
    [
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused',
        "failed to resolve host 'db.internal': [Errno -2] Name or service not known",
        "connection failed: FATAL:  the database system is starting up",
        "connection failed: FATAL:  sorry, too many clients already",
        "consuming input failed: server closed the connection unexpectedly",
    ],
)
def test_a_database_that_may_come_up_is_waited_for(message: str) -> None:
    assert not is_permanent(_connect_error(message))


@pytest.mark.parametrize(
    "message",
    [
        'connection failed: FATAL:  database "toudai_prod" does not exist',
        'connection failed: FATAL:  role "toudai" does not exist',
        'connection failed: FATAL:  password authentication failed for user "toudai"',
    ],
)
def test_a_database_that_cannot_work_is_not_waited_for(message: str) -> None:
    assert is_permanent(_connect_error(message))


def test_anything_but_a_connection_error_is_not_waited_for() -> None:
    assert is_permanent(sa_exc.ProgrammingError("x", None, Exception('invalid dsn: invalid connection option "x"')))
    assert is_permanent(ValueError("unsupported database URL"))


@pytest.mark.parametrize(("text", "ms"), [("0", 0), ("500ms", 500), ("10s", 10_000), ("2m", 120_000)])
def test_database_time_limits_are_read_in_milliseconds(text: str, ms: int) -> None:
    assert cli_args.milliseconds(text) == ms


@pytest.mark.parametrize("text", ["10", "1.5s", "-1s", "10h", ""])
def test_a_database_time_limit_needs_a_unit(text: str) -> None:
    with pytest.raises(Exception, match="is not a time limit"):
        cli_args.milliseconds(text)


def test_serve_reads_the_database_limits_from_options_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from clients.cli import build_parser
    from clients.operate import _database_limits
    from ledger.db import SessionLimits

    defaults = _database_limits(build_parser().parse_args(["serve"]))
    assert defaults == {"db_limits": SessionLimits(), "max_retry_seconds": 30.0}
    assert SessionLimits() == SessionLimits(30_000, 60_000, 20_000, 5_000, 1.0)

    monkeypatch.setenv("TOUDAI_DB_LOCK_TIMEOUT", "8s")
    args = build_parser().parse_args(
        ["serve", "--db-lock-hold-timeout", "1500ms", "--db-idle-timeout", "0", "--db-retry-max-delay", "2m"]
    )
    chosen = _database_limits(args)
    assert chosen["db_limits"] == SessionLimits(
        statement_timeout=30_000, idle_in_transaction=0, lock_timeout=8_000, lock_hold_timeout=1_500
    )
    assert chosen["max_retry_seconds"] == 120.0


def test_the_hold_limit_grows_with_the_batch() -> None:
    from ledger.db import SessionLimits

    assert SessionLimits().hold_sql(0) == (
        "SELECT set_config('statement_timeout', '5000', true), "
        "set_config('idle_in_transaction_session_timeout', '5000', true)"
    )
    assert "'15000'" in (SessionLimits().hold_sql(10_000) or "")  # 5 s + 10,000 x 1 ms
    assert SessionLimits(lock_hold_timeout=0).hold_sql(10_000) is None  # off
