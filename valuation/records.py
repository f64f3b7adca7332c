"""Valuation records read back: one per deal a revaluation valued, by name or listed by deal, date and run.

`MarkDesk.revalue` stores a record per deal valued (valuation.schema `valuation_records`): the inputs as a
flat map of text, the engine, the code version, the value per share, the quantity, the fair value in
fen, the change posted and the ledger transaction. A record is named after its revaluation and deal,

    revaluations/{revaluation}/valuationRecords/{deal}

which is unique (one record per revaluation and deal) and can be derived from the transaction that
posted the change: its metadata `toudai.valuation_records` (since this version; `toudai.revaluation`
before) and the deal of the posting's account `options-fair-value.{deal}`.

The OPM calibration behind a record's spot (breakpoints, tranche values, the classes' participation,
`Mark.calibration`) is the same for every deal on the same round and class, so a revaluation stores it
once per round and class, under `calibrations` in its own stored inputs; reading a record merges its
round and class's calibration into the record's `inputs`.

`ValuationRecord` adds the structured reading of the stored inputs that an auditor needs to reproduce a
mark: the OPM breakpoints and tranche values of the backsolve, each class's participation per tranche,
N and M as the engine used them (and, for plain Black-Scholes, that there is no dilution), the engine's
parameters and the rounding to money. Records stored by earlier versions lack some inputs (breakpoints,
participation, dilution ratio); the fields built from them are then empty, never invented.
docs/valuation.md, "Reading valuation records", documents every field.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from deals.names import parse_deal_name
from ledger import names, pagination
from ledger.db import as_utc
from ledger.errors import NotFound, ViolationCollector
from ledger.model import Page
from ledger.session import LedgerSession
from ledger.store import Ledger
from valuation import schema as ms
from valuation.journal import record_name
from valuation.rounds import round_from_row

__all__ = [
    "CALIBRATIONS",
    "ROUNDING",
    "RecordBook",
    "ValuationRecord",
    "calibration_key",
    "parse_record_name",
    "parse_revaluation_name",
]

CALIBRATIONS = "calibrations"
"""The key, in a revaluation's stored inputs (`revaluations.inputs_json`), of its rounds' calibrations:
`{"{round id}/{option class}": {"breakpoints": ..., "tranche_values": ..., ...}}` (valuation.valuing
`Mark.calibration`), stored once per round and class instead of once per deal."""

ROUNDING = "quantity × value_per_share in Decimal, rounded once ROUND_HALF_UP to 0.01 CNY"
"""How a record's value per share became its fair value (valuation.money.fair_value_fen)."""

_ENGINE_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "warrant": ("shares_outstanding", "new_shares", "dilution_ratio", "dilution_threshold", "dividend_yield"),
    "bsm": ("dilution_ratio", "dilution_threshold", "dividend_yield"),
    "monte_carlo": ("paths", "seed", "antithetic", "round_years", "discount", "std_error", "dividend_yield"),
    "lapsed": (),
}
"""The inputs that are the engine's own parameters (the rest are market data, terms and the calibration)."""


def _numbers(text: str | None) -> tuple[str, ...]:
    return tuple(text.split(",")) if text else ()


