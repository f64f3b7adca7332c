"""The assessment desk: records a branch's four-dimension assessment of a borrower and reads them back.

Recording validates the request purely first (USCC, date, model version, every indicator; every problem at
once with its field path), scores it with the named model version (deals.assessment.model) and stores
every figure, so the record can be recomputed from itself. Request ids are scoped to the assessing branch,
as deal steps are: the same id with the same payload returns the recorded assessment, with another payload
is ALREADY_EXISTS `REQUEST_ID_REUSED`. docs/assessment.md.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from deals.assessment import records
from deals.assessment import schema as s
from deals.assessment.model import CURRENT, MODELS, parse_indicators, score
from deals.assessment.records import Assessment, decimals_to_json, plain
from deals.uscc import check_uscc
from ledger import actor, names
from ledger.canonical import fingerprint
from ledger.errors import InvalidArgument, NotFound, ViolationCollector, request_id_reused
from ledger.model import PartyKind
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id, check_value_date

__all__ = ["AssessmentDesk", "History"]


@dataclass(frozen=True, slots=True)
class History:
    """A borrower's assessments up to a date, oldest first, and the one in force then (the last)."""

    assessments: tuple[Assessment, ...]

    @property
    def in_force(self) -> Assessment | None:
        return self.assessments[-1] if self.assessments else None


class AssessmentDesk:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def record(
        self,
        *,
        request_id: str,
        branch: str,
        borrower_uscc: str,
        as_of: dt.date | None,
        model_version: str,
        indicators: Mapping[str, str],
        errors: ViolationCollector | None = None,
    ) -> Assessment:
        """Score and record an assessment by `branch` (parties/{party}); `model_version` "" is the current.
        `errors` may carry the caller's own findings (a malformed date), reported with these at once."""
        errors = errors if errors is not None else ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        branch_id = ""
        try:
            branch_id = names.parse_party_name(branch)
        except names.BadName as exc:
            errors.add("branch", str(exc))
        check_uscc(borrower_uscc, "borrower_uscc", errors)
        if as_of is not None or not any(v.field == "as_of_date" for v in errors.violations):
            check_value_date(as_of, "as_of_date", errors, self._ledger.today())
        version = model_version or CURRENT
        model = MODELS.get(version)
        if model is None:
            errors.add("model_version", f"is not a model version: {', '.join(MODELS)}", "UNKNOWN_MODEL")
        values = parse_indicators(model, indicators, errors) if model is not None else {}
        errors.raise_if_any()
        assert model is not None and as_of is not None
        found = score(model, values)
        print_ = fingerprint(
            {
                "branch": branch_id,
                "uscc": borrower_uscc,
                "as_of": as_of.isoformat(),
                "model": version,
                "indicators": {k: plain(v) for k, v in sorted(values.items())},
            }
        )

        def work(session: LedgerSession) -> Assessment:
            conn = session.connection
            t = s.assessments
            previous = conn.execute(sa.select(t).where(t.c.branch == branch_id, t.c.request_id == request_id)).first()
            if previous is not None:
                if previous.fingerprint != print_:
                    raise request_id_reused(request_id)
                return records.assessment_of(previous)
            kinds = session.party_kinds([branch_id])
            if branch_id not in kinds:
                raise NotFound(f"parties/{branch_id}", "party")
            if kinds[branch_id] is not PartyKind.BANK_BRANCH:
                raise InvalidArgument.one(
                    "branch", f"parties/{branch_id} is a {kinds[branch_id].value} party, not a bank branch"
                )
            who = actor.columns()
            row = {
                "id": uuid.uuid4(),
                "branch": branch_id,
                "borrower_uscc": borrower_uscc,
                "as_of": as_of,
                "model": version,
                "indicators_json": decimals_to_json(values),
                "points_json": decimals_to_json(found.points),
                "dimensions_json": decimals_to_json(found.dimensions),
                "total": format(found.total, "f"),
                "tier": found.tier.value,
                "request_id": request_id,
                "fingerprint": print_,
                "principal": who["principal"],
                "role": who["role"],
                "created_at": session.now(),
            }
            conn.execute(t.insert(), row)
            return records.assessment_of(conn.execute(sa.select(t).where(t.c.id == row["id"])).one())

        return self._ledger.write(work, what="RecordAssessment")

    def get(self, name: str) -> Assessment:
        assessment_id = records.parse_assessment_name(name)
        if assessment_id is None:
            raise InvalidArgument.one("name", f"{name!r} is not an assessment name: assessments/{{uuid}}")

        def work(session: LedgerSession) -> Assessment:
            t = s.assessments
            row = session.connection.execute(sa.select(t).where(t.c.id == assessment_id)).first()
            if row is None:
                raise NotFound(name, "assessment")
            return records.assessment_of(row)

        return self._ledger.read(work)

    def history(self, *, borrower_uscc: str, branch: str | None, as_of: dt.date | None) -> History:
        """The borrower's assessments (by `branch`, a party id, or every branch with None) up to `as_of`."""
        errors = ViolationCollector()
        check_uscc(borrower_uscc, "borrower_uscc", errors)
        errors.raise_if_any()

        def work(session: LedgerSession) -> History:
            return History(tuple(records.history(session.connection, borrower_uscc, branch, as_of)))

        return self._ledger.read(work)
