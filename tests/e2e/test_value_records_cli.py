"""End to end: `toudai value record NAME` and `toudai value records` against `toudai serve` (SQLite and
PostgreSQL), after a revaluation through the CLI; `--json` prints the record's fields."""

from __future__ import annotations

import grpc

from tests.e2e.conftest import on_sqlite
from tests.integration import valuation_fixtures as vf
from tests.serving import Server


@on_sqlite
def test_records_through_the_cli(server: Server) -> None:
    with grpc.insecure_channel(server.target) as channel:
        vf.create_parties(channel)
        vf.record_round(channel)
        vf.book_deal(channel, "hz-001", shares=100_000, strike="1.00")
        vf.book_deal(channel, "hz-002", shares=500_000, strike="2.00")
    first = server.json("revalue", "--as-of", "2026-03-31", "--request-id", "q1")
    server.json("revalue", "--as-of", "2026-06-30", "--request-id", "q2")
    name = f"{first['name']}/valuationRecords/hz-001"
    record = server.json("value", "record", name)
    assert record["name"] == name and record["engine"] == "bsm" and record["new_shares"] == ""
    assert record["shares_outstanding"] == "11000000.0" and len(record["breakpoints"]) == 6
    assert record["fair_value"] == first["valuations"][0]["fair_value"]
    assert record["transaction"] == first["valuations"][0]["transaction"]
    people = server.ok("value", "record", name).stdout
    assert "breakpoints" in people and "not used" in people  # M of a plain Black-Scholes mark
    listed = server.json("value", "records", "--deal", "hz-002", "--from-date", "2026-01-01", "--to-date", "2026-12-31")
    assert [(r["as_of"], r["engine"]) for r in listed] == [("2026-03-31", "warrant"), ("2026-06-30", "warrant")]
    assert len(server.json("value", "records", "--to-date", "2026-03-31")) == 2
    assert "Valuation records" in server.ok("value", "records", "--revaluation", first["name"]).stdout
    backwards = server.cli("value", "records", "--from-date", "2026-06-30", "--to-date", "2026-03-31")
    assert backwards.returncode == 2 and "to-date" in backwards.stderr
    missing = server.cli("value", "record", f"{first['name']}/valuationRecords/nope")
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr
    malformed = server.cli("value", "record", "valuationRecords/x")
    assert malformed.returncode != 0 and "name" in malformed.stderr
