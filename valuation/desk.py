"""The valuation desk: values deals' option rights and posts their marks on the holders' books.

`value_deal` values one deal (read only). `revalue` values every open right (every deal not written
off) as of a date and, in ONE unit of work: stores a revaluation and a valuation record per deal
(inputs, engine, code version, result), opens the holders' fair-value accounts where missing, and
posts for each deal the change from its previous mark, so the books always carry the latest fair value:

    holder   options-fair-value.{deal}   asset   CNY  the right at fair value (never negative)
             fair-value-gains            income  CNY  changes in fair value through profit and loss

    a rise:  Dr options-fair-value.{deal}   (and the gain to fair-value-gains, netted per batch)
    a fall:  Cr options-fair-value.{deal}   (and the loss to fair-value-gains, netted per batch)

The changes go on the books as one ledger transaction per holder and batch of up to 255 deals: a
posting per deal on its fair-value account and one netted posting on fair-value-gains (valuation.journal);
each valuation record names its deal's transaction. The accounts it read or opened are handed to
`LedgerSession.post` (not looked up twice) and, once the unit of work has committed, cached by the ledger
(`Ledger.write`), so the next revaluation resolves none of them again.

Idempotency: the same request_id with the same inputs returns the original revaluation and posts
nothing; with other inputs it is refused (ALREADY_EXISTS). A new request for the same date values
again and posts only what differs from the books (nothing, when the inputs are the same); a later date
posts the difference. Revaluing a date earlier than the latest revaluation is refused: the change
is measured against the current books, so marks must move forward in time.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from deals import queries as deal_queries
from deals.names import parse_deal_name
from deals.queries import OptionRight
from ledger import names
from ledger.canonical import fingerprint
from ledger.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import Account, AccountType
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import MAX_BATCH, check_request_id, check_value_date
from valuation import schema as ms
from valuation.journal import CNY, FAIR_VALUE_ACCOUNT, GAINS_ACCOUNT, Change, entries, fair_value_account
from valuation.money import fair_value_fen
from valuation.pricing import ValuationInputError
from valuation.records import CALIBRATIONS, RecordBook, calibration_key
from valuation.rounds import FundingRound, round_from_row
from valuation.valuing import Assumptions, Calibrations, DealOption, Mark, Skip, value_options
from valuation.version import CODE_VERSION

__all__ = ["FAIR_VALUE_ACCOUNT", "GAINS_ACCOUNT", "DealValuation", "MarkDesk", "Revaluation"]

_LOOKUP_CHUNK = 2_000
"""Account names per balance lookup: 2 bound parameters each, well inside SQLite's 32,766."""
_ASSUMPTION_FIELDS = {"volatility": "volatility", "rate": "rate", "years": "exit_years"}
_INPUTS_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False)
"""A valuation record's inputs as JSON: the text of `json.dumps(inputs, sort_keys=True, ensure_ascii=False)`,
from one encoder for all records instead of a new one per call, without the cycle check a flat map of
strings does not need: a revaluation encodes one per deal (docs/performance.md, "Figures that were in
code comments")."""


@dataclass(frozen=True, slots=True)
class DealValuation:
    """A deal's option valued: the mark, its fair value in fen, and (revaluations) the change posted."""

    mark: Mark
    fair_value: int
    code_version: str
    change: int = 0
    transaction: str = ""

    @property
    def deal(self) -> str:
        return f"deals/{self.mark.deal_id}"


@dataclass(frozen=True, slots=True)
class Revaluation:
    """The outcome of RevalueOptions."""

    id: uuid.UUID
    as_of: dt.date
    valuations: tuple[DealValuation, ...]
    skipped: tuple[Skip, ...]

    @property
    def name(self) -> str:
        return f"revaluations/{self.id}"

    @property
    def total_fair_value(self) -> int:
        return sum(v.fair_value for v in self.valuations)

    @property
    def total_change(self) -> int:
        return sum(v.change for v in self.valuations)

    @property
    def transactions_posted(self) -> int:
        """Ledger transactions posted: one per holder and batch of deals (valuation.journal), not per deal."""
        return len({v.transaction for v in self.valuations if v.transaction})


