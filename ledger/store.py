"""The ledger store: parties, accounts, commodities, the journal, balances and holds on SQL.

`Ledger` is the one entry point the server (and later deals/, settlement/, audit/) use. Each write is
one unit of work (ledger.unit_of_work.run): validate purely first, then in one database transaction
lock the touched books' heads in party-id order, check idempotency keys, apply the postings in memory
against the locked balances, insert the journal rows in bulk, update running balances, extend each
book's hash chain and commit. Locking the heads serialises writers per book across threads and server
processes alike (row locks on PostgreSQL, BEGIN IMMEDIATE on SQLite), which is what keeps sequences
gapless, chains linear and must-not-go-negative checks honest.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ledger import actor, amounts, bulk, names, pagination, pg_posting
from ledger import schema as t
from ledger import unit_of_work as uow
from ledger.canonical import (
    GENESIS_HASH,
    checkpoint_hash,
    fingerprint,
    format_instant,
    leg_document,
    leg_hash,
    leg_hash_of,
    metadata_json,
)
from ledger.db import Engines, as_utc
from ledger.errors import (
    AlreadyExists,
    FailedPrecondition,
    InsufficientFunds,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.group_commit import GroupCommitter
from ledger.model import (
    Account,
    AccountType,
    Balance,
    Commodity,
    CommodityKind,
    Hold,
    HoldState,
    Leg,
    Page,
    Party,
    PartyKind,
    Posting,
    PostingSpec,
    PostResult,
    Side,
    Transaction,
    TransactionSpec,
)
from ledger.session import LedgerSession
from ledger.validation import (
    ValidTransaction,
    check_metadata,
    check_metadata_filter,
    check_request_id,
    check_text,
    check_value_date,
    validate_batch,
)

DEFAULT_HOLD_TTL = dt.timedelta(days=7)
MAX_HOLD_TTL = dt.timedelta(days=366)
MAX_BATCH_BALANCES = 1_000
DEFAULT_TIMEZONE = "Asia/Shanghai"

R = TypeVar("R")


def _by_uuid(item: tuple[uuid.UUID, Any]) -> int:
    """Sort key of a (UUID, value) pair: the UUID's integer, which is how UUIDs order (UUID.__lt__ is Python)."""
    return item[0].int


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of re-verifying one book's hash chain."""

    party_id: str
    legs_checked: int
    head_sequence: int
    head_hash: str
    faults: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.faults


@dataclass(slots=True)
class _Running:
    """An account's running totals inside one unit of work."""

    posted: int
    pending_debits: int
    pending_credits: int


