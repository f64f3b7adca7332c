"""The array literals ledger.pg_posting sends are read back by PostgreSQL exactly as the Python values."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.pg_posting import nullable_plain_array, plain_array, text_array

# Text PostgreSQL can store (no NUL), including everything an array literal treats specially:
# quotes, backslashes, braces, commas, spaces, the word NULL, empty strings and non-ASCII text.
_stored_text = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30)
_tricky = ["", "NULL", "null", " ", "a,b", "{x}", '"q"', "back\\slash", "tab\tnew\nline", "贷款", '\\"', "}{,"]


@pytest.fixture
def connection(postgres_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        yield conn


def test_tricky_text_round_trips(connection: psycopg.Connection) -> None:
    (back,) = connection.execute("SELECT %s::text[]", (text_array(_tricky),)).fetchone()
    assert back == _tricky


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(_stored_text, max_size=8))
def test_any_text_round_trips(connection: psycopg.Connection, values: list[str]) -> None:
    (back,) = connection.execute("SELECT %s::text[]", (text_array(values),)).fetchone()
    assert back == values


def test_plain_values_round_trip(connection: psycopg.Connection) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    days = [dt.date(2026, 11, 26), dt.date(1990, 1, 1)]
    instant = dt.datetime(2026, 11, 26, 5, 40, 1, 123456, tzinfo=dt.UTC)
    numbers = [0, -(2**62), 2**62]
    row = connection.execute(
        "SELECT %s::uuid[], %s::date[], %s::timestamptz[], %s::bigint[], %s::uuid[]",
        (
            plain_array(str(i) for i in ids),
            plain_array(d.isoformat() for d in days),
            plain_array([instant.isoformat()]),
            plain_array(numbers),
            nullable_plain_array([str(ids[0]), None]),
        ),
    ).fetchone()
    assert row == (ids, days, [instant], numbers, [ids[0], None])
