"""ValuationService: protobuf in, RoundBook / MarkDesk / pricing call, protobuf out.

Model input errors (`valuation.ValuationInputError`) become INVALID_ARGUMENT naming the request field
here, so that they never reach the interceptor as an unexpected exception (INTERNAL).
"""

from __future__ import annotations

import grpc

from deals.desk import DealDesk
from deals.model import Deal
from ledger.errors import NotFound, ViolationCollector
from server import authz
from server import valuation_convert as vc
from server.convert import optional_date_in
from toudai.v1 import valuation_pb2 as pb
from toudai.v1 import valuation_pb2_grpc as pb_grpc
from valuation.desk import MarkDesk
from valuation.price_option import price_option
from valuation.rounds import RoundBook
from valuation.version import CODE_VERSION

MODELS = {
    pb.PRICING_MODEL_BSM: "bsm",
    pb.PRICING_MODEL_BINOMIAL: "binomial",
    pb.PRICING_MODEL_MONTE_CARLO: "mc",
    pb.PRICING_MODEL_WARRANT: "warrant",
}
RIGHTS = {pb.OPTION_RIGHT_UNSPECIFIED: "call", pb.OPTION_RIGHT_CALL: "call", pb.OPTION_RIGHT_PUT: "put"}
STYLES = {
    pb.EXERCISE_STYLE_UNSPECIFIED: "european",
    pb.EXERCISE_STYLE_EUROPEAN: "european",
    pb.EXERCISE_STYLE_AMERICAN: "american",
}
#: Upper bounds of `PriceOption`'s work, so that one call (which any role may make) stays cheap: an
#: American CRR tree costs O(steps²) and Monte Carlo O(paths). Measured on a 2-core VM (worst of several
#: thousand random inputs): 5,000 steps at most 0.04 s (20,000 took up to 0.4 s), 2,000,000 paths 0.03 s
#: (10,000,000: 0.16 s). docs/operations.md lists them.
MAX_STEPS = 5_000
MAX_PATHS = 2_000_000


