"""The agreement desk: records agreements and their versions, reads them back, and finds the ones a
booking falls under.

Only the consenting party records its agreements: the servicer scopes a pool's staff to agreements the
pool owns, an arm's staff to the arm's (server.authz), administrators act for any party (for the
subsidy fund, which has no staff role of its own). Each version records who recorded it. Request ids
are scoped to the recording party, so one party cannot learn or squat another's keys.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from deals import codec
from deals.agreements import records
from deals.agreements import schema as ags
from deals.agreements.model import (
    AGREEMENT_ID_MAX,
    OWNER_KIND,
    Agreement,
    AgreementDraft,
    AgreementKind,
    Attribution,
    OptionOnWriteOff,
)
from deals.agreements.rules import check_agreement_id, check_draft
from deals.names import party_filters
from ledger import actor, names, pagination
from ledger.canonical import fingerprint
from ledger.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    ViolationCollector,
    request_id_reused,
)
from ledger.model import Page, PartyKind
from ledger.session import LedgerSession
from ledger.store import Ledger
from ledger.validation import check_request_id


def who(request_id: str, at: dt.datetime | None) -> Attribution:
    """The bound caller (the gRPC edge binds one; in-process use records `system`)."""
    columns = actor.columns()
    return Attribution(columns["principal"], columns["role"], request_id, at)


def request_scope() -> str:
    """The party request ids are scoped to: the caller's own party, or `*` for unscoped callers."""
    bound = actor.current()
    return (bound.party if bound is not None else "") or "*"


def parse_agreement_name(name: str, field: str) -> tuple[str, int]:
    """`agreements/{id}` → (id, 0); `agreements/{id}/versions/{n}` → (id, n)."""
    parts = (name or "").split("/")
    if (
        len(parts) in (2, 4)
        and parts[0] == "agreements"
        and names.PARTY_ID.match(parts[1])
        and len(parts[1]) <= AGREEMENT_ID_MAX
    ):
        if len(parts) == 2:
            return parts[1], 0
        if parts[2] == "versions" and parts[3].isdigit() and 0 < int(parts[3]) < 1_000_000:
            return parts[1], int(parts[3])
    raise InvalidArgument.one(field, "must be agreements/{agreement} or agreements/{agreement}/versions/{n}")


