"""Fresh, migrated, seeded databases for one benchmark run, dropped afterwards.

PostgreSQL: the admin URL comes from TOUDAI_BENCH_DATABASE_URL (any database on a server where the user
may CREATE DATABASE), else postgresql://postgres@127.0.0.1:5432/postgres. Every database a run makes is
named toudai_bench_*. SQLite: a file in a temporary directory.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ledger import db
from ledger.model import AccountType, PartyKind, PostingSpec, Side, TransactionSpec
from ledger.store import Ledger
from server import database

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PARTIES = ("bench-hz", "bench-sh")
COMMODITY = "CNY"
#: With `guarded`: each account's opening balance (CNY) and its date, far enough back for any `--back-date`.
OPENING = "10000000000.00"
OPENING_DATE = dt.date(2020, 1, 2)


def admin_url() -> str:
    return db.normalise_url(os.environ.get("TOUDAI_BENCH_DATABASE_URL") or DEFAULT_ADMIN_URL)


def postgres_reachable(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:
        return False
    finally:
        engine.dispose()


def _admin(url: str, statement: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def create_postgres_database(admin: str, purpose: str) -> str:
    """CREATE a new toudai_bench_* database and return its SQLAlchemy URL."""
    name = f"toudai_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    return sa.make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin: str, url: str) -> None:
    name = sa.make_url(url).database
    assert name is not None and name.startswith("toudai_bench_")
    _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True, slots=True)
class Chart:
    """The seeded chart of accounts: account codes per party (every party has the same codes)."""

    parties: tuple[str, ...]
    codes: tuple[str, ...]

    def name(self, party: str, code: str) -> str:
        return f"parties/{party}/accounts/{code}"


def migrate_and_seed(url: str, accounts: int, *, guarded: bool = False) -> Chart:
    """Migrate to head, then create the parties and `accounts` CNY accounts spread evenly over them.

    With `guarded`, the accounts are must-not-go-negative and each is funded from an equity account
    `funding` of its book (not in the chart, so transfers never touch it): OPENING dated OPENING_DATE,
    then 0.01 dated today, so every account has a per-day total today. A transfer dated today then takes
    the common path of the as-of check (no per-day total after it); one dated before today, the path that
    reads and walks the later per-day totals (docs/accounting.md, "Must-not-go-negative and holds").
    """
    engines = db.create_engines(url, pool_size=2)
    try:
        database.upgrade(engines.writer)
        ledger = Ledger(engines, group_commit=False)
        per_party = max(2, accounts // len(PARTIES))
        codes = tuple(f"acct-{i:04d}" for i in range(per_party))
        for party in PARTIES:
            ledger.create_party(
                request_id=f"seed-party-{party}",
                party_id=party,
                display_name=f"Benchmark book {party}",
                kind=PartyKind.BANK_BRANCH,
            )
            for code in codes:
                ledger.create_account(
                    request_id=f"seed-account-{party}-{code}",
                    party=f"parties/{party}",
                    code=code,
                    display_name=f"Benchmark account {code}",
                    type=AccountType.ASSET,
                    commodity=COMMODITY,
                    must_not_go_negative=guarded,
                )
            if guarded:
                _fund(ledger, party, codes)
        return Chart(PARTIES, codes)
    finally:
        engines.dispose()


def _fund(ledger: Ledger, party: str, codes: tuple[str, ...]) -> None:
    funding = f"parties/{party}/accounts/funding"
    ledger.create_account(
        request_id=f"seed-account-{party}-funding",
        party=f"parties/{party}",
        code="funding",
        display_name="Benchmark funding",
        type=AccountType.EQUITY,
        commodity=COMMODITY,
        must_not_go_negative=False,
    )
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    for date, value in ((OPENING_DATE, OPENING), (today, "0.01")):
        ledger.post_transactions(
            [
                TransactionSpec(
                    f"seed-fund-{party}-{code}-{date.isoformat()}",
                    date,
                    "benchmark opening balance",
                    {},
                    (
                        PostingSpec(f"parties/{party}/accounts/{code}", Side.DEBIT, COMMODITY, value),
                        PostingSpec(funding, Side.CREDIT, COMMODITY, value),
                    ),
                )
                for code in codes
            ]
        )


def account_ids(url: str) -> dict[tuple[str, str], object]:
    """(party, code) → account id as the database stores it (a UUID on PostgreSQL, hex text on SQLite)."""
    engine = sa.create_engine(db.normalise_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT party_id, code, id FROM accounts").all()
        return {(r[0], r[1]): r[2] for r in rows}
    finally:
        engine.dispose()
