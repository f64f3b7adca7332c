"""Agreements for test worlds: what the pool, the arm and the subsidy fund sign before a branch books.

`sign_agreements` records, as whoever the channel authenticates as (the development administrator in
most tests), a risk-sharing agreement of the pool with the branch, a linkage agreement of the arm with
the branch and a subsidy agreement of the fund with the branch. The defaults are generous (every rate
up to 100 %, no caps, every claim approved automatically) so that worlds written before agreements
existed book the same deals; tests of the agreements themselves pass their own terms.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import grpc
from google.type import date_pb2, money_pb2

from toudai.v1 import agreements_pb2 as apb
from toudai.v1 import agreements_pb2_grpc
from toudai.v1 import deals_pb2 as dpb

FROM = "2000-01-01"


def _date(iso: str) -> date_pb2.Date:
    d = dt.date.fromisoformat(iso)
    return date_pb2.Date(year=d.year, month=d.month, day=d.day)


def _cny(text: str) -> money_pb2.Money:
    value = Decimal(text)
    units = int(value)
    return money_pb2.Money(currency_code="CNY", units=units, nanos=int((value - units) * 1_000_000_000))


def generous_risk(insurer: str = "") -> apb.RiskSharingAgreement:
    return apb.RiskSharingAgreement(
        base_rate="1",
        first_loan_rate="1",
        unsecured_rate="1",
        insurer=f"parties/{insurer}" if insurer else "",
        insurer_rate="1" if insurer else "",
        auto_approval_limit=_cny("100000000000.00"),
    )


def sign_agreements(
    channel: grpc.Channel,
    *,
    branch: str,
    arm: str = "",
    pool: str = "",
    fund: str = "",
    insurer: str = "",
    split: tuple[int, int, int] = (3000, 5000, 2000),
    advisory_fee: str = "",
    risk: apb.RiskSharingAgreement | None = None,
    metadata: tuple[tuple[str, str], ...] | None = None,
    option_on_write_off: int = apb.OPTION_ON_WRITE_OFF_UNSPECIFIED,
) -> list[apb.Agreement]:
    """Sign every agreement the parties given allow (ids `{kind}-{owner}-{branch}`); returns them.
    `option_on_write_off`: the linkage agreement's term (unspecified: the option right survives)."""
    stub = agreements_pb2_grpc.AgreementServiceStub(channel)
    signed = []

    def create(kind: int, owner: str, label: str, **terms: object) -> None:
        agreement_id = f"{label}-{owner}-{branch}"[:40].rstrip("-")
        request = apb.CreateAgreementRequest(
            request_id=f"sign-{agreement_id}",
            agreement_id=agreement_id,
            agreement=apb.Agreement(
                kind=kind,
                owner=f"parties/{owner}",
                counterparty=f"parties/{branch}",
                effective_from=_date(FROM),
                **terms,  # type: ignore[arg-type]
            ),
        )
        signed.append(stub.CreateAgreement(request, metadata=metadata).agreement)

    if pool:
        create(apb.AGREEMENT_KIND_RISK_SHARING, pool, "rsa", risk_sharing=risk or generous_risk(insurer))
    if arm:
        create(
            apb.AGREEMENT_KIND_LINKAGE,
            arm,
            "link",
            linkage=apb.LinkageAgreement(
                bank_bps=split[0],
                investment_arm_bps=split[1],
                risk_pool_bps=split[2],
                advisory_fee=_cny(advisory_fee) if advisory_fee else None,
                option_on_write_off=option_on_write_off,  # type: ignore[arg-type]
            ),
        )
    if fund:
        create(
            apb.AGREEMENT_KIND_SUBSIDY,
            fund,
            "sub",
            subsidy=apb.SubsidyAgreement(
                types=[dpb.SUBSIDY_TYPE_RATE_POINTS, dpb.SUBSIDY_TYPE_INTEREST_SHARE],
                max_rate_points="1",
                max_share="1",
            ),
        )
    return signed


def sign_in_process(
    ledger: object, *, branch: str, arm: str = "", pool: str = "", split: tuple[int, int, int] = (3000, 5000, 2000)
) -> None:
    """The same generous agreements as `sign_agreements`, recorded through the desk (no server)."""
    from deals.agreements.desk import AgreementDesk
    from deals.agreements.model import AgreementDraft, AgreementKind, LinkageTerms, RiskSharingTerms

    desk = AgreementDesk(ledger)  # type: ignore[arg-type]
    start = dt.date.fromisoformat(FROM)
    if pool:
        terms = RiskSharingTerms(
            base_rate=Decimal(1), first_loan_rate=Decimal(1), unsecured_rate=Decimal(1), auto_approval_limit=10**13
        )
        draft = AgreementDraft(AgreementKind.RISK_SHARING, pool, branch, start, None, terms)
        desk.create(request_id=f"sign-rsa-{pool}-{branch}", agreement_id=f"rsa-{pool}-{branch}"[:40], draft=draft)
    if arm:
        link = LinkageTerms(*split)
        draft = AgreementDraft(AgreementKind.LINKAGE, arm, branch, start, None, link)
        desk.create(request_id=f"sign-link-{arm}-{branch}", agreement_id=f"link-{arm}-{branch}"[:40], draft=draft)
