"""Finding accounts by name in bulk (`Catalog.resolve_accounts`) and opening them (`Catalog.open_accounts`),
on SQLite and PostgreSQL: names are looked up per party, `party_id = ? AND code IN (...)`, in chunks of
`bulk.CHUNK` codes (docs/performance.md, issue 20 item 3, second pass). What is found and opened must be
exactly the accounts that exist or are missing, whatever the mix of books, chunk boundaries, duplicates and
malformed names.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from ledger import bulk, names
from ledger import schema as t
from ledger.model import AccountType, PartyKind
from ledger.store import Ledger

CODES = bulk.CHUNK + 3  # one party's names span two statements


def _parties(ledger: Ledger) -> None:
    for party in ("pa", "pb"):
        ledger.create_party(
            request_id=str(uuid.uuid4()), party_id=party, display_name=party, kind=PartyKind.BANK_BRANCH
        )


def _plan(party: str, code: str) -> tuple[str, str, AccountType, str, bool, str]:
    return (party, code, AccountType.ASSET, "CNY", False, f"{code} of {party}")


def test_open_then_find_across_books_and_chunks(ledger: Ledger) -> None:
    _parties(ledger)
    catalog = ledger.catalog
    # Every even code of pa, and one code of pb that pa does not have: opened first.
    first = [_plan("pa", f"c{i:05d}") for i in range(0, CODES, 2)] + [_plan("pb", "only-b")]
    with ledger._engines.writer.begin() as conn:
        opened = catalog.open_accounts(conn, first)
    assert sorted(opened) == sorted(names.account_name(p, c) for p, c, *_ in first)
    # Then every code of pa (odd ones are new; even ones exist), a duplicate, and pb's "c00001" (new: the same
    # code in another book is another account).
    second = [_plan("pa", f"c{i:05d}") for i in range(CODES)] + [_plan("pa", "c00001"), _plan("pb", "c00001")]
    with ledger._engines.writer.begin() as conn:
        again = catalog.open_accounts(conn, second)
    expected_new = {names.account_name("pa", f"c{i:05d}") for i in range(1, CODES, 2)} | {"parties/pb/accounts/c00001"}
    assert set(again) == expected_new
    with ledger._engines.reader.connect() as conn:
        rows = conn.execute(sa.select(t.accounts.c.party_id, t.accounts.c.code)).all()
        balances = conn.execute(sa.select(sa.func.count()).select_from(t.balances)).scalar()
    assert len(rows) == len(set(rows)) == CODES + 2  # pa: every code once; pb: two
    assert balances == CODES + 2

    wanted = [names.account_name("pa", f"c{i:05d}") for i in range(CODES)] + [
        "parties/pb/accounts/only-b",
        "parties/pb/accounts/c00001",
        "parties/pb/accounts/c00002",  # pa has it, pb does not
        "parties/nobody/accounts/x",  # no such party
        "not a name",  # malformed: left out, as before
    ]
    with ledger._engines.reader.connect() as conn:
        within = catalog.resolve_accounts(wanted, conn)
    cached = catalog.resolve_accounts(wanted)  # outside a transaction: read and cached
    from_cache = catalog.resolve_accounts(wanted)
    expected = set(wanted[: CODES + 2])
    assert set(within) == set(cached) == set(from_cache) == expected
    for name, account in within.items():
        assert account.name == name
        assert cached[name] == account
        assert (account.type, account.commodity, account.scale) == (AccountType.ASSET, "CNY", 2)
    assert within["parties/pb/accounts/c00001"].id != within["parties/pa/accounts/c00001"].id
