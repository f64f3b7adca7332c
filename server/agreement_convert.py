"""Protobuf <-> domain conversion for AgreementService."""

from __future__ import annotations

from collections.abc import Iterable

from google.type import money_pb2

from deals.agreements.model import (
    Agreement,
    AgreementDraft,
    AgreementKind,
    LinkageTerms,
    OptionOnWriteOff,
    RiskSharingTerms,
    SubsidyTerms,
    Terms,
    TierRate,
)
from deals.schedule import SubsidyKind
from deals.terms import Reimbursement
from ledger import names
from ledger.errors import ViolationCollector
from server import deal_convert as dc
from server.convert import date_out, optional_date_in
from toudai.v1 import agreements_pb2 as pb

KIND = {
    AgreementKind.RISK_SHARING: pb.AGREEMENT_KIND_RISK_SHARING,
    AgreementKind.LINKAGE: pb.AGREEMENT_KIND_LINKAGE,
    AgreementKind.SUBSIDY: pb.AGREEMENT_KIND_SUBSIDY,
}

OPTION_ON_WRITE_OFF = {
    OptionOnWriteOff.SURVIVES: pb.OPTION_ON_WRITE_OFF_SURVIVES,
    OptionOnWriteOff.LAPSES: pb.OPTION_ON_WRITE_OFF_LAPSES,
}


def _party(name: str, path: str, errors: ViolationCollector, *, required: bool = True) -> str:
    if not name:
        if required:
            errors.add(path, "is required: parties/{party}")
        return ""
    try:
        return names.parse_party_name(name)
    except names.BadName as exc:
        errors.add(path, str(exc))
        return ""


def _money(message: money_pb2.Money, path: str, errors: ViolationCollector) -> int:
    return dc.money_in(message, path, errors, required=False)


def draft_in(message: pb.Agreement, errors: ViolationCollector, prefix: str = "agreement") -> AgreementDraft:
    """An agreement draft from the request's Agreement, with a violation for every unreadable field."""
    p = prefix
    kind = dc.enum_in(KIND, message.kind, f"{p}.kind", errors, None)
    which = message.WhichOneof("terms")
    terms: Terms | None = None
    if which == "risk_sharing":
        r = message.risk_sharing
        q = f"{p}.risk_sharing"
        terms = RiskSharingTerms(
            base_rate=dc.decimal_in(r.base_rate, f"{q}.base_rate", errors),
            bands=dc.bands_in(r.bands, f"{q}.bands", errors),
            first_loan_rate=dc.decimal_in(r.first_loan_rate, f"{q}.first_loan_rate", errors),
            unsecured_threshold=dc.decimal_in(r.unsecured_threshold, f"{q}.unsecured_threshold", errors),
            unsecured_rate=dc.decimal_in(r.unsecured_rate, f"{q}.unsecured_rate", errors),
            per_deal_cap=_money(r.per_deal_cap, f"{q}.per_deal_cap", errors),
            exposure_cap=_money(r.exposure_cap, f"{q}.exposure_cap", errors),
            eligible_stages=tuple(
                s
                for i, v in enumerate(r.eligible_stages)
                if (s := dc.enum_in(dc.STAGE, v, f"{q}.eligible_stages[{i}]", errors, None))
            ),
            insurer=_party(r.insurer, f"{q}.insurer", errors, required=False),
            insurer_rate=dc.decimal_in(r.insurer_rate, f"{q}.insurer_rate", errors),
            auto_approval_limit=_money(r.auto_approval_limit, f"{q}.auto_approval_limit", errors),
            reimbursement=dc.enum_in(
                dc.REIMBURSEMENT, r.reimbursement, f"{q}.reimbursement", errors, Reimbursement.BORROWER
            )
            or Reimbursement.BORROWER,
            tier_rates=_tier_rates_in(r.tier_rates, f"{q}.tier_rates", errors),
        )
    elif which == "linkage":
        link = message.linkage
        terms = LinkageTerms(
            bank_bps=link.bank_bps,
            arm_bps=link.investment_arm_bps,
            pool_bps=link.risk_pool_bps,
            advisory_fee=_money(link.advisory_fee, f"{p}.linkage.advisory_fee", errors),
            option_on_write_off=dc.enum_in(
                OPTION_ON_WRITE_OFF,
                link.option_on_write_off,
                f"{p}.linkage.option_on_write_off",
                errors,
                OptionOnWriteOff.SURVIVES,
            )
            or OptionOnWriteOff.SURVIVES,
        )
    elif which == "subsidy":
        sub = message.subsidy
        q = f"{p}.subsidy"
        terms = SubsidyTerms(
            kinds=tuple(
                k for i, v in enumerate(sub.types) if (k := dc.enum_in(dc.SUBSIDY, v, f"{q}.types[{i}]", errors, None))
            ),
            max_rate_points=dc.decimal_in(sub.max_rate_points, f"{q}.max_rate_points", errors),
            max_share=dc.decimal_in(sub.max_share, f"{q}.max_share", errors),
        )
    return AgreementDraft(
        kind=kind,
        owner=_party(message.owner, f"{p}.owner", errors),
        counterparty=_party(message.counterparty, f"{p}.counterparty", errors),
        effective_from=optional_date_in(message, "effective_from", f"{p}.effective_from", errors),
        effective_until=optional_date_in(message, "effective_until", f"{p}.effective_until", errors),
        terms=terms,
        reference=message.reference,
    )