class Ledger:
    """The double-entry, multi-party, multi-commodity ledger on one database."""

    def __init__(
        self,
        engines: Engines,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        timezone: str = DEFAULT_TIMEZONE,
        group_commit: bool = True,
    ) -> None:
        """`group_commit` coalesces concurrent post_transactions calls into shared database transactions
        (ledger.group_commit); each call still succeeds or fails on its own."""
        self._engines = engines
        self._clock = clock
        self._zone = ZoneInfo(timezone)
        self._cache_lock = threading.Lock()
        self._accounts_by_name: dict[str, Account] = {}
        self._accounts_by_id: dict[uuid.UUID, Account] = {}
        self._commodities: dict[str, Commodity] = {}
        self._committer = (
            GroupCommitter(
                engines.writer,
                lambda conn, batch, prefix, actors, on_computed: self._post(
                    conn, batch, field_prefix=prefix, actors=actors, on_computed=on_computed
                ),
            )
            if group_commit
            else None
        )

    @property
    def engines(self) -> Engines:
        return self._engines

    @property
    def committer(self) -> GroupCommitter | None:
        """The group committer of post_transactions, if enabled (its counters show how calls coalesce)."""
        return self._committer

    def today(self) -> dt.date:
        """The business date in the ledger's time zone (Asia/Shanghai by default)."""
        return self._clock().astimezone(self._zone).date()

    def write(self, work: Callable[[LedgerSession], R], *, what: str = "write") -> R:
        """Run `work` in one retryable unit of work (ledger.session); the accounts it opened or read are
        cached once it has committed."""
        sessions: list[LedgerSession] = []

        def attempt(conn: sa.Connection) -> R:
            session = LedgerSession(self, conn)
            sessions.append(session)
            return work(session)

        result = uow.run(self._engines.writer, attempt, what=what)
        self.remember_accounts(sessions[-1].accounts_seen())  # the last attempt is the one that committed
        return result

    def read(self, work: Callable[[LedgerSession], R]) -> R:
        """Run a read-only `work` on the reader engine (one connection, no retries)."""
        return uow.read(self._engines.reader, lambda conn: work(LedgerSession(self, conn)))

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
                },
            )
            conn.execute(
                t.books.insert(),
                {"party_id": party_id, "head_seq": 0, "head_hash": GENESIS_HASH},
            )
            return Party(party_id, display_name, kind, now)

        return uow.run(self._engines.writer, work, what="CreateParty")

    def get_party(self, name: str, field_path: str = "name") -> Party:
        party_id = _parse(names.parse_party_name, name, field_path)
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
        _parse(names.parse_account_name, name, field_path)
        account = self._resolve_accounts([name]).get(name)
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
            query = query.where(t.accounts.c.party_id == _parse(names.parse_party_name, party, "party"))
        if commodity:
            code = _parse(names.parse_commodity_name, commodity, "commodity")
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

    def remember_accounts(self, accounts: Iterable[Account]) -> None:
        """Cache accounts by name and id once the unit of work that read or opened them has COMMITTED
        (for example after `uow.run` returned), so later look-ups skip the database: accounts never
        change once opened. Never call it from inside that unit of work: if it rolled back, the cache
        would name accounts that do not exist."""
        with self._cache_lock:
            for account in accounts:
                self._accounts_by_name[account.name] = account
                self._accounts_by_id[account.id] = account

    def _resolve_accounts(
        self, account_names: Iterable[str], within: sa.Connection | None = None
    ) -> dict[str, Account]:
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
            keys = sa.tuple_(t.accounts.c.party_id, t.accounts.c.code)
            query = _account_query().where(keys.in_(missing))
            if within is not None:
                rows = within.execute(query).all()
            else:
                rows = uow.read(self._engines.reader, lambda c: c.execute(query).all())
            for row in rows:
                account = _account(row) if within is not None else self._remember(_account(row))
                found[account.name] = account
        return found

    def _accounts_by_ids(self, conn: sa.Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Account]:
        wanted = set(ids)
        found = {i: a for i in wanted if (a := self._accounts_by_id.get(i)) is not None}
        missing = wanted - found.keys()
        if missing:
            for row in conn.execute(_account_query().where(t.accounts.c.id.in_(missing))).all():
                account = self._remember(_account(row))
                found[account.id] = account
        return found

    # ------------------------------------------------------------------ posting

    def post_transactions(self, specs: Sequence[TransactionSpec]) -> PostResult:
        """Post a batch all or nothing; a retried request_id returns the original transaction."""
        return self.post_and_answer(specs, lambda result: result)

    def post_and_answer(self, specs: Sequence[TransactionSpec], answer: Callable[[PostResult], R]) -> R:
        """Post like post_transactions and return `answer(result)`, computed while the database commits.

        With group commit, `answer` (a protobuf response, say) may run as soon as the result is known,
        while the writer thread waits for PostgreSQL or SQLite to write and commit: the two overlap. Its
        value is returned only once the batch has committed, and if the commit went to another attempt
        (a retried conflict) it is computed again from that attempt's result, so it always describes
        what was committed. `answer` must not have side effects.
        """
        resolved = self._resolve_accounts(p.account for s in specs[:10_001] for p in s.postings)
        valid = validate_batch(specs, resolved.get, today=self.today())
        if self._committer is not None:
            return self._committer.submit_and_answer(valid, answer)
        return answer(
            uow.run(
                self._engines.writer,
                lambda conn: self._post(conn, valid, field_prefix="transactions"),
                what="PostTransactions",
            )
        )

    def reverse_transaction(
        self,
        *,
        request_id: str,
        name: str,
        value_date: dt.date | None = None,
        description: str = "",
    ) -> PostResult:
        """Post the mirror image of a transaction. A transaction can be reversed once; a reversal never."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        original_id = None
        try:
            original_id = names.parse_uuid_name(name, "transactions")
        except names.BadName as exc:
            errors.add("name", str(exc))
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self.today())
        check_text(description, "description", errors)
        errors.raise_if_any()
        assert original_id is not None

        def work(conn: sa.Connection) -> PostResult:
            originals = self._load_transactions(conn, [original_id])
            if not originals:
                raise NotFound(name, "transaction")
            original = originals[0]
            spec = TransactionSpec(
                request_id=request_id,
                value_date=value_date or original.value_date,
                description=description or f"Reversal of {original.name}",
                metadata={**original.metadata, "toudai.reverses": str(original.id)},
                postings=tuple(
                    PostingSpec(
                        p.account.name,
                        p.side.opposite,
                        p.account.commodity,
                        amounts.format_minor(p.amount, p.account.scale),
                    )
                    for p in original.postings
                ),
                reverses=original.id,
            )
            accounts_ = {p.account.name: p.account for p in original.postings}
            valid = validate_batch([spec], accounts_.get, today=self.today(), allow_reserved_metadata=True)
            existing = conn.execute(
                sa.select(t.transactions.c.id).where(t.transactions.c.request_id == request_id)
            ).first()
            if existing is None:
                if original.reverses is not None:
                    raise FailedPrecondition(
                        f"{original.name} is itself a reversal and cannot be reversed; post a new transaction",
                        [
                            PreconditionViolation(
                                "REVERSAL_OF_REVERSAL",
                                original.name,
                                "a reversal is final",
                            )
                        ],
                        reason="REVERSAL_OF_REVERSAL",
                    )
                if original.reversed_by is not None:
                    raise FailedPrecondition(
                        f"{original.name} was already reversed by transactions/{original.reversed_by}",
                        [
                            PreconditionViolation(
                                "ALREADY_REVERSED",
                                original.name,
                                f"reversed by transactions/{original.reversed_by}",
                            )
                        ],
                        reason="ALREADY_REVERSED",
                    )
            return self._post(conn, valid, field_prefix="")

        return uow.run(self._engines.writer, work, what="ReverseTransaction")

    def _post(
        self,
        conn: sa.Connection,
        batch: Sequence[ValidTransaction],
        *,
        field_prefix: str,
        actors: Sequence[actor.Actor | None] | None = None,
        on_computed: Callable[[PostResult], None] | None = None,
    ) -> PostResult:
        """Append a validated batch inside the caller's database transaction.

        Invariant the group committer relies on: every refusal (LedgerError) is raised before the first
        write, so a refused batch leaves the transaction as it found it (only row locks taken).

        `on_computed` is given the result as soon as it is known, before the rows are written and
        committed (when the batch replays nothing), so a caller on another thread can build its answer
        while the database works; the same object is returned if this attempt commits. The caller must
        not act on it before the commit.

        Each transaction is stamped with who caused it (ledger.actor): `actors[i]` for `batch[i]` when
        given (the group-commit writer, which posts for several callers), else the actor bound to this call.
        """
        parties = sorted({party for tx in batch for party in tx.parties})
        by_name = {p.account.name: p.account for tx in batch for p in tx.postings}
        touched = {account.id: account for account in by_name.values()}
        postgres = conn.dialect.name == "postgresql"
        if postgres:  # the three reads in one round trip (ledger.bulk)
            head_rows, existing_rows, running_rows = pg_posting.read_state(
                conn, parties, [tx.request_id for tx in batch], list(touched)
            )
            heads = {party: (seq, digest) for party, seq, digest in head_rows}
            if len(heads) != len(parties):  # pragma: no cover - accounts cannot exist without their book
                raise NotFound(f"parties/{sorted(set(parties) - heads.keys())[0]}", "book of party")
            existing = {request_id: (tx_id, print_) for request_id, tx_id, print_ in existing_rows}
            running = {a: _Running(p, d, c) for a, p, d, c in running_rows}
        else:
            heads = self._lock_books(conn, parties)
            existing = self._existing_requests(conn, [tx.request_id for tx in batch])
            running = self._load_running(conn, touched.keys())
        for tx in batch:
            if tx.request_id in existing and existing[tx.request_id][1] != tx.fingerprint:
                raise request_id_reused(tx.request_id)
        fresh = [(i, tx) for i, tx in enumerate(batch) if tx.request_id not in existing]
        # Keyed by account name from here on: a str caches its hash, a UUID computes it in Python each time.
        states = {touched[account_id].name: state for account_id, state in running.items()}
        now = self._clock()
        recorded_at = format_instant(now)
        rows = bulk.JournalRows()
        daily: dict[tuple[str, dt.date], int] = defaultdict(int)
        new_transactions: dict[str, Transaction] = {}
        encoded: dict[tuple[tuple[str, str], ...], str] = {}  # metadata JSON, shared by equal maps
        bound = actor.current()
        for i, tx in fresh:
            tx_id = uuid.uuid4()
            tx_text = str(tx_id)
            # Who caused it (ledger.actor): after the fingerprint, so a retry replays; in the hashed document.
            who = actors[i] if actors is not None else bound
            metadata = {**tx.metadata, **who.metadata()} if who is not None else dict(tx.metadata)
            key = tuple(metadata.items())
            metadata_text = encoded.get(key)
            if metadata_text is None:
                metadata_text = encoded[key] = metadata_json(metadata)
            value_date = tx.value_date
            day = value_date.isoformat()
            reverses = str(tx.reverses) if tx.reverses else None
            for posting in tx.postings:
                name = posting.account.name
                signed = posting.signed
                states[name].posted += signed
                daily[(name, value_date)] += signed
            self._check_limits(tx, states, i if field_prefix else None)
            legs: list[Leg] = []
            books = tx.parties
            for party in books:
                seq, prev = heads[party]
                seq += 1
                mine = (
                    list(enumerate(tx.postings))
                    if len(books) == 1
                    else [(j, p) for j, p in enumerate(tx.postings) if p.account.party_id == party]
                )
                digest = leg_hash_of(
                    book=party,
                    sequence=seq,
                    prev_hash=prev,
                    transaction_id=tx_text,
                    request_id=tx.request_id,
                    value_date=day,
                    recorded_at=recorded_at,
                    description=tx.description,
                    metadata=metadata_text,
                    reverses=reverses,
                    postings=[(p.account.code, p.account.commodity, p.signed) for _, p in mine],
                )
                heads[party] = (seq, digest)
                legs.append(Leg(party, seq, prev, digest))
                rows.legs.append((party, seq, tx_id, tx_text, prev, digest))
                rows.postings.extend([(party, seq, j, p.account, p.signed) for j, p in mine])
            rows.transactions.append(
                (
                    tx_id,
                    tx_text,
                    tx.request_id,
                    tx.fingerprint,
                    value_date,
                    tx.description,
                    metadata_text,
                    tx.reverses,
                    now,
                )
            )
            if metadata:
                rows.metadata.extend([(k, v, tx_id, tx_text) for k, v in metadata.items()])
            new_transactions[tx.request_id] = Transaction(
                id=tx_id,
                request_id=tx.request_id,
                value_date=value_date,
                description=tx.description,
                metadata=metadata,
                postings=tx.postings,
                legs=tuple(legs),
                create_time=now,
                reverses=tx.reverses,
            )
        early = None
        if on_computed is not None and not existing:
            early = PostResult(
                tuple(new_transactions[tx.request_id] for tx in batch),
                self._balances_of(running, touched),
            )
            on_computed(early)
        if fresh and postgres:
            pg_posting.write_state(
                conn,
                rows,
                [(k, v.posted, v.pending_debits, v.pending_credits) for k, v in sorted(running.items(), key=_by_uuid)],
                sorted(
                    (
                        (by_name[name].party_id, by_name[name].id, day, delta)
                        for (name, day), delta in daily.items()
                        if delta
                    ),
                    key=lambda row: (row[0], row[1].int, row[2]),
                ),
                [(party, seq, digest) for party, (seq, digest) in heads.items()],
            )
        elif fresh:
            rows.write(conn)
            self._write_running(conn, running, touched)
            self._write_daily(
                conn,
                {(by_name[name].party_id, by_name[name].id, day): delta for (name, day), delta in daily.items()},
            )
            conn.execute(
                t.books.update()
                .where(t.books.c.party_id == sa.bindparam("b_party"))
                .values(head_seq=sa.bindparam("b_seq"), head_hash=sa.bindparam("b_hash")),
                [{"b_party": p, "b_seq": s, "b_hash": h} for p, (s, h) in heads.items()],
            )
        if early is not None:
            return early
        replayed = self._load_transactions(
            conn,
            [existing[tx.request_id][0] for tx in batch if tx.request_id in existing],
        )
        by_request = {**{tx.request_id: tx for tx in replayed}, **new_transactions}
        return PostResult(tuple(by_request[tx.request_id] for tx in batch), self._balances_of(running, touched))

    def _balances_of(
        self, running: Mapping[uuid.UUID, _Running], touched: Mapping[uuid.UUID, Account]
    ) -> tuple[Balance, ...]:
        """The touched accounts' balances after a posting, in account name order."""
        return tuple(
            self._balance(touched[account_id], state)
            for account_id, state in sorted(running.items(), key=lambda kv: touched[kv[0]].name)
        )

    def _check_limits(
        self,
        tx: ValidTransaction,
        running: Mapping[str, _Running],
        index: int | None,
    ) -> None:
        """Capacity and must-not-go-negative after `tx`; `running` is keyed by account name."""
        guarded = False
        for posting in tx.postings:
            account = posting.account
            state = running[account.name]
            if (
                state.posted > amounts.MAX_BALANCE_MINOR
                or -state.posted > amounts.MAX_BALANCE_MINOR
                or state.pending_debits > amounts.MAX_BALANCE_MINOR
                or state.pending_credits > amounts.MAX_BALANCE_MINOR
            ):
                where = f"transactions[{index}] ({tx.request_id})" if index is not None else tx.request_id
                _check_capacity(account, state, where, tx.request_id)
            guarded = guarded or account.must_not_go_negative
        if not guarded:
            return
        where = f"transactions[{index}] ({tx.request_id})" if index is not None else tx.request_id
        violations = []
        seen = set()
        for posting in tx.postings:
            account = posting.account
            if not account.must_not_go_negative or account.name in seen:
                continue
            seen.add(account.name)
            state = running[account.name]
            balance = self._balance(account, state)
            if balance.available < 0:
                short = amounts.format_minor(-balance.available, account.scale)
                violations.append(
                    PreconditionViolation(
                        "INSUFFICIENT_FUNDS",
                        account.name,
                        f"{account.name} must not go negative: after this transaction its balance would be "
                        f"{amounts.format_minor(balance.balance, account.scale)} {account.commodity} with "
                        f"{amounts.format_minor(balance.held, account.scale)} held, "
                        f"short by {short} {account.commodity}",
                    )
                )
        if violations:
            raise InsufficientFunds(
                f"{where}: {violations[0].description}",
                violations,
                metadata={
                    "request_id": tx.request_id,
                    "account": violations[0].subject,
                },
            )

    def _lock_books(self, conn: sa.Connection, parties: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Lock the books' heads in party-id order (no deadlocks) and return (sequence, hash) per book."""
        query = (
            sa.select(t.books.c.party_id, t.books.c.head_seq, t.books.c.head_hash)
            .where(t.books.c.party_id.in_(parties))
            .order_by(t.books.c.party_id)
            .with_for_update()
        )
        heads = {row.party_id: (row.head_seq, row.head_hash) for row in conn.execute(query)}
        missing = set(parties) - heads.keys()
        if missing:  # pragma: no cover - accounts cannot exist without their party's book
            raise NotFound(f"parties/{sorted(missing)[0]}", "book of party")
        return heads

    def _existing_requests(self, conn: sa.Connection, request_ids: Sequence[str]) -> dict[str, tuple[uuid.UUID, str]]:
        return {request_id: (tx_id, print_) for request_id, tx_id, print_ in bulk.existing_requests(conn, request_ids)}

    def _load_running(self, conn: sa.Connection, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, _Running]:
        return {a: _Running(p, d, c) for a, p, d, c in bulk.running_totals(conn, list(account_ids))}

    def _write_running(
        self,
        conn: sa.Connection,
        running: Mapping[uuid.UUID, _Running],
        touched: Mapping[uuid.UUID, Account],
    ) -> None:
        bulk.update_balances(
            conn,
            [
                (k, v.posted, v.pending_debits, v.pending_credits)
                for k, v in sorted(running.items(), key=_by_uuid)  # (the order UUIDs sort in, without UUID.__lt__)
                if k in touched
            ],
        )

    def _write_daily(self, conn: sa.Connection, daily: Mapping[tuple[str, uuid.UUID, dt.date], int]) -> None:
        bulk.add_daily(
            conn,
            [
                {"party_id": p, "account_id": a, "value_date": d, "delta": delta}
                for (p, a, d), delta in sorted(daily.items(), key=lambda kv: (kv[0][0], kv[0][1].int, kv[0][2]))
                if delta
            ],
        )

    def _balance(self, account: Account, state: _Running) -> Balance:
        return Balance(
            account=account,
            balance=account.normal(state.posted),
            held=account.held(state.pending_debits, state.pending_credits),
        )

    # ------------------------------------------------------------------ reading the journal

    def get_transaction(self, name: str) -> Transaction:
        return uow.read(self._engines.reader, lambda c: self.get_transaction_within(c, name))

    def get_transaction_within(self, conn: sa.Connection, name: str) -> Transaction:
        tx_id = _parse(lambda n: names.parse_uuid_name(n, "transactions"), name, "name")
        found = self._load_transactions(conn, [tx_id])
        if not found:
            raise NotFound(name, "transaction")
        return found[0]

    def list_transactions(
        self,
        *,
        party: str = "",
        account: str = "",
        value_date_from: dt.date | None = None,
        value_date_to: dt.date | None = None,
        metadata_key: str = "",
        metadata_value: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Transaction]:
        """List in a stable order: book sequence when filtered by party or account, else recording time."""
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        party_id = ""
        if party:
            try:
                party_id = names.parse_party_name(party)
            except names.BadName as exc:
                errors.add("party", str(exc))
        acct: Account | None = None
        if account:
            try:
                names.parse_account_name(account)
                acct = self._resolve_accounts([account]).get(account)
                if acct is None:
                    raise NotFound(account, "account")
            except names.BadName as exc:
                errors.add("account", str(exc))
        if metadata_value and not metadata_key:
            errors.add("metadata_value", "needs metadata_key")
        check_metadata_filter(metadata_key, metadata_value, errors)
        if value_date_from and value_date_to and value_date_from > value_date_to:
            errors.add("value_date_to", "is before value_date_from")
        errors.raise_if_any()
        if acct is not None and party_id and acct.party_id != party_id:
            raise InvalidArgument.one("account", f"{account} is not in {party}")
        filters = {
            "list": "transactions",
            "party": party_id,
            "account": account,
            "from": value_date_from.isoformat() if value_date_from else "",
            "to": value_date_to.isoformat() if value_date_to else "",
            "key": metadata_key,
            "value": metadata_value,
        }
        book = acct.party_id if acct is not None else party_id
        # Within a book, pages follow its sequence; across books, recording time then id.
        shape = (pagination.sequence,) if book else (dt.datetime.fromisoformat, uuid.UUID)
        after = pagination.decode(page_token, filters, shape)
        tx = t.transactions
        conditions: list[Any] = []
        if value_date_from:
            conditions.append(tx.c.value_date >= value_date_from)
        if value_date_to:
            conditions.append(tx.c.value_date <= value_date_to)
        if metadata_key:
            md = t.transaction_metadata
            match = [md.c.key == metadata_key, md.c.transaction_id == tx.c.id]
            if metadata_value:
                match.append(md.c.value == metadata_value)
            conditions.append(sa.exists().where(*match))
        if book:
            if acct is not None:
                source = (
                    sa.select(t.postings.c.seq.label("seq"))
                    .where(
                        t.postings.c.party_id == book,
                        t.postings.c.account_id == acct.id,
                    )
                    .distinct()
                    .subquery()
                )
                legs_q = sa.select(t.legs.c.seq, t.legs.c.transaction_id).join(
                    source,
                    sa.and_(t.legs.c.party_id == book, t.legs.c.seq == source.c.seq),
                )
            else:
                legs_q = sa.select(t.legs.c.seq, t.legs.c.transaction_id).where(t.legs.c.party_id == book)
            query = (
                legs_q.join(tx, tx.c.id == t.legs.c.transaction_id)
                .where(t.legs.c.party_id == book, *conditions)
                .order_by(t.legs.c.seq)
                .limit(size + 1)
            )
            if after:
                query = query.where(t.legs.c.seq > int(after[0]))

            def page_rows(conn: sa.Connection) -> tuple[list[Transaction], list[Any]]:
                rows = conn.execute(query).all()
                loaded = {x.id: x for x in self._load_transactions(conn, [r.transaction_id for r in rows[:size]])}
                return [loaded[r.transaction_id] for r in rows[:size]], [[r.seq] for r in rows]
        else:
            query = (
                sa.select(tx.c.id, tx.c.created_at)
                .where(*conditions)
                .order_by(tx.c.created_at, tx.c.id)
                .limit(size + 1)
            )
            if after:
                at, last = after
                query = query.where(
                    sa.or_(
                        tx.c.created_at > at,
                        sa.and_(tx.c.created_at == at, tx.c.id > last),
                    )
                )

            def page_rows(conn: sa.Connection) -> tuple[list[Transaction], list[Any]]:
                rows = conn.execute(query).all()
                loaded = {x.id: x for x in self._load_transactions(conn, [r.id for r in rows[:size]])}
                return [loaded[r.id] for r in rows[:size]], [
                    [as_utc(r.created_at).isoformat(), str(r.id)] for r in rows
                ]

        items, positions = uow.read(self._engines.reader, page_rows)
        token = pagination.encode(filters, positions[size - 1]) if len(positions) > size else ""
        return Page(tuple(items), token)

    def _load_transactions(self, conn: sa.Connection, ids: Sequence[uuid.UUID]) -> list[Transaction]:
        """Rebuild transactions (postings in submitted order, legs in party order), in the order of `ids`."""
        if not ids:
            return []
        tx_rows: dict[uuid.UUID, Any] = {}
        legs: dict[uuid.UUID, list[Leg]] = defaultdict(list)
        postings: dict[uuid.UUID, list[tuple[int, uuid.UUID, int]]] = defaultdict(list)
        reversed_by: dict[uuid.UUID, uuid.UUID] = {}
        for chunk in _chunks(list(ids), 500):
            for row in conn.execute(sa.select(t.transactions).where(t.transactions.c.id.in_(chunk))):
                tx_rows[row.id] = row
            leg_query = sa.select(t.legs).where(t.legs.c.transaction_id.in_(chunk)).order_by(t.legs.c.party_id)
            for row in conn.execute(leg_query):
                legs[row.transaction_id].append(Leg(row.party_id, row.seq, row.prev_hash, row.hash))
            posting_query = (
                sa.select(
                    t.legs.c.transaction_id,
                    t.postings.c.idx,
                    t.postings.c.account_id,
                    t.postings.c.amount,
                )
                .join(
                    t.postings,
                    sa.and_(
                        t.postings.c.party_id == t.legs.c.party_id,
                        t.postings.c.seq == t.legs.c.seq,
                    ),
                )
                .where(t.legs.c.transaction_id.in_(chunk))
            )
            for row in conn.execute(posting_query):
                postings[row.transaction_id].append((row.idx, row.account_id, row.amount))
            for row in conn.execute(
                sa.select(t.transactions.c.id, t.transactions.c.reverses).where(t.transactions.c.reverses.in_(chunk))
            ):
                reversed_by[row.reverses] = row.id
        accounts_ = self._accounts_by_ids(conn, {a for items in postings.values() for _, a, _ in items})
        result = []
        for tx_id in ids:
            found = tx_rows.get(tx_id)
            if found is None:
                continue
            row = found
            result.append(
                Transaction(
                    id=row.id,
                    request_id=row.request_id,
                    value_date=row.value_date,
                    description=row.description,
                    metadata=json.loads(row.metadata_json),
                    postings=tuple(
                        Posting(accounts_[a], Side.DEBIT if m > 0 else Side.CREDIT, abs(m))
                        for _, a, m in sorted(postings[tx_id])
                    ),
                    legs=tuple(legs[tx_id]),
                    create_time=as_utc(row.created_at),
                    reverses=row.reverses,
                    reversed_by=reversed_by.get(tx_id),
                )
            )
        return result

    # ------------------------------------------------------------------ balances

    def get_balance(self, account: str, as_of: dt.date | None = None) -> Balance:
        return self.batch_get_balances([account], as_of, field_path="account")[0]

    def batch_get_balances(
        self,
        account_names: Sequence[str],
        as_of: dt.date | None = None,
        *,
        field_path: str = "accounts",
    ) -> list[Balance]:
        """Current balances from the running totals (one row per account), or as of the end of a value
        date from the per-day totals (at most one row per day with activity), never from postings."""
        errors = ViolationCollector()
        if not account_names:
            errors.add(field_path, "is empty: name at least one account")
        if len(account_names) > MAX_BATCH_BALANCES:
            errors.add(
                field_path,
                f"has {len(account_names)} accounts; the limit is {MAX_BATCH_BALANCES}: split the request",
                "BATCH_TOO_LARGE",
            )
        for i, name in enumerate(account_names):
            try:
                names.parse_account_name(name)
            except names.BadName as exc:
                errors.add(
                    f"{field_path}[{i}]" if field_path == "accounts" else field_path,
                    str(exc),
                )
        errors.raise_if_any()
        found = self._resolve_accounts(account_names)
        for name in account_names:
            if name not in found:
                raise NotFound(name, "account")
        ids = [found[n].id for n in account_names]

        def work(conn: sa.Connection) -> list[Balance]:
            if as_of is None:
                running = self._load_running(conn, ids)
                return [self._balance(found[n], running[found[n].id]) for n in account_names]
            d = t.daily_balances
            query = (
                sa.select(
                    d.c.account_id,
                    sa.func.coalesce(sa.func.sum(d.c.delta), 0).label("total"),
                )
                # party_id first: it leads the primary key (party_id, account_id, value_date), so this is
                # a range scan of the key, not a scan of every account's days (bench/balance_reads.py)
                .where(
                    d.c.party_id.in_(sorted({found[n].party_id for n in account_names})),
                    d.c.account_id.in_(ids),
                    d.c.value_date <= as_of,
                )
                .group_by(d.c.account_id)
            )
            totals = {row.account_id: int(row.total) for row in conn.execute(query)}
            return [
                Balance(
                    found[n],
                    found[n].normal(totals.get(found[n].id, 0)),
                    0,
                    as_of=as_of,
                )
                for n in account_names
            ]

        return uow.read(self._engines.reader, work)

    # ------------------------------------------------------------------ holds

    def create_hold(
        self,
        *,
        request_id: str,
        debit_account: str,
        credit_account: str,
        commodity: str,
        value: str,
        expire_time: dt.datetime | None = None,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
        within: sa.Connection | None = None,
    ) -> Hold:
        """Reserve `value` to move from debit to credit account: it counts against must-not-go-negative.

        With `within`, the hold is created inside the caller's database transaction (settlement/).
        """
        metadata = dict(metadata or {})
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_text(description, "description", errors)
        check_metadata(metadata, "metadata", errors)
        now = self._clock()
        expire_at = expire_time or now + DEFAULT_HOLD_TTL
        if expire_at <= now:
            errors.add("expire_time", "is in the past")
        elif expire_at > now + MAX_HOLD_TTL:
            errors.add("expire_time", f"is more than {MAX_HOLD_TTL.days} days ahead")
        found = self._resolve_accounts([debit_account, credit_account], within)
        debit, credit = (
            self._hold_account(name, path, found, errors)
            for name, path in (
                (debit_account, "debit_account"),
                (credit_account, "credit_account"),
            )
        )
        amount = 0
        if debit is not None and credit is not None:
            if debit.id == credit.id:
                errors.add("credit_account", "is the same account as debit_account")
            if debit.party_id != credit.party_id:
                errors.add(
                    "credit_account",
                    f"is in parties/{credit.party_id}, the debit account in parties/{debit.party_id}; "
                    "a hold stays within one book",
                )
            if debit.commodity != credit.commodity:
                errors.add(
                    "credit_account",
                    f"holds {credit.commodity}, the debit account {debit.commodity}",
                    "COMMODITY_MISMATCH",
                )
            if commodity != debit.commodity:
                errors.add(
                    "amount.commodity",
                    f"is {commodity!r} but the accounts hold {debit.commodity}",
                    "COMMODITY_MISMATCH",
                )
            else:
                amount = _positive_amount(value, debit.scale, "amount.value", errors)
        errors.raise_if_any()
        assert debit is not None and credit is not None
        print_ = fingerprint(
            {
                "debit": debit.name,
                "credit": credit.name,
                "amount": amount,
                "expire": expire_time.isoformat() if expire_time else None,
                "description": description,
                "metadata": metadata,
            }
        )

        def work(conn: sa.Connection) -> Hold:
            self._lock_books(conn, [debit.party_id])
            row = conn.execute(sa.select(t.holds).where(t.holds.c.request_id == request_id)).first()
            if row is not None:
                if row.fingerprint != print_:
                    raise request_id_reused(request_id)
                return self._hold(conn, row)
            running = self._load_running(conn, [debit.id, credit.id])
            running[debit.id].pending_debits += amount
            running[credit.id].pending_credits += amount
            self._check_hold_limits([debit, credit], running, request_id)
            hold = Hold(
                id=uuid.uuid4(),
                request_id=request_id,
                debit_account=debit,
                credit_account=credit,
                amount=amount,
                captured=0,
                state=HoldState.PENDING,
                expire_time=expire_at,
                description=description,
                metadata=metadata,
                create_time=now,
            )
            conn.execute(
                t.holds.insert(),
                {
                    "id": hold.id,
                    "party_id": debit.party_id,
                    "request_id": request_id,
                    "fingerprint": print_,
                    "debit_account_id": debit.id,
                    "credit_account_id": credit.id,
                    "amount": amount,
                    "captured": 0,
                    "state": HoldState.PENDING.value,
                    "expire_at": expire_at,
                    "description": description,
                    "metadata_json": json.dumps(metadata, sort_keys=True, ensure_ascii=False),
                    "created_at": now,
                },
            )
            self._write_running(conn, running, {debit.id: debit, credit.id: credit})
            return hold

        return work(within) if within is not None else uow.run(self._engines.writer, work, what="CreateHold")

    def _hold_account(
        self,
        name: str,
        path: str,
        found: Mapping[str, Account],
        errors: ViolationCollector,
    ) -> Account | None:
        try:
            names.parse_account_name(name)
        except names.BadName as exc:
            errors.add(path, str(exc))
            return None
        account = found.get(name)
        if account is None:
            errors.add(path, f"account {name} does not exist", "UNKNOWN_ACCOUNT")
        return account

    def _check_hold_limits(
        self,
        accounts_: Sequence[Account],
        running: Mapping[uuid.UUID, _Running],
        request_id: str,
    ) -> None:
        for account in accounts_:
            _check_capacity(account, running[account.id], request_id, request_id)
            balance = self._balance(account, running[account.id])
            if account.must_not_go_negative and balance.available < 0:
                short = amounts.format_minor(-balance.available, account.scale)
                violation = PreconditionViolation(
                    "INSUFFICIENT_FUNDS",
                    account.name,
                    f"{account.name} has {amounts.format_minor(balance.balance + 0, account.scale)} {account.commodity}"
                    f" and this hold would leave it short by {short} {account.commodity}",
                )
                raise InsufficientFunds(
                    violation.description,
                    [violation],
                    metadata={"request_id": request_id, "account": account.name},
                )

    def _locked_hold(self, conn: sa.Connection, hold_id: uuid.UUID, name: str) -> Any:
        row = conn.execute(sa.select(t.holds.c.party_id).where(t.holds.c.id == hold_id)).first()
        if row is None:
            raise NotFound(name, "hold")
        self._lock_books(conn, [row.party_id])
        return conn.execute(sa.select(t.holds).where(t.holds.c.id == hold_id)).one()

    def _release(self, conn: sa.Connection, row: Any) -> None:
        running = self._load_running(conn, [row.debit_account_id, row.credit_account_id])
        running[row.debit_account_id].pending_debits -= row.amount
        running[row.credit_account_id].pending_credits -= row.amount
        touched = self._accounts_by_ids(conn, running.keys())
        self._write_running(conn, running, touched)

    def capture_hold(
        self,
        *,
        request_id: str,
        name: str,
        value: str | None = None,
        value_date: dt.date | None = None,
        within: sa.Connection | None = None,
    ) -> tuple[Hold, Transaction]:
        """Post all or part of a pending hold and release the rest, in one database transaction
        (the caller's, with `within`)."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        hold_id = None
        try:
            hold_id = names.parse_uuid_name(name, "holds")
        except names.BadName as exc:
            errors.add("name", str(exc))
        if value_date is not None:
            check_value_date(value_date, "value_date", errors, self.today())
        errors.raise_if_any()
        assert hold_id is not None
        capture_date = value_date or self.today()

        def work(conn: sa.Connection) -> tuple[Hold, Transaction]:
            row = self._locked_hold(conn, hold_id, name)
            hold = self._hold(conn, row)
            previous = self._existing_requests(conn, [request_id])
            if request_id in previous:
                if row.capture_transaction_id == previous[request_id][0]:
                    return hold, self._load_transactions(conn, [row.capture_transaction_id])[0]
                raise request_id_reused(request_id)
            if hold.state is not HoldState.PENDING:
                raise _hold_state(hold, "captured")
            if as_utc(row.expire_at) <= self._clock():
                self._expire(conn, row)
                raise uow.AfterCommit(
                    FailedPrecondition(
                        f"{name} expired at {as_utc(row.expire_at).isoformat()} and was released; "
                        "it cannot be captured",
                        [PreconditionViolation("HOLD_EXPIRED", name, "the hold expired")],
                        reason="HOLD_EXPIRED",
                    )
                )
            errs = ViolationCollector()
            amount = (
                hold.amount
                if value is None
                else _positive_amount(value, hold.debit_account.scale, "amount.value", errs)
            )
            if not errs and amount > hold.amount:
                errs.add(
                    "amount.value",
                    f"is more than the hold's {amounts.format_minor(hold.amount, hold.debit_account.scale)}",
                    "CAPTURE_EXCEEDS_HOLD",
                )
            errs.raise_if_any()
            self._release(conn, row)
            spec = ValidTransaction(
                request_id=request_id,
                value_date=capture_date,
                description=hold.description or f"Capture of {hold.name}",
                metadata={**hold.metadata, "toudai.hold": str(hold.id)},
                postings=(
                    Posting(hold.debit_account, Side.DEBIT, amount),
                    Posting(hold.credit_account, Side.CREDIT, amount),
                ),
                reverses=None,
                fingerprint=fingerprint(
                    {
                        "capture": str(hold.id),
                        "amount": amount,
                        "value_date": capture_date.isoformat(),
                    }
                ),
            )
            result = self._post(conn, [spec], field_prefix="")
            posted = result.transactions[0]
            conn.execute(
                t.holds.update()
                .where(t.holds.c.id == hold.id)
                .values(
                    state=HoldState.CAPTURED.value,
                    captured=amount,
                    capture_transaction_id=posted.id,
                    resolved_at=self._clock(),
                )
            )
            return self._hold(
                conn,
                conn.execute(sa.select(t.holds).where(t.holds.c.id == hold.id)).one(),
            ), posted

        return work(within) if within is not None else uow.run(self._engines.writer, work, what="CaptureHold")

    def void_hold(self, *, request_id: str, name: str, within: sa.Connection | None = None) -> Hold:
        """Release a pending hold (inside the caller's database transaction with `within`)."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        hold_id = None
        try:
            hold_id = names.parse_uuid_name(name, "holds")
        except names.BadName as exc:
            errors.add("name", str(exc))
        errors.raise_if_any()
        assert hold_id is not None

        def work(conn: sa.Connection) -> Hold:
            row = self._locked_hold(conn, hold_id, name)
            if row.void_request_id == request_id:
                return self._hold(conn, row)
            hold = self._hold(conn, row)
            if hold.state is not HoldState.PENDING:
                raise _hold_state(hold, "voided")
            self._release(conn, row)
            conn.execute(
                t.holds.update()
                .where(t.holds.c.id == hold.id)
                .values(
                    state=HoldState.VOIDED.value,
                    void_request_id=request_id,
                    resolved_at=self._clock(),
                )
            )
            return self._hold(
                conn,
                conn.execute(sa.select(t.holds).where(t.holds.c.id == hold.id)).one(),
            )

        return work(within) if within is not None else uow.run(self._engines.writer, work, what="VoidHold")

    def get_hold(self, name: str) -> Hold:
        hold_id = _parse(lambda n: names.parse_uuid_name(n, "holds"), name, "name")

        def work(conn: sa.Connection) -> Hold:
            row = conn.execute(sa.select(t.holds).where(t.holds.c.id == hold_id)).first()
            if row is None:
                raise NotFound(name, "hold")
            return self._hold(conn, row)

        return uow.read(self._engines.reader, work)

    def get_hold_within(self, conn: sa.Connection, hold_id: uuid.UUID) -> Hold:
        """A hold read on the caller's connection (inside its unit of work)."""
        row = conn.execute(sa.select(t.holds).where(t.holds.c.id == hold_id)).first()
        if row is None:
            raise NotFound(f"holds/{hold_id}", "hold")
        return self._hold(conn, row)

    def expire_holds(self, limit: int = 1_000) -> int:
        """Release pending holds whose expiry has passed; returns how many. Safe to run from any replica."""
        now = self._clock()
        query = (
            sa.select(t.holds.c.id, t.holds.c.party_id)
            .where(t.holds.c.state == HoldState.PENDING.value, t.holds.c.expire_at <= now)
            .limit(limit)
        )
        due = uow.read(self._engines.reader, lambda c: c.execute(query).all())
        expired = 0
        for hold_id, _party_id in due:

            def work(conn: sa.Connection, hold_id: uuid.UUID = hold_id) -> int:
                row = self._locked_hold(conn, hold_id, f"holds/{hold_id}")
                if row.state != HoldState.PENDING.value:
                    return 0
                self._expire(conn, row)
                return 1

            expired += uow.run(self._engines.writer, work, what="ExpireHold")
        return expired

    def _expire(self, conn: sa.Connection, row: Any) -> None:
        self._release(conn, row)
        conn.execute(
            t.holds.update()
            .where(t.holds.c.id == row.id)
            .values(state=HoldState.EXPIRED.value, resolved_at=self._clock())
        )

    def _hold(self, conn: sa.Connection, row: Any) -> Hold:
        accounts_ = self._accounts_by_ids(conn, [row.debit_account_id, row.credit_account_id])
        return Hold(
            id=row.id,
            request_id=row.request_id,
            debit_account=accounts_[row.debit_account_id],
            credit_account=accounts_[row.credit_account_id],
            amount=row.amount,
            captured=row.captured,
            state=HoldState(row.state),
            expire_time=as_utc(row.expire_at),
            description=row.description,
            metadata=json.loads(row.metadata_json),
            create_time=as_utc(row.created_at),
            capture_transaction=row.capture_transaction_id,
        )

    # ------------------------------------------------------------------ chains

    def book_heads(self) -> list[tuple[str, int, str]]:
        query = sa.select(t.books.c.party_id, t.books.c.head_seq, t.books.c.head_hash).order_by(t.books.c.party_id)
        return [
            (r.party_id, r.head_seq, r.head_hash)
            for r in uow.read(self._engines.reader, lambda c: c.execute(query).all())
        ]

    def checkpoint(self) -> str:
        """One hash over every book's chain head: publish it, and no book can later be rewritten unseen."""
        return checkpoint_hash(self.book_heads())

    def verify_book(self, party_id: str, *, chunk: int = 2_000) -> ChainReport:
        """Recompute a book's hash chain from its stored rows and compare with the stored hashes and head."""
        faults: list[str] = []
        checked = 0
        prev = GENESIS_HASH
        expected_seq = 1

        def work(conn: sa.Connection) -> ChainReport:
            nonlocal prev, expected_seq, checked
            head = conn.execute(sa.select(t.books).where(t.books.c.party_id == party_id)).first()
            if head is None:
                raise NotFound(f"parties/{party_id}", "book of party")
            after = 0
            while True:
                legs = conn.execute(
                    sa.select(t.legs, t.transactions)
                    .join(t.transactions, t.transactions.c.id == t.legs.c.transaction_id)
                    .where(
                        t.legs.c.party_id == party_id,
                        t.legs.c.seq > after,
                        t.legs.c.seq <= head.head_seq,
                    )
                    .order_by(t.legs.c.seq)
                    .limit(chunk)
                ).all()
                if not legs:
                    break
                seqs = [r.seq for r in legs]
                lines: dict[int, list[tuple[int, uuid.UUID, int]]] = defaultdict(list)
                for p in conn.execute(
                    sa.select(t.postings).where(t.postings.c.party_id == party_id, t.postings.c.seq.in_(seqs))
                ):
                    lines[p.seq].append((p.idx, p.account_id, p.amount))
                accounts_ = self._accounts_by_ids(conn, {a for v in lines.values() for _, a, _ in v})
                for leg in legs:
                    if leg.seq != expected_seq:
                        faults.append(f"sequence gap: expected {expected_seq}, found {leg.seq}")
                    if leg.prev_hash != prev:
                        faults.append(f"seq {leg.seq}: prev_hash does not match the hash of the leg before it")
                    document = leg_document(
                        book=party_id,
                        sequence=leg.seq,
                        prev_hash=prev,
                        transaction_id=leg.transaction_id,
                        request_id=leg.request_id,
                        value_date=leg.value_date,
                        recorded_at=as_utc(leg.created_at),
                        description=leg.description,
                        metadata=json.loads(leg.metadata_json),
                        reverses=leg.reverses,
                        postings=[(accounts_[a].code, accounts_[a].commodity, m) for _, a, m in sorted(lines[leg.seq])],
                    )
                    digest = leg_hash(document)
                    if digest != leg.hash:
                        faults.append(f"seq {leg.seq}: content does not match its hash (edited row)")
                    prev = leg.hash
                    expected_seq = leg.seq + 1
                    checked += 1
                after = seqs[-1]
            if checked != head.head_seq:
                faults.append(f"book head says {head.head_seq} legs, found {checked}")
            if head.head_seq and prev != head.head_hash:
                faults.append("the last leg's hash is not the book's head hash")
            return ChainReport(party_id, checked, head.head_seq, head.head_hash, tuple(faults))

        return uow.read(self._engines.reader, work)

    # ------------------------------------------------------------------ inside another package's unit of work

    def post_within(
        self,
        conn: sa.Connection,
        specs: Sequence[TransactionSpec],
        *,
        accounts: Mapping[str, Account] | None = None,
    ) -> PostResult:
        """Validate and post `specs` inside the caller's database transaction (used by deals/, settlement/).

        Accounts are looked up on `conn`, so accounts opened earlier in the same transaction are seen.
        `accounts` (by name) are accounts the caller already resolved on `conn` in this same transaction
        (from `balances_within` or `open_accounts_within`): those are not looked up again. Accounts never
        change once opened, so such a map is exact for as long as the transaction lasts; it must not be
        kept beyond it (a rollback may undo the opening).
        System metadata keys (`toudai.*`) are allowed: callers are trusted code, not clients.
        """
        wanted = [p.account for s in specs for p in s.postings]
        if accounts:
            resolved = self._resolve_accounts([n for n in wanted if n not in accounts], conn)
            resolved.update((n, a) for n in wanted if (a := accounts.get(n)) is not None)
        else:
            resolved = self._resolve_accounts(wanted, conn)
        valid = validate_batch(specs, resolved.get, today=self.today(), allow_reserved_metadata=True)
        return self._post(conn, valid, field_prefix="")

    def existing_transactions_within(
        self, conn: sa.Connection, request_ids: Sequence[str]
    ) -> dict[str, tuple[uuid.UUID, str]]:
        """request_id → (transaction id, fingerprint) for those already posted."""
        return self._existing_requests(conn, request_ids)

    def now(self) -> dt.datetime:
        """The ledger's clock (injectable in tests)."""
        return self._clock()

    def lock_books_within(self, conn: sa.Connection, parties: Iterable[str]) -> None:
        """Lock these books' heads now, in party-id order, before a unit of work that posts several times."""
        self._lock_books(conn, sorted(set(parties)))

    def balances_within(self, conn: sa.Connection, account_names: Sequence[str]) -> dict[str, Balance]:
        """Current balances read on `conn` (seeing the caller's own uncommitted postings)."""
        found = self._resolve_accounts(account_names, conn)
        running = self._load_running(conn, [a.id for a in found.values()])
        return {name: self._balance(account, running[account.id]) for name, account in found.items()}

    def existing_parties_within(self, conn: sa.Connection, party_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(party_ids))
        rows = conn.execute(sa.select(t.parties.c.id).where(t.parties.c.id.in_(wanted))).all()
        return {r.id for r in rows}

    def open_accounts_within(
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
        keys = sa.tuple_(t.accounts.c.party_id, t.accounts.c.code)
        existing: set[tuple[str, str]] = set()
        for chunk in _chunks([(p[0], p[1]) for p in plans], bulk.CHUNK):  # (SQLite caps bound parameters)
            query = sa.select(t.accounts.c.party_id, t.accounts.c.code).where(keys.in_(list(chunk)))
            existing.update((r.party_id, r.code) for r in conn.execute(query))
        now = self._clock()
        accounts_: list[dict[str, Any]] = []
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
                        },
                    )
            account_id = uuid.uuid4()
            opened = fingerprint({"party": party, "code": code, "type": account_type.value, "commodity": commodity})
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
        # statements per account.
        bulk.insert_rows(conn, t.accounts, accounts_)
        bulk.insert_rows(conn, t.balances, balances)
        return opened_accounts

    def trial_balance(self, party_id: str) -> dict[str, int]:
        """Sum of every account's posted balance per commodity in one book: zero in a sound ledger."""
        query = (
            sa.select(t.accounts.c.commodity, sa.func.sum(t.balances.c.posted).label("total"))
            .join(t.balances, t.balances.c.account_id == t.accounts.c.id)
            .where(t.accounts.c.party_id == party_id)
            .group_by(t.accounts.c.commodity)
        )
        return {r.commodity: int(r.total) for r in uow.read(self._engines.reader, lambda c: c.execute(query).all())}


# ---------------------------------------------------------------------- helpers


def _check_capacity(account: Account, state: _Running, where: str, request_id: str) -> None:
    """Refuse a change that would take an account's balance or pending totals beyond MAX_BALANCE_MINOR."""
    largest = max(abs(state.posted), state.pending_debits, state.pending_credits)
    if largest <= amounts.MAX_BALANCE_MINOR:
        return
    limit = f"{amounts.format_minor(amounts.MAX_BALANCE_MINOR, account.scale)} {account.commodity}"
    description = f"{account.name} would reach {amounts.format_minor(largest, account.scale)} {account.commodity}"
    raise FailedPrecondition(
        f"{where}: {description}, beyond the limit of {limit} per account; split the amount over several accounts",
        [PreconditionViolation("BALANCE_LIMIT", account.name, f"{description}; the limit is {limit}")],
        reason="BALANCE_LIMIT",
        metadata={"request_id": request_id, "account": account.name},
    )


def _hold_state(hold: Hold, verb: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"{hold.name} is {hold.state.value}; only a pending hold can be {verb}",
        [PreconditionViolation("HOLD_NOT_PENDING", hold.name, f"state is {hold.state.value}")],
        reason="HOLD_NOT_PENDING",
        metadata={"state": hold.state.value},
    )


def _positive_amount(value: str, scale: int, path: str, errors: ViolationCollector) -> int:
    try:
        minor = amounts.parse_minor(value, scale)
    except amounts.AmountError as exc:
        errors.add(path, str(exc), "INVALID_AMOUNT")
        return 0
    if minor <= 0:
        errors.add(path, f"must be greater than zero (got {value!r})", "NON_POSITIVE_AMOUNT")
    return minor


def _parse(parser: Callable[[str], Any], value: str, field_path: str) -> Any:
    try:
        return parser(value)
    except names.BadName as exc:
        raise InvalidArgument.one(field_path, str(exc)) from None


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