class AgreementDesk:
    """Agreements on a `Ledger` (same database)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def create(self, *, request_id: str, agreement_id: str, draft: AgreementDraft) -> Agreement:
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        check_agreement_id(agreement_id, "agreement_id", errors)
        check_draft(draft, errors)
        errors.raise_if_any()
        print_ = _fingerprint(agreement_id, draft)
        scope = request_scope()

        def work(session: LedgerSession) -> Agreement:
            conn = session.connection
            replay = _replay(conn, scope, request_id, print_)
            if replay is not None:
                return replay
            if records.head_row(conn, agreement_id) is not None:
                raise AlreadyExists(f"agreement agreements/{agreement_id} already exists", reason="AGREEMENT_EXISTS")
            _check_parties(session, draft)
            at = session.now()
            assert draft.kind is not None and draft.effective_from is not None and draft.terms is not None
            conn.execute(
                ags.agreements.insert(),
                {
                    "id": agreement_id,
                    "kind": draft.kind.value,
                    "owner": draft.owner,
                    "counterparty": draft.counterparty,
                    "latest_version": 1,
                    "created_at": at,
                },
            )
            records.insert_version(
                conn,
                agreement_id,
                1,
                effective_from=draft.effective_from,
                effective_until=draft.effective_until,
                terms=draft.terms,
                reference=draft.reference,
                scope=scope,
                request_id=request_id,
                fingerprint=print_,
                who=who(request_id, at),
            )
            found = records.version_of(conn, agreement_id, 1)
            assert found is not None
            return found

        return self._ledger.write(work, what="CreateAgreement")

    def amend(self, *, request_id: str, name: str, draft: AgreementDraft) -> Agreement:
        """A new version with new terms and dates; kind, owner and counterparty stay."""
        errors = ViolationCollector()
        check_request_id(request_id, "request_id", errors)
        agreement_id = ""
        try:
            agreement_id, version = parse_agreement_name(name, "name")
            if version:
                errors.add("name", "name the agreement (agreements/{agreement}), not one of its versions")
        except InvalidArgument as exc:
            errors.violations.extend(exc.violations)
        check_draft(draft, errors)
        errors.raise_if_any()
        print_ = _fingerprint(agreement_id, draft)
        scope = request_scope()

        def work(session: LedgerSession) -> Agreement:
            conn = session.connection
            replay = _replay(conn, scope, request_id, print_)
            if replay is not None:
                return replay
            head = records.head_row(conn, agreement_id, lock=True)
            if head is None:
                raise NotFound(name, "agreement")
            fixed = {"kind": head.kind, "owner": head.owner, "counterparty": head.counterparty}
            asked = {
                "kind": draft.kind.value if draft.kind else "",
                "owner": draft.owner,
                "counterparty": draft.counterparty,
            }
            changed = [k for k in fixed if asked[k] != fixed[k]]
            if changed:
                raise InvalidArgument.one(
                    f"agreement.{changed[0]}",
                    f"cannot change on amendment (it is {fixed[changed[0]]}); record a new agreement instead",
                )
            version = head.latest_version + 1
            at = session.now()
            assert draft.effective_from is not None and draft.terms is not None
            records.insert_version(
                conn,
                agreement_id,
                version,
                effective_from=draft.effective_from,
                effective_until=draft.effective_until,
                terms=draft.terms,
                reference=draft.reference,
                scope=scope,
                request_id=request_id,
                fingerprint=print_,
                who=who(request_id, at),
            )
            conn.execute(
                ags.agreements.update().where(ags.agreements.c.id == agreement_id).values(latest_version=version)
            )
            found = records.version_of(conn, agreement_id, version)
            assert found is not None
            return found

        return self._ledger.write(work, what="AmendAgreement")

    def get(self, name: str) -> Agreement:
        agreement_id, version = parse_agreement_name(name, "name")

        def work(session: LedgerSession) -> Agreement:
            found = records.version_of(session.connection, agreement_id, version)
            if found is None:
                raise NotFound(name, "agreement")
            return found

        return self._ledger.read(work)

    def list_agreements(
        self,
        *,
        owner: str = "",
        counterparty: str = "",
        kind: AgreementKind | None = None,
        parties_of: str | None = None,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page[Agreement]:
        """Latest versions by id; `parties_of` (a scoped caller's party) keeps those it owns or is named in."""
        size = pagination.page_size(page_size)
        errors = ViolationCollector()
        filters_parties = party_filters(errors, owner=owner, counterparty=counterparty)
        errors.raise_if_any()
        filters = {
            "list": "agreements",
            "owner": owner,
            "counterparty": counterparty,
            "kind": kind.value if kind else "",
            "scope": parties_of or "",
        }
        after = pagination.decode(page_token, filters, (pagination.text,))
        table = ags.agreements
        query = sa.select(table.c.id).order_by(table.c.id).limit(size + 1)
        for field, party in filters_parties.items():
            query = query.where(table.c[field] == party)
        if kind is not None:
            query = query.where(table.c.kind == kind.value)
        if parties_of is not None:
            query = query.where(sa.or_(table.c.owner == parties_of, table.c.counterparty == parties_of))
        if after:
            query = query.where(table.c.id > after[0])

        def work(session: LedgerSession) -> list[Agreement]:
            conn = session.connection
            ids = [r.id for r in conn.execute(query)]
            found = [records.version_of(conn, i) for i in ids]
            return [a for a in found if a is not None]

        found = self._ledger.read(work)
        items = found[:size]
        token = pagination.encode(filters, [items[-1].id]) if len(found) > size else ""
        return Page(tuple(items), token)


def _fingerprint(agreement_id: str, draft: AgreementDraft) -> str:
    plain = codec.plain(draft)
    terms = plain.get("terms")
    # A term added after agreements were first recorded is left out at its default, so a retry of a
    # request recorded before the term existed still matches its fingerprint.
    if isinstance(terms, dict) and terms.get("option_on_write_off") == OptionOnWriteOff.SURVIVES.value:
        del terms["option_on_write_off"]
    if isinstance(terms, dict) and terms.get("tier_rates") == []:
        del terms["tier_rates"]
    return fingerprint({"agreement": agreement_id, "draft": plain})


def _replay(conn: sa.Connection, scope: str, request_id: str, print_: str) -> Agreement | None:
    row = records.by_request(conn, scope, request_id)
    if row is None:
        return None
    if row.fingerprint != print_:
        raise request_id_reused(request_id)
    return records.version_of(conn, row.agreement_id, row.version)


def _check_parties(session: LedgerSession, draft: AgreementDraft) -> None:
    """The owner is the kind of party that consents to this kind of agreement; the counterparty a branch."""
    assert draft.kind is not None
    insurer = getattr(draft.terms, "insurer", "") or ""
    wanted = {
        "agreement.owner": (draft.owner, OWNER_KIND[draft.kind]),
        "agreement.counterparty": (draft.counterparty, PartyKind.BANK_BRANCH),
    }
    if insurer:
        wanted["agreement.risk_sharing.insurer"] = (insurer, PartyKind.INSURER)
    kinds = session.party_kinds(party for party, _ in wanted.values())
    problems = []
    for field, (party, kind) in wanted.items():
        found = kinds.get(party)
        if found is None:
            raise InvalidArgument.one(field, f"parties/{party} does not exist; create the party first", "UNKNOWN_PARTY")
        if found is not kind:
            problems.append(
                PreconditionViolation(
                    "PARTY_KIND", field, f"parties/{party} is a {found.value} party; this needs a {kind.value} party"
                )
            )
    if problems:
        raise FailedPrecondition("; ".join(v.description for v in problems), problems, reason="WRONG_PARTY_KIND")