def _tier_rates_in(rates: Iterable[pb.TierRate], p: str, errors: ViolationCollector) -> tuple[TierRate, ...]:
    found = []
    for i, r in enumerate(rates):
        if not r.tier:
            errors.add(f"{p}[{i}].tier", "is required: start_up, growth or mature")
        tier = dc.enum_in(dc.STAGE, r.tier, f"{p}[{i}].tier", errors, None)
        rate = dc.decimal_in(r.rate, f"{p}[{i}].rate", errors)
        if not r.rate:
            errors.add(f"{p}[{i}].rate", 'is required: a fraction such as "0.60"')
        if tier is not None:
            found.append(TierRate(tier, rate))
    return tuple(found)


def agreement_out(a: Agreement) -> pb.Agreement:
    message = pb.Agreement(
        name=a.name,
        kind=KIND[a.kind],
        owner=f"parties/{a.owner}",
        counterparty=f"parties/{a.counterparty}",
        version=a.version,
        effective_from=date_out(a.effective_from),
        effective_until=date_out(a.effective_until) if a.effective_until else None,
        recorded_by=dc.attribution_out(
            a.recorded_by.principal, a.recorded_by.role, a.recorded_by.request_id, a.recorded_by.at
        ),
        reference=a.reference,
    )
    t = a.terms
    if isinstance(t, RiskSharingTerms):
        message.risk_sharing.CopyFrom(
            pb.RiskSharingAgreement(
                base_rate=dc.text_out(t.base_rate),
                bands=dc.bands_out(t.bands),
                first_loan_rate=dc.text_out(t.first_loan_rate),
                unsecured_threshold=dc.text_out(t.unsecured_threshold),
                unsecured_rate=dc.text_out(t.unsecured_rate),
                per_deal_cap=dc.money_out(t.per_deal_cap),
                exposure_cap=dc.money_out(t.exposure_cap),
                eligible_stages=[dc.STAGE[s] for s in t.eligible_stages],
                insurer=f"parties/{t.insurer}" if t.insurer else "",
                insurer_rate=dc.text_out(t.insurer_rate),
                auto_approval_limit=dc.money_out(t.auto_approval_limit),
                reimbursement=dc.REIMBURSEMENT[t.reimbursement],
                tier_rates=[pb.TierRate(tier=dc.STAGE[r.tier], rate=dc.text_out(r.rate)) for r in t.tier_rates],
            )
        )
    elif isinstance(t, LinkageTerms):
        message.linkage.CopyFrom(
            pb.LinkageAgreement(
                bank_bps=t.bank_bps,
                investment_arm_bps=t.arm_bps,
                risk_pool_bps=t.pool_bps,
                advisory_fee=dc.money_out(t.advisory_fee),
                option_on_write_off=OPTION_ON_WRITE_OFF[t.option_on_write_off],
            )
        )
    else:
        message.subsidy.CopyFrom(
            pb.SubsidyAgreement(
                types=[dc.SUBSIDY[k] for k in t.kinds if k is not SubsidyKind.NONE],
                max_rate_points=dc.text_out(t.max_rate_points),
                max_share=dc.text_out(t.max_share),
            )
        )
    return message