@dataclass(frozen=True, slots=True)
class ValuationRecord:
    """A stored valuation record, with the structured reading of its inputs."""

    revaluation_id: uuid.UUID
    deal_id: str
    holder: str
    as_of: dt.date
    funding_round: str  # the round's name, "" when none was recorded
    engine: str
    code_version: str
    inputs: Mapping[str, str]
    value_per_share: str
    quantity: int
    fair_value: int  # fen
    change: int  # fen posted by the revaluation
    transaction: str  # `transactions/{id}`, "" when no change was posted
    create_time: dt.datetime

    @property
    def name(self) -> str:
        return record_name(str(self.revaluation_id), self.deal_id)

    @property
    def revaluation(self) -> str:
        return f"revaluations/{self.revaluation_id}"

    @property
    def deal(self) -> str:
        return f"deals/{self.deal_id}"

    @property
    def breakpoints(self) -> tuple[str, ...]:
        """The backsolve's OPM breakpoints (total equity values where the split changes), ascending."""
        return _numbers(self.inputs.get("breakpoints"))

    @property
    def tranche_values(self) -> tuple[str, ...]:
        """What each OPM tranche (from 0 up; one more than the breakpoints) is worth at the equity value."""
        return _numbers(self.inputs.get("tranche_values"))

    @property
    def participation(self) -> tuple[str, ...]:
        """The option's class's fraction of each tranche."""
        return _numbers(self.inputs.get("participation"))

    @property
    def round_class_participation(self) -> tuple[str, ...]:
        """The round's class's fraction of each tranche (what the backsolve priced at the round price)."""
        return _numbers(self.inputs.get("round_class_participation"))

    @property
    def shares_outstanding(self) -> str:
        """N as the engine used it: in the warrant formula (warrant) or only in the M/N ≥ 1% test (bsm);
        empty for engines that do not use it (monte_carlo, lapsed)."""
        return self.inputs.get("shares_outstanding", "") if self.engine in ("warrant", "bsm") else ""

    @property
    def new_shares(self) -> str:
        """M as the warrant formula used it; empty for every other engine (plain Black-Scholes has no M)."""
        return self.inputs.get("new_shares", "") if self.engine == "warrant" else ""

    @property
    def dilution_ratio(self) -> str:
        """M/N as tested against the threshold (stored; for older records recomputed as quantity ÷ N)."""
        if self.engine not in ("warrant", "bsm"):
            return ""
        stored = self.inputs.get("dilution_ratio")
        if stored:
            return stored
        n = self.inputs.get("shares_outstanding")
        return repr(self.quantity / float(n)) if n and float(n) > 0 else ""

    @property
    def dilution(self) -> str:
        """In words: how N and M entered the price."""
        threshold = self.inputs.get("dilution_threshold", "0.01")
        if self.engine == "warrant":
            return (
                f"dilution-adjusted (Galai-Schneller): W = N/(N+M)·C(S + M·W/N, K) with N = {self.shares_outstanding}"
                f" and M = {self.new_shares} (M/N = {self.dilution_ratio} ≥ {threshold})"
            )
        if self.engine == "bsm":
            return (
                f"none: M/N = {self.dilution_ratio} < {threshold}, so the price is plain Black-Scholes; "
                "N served only for that test and M is not used"
            )
        if self.engine == "monte_carlo":
            return "none: the round-linked strike is simulated without dilution; N and M are not used"
        return "none: the right has lapsed and is worth 0"

    @property
    def engine_parameters(self) -> dict[str, str]:
        return {k: self.inputs[k] for k in _ENGINE_PARAMETERS.get(self.engine, ()) if k in self.inputs}

    @property
    def rounding(self) -> str:
        return ROUNDING


def parse_revaluation_name(name: str, field: str, errors: ViolationCollector) -> uuid.UUID | None:
    """The id of `revaluations/{uuid}`; a violation naming `field` if it is not one."""
    head, _, rest = name.partition("/")
    try:
        if head != "revaluations" or not rest or "/" in rest:
            raise ValueError
        return uuid.UUID(rest)
    except ValueError:
        errors.add(field, f"{name!r} is not a revaluation name; expected revaluations/{{uuid}}")
        return None


def parse_record_name(name: str, field: str, errors: ViolationCollector) -> tuple[uuid.UUID, str] | None:
    """(revaluation id, deal id) of `revaluations/{uuid}/valuationRecords/{deal}`; else a violation."""
    parts = name.split("/")
    try:
        if len(parts) != 4 or parts[0] != "revaluations" or parts[2] != "valuationRecords":
            raise ValueError
        return uuid.UUID(parts[1]), parse_deal_name(f"deals/{parts[3]}")
    except (ValueError, names.BadName):
        errors.add(
            field,
            f"{name!r} is not a valuation record name; expected revaluations/{{uuid}}/valuationRecords/{{deal}}",
        )
        return None


def calibration_key(round_id: object, inputs: Mapping[str, str]) -> str:
    """Where a mark's calibration is kept in its revaluation's `calibrations`: round id and option class."""
    return f"{round_id}/{inputs.get('option_class', '')}"


def _record(
    row: Any, rounds: Mapping[uuid.UUID, str], calibrations: Mapping[uuid.UUID, Mapping[str, Any]]
) -> ValuationRecord:
    inputs: dict[str, str] = json.loads(row.inputs_json)
    if row.funding_round_id:
        found = calibrations.get(row.revaluation_id, {}).get(calibration_key(row.funding_round_id, inputs))
        if found:
            inputs = {**found, **inputs}
    return ValuationRecord(
        revaluation_id=row.revaluation_id,
        deal_id=row.deal_id,
        holder=row.holder,
        as_of=row.as_of,
        funding_round=rounds.get(row.funding_round_id, "") if row.funding_round_id else "",
        engine=row.engine,
        code_version=row.code_version,
        inputs=inputs,
        value_per_share=row.value_per_share,
        quantity=int(row.quantity),
        fair_value=int(row.fair_value),
        change=int(row.change),
        transaction=f"transactions/{row.transaction_id}" if row.transaction_id else "",
        create_time=as_utc(row.created_at),
    )


