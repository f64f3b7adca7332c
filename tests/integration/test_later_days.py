"""`ledger.bulk.later_days`, the read behind the as-of check of guarded accounts, on SQLite and PostgreSQL.

SQLite reads it with a plain statement over values converted by each column's dialect processor (a
10,000-account revaluation used to spend most of its posting time building it as a SQLAlchemy
expression, docs/performance.md "Issue 20: RevalueOptions ..."). Per-day totals are written directly, so
the expected rows are exactly those written after each account's date, worked out below by hand.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa

from ledger import bulk, db
from ledger import schema as t

A, B, C, D = (uuid.UUID(int=n) for n in (0xA, 0xB, 0xC, 0xD))
DAY = dt.date(2026, 3, 31)


def test_later_days_reads_each_accounts_days_after_its_own_date(database_url: str) -> None:
    engines = db.create_engines(database_url)
    try:
        with engines.writer.begin() as conn:
            conn.execute(
                t.daily_balances.insert(),
                [
                    {"party_id": "p", "account_id": A, "value_date": DAY, "delta": 100},  # on A's date: not after
                    {"party_id": "p", "account_id": A, "value_date": DAY + dt.timedelta(days=1), "delta": -30},
                    {"party_id": "p", "account_id": A, "value_date": dt.date(2026, 6, 30), "delta": 7},
                    {"party_id": "p", "account_id": B, "value_date": dt.date(2026, 4, 15), "delta": 5},
                    {"party_id": "q", "account_id": C, "value_date": dt.date(2026, 5, 1), "delta": -2},
                    {"party_id": "q", "account_id": C, "value_date": dt.date(2026, 1, 1), "delta": 9},  # before C's
                    {"party_id": "q", "account_id": D, "value_date": dt.date(2026, 7, 1), "delta": 4},  # not asked
                ],
            )
        since = {
            A: ("p", DAY),  # A: 04-01 (-30) and 06-30 (+7)
            B: ("p", dt.date(2026, 4, 14)),  # B: 04-15 (+5)
            C: ("q", dt.date(2026, 3, 1)),  # C: 05-01 (-2); 01-01 is before
            uuid.UUID(int=0xE): ("p", DAY),  # no days at all
            D: ("p", DAY),  # D's days are in book q, not p: none
        }
        with engines.writer.connect() as conn:
            found = bulk.later_days(conn, since)
            one = bulk.later_days(conn, {B: ("p", dt.date(2026, 4, 15))})  # the date itself is not after
            many = {uuid.UUID(int=n): ("p", DAY) for n in range(1_000, 1_000 + 2 * bulk._LATER_CHUNK + 1)}
            many[A] = ("p", DAY)
            chunked = bulk.later_days(conn, many)  # three statements on SQLite
            direct = conn.execute(sa.select(sa.func.count()).select_from(t.daily_balances)).scalar()
    finally:
        engines.dispose()
    assert sorted(found, key=lambda r: (r[1], r[0].int)) == [
        (A, dt.date(2026, 4, 1), -30),
        (B, dt.date(2026, 4, 15), 5),
        (C, dt.date(2026, 5, 1), -2),
        (A, dt.date(2026, 6, 30), 7),
    ]
    assert [r[1] for r in found] == sorted(r[1] for r in found)  # in date order
    assert all(type(r[0]) is uuid.UUID and type(r[1]) is dt.date and type(r[2]) is int for r in found)
    assert one == []
    assert chunked == [(A, dt.date(2026, 4, 1), -30), (A, dt.date(2026, 6, 30), 7)]
    assert direct == 7