def check_assumptions(assumptions: Assumptions, prefix: str, errors: ViolationCollector) -> None:
    """Every assumption in the models' domain, reported at once with its request field."""
    for field, value, low in (
        ("volatility", assumptions.volatility, "0"),
        ("exit_years", assumptions.exit_years, "0"),
    ):
        if not value.is_finite() or value < Decimal(low):
            errors.add(f"{prefix}{field}", f"must not be negative, got {value}", "INVALID_VALUATION_INPUT")
        elif value > 100:
            errors.add(f"{prefix}{field}", f"{value} is beyond any sensible {field}", "INVALID_VALUATION_INPUT")
    if not assumptions.rate.is_finite() or abs(assumptions.rate) > 1:
        errors.add(f"{prefix}rate", f"must be between -1 and 1 (a fraction per year), got {assumptions.rate}")


def _units_still_held(session: LedgerSession, rights: Sequence[OptionRight]) -> list[DealOption]:
    """Each right valued on the units its holder still holds (exercised and transferred units have left
    `options.{deal}`; a fully used right is valued at zero, so its mark, if any, is taken out)."""
    accounts = [names.account_name(r.holder, f"options.{r.deal_id}") for r in rights]
    held = session.balances(accounts)
    return [
        _deal_option(right, held[account].balance if account in held else right.quantity)
        for right, account in zip(rights, accounts, strict=True)
    ]


def _deal_option(right: OptionRight, quantity: int | None = None) -> DealOption:
    """The right as valuation sees it, on `quantity` units (default: the right's own quantity)."""
    return DealOption(
        deal_id=right.deal_id,
        holder=right.holder,
        terms=right.terms,
        quantity=right.quantity if quantity is None else quantity,
        booked_on=right.booked_on,
    )


def _rounds(session: LedgerSession, companies: Sequence[str], as_of: dt.date) -> dict[str, list[FundingRound]]:
    conn = session.connection
    found: dict[str, list[FundingRound]] = defaultdict(list)
    wanted = sorted(set(companies))
    for start in range(0, len(wanted), 500):
        query = sa.select(ms.funding_rounds).where(
            ms.funding_rounds.c.company.in_(wanted[start : start + 500]), ms.funding_rounds.c.round_date <= as_of
        )
        for row in conn.execute(query):
            found[row.company].append(round_from_row(row))
    return found


def _model_error(error: ValuationInputError, prefix: str) -> InvalidArgument:
    field = _ASSUMPTION_FIELDS.get(error.field, error.field)
    return InvalidArgument([FieldViolation(f"{prefix}{field}", error.message, error.reason)])