def _records(session: LedgerSession, rows: list[Any]) -> list[ValuationRecord]:
    ids = {r.funding_round_id for r in rows if r.funding_round_id}
    rounds: dict[uuid.UUID, str] = {}
    if ids:
        found = session.connection.execute(sa.select(ms.funding_rounds).where(ms.funding_rounds.c.id.in_(ids)))
        rounds = {r.id: round_from_row(r).name for r in found}
    runs = {r.revaluation_id for r in rows}
    calibrations: dict[uuid.UUID, Mapping[str, Any]] = {}
    if runs:
        query = sa.select(ms.revaluations.c.id, ms.revaluations.c.inputs_json).where(ms.revaluations.c.id.in_(runs))
        for run in session.connection.execute(query):
            calibrations[run.id] = json.loads(run.inputs_json).get(CALIBRATIONS) or {}
    return [_record(r, rounds, calibrations) for r in rows]


class RecordBook:
    """Reads valuation records on a `Ledger` (the same database as the revaluations)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def get(self, name: str) -> ValuationRecord:
        """The record `revaluations/{uuid}/valuationRecords/{deal}`; NOT_FOUND if there is none."""
        errors = ViolationCollector()
        parsed = parse_record_name(name, "name", errors)
        errors.raise_if_any()
        assert parsed is not None
        revaluation_id, deal_id = parsed
        v = ms.valuation_records
        query = sa.select(v).where(v.c.revaluation_id == revaluation_id, v.c.deal_id == deal_id)

        def work(session: LedgerSession) -> ValuationRecord:
            row = session.connection.execute(query).first()
            if row is None:
                raise NotFound(name, "valuation record")
            return _records(session, [row])[0]

        return self._ledger.read(work)

    def list(
        self,
        *,
        deal: str = "",
        from_date: dt.date | None = None,
        to_date: dt.date | None = None,
        revaluation: str = "",
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[ValuationRecord]:
        """Records oldest first (as_of, then recording time, revaluation and deal), filtered by deal, by
        as_of from `from_date` to `to_date` (both inclusive) and by revaluation."""
        errors = ViolationCollector()
        deal_id = ""
        if deal:
            try:
                deal_id = parse_deal_name(deal)
            except names.BadName as exc:
                errors.add("deal", str(exc))
        revaluation_id = parse_revaluation_name(revaluation, "revaluation", errors) if revaluation else None
        if from_date is not None and to_date is not None and from_date > to_date:
            errors.add("to_date", f"{to_date.isoformat()} is before from_date {from_date.isoformat()}")
        if page_size < 0:
            errors.add("page_size", f"must not be negative (got {page_size})")
        errors.raise_if_any()
        size = pagination.page_size(page_size)
        filters = {
            "list": "valuation_records",
            "deal": deal_id,
            "from": from_date.isoformat() if from_date else "",
            "to": to_date.isoformat() if to_date else "",
            "revaluation": str(revaluation_id or ""),
        }
        after = pagination.decode(
            page_token, filters, (dt.date.fromisoformat, dt.datetime.fromisoformat, uuid.UUID, pagination.text)
        )
        v = ms.valuation_records
        query = sa.select(v).order_by(v.c.as_of, v.c.created_at, v.c.revaluation_id, v.c.deal_id).limit(size + 1)
        if deal_id:
            query = query.where(v.c.deal_id == deal_id)
        if from_date is not None:
            query = query.where(v.c.as_of >= from_date)
        if to_date is not None:
            query = query.where(v.c.as_of <= to_date)
        if revaluation_id is not None:
            query = query.where(v.c.revaluation_id == revaluation_id)
        if after:
            day, created, run, last_deal = after
            query = query.where(
                sa.or_(
                    v.c.as_of > day,
                    sa.and_(v.c.as_of == day, v.c.created_at > created),
                    sa.and_(v.c.as_of == day, v.c.created_at == created, v.c.revaluation_id > run),
                    sa.and_(
                        v.c.as_of == day, v.c.created_at == created, v.c.revaluation_id == run, v.c.deal_id > last_deal
                    ),
                )
            )

        def work(session: LedgerSession) -> tuple[list[ValuationRecord], list[Any]]:
            rows = list(session.connection.execute(query).all())
            return _records(session, rows[:size]), rows

        items, rows = self._ledger.read(work)
        token = ""
        if len(rows) > size:
            last = rows[size - 1]
            token = pagination.encode(
                filters,
                [last.as_of.isoformat(), as_utc(last.created_at).isoformat(), str(last.revaluation_id), last.deal_id],
            )
        return Page(tuple(items), token)
