"""The catalog of the books: commodities, parties (each with its book) and accounts.

Accounts never change once opened, so they are cached by name and id after the unit of work that read
or opened them has committed; commodities likewise. Opening accounts in bulk (`open_accounts`) serves the
middle layer's units of work through `ledger.session`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring as _quote
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ledger import actor, amounts, bulk, names, pagination
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.canonical import GENESIS_HASH, fingerprint
from ledger.db import Engines, as_utc
from ledger.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import (
    Account,
    AccountType,
    Commodity,
    CommodityKind,
    Page,
    Party,
    PartyKind,
)
from ledger.posting import chunks
from ledger.validation import (
    check_request_id,
    check_text,
)

DEFAULT_TIMEZONE = "Asia/Shanghai"


class Catalog:
    """Commodities, parties and accounts on one database, with the account and commodity caches."""

    def __init__(self, engines: Engines, clock: Callable[[], dt.datetime]) -> None:
        self._engines = engines
        self._clock = clock
        self._cache_lock = threading.Lock()
        self._accounts_by_name: dict[str, Account] = {}
        self._accounts_by_id: dict[uuid.UUID, Account] = {}
        self._commodities: dict[str, Commodity] = {}

    # ------------------------------------------------------------------ commodities

    def create_commodity(
        self,
        *,
        request_id: str,
        code: str,
        kind: CommodityKind | None,
        scale: int,
        display_name: str = "",
    ) -> Commodity:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        if not names.COMMODITY_CODE.match(code or ""):
            errors.add(
                "code",
                "must be 1 to 32 capitals, digits, '.', '-' or '_', starting with a capital (e.g. CNY)",
            )
        if kind is None:
            errors.add(
                "kind",
                "is required: COMMODITY_KIND_CURRENCY, _OPTION, _SHARE or _OTHER",
            )
        elif kind is CommodityKind.CURRENCY and names.COMMODITY_CODE.match(code or ""):
            iso = amounts.iso_currency_scale(code)
            if iso is None:
                errors.add(
                    "code",
                    f"{code!r} is not an ISO 4217 currency; register it as another kind",
                )
            elif scale not in (0, iso):
                errors.add(
                    "scale",
                    f"{code} has {iso} decimal places under ISO 4217, not {scale}",
                )
            else:
                scale = iso
        if not 0 <= scale <= 18:
            errors.add("scale", f"must be between 0 and 18 (got {scale})")
        check_text(display_name, "display_name", errors, limit=200)
        errors.raise_if_any()
        assert kind is not None
        print_ = fingerprint(
            {
                "code": code,
                "kind": kind.value,
                "scale": scale,
                "display_name": display_name,
            }
        )

        def work(conn: sa.Connection) -> Commodity:
            row = conn.execute(sa.select(t.commodities).where(t.commodities.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != print_:
                    raise request_id_reused(request_id)
                return _commodity(row)
            if conn.execute(sa.select(t.commodities.c.code).where(t.commodities.c.code == code)).first():
                raise AlreadyExists(f"commodity {code} is already registered", reason="COMMODITY_EXISTS")
            values = {
                "code": code,
                "kind": kind.value,
                "scale": scale,
                "display_name": display_name,
                "request_id": request_id,
                "fingerprint": print_,
                "created_at": self._clock(),
                **actor.columns(),
            }
            conn.execute(t.commodities.insert(), values)
            return _commodity_from(values)

        return uow.run(self._engines.writer, work, what="CreateCommodity")

    def list_commodities(self) -> list[Commodity]:
        rows = uow.read(
            self._engines.reader,
            lambda c: c.execute(sa.select(t.commodities).order_by(t.commodities.c.code)).all(),
        )
        return [_commodity(r) for r in rows]

    def _commodity(self, conn: sa.Connection, code: str, *, register_iso: bool) -> Commodity | None:
        cached = self._commodities.get(code)
        if cached is not None:
            return cached
        row = conn.execute(sa.select(t.commodities).where(t.commodities.c.code == code)).first()
        if row is not None:
            commodity = _commodity(row)
            with self._cache_lock:
                self._commodities[code] = commodity
            return commodity
        if register_iso and (iso := amounts.iso_currency_scale(code)) is not None:
            values = {
                "code": code,
                "kind": CommodityKind.CURRENCY.value,
                "scale": iso,
                "display_name": code,
                "request_id": None,
                "fingerprint": None,
                "created_at": self._clock(),
                **actor.columns(),
            }
            conn.execute(_insert_ignore(conn, t.commodities, ["code"]), values)
            row = conn.execute(sa.select(t.commodities).where(t.commodities.c.code == code)).one()
            # Not cached: the row is only real once this unit of work commits, and it may yet roll back.
            return _commodity(row)
        return None

    # ------------------------------------------------------------------ parties

    def create_party(
        self,
        *,
        request_id: str,
        party_id: str,
        display_name: str,
        kind: PartyKind | None,
    ) -> Party:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        if not names.PARTY_ID.match(party_id or ""):
            errors.add(
                "party_id",
                "must be 1 to 63 lowercase letters, digits or hyphens, starting with a letter (e.g. bank-hz)",
            )
        if kind is None:
            errors.add("kind", "is required (e.g. PARTY_KIND_BANK_BRANCH)")
        if not display_name.strip():
            errors.add("display_name", "is required")
        check_text(display_name, "display_name", errors, limit=200)
        errors.raise_if_any()
        assert kind is not None
        print_ = fingerprint({"id": party_id, "display_name": display_name, "kind": kind.value})

        def work(conn: sa.Connection) -> Party:
            row = conn.execute(sa.select(t.parties).where(t.parties.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != print_:
                    raise request_id_reused(request_id)
                return _party(row)
            if conn.execute(sa.select(t.parties.c.id).where(t.parties.c.id == party_id)).first():
                raise AlreadyExists(f"party parties/{party_id} already exists", reason="PARTY_EXISTS")
            now = self._clock()
            conn.execute(
                t.parties.insert(),
                {
                    "id": party_id,
                    "display_name": display_name,
                    "kind": kind.value,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "created_at": now,
                    **actor.columns(),
                },
            )
            conn.execute(
                t.books.insert(),
                {"party_id": party_id, "head_seq": 0, "head_hash": GENESIS_HASH},
            )
            return Party(party_id, display_name, kind, now)

        return uow.run(self._engines.writer, work, what="CreateParty")

    def get_party(self, name: str, field_path: str = "name") -> Party:
        party_id = parse_field(names.parse_party_name, name, field_path)
        row = uow.read(
            self._engines.reader,
            lambda c: c.execute(sa.select(t.parties).where(t.parties.c.id == party_id)).first(),
        )
        if row is None:
            raise NotFound(name, "party")
        return _party(row)

    def list_parties(self, *, page_size: int = 0, page_token: str = "") -> Page[Party]:
        size = pagination.page_size(page_size)
        filters: dict[str, Any] = {"list": "parties"}
        after = pagination.decode(page_token, filters, (pagination.text,))
        query = sa.select(t.parties).order_by(t.parties.c.id).limit(size + 1)
        if after:
            query = query.where(t.parties.c.id > str(after[0]))
        rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        items = [_party(r) for r in rows[:size]]
        token = pagination.encode(filters, [items[-1].id]) if len(rows) > size else ""
        return Page(tuple(items), token)

    # ------------------------------------------------------------------ accounts

    def create_account(
        self,
        *,
        request_id: str,
        party: str,
        code: str,
        display_name: str,
        type: AccountType | None,  # noqa: A002 - mirrors the API field
        commodity: str,
        must_not_go_negative: bool,
    ) -> Account:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        party_id = ""
        try:
            party_id = names.parse_party_name(party)
        except names.BadName as exc:
            errors.add("party", str(exc))
        if not names.ACCOUNT_CODE.match(code or ""):
            errors.add(
                "code",
                "must be 1 to 63 lowercase letters, digits, '.', '-' or '_', starting with a letter or digit",
            )
        if type is None:
            errors.add(
                "type",
                "is required: ACCOUNT_TYPE_ASSET, _LIABILITY, _EQUITY, _INCOME or _EXPENSE",
            )
        if not names.COMMODITY_CODE.match(commodity or ""):
            errors.add("commodity", "must be a commodity code such as CNY")
        check_text(display_name, "display_name", errors, limit=200)
        errors.raise_if_any()
        assert type is not None
        print_ = fingerprint(
            {
                "party": party_id,
                "code": code,
                "display_name": display_name,
                "type": type.value,
                "commodity": commodity,
                "must_not_go_negative": must_not_go_negative,
            }
        )

        def work(conn: sa.Connection) -> Account:
            row = conn.execute(_account_query().where(t.accounts.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != print_:
                    raise request_id_reused(request_id)
                return _account(row)
            if conn.execute(sa.select(t.parties.c.id).where(t.parties.c.id == party_id)).first() is None:
                raise NotFound(party, "party")
            found = self._commodity(conn, commodity, register_iso=True)
            if found is None:
                raise InvalidArgument.one(
                    "commodity",
                    f"{commodity!r} is not registered and is not an ISO currency; CreateCommodity first",
                    "UNKNOWN_COMMODITY",
                )
            exists = conn.execute(
                sa.select(t.accounts.c.id).where(t.accounts.c.party_id == party_id, t.accounts.c.code == code)
            ).first()
            if exists:
                raise AlreadyExists(
                    f"account {names.account_name(party_id, code)} already exists",
                    reason="ACCOUNT_EXISTS",
                )
            account = Account(
                id=uuid.uuid4(),
                party_id=party_id,
                code=code,
                display_name=display_name,
                type=type,
                commodity=commodity,
                scale=found.scale,
                must_not_go_negative=must_not_go_negative,
                create_time=self._clock(),
            )
            conn.execute(
                t.accounts.insert(),
                {
                    "id": account.id,
                    "party_id": party_id,
                    "code": code,
                    "display_name": display_name,
                    "type": type.value,
                    "commodity": commodity,
                    "must_not_go_negative": must_not_go_negative,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "created_at": account.create_time,
                    **actor.columns(),
                },
            )
            conn.execute(
                t.balances.insert(),
                {
                    "party_id": party_id,
                    "account_id": account.id,
                    "posted": 0,
                    "pending_debits": 0,
                    "pending_credits": 0,
                },
            )
            return account

        return uow.run(self._engines.writer, work, what="CreateAccount")

    def get_account(self, name: str, field_path: str = "name") -> Account:
        parse_field(names.parse_account_name, name, field_path)
        account = self.resolve_accounts([name]).get(name)
        if account is None:
            raise NotFound(name, "account")
        return account

    def list_accounts(
        self,
        *,
        party: str = "",
        commodity: str = "",
        type: AccountType | None = None,  # noqa: A002
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Account]:
        size = pagination.page_size(page_size)
        filters = {
            "list": "accounts",
            "party": party,
            "commodity": commodity,
            "type": type.value if type else "",
        }
        after = pagination.decode(page_token, filters, (pagination.text, pagination.text))
        query = _account_query().order_by(t.accounts.c.party_id, t.accounts.c.code).limit(size + 1)
        if party:
            query = query.where(t.accounts.c.party_id == parse_field(names.parse_party_name, party, "party"))
        if commodity:
            code = parse_field(names.parse_commodity_name, commodity, "commodity")
            query = query.where(t.accounts.c.commodity == code)
        if type is not None:
            query = query.where(t.accounts.c.type == type.value)
        if after:
            p, c = str(after[0]), str(after[1])
            query = query.where(
                sa.or_(
                    t.accounts.c.party_id > p,
                    sa.and_(t.accounts.c.party_id == p, t.accounts.c.code > c),
                )
            )
        rows = uow.read(self._engines.reader, lambda conn: conn.execute(query).all())
        items = [self._remember(_account(r)) for r in rows[:size]]
        token = pagination.encode(filters, [items[-1].party_id, items[-1].code]) if len(rows) > size else ""
        return Page(tuple(items), token)

    def _remember(self, account: Account) -> Account:
        with self._cache_lock:
            self._accounts_by_name[account.name] = account
            self._accounts_by_id[account.id] = account
        return account

    def remember(self, accounts: Iterable[Account]) -> None:
        """Cache accounts by name and id once the unit of work that read or opened them has COMMITTED
        (for example after `uow.run` returned), so later look-ups skip the database: accounts never
        change once opened. Never call it from inside that unit of work: if it rolled back, the cache
        would name accounts that do not exist."""
        with self._cache_lock:
            for account in accounts:
                self._accounts_by_name[account.name] = account
                self._accounts_by_id[account.id] = account

    def resolve_accounts(self, account_names: Iterable[str], within: sa.Connection | None = None) -> dict[str, Account]:
        """Look accounts up by name: from the cache (accounts never change), else in one query.

        With `within`, the query runs on the caller's connection, so accounts it opened in its own
        transaction are found; those rows are not cached, since the transaction may yet roll back.
        """
        wanted = set(account_names)
        found = {n: a for n in wanted if (a := self._accounts_by_name.get(n)) is not None}
        missing = []
        for name in wanted - found.keys():
            try:
                missing.append(names.parse_account_name(name))
            except names.BadName:
                continue
        if missing:
            queries = [_account_query().where(where) for where in _named(missing)]
            if within is not None:
                rows = [row for query in queries for row in within.execute(query)]
            else:
                rows = uow.read(self._engines.reader, lambda c: [row for query in queries for row in c.execute(query)])
            for row in rows:
                account = _account(row) if within is not None else self._remember(_account(row))
                found[account.name] = account
        return found

    def accounts_by_ids(self, conn: sa.Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Account]:
        wanted = set(ids)
        found = {i: a for i in wanted if (a := self._accounts_by_id.get(i)) is not None}
        missing = wanted - found.keys()
        if missing:
            for row in conn.execute(_account_query().where(t.accounts.c.id.in_(missing))).all():
                account = self._remember(_account(row))
                found[account.id] = account
        return found

    def party_kinds(self, conn: sa.Connection, party_ids: Iterable[str]) -> dict[str, PartyKind]:
        """party id → kind, for those of these ids that exist."""
        wanted = sorted(set(party_ids))
        rows = conn.execute(sa.select(t.parties.c.id, t.parties.c.kind).where(t.parties.c.id.in_(wanted))).all()
        return {r.id: PartyKind(r.kind) for r in rows}

    def existing_parties(self, conn: sa.Connection, party_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(party_ids))
        rows = conn.execute(sa.select(t.parties.c.id).where(t.parties.c.id.in_(wanted))).all()
        return {r.id for r in rows}

    def open_accounts(
        self,
        conn: sa.Connection,
        plans: Iterable[tuple[str, str, AccountType, str, bool, str]],
        *,
        commodity_kind: Mapping[str, tuple[CommodityKind, int]] | None = None,
    ) -> dict[str, Account]:
        """Open every (party, code, type, commodity, must_not_go_negative, display name) not yet open.

        Commodities missing from the registry are registered from `commodity_kind` (kind, scale) or, for
        ISO currencies, automatically. Opening is idempotent: existing accounts are left as they are.
        Returns the accounts this call opened, by name (for `post_within(accounts=...)` in the same
        transaction; not cached here, since the transaction may yet roll back), but for those on a
        commodity it registered from `commodity_kind`, whose scale it has not read back.
        """
        plans = list(plans)
        existing: set[tuple[str, str]] = set()
        for where in _named([(p[0], p[1]) for p in plans]):
            query = sa.select(t.accounts.c.party_id, t.accounts.c.code).where(where)
            existing.update((r.party_id, r.code) for r in conn.execute(query))
        now = self._clock()
        accounts_: list[dict[str, Any]] = []
        who = actor.columns()
        balances: list[dict[str, Any]] = []
        scales: dict[str, int | None] = {}  # per commodity met: its registered scale (None: registered here)
        opened_accounts: dict[str, Account] = {}
        for party, code, account_type, commodity, guarded, display_name in plans:
            if (party, code) in existing:
                continue
            if commodity not in scales:
                known = self._commodity(conn, commodity, register_iso=True)
                if known is not None:
                    scales[commodity] = known.scale
                else:
                    kind, scale = (commodity_kind or {})[commodity]
                    scales[commodity] = None
                    conn.execute(
                        _insert_ignore(conn, t.commodities, ["code"]),
                        {
                            "code": commodity,
                            "kind": kind.value,
                            "scale": scale,
                            "display_name": commodity,
                            "request_id": None,
                            "fingerprint": None,
                            "created_at": now,
                            **actor.columns(),
                        },
                    )
            account_id = uuid.uuid4()
            opened = opening_fingerprint(party, code, account_type.value, commodity)
            accounts_.append(
                {
                    "id": account_id,
                    "party_id": party,
                    "code": code,
                    "display_name": display_name or code,
                    "type": account_type.value,
                    "commodity": commodity,
                    "must_not_go_negative": guarded,
                    "request_id": f"toudai.open:{opened[:40]}",
                    "fingerprint": opened,
                    "created_at": now,
                    **who,
                }
            )
            balances.append(
                {"party_id": party, "account_id": account_id, "posted": 0, "pending_debits": 0, "pending_credits": 0}
            )
            scale_ = scales[commodity]
            if scale_ is not None:
                account = Account(
                    account_id,
                    party,
                    code,
                    display_name or code,
                    account_type,
                    commodity,
                    scale_,
                    guarded,
                    as_utc(now),  # as `_account` reads it back
                )
                opened_accounts[account.name] = account
            existing.add((party, code))
        # One bulk insert each (ledger.bulk: COPY on PostgreSQL, plain executemany on SQLite), not two
        # statements per account, in id order: the ids (the accounts' and the balances' keys) then enter
        # their indexes in order, each index page visited once instead of at random, which opened 10,000
        # fair-value accounts in 13 % less time on SQLite (docs/performance.md, issue 20 item 3, second
        # pass). The rows are the same; the returned accounts keep the plans' order.
        accounts_.sort(key=lambda row: row["id"].bytes)
        balances.sort(key=lambda row: row["account_id"].bytes)
        bulk.insert_rows(conn, t.accounts, accounts_)
        bulk.insert_rows(conn, t.balances, balances)
        return opened_accounts


def opening_fingerprint(party: str, code: str, account_type: str, commodity: str) -> str:
    """`fingerprint({"party", "code", "type", "commodity"})` of an account opened by `open_accounts`, its
    canonical text written directly (keys in code-point order), as ledger.canonical does for legs: the
    dict and a `json.dumps(sort_keys=True)` per account were a fifth of opening 10,000 fair-value accounts
    (docs/performance.md, issue 20 item 3, second pass). tests/unit/ledger/test_opening_fingerprint.py checks
    it byte for byte against `fingerprint()`."""
    text = (
        '{"code":' + _quote(code)
        + ',"commodity":' + _quote(commodity)
        + ',"party":' + _quote(party)
        + ',"type":' + _quote(account_type)
        + "}"
    )  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _named(keys: Sequence[tuple[str, str]]) -> Iterator[sa.ColumnElement[bool]]:
    """WHERE clauses finding the accounts (party, code) `keys`: per party, `party_id = ? AND code IN (...)`
    in chunks of `bulk.CHUNK` codes (SQLite caps bound parameters). One row-value `(party_id, code) IN
    ((?, ?), ...)` over them all took about 2.5 times as long on SQLite for 10,100 names in a revaluation
    (docs/performance.md, issue 20 item 3, second pass); the rows found are the same."""
    by_party: dict[str, list[str]] = {}
    for party, code in keys:
        by_party.setdefault(party, []).append(code)
    for party in sorted(by_party):
        for codes in chunks(sorted(set(by_party[party])), bulk.CHUNK):
            yield sa.and_(t.accounts.c.party_id == party, t.accounts.c.code.in_(list(codes)))


def parse_field(parser: Callable[[str], Any], value: str, field_path: str) -> Any:
    try:
        return parser(value)
    except names.BadName as exc:
        raise InvalidArgument.one(field_path, str(exc)) from None


def _insert_ignore(conn: sa.Connection, table: sa.Table, keys: list[str]) -> Any:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing(index_elements=keys)


def _account_query() -> sa.Select[Any]:
    return sa.select(t.accounts, t.commodities.c.scale).join(
        t.commodities, t.commodities.c.code == t.accounts.c.commodity
    )


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        party_id=row.party_id,
        code=row.code,
        display_name=row.display_name,
        type=AccountType(row.type),
        commodity=row.commodity,
        scale=row.scale,
        must_not_go_negative=bool(row.must_not_go_negative),
        create_time=as_utc(row.created_at),
    )


def _party(row: Any) -> Party:
    return Party(row.id, row.display_name, PartyKind(row.kind), as_utc(row.created_at))


def _commodity(row: Any) -> Commodity:
    return Commodity(
        row.code,
        CommodityKind(row.kind),
        row.scale,
        row.display_name,
        as_utc(row.created_at),
    )


def _commodity_from(values: Mapping[str, Any]) -> Commodity:
    return Commodity(
        values["code"],
        CommodityKind(values["kind"]),
        values["scale"],
        values["display_name"],
        values["created_at"],
    )


def positive_amount(value: str, scale: int, path: str, errors: ViolationCollector) -> int:
    try:
        minor = amounts.parse_minor(value, scale)
    except amounts.AmountError as exc:
        errors.add(path, str(exc), "INVALID_AMOUNT")
        return 0
    if minor <= 0:
        errors.add(path, f"must be greater than zero (got {value!r})", "NON_POSITIVE_AMOUNT")
    return minor