class ValuationServicer(pb_grpc.ValuationServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.ValuationService."""

    def __init__(self, rounds: RoundBook, desk: MarkDesk, deals: DealDesk | None = None) -> None:
        self._rounds = rounds
        self._desk = desk
        self._records = desk.records
        self._deals = deals if deals is not None else DealDesk(desk._ledger)  # for scoping to the deal's parties

    def RecordFundingRound(
        self, request: pb.RecordFundingRoundRequest, context: grpc.ServicerContext
    ) -> pb.RecordFundingRoundResponse:
        errors = ViolationCollector()
        round_date = optional_date_in(request, "round_date", "round_date", errors)
        errors.raise_if_any()
        found = self._rounds.record(
            request_id=request.request_id,
            company=request.company,
            round_date=round_date,
            share_class=request.share_class,
            price_per_share=request.price_per_share,
            shares_issued=request.shares_issued,
            preference=vc.preference_in(request),
            cap_table=vc.cap_table_in(request.cap_table),
        )
        return pb.RecordFundingRoundResponse(funding_round=vc.round_out(found))

    def GetCapTable(self, request: pb.GetCapTableRequest, context: grpc.ServicerContext) -> pb.GetCapTableResponse:
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of", "as_of", errors)
        errors.raise_if_any()
        return pb.GetCapTableResponse(funding_round=vc.round_out(self._rounds.cap_table_as_of(request.company, as_of)))

    def ListFundingRounds(
        self, request: pb.ListFundingRoundsRequest, context: grpc.ServicerContext
    ) -> pb.ListFundingRoundsResponse:
        page = self._rounds.list_rounds(request.company, page_size=request.page_size, page_token=request.page_token)
        return pb.ListFundingRoundsResponse(
            funding_rounds=[vc.round_out(r) for r in page.items], next_page_token=page.next_page_token
        )

    def PriceOption(self, request: pb.PriceOptionRequest, context: grpc.ServicerContext) -> pb.PriceOptionResponse:
        errors = ViolationCollector()
        model = MODELS.get(request.model)
        if model is None:
            errors.add("model", "is required: bsm, binomial, monte_carlo or warrant")
        right = RIGHTS.get(request.right)
        if right is None:
            errors.add("right", f"{request.right} is not a known value")
        style = STYLES.get(request.style)
        if style is None:
            errors.add("style", f"{request.style} is not a known value")
        numbers = {
            name: vc.float_in(getattr(request, name), name, errors)
            for name in ("spot", "strike", "rate", "volatility", "years")
        }
        dividend_yield = vc.float_in(request.dividend_yield, "dividend_yield", errors, default=0.0)
        warrant = model == "warrant"
        shares_outstanding = vc.float_in(request.shares_outstanding, "shares_outstanding", errors) if warrant else None
        new_shares = vc.float_in(request.new_shares, "new_shares", errors, default=0.0) if warrant else None
        if not 0 <= request.steps <= MAX_STEPS:
            errors.add(
                "steps",
                f"must be between 1 and {MAX_STEPS:,} (0 for the default of 500); {MAX_STEPS:,} is the limit "
                "of one call's work",
            )
        if not 0 <= request.paths <= MAX_PATHS:
            errors.add(
                "paths",
                f"must be between 2 and {MAX_PATHS:,} (0 for the default of 100,000); {MAX_PATHS:,} is the "
                "limit of one call's work",
            )
        if request.seed < 0:
            errors.add("seed", "must not be negative")
        errors.raise_if_any()
        assert model is not None and right is not None and style is not None
        with vc.model_errors():
            priced = price_option(
                model,
                right=right,
                style=style,
                dividend_yield=dividend_yield,
                steps=request.steps or None,
                paths=request.paths or None,
                seed=request.seed,
                shares_outstanding=shares_outstanding,
                new_shares=new_shares,
                **numbers,
            )
        return pb.PriceOptionResponse(
            price=vc.number_out(priced.price),
            delta=vc.number_out(priced.delta),
            gamma=vc.number_out(priced.gamma),
            vega=vc.number_out(priced.vega),
            theta=vc.number_out(priced.theta),
            rho=vc.number_out(priced.rho),
            std_error=vc.number_out(priced.std_error),
            engine=priced.engine,
            code_version=CODE_VERSION,
        )

    def ValueDealOption(
        self, request: pb.ValueDealOptionRequest, context: grpc.ServicerContext
    ) -> pb.ValueDealOptionResponse:
        authz.own_deal(context, self._deals, request.name)
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of", "as_of", errors)
        assumptions = vc.assumptions_in(request.assumptions, errors)
        errors.raise_if_any()
        valuation = self._desk.value_deal(name=request.name, as_of=as_of, assumptions=assumptions)
        return pb.ValueDealOptionResponse(valuation=vc.valuation_out(valuation))

    def RevalueOptions(
        self, request: pb.RevalueOptionsRequest, context: grpc.ServicerContext
    ) -> pb.RevalueOptionsResponse:
        errors = ViolationCollector()
        as_of = optional_date_in(request, "as_of", "as_of", errors)
        if as_of is None and not errors:
            errors.add("as_of", "is required: the date of the marks")
        assumptions = vc.assumptions_in(request.assumptions, errors)
        errors.raise_if_any()
        revaluation = self._desk.revalue(request_id=request.request_id, as_of=as_of, assumptions=assumptions)
        return vc.revaluation_out(revaluation)

    def _visible(self, context: grpc.ServicerContext, deals: list[str]) -> set[str]:
        """Which of `deals` (names) the caller may read: all for unscoped callers, else its own (authz)."""
        call = authz.call_of(context)
        if call.scope is None:
            return set(deals)
        seen: set[str] = set()
        for name in set(deals):
            try:
                deal: Deal | None = self._deals.get(name)
            except NotFound:
                deal = None
            if deal is not None and authz.visible(call, deal):
                seen.add(name)
        return seen

    def GetValuationRecord(
        self, request: pb.GetValuationRecordRequest, context: grpc.ServicerContext
    ) -> pb.GetValuationRecordResponse:
        authz.call_of(context)  # scoping fails closed outside an authenticated call
        record = self._records.get(request.name)
        if not self._visible(context, [record.deal]):  # another party's record: as if it did not exist
            raise NotFound(request.name, "valuation record")
        return pb.GetValuationRecordResponse(valuation_record=vc.record_out(record))

    def ListValuationRecords(
        self, request: pb.ListValuationRecordsRequest, context: grpc.ServicerContext
    ) -> pb.ListValuationRecordsResponse:
        authz.call_of(context)
        errors = ViolationCollector()
        from_date = optional_date_in(request, "from_date", "from_date", errors)
        to_date = optional_date_in(request, "to_date", "to_date", errors)
        errors.raise_if_any()
        page = self._records.list(
            deal=request.deal,
            from_date=from_date,
            to_date=to_date,
            revaluation=request.revaluation,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        # Scoped callers see the records of their own deals only (pages may come out short).
        visible = self._visible(context, [r.deal for r in page.items])
        return pb.ListValuationRecordsResponse(
            valuation_records=[vc.record_out(r) for r in page.items if r.deal in visible],
            next_page_token=page.next_page_token,
        )