class MarkDesk:
    """Deal option valuations and revaluations on a `Ledger` (same database as the deals)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._calibrated: Calibrations = {}  # per round and assumptions (rounds are immutable)

    @property
    def records(self) -> RecordBook:
        """The valuation records this desk's revaluations store, to read back (valuation.records)."""
        return RecordBook(self._ledger)

    def value_deal(self, *, name: str, as_of: dt.date | None, assumptions: Assumptions) -> DealValuation:
        """Value one deal's option right as of `as_of` (default today); posts nothing."""
        errors = ViolationCollector()
        deal_id = ""
        try:
            deal_id = parse_deal_name(name)
        except names.BadName as exc:
            errors.add("name", str(exc))
        day = as_of or self._ledger.today()
        if as_of is not None:
            check_value_date(as_of, "as_of", errors, self._ledger.today())
        check_assumptions(assumptions, "assumptions.", errors)
        errors.raise_if_any()

        def work(session: LedgerSession) -> tuple[DealOption, dict[str, list[FundingRound]]]:
            right = deal_queries.option_right(session, deal_id)
            if right is None:
                raise NotFound(name, "deal")
            option = _deal_option(right)
            return option, _rounds(session, [option.terms.company], day)

        option, rounds = self._ledger.read(work)
        try:
            marks, skipped = value_options([option], rounds, day, assumptions)
        except ValuationInputError as error:
            raise _model_error(error, "assumptions.") from None
        if skipped:
            skip = skipped[0]
            raise InvalidArgument([FieldViolation(skip.field, skip.message, skip.reason)])
        mark = marks[0]
        return DealValuation(mark, fair_value_fen(mark.value_per_share, mark.quantity), CODE_VERSION)

    def revalue(self, *, request_id: str, as_of: dt.date | None, assumptions: Assumptions) -> Revaluation:
        """Value every open option right and post the changes in fair value, all or nothing."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_value_date(as_of, "as_of", errors, self._ledger.today())
        check_assumptions(assumptions, "assumptions.", errors)
        errors.raise_if_any()
        assert as_of is not None
        inputs = {"as_of": as_of.isoformat(), **assumptions.as_inputs()}
        print_ = fingerprint(inputs)

        def work(session: LedgerSession) -> tuple[Revaluation, dict[str, Account]]:
            conn = session.connection
            previous = conn.execute(
                sa.select(ms.revaluations).where(ms.revaluations.c.request_id == request_id)
            ).first()
            if previous is not None:
                if previous.fingerprint != print_:
                    raise request_id_reused(request_id)
                return self._load(session, previous), {}
            latest = conn.execute(sa.select(sa.func.max(ms.revaluations.c.as_of))).scalar()
            if latest is not None and latest > as_of:
                raise FailedPrecondition(
                    f"the books already carry marks as of {latest.isoformat()}; revalue as of that date or later",
                    [PreconditionViolation("REVALUATION_OUT_OF_ORDER", "revaluations", f"latest is {latest}")],
                    reason="REVALUATION_OUT_OF_ORDER",
                )
            options = _units_still_held(session, deal_queries.open_option_rights(session))
            rounds = _rounds(session, [o.terms.company for o in options], as_of)
            try:
                marks, skipped = value_options(options, rounds, as_of, assumptions, self._calibrated)
            except ValuationInputError as error:
                raise _model_error(error, "assumptions.") from None
            return self._post_marks(session, request_id, print_, as_of, inputs, marks, skipped)

        # Ledger.write caches the accounts this opened or read once it has committed, so the next
        # revaluation finds them without a query.
        revaluation, _ = self._ledger.write(work, what="RevalueOptions")
        return revaluation

    # ------------------------------------------------------------------ machinery

    def _post_marks(
        self,
        session: LedgerSession,
        request_id: str,
        print_: str,
        as_of: dt.date,
        inputs: dict[str, str],
        marks: list[Mark],
        skipped: list[Skip],
    ) -> tuple[Revaluation, dict[str, Account]]:
        """Record and post the marks; returns the revaluation and the holders' accounts it used."""
        conn = session.connection
        holders = sorted({m.holder for m in marks})
        session.lock_books(holders)
        accounts = [fair_value_account(m.holder, m.deal_id) for m in marks]
        current, resolved = self._current_marks(session, marks, accounts, holders)
        revaluation_id = uuid.uuid4()
        now = self._ledger.now()
        records: list[dict[str, Any]] = []
        changes: list[Change] = []
        for mark, account in zip(marks, accounts, strict=True):
            fair_value = fair_value_fen(mark.value_per_share, mark.quantity)
            change = fair_value - current.get(account, 0)
            if change:
                changes.append(Change(mark.deal_id, mark.holder, change))
            records.append(
                {
                    "id": uuid.uuid4(),
                    "revaluation_id": revaluation_id,
                    "deal_id": mark.deal_id,
                    "holder": mark.holder,
                    "as_of": as_of,
                    "funding_round_id": mark.funding_round.id if mark.funding_round else None,
                    "engine": mark.engine,
                    "code_version": CODE_VERSION,
                    "inputs_json": _INPUTS_JSON.encode(mark.inputs),
                    "value_per_share": mark.value_per_share,
                    "quantity": mark.quantity,
                    "fair_value": fair_value,
                    "change": change,
                    "transaction_id": None,
                    "created_at": now,
                }
            )
        planned = entries(changes, revaluation=str(revaluation_id), as_of=as_of, code_version=CODE_VERSION)
        transaction_of: dict[str, uuid.UUID] = {}
        for start in range(0, len(planned), MAX_BATCH):
            chunk = planned[start : start + MAX_BATCH]
            result = session.post([spec for spec, _ in chunk], accounts=resolved)
            for (_, deals), tx in zip(chunk, result.transactions, strict=True):
                transaction_of.update(dict.fromkeys(deals, tx.id))
        for record in records:
            record["transaction_id"] = transaction_of.get(record["deal_id"])
        # Each round's calibration (breakpoints, tranche values, participation) once per round and class,
        # not once per deal: valuation.records merges it into the records' inputs when they are read.
        calibrations: dict[str, Any] = {}
        seen: set[tuple[int, str]] = set()  # (round, class) met: thousands of marks share a few
        for mark in marks:
            if mark.calibration and mark.funding_round is not None:
                met = (id(mark.funding_round), mark.inputs.get("option_class", ""))
                if met not in seen:
                    seen.add(met)
                    calibrations.setdefault(calibration_key(mark.funding_round.id, mark.inputs), mark.calibration)
        conn.execute(
            ms.revaluations.insert(),
            {
                "id": revaluation_id,
                "as_of": as_of,
                "inputs_json": json.dumps({**inputs, CALIBRATIONS: calibrations}, sort_keys=True, ensure_ascii=False),
                "skipped_json": json.dumps(
                    [{"deal": s.deal_id, "field": s.field, "reason": s.reason, "message": s.message} for s in skipped],
                    ensure_ascii=False,
                ),
                "request_id": request_id,
                "fingerprint": print_,
                "created_at": now,
            },
        )
        session.insert_rows(ms.valuation_records, records)
        transaction_names: dict[uuid.UUID | None, str] = {None: ""}  # (a name per transaction, not per deal)
        transaction_names.update((tx, f"transactions/{tx}") for tx in set(transaction_of.values()))
        valuations = tuple(
            DealValuation(mark, r["fair_value"], CODE_VERSION, r["change"], transaction_names[r["transaction_id"]])
            for mark, r in zip(marks, records, strict=True)
        )
        return Revaluation(revaluation_id, as_of, valuations, tuple(skipped)), resolved

    def _current_marks(
        self, session: LedgerSession, marks: Sequence[Mark], accounts: Sequence[str], holders: Sequence[str]
    ) -> tuple[dict[str, int], dict[str, Account]]:
        """Each fair-value account's balance (fen), opening the accounts not yet open (balance 0), and
        every gains and fair-value account by name (for `session.post`, so it resolves none again).

        Balances are read first, in a few large lookups; only accounts that do not exist yet go through
        `session.open_accounts` (one existence query and one insert of them all). So a book whose deals
        were all marked before opens nothing.
        """
        gains = [names.account_name(h, GAINS_ACCOUNT) for h in holders]
        wanted = [*gains, *accounts]
        current: dict[str, int] = {}
        resolved: dict[str, Account] = {}
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            found = session.balances(wanted[start : start + _LOOKUP_CHUNK])
            for name, balance in found.items():
                current[name] = balance.balance
                resolved[name] = balance.account
        plans = [
            (h, GAINS_ACCOUNT, AccountType.INCOME, CNY, False, "Fair-value gains on option rights")
            for h, name in zip(holders, gains, strict=True)
            if name not in current
        ]
        plans += [
            (
                m.holder,
                f"{FAIR_VALUE_ACCOUNT}.{m.deal_id}",
                AccountType.ASSET,
                CNY,
                True,
                f"Option {m.deal_id} at fair value",
            )
            for m, name in zip(marks, accounts, strict=True)
            if name not in current
        ]
        if plans:
            resolved.update(session.open_accounts(plans))
        return current, resolved

    def _load(self, session: LedgerSession, row: Any) -> Revaluation:
        """A recorded revaluation, rebuilt from its valuation records (a replayed request)."""
        conn = session.connection
        records = conn.execute(
            sa.select(ms.valuation_records)
            .where(ms.valuation_records.c.revaluation_id == row.id)
            .order_by(ms.valuation_records.c.deal_id)
        ).all()
        round_ids = {r.funding_round_id for r in records if r.funding_round_id}
        rounds = {
            r.id: round_from_row(r)
            for r in (
                conn.execute(sa.select(ms.funding_rounds).where(ms.funding_rounds.c.id.in_(round_ids))).all()
                if round_ids
                else []
            )
        }
        valuations = tuple(
            DealValuation(
                Mark(
                    deal_id=r.deal_id,
                    holder=r.holder,
                    quantity=int(r.quantity),
                    as_of=r.as_of,
                    funding_round=rounds.get(r.funding_round_id),
                    engine=r.engine,
                    inputs=json.loads(r.inputs_json),
                    value_per_share=r.value_per_share,
                ),
                int(r.fair_value),
                r.code_version,
                int(r.change),
                f"transactions/{r.transaction_id}" if r.transaction_id else "",
            )
            for r in records
        )
        skipped = tuple(Skip(s["deal"], s["field"], s["reason"], s["message"]) for s in json.loads(row.skipped_json))
        return Revaluation(row.id, row.as_of, valuations, skipped)
