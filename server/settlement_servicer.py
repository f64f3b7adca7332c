"""SettlementService: protobuf in, ExerciseDesk call, protobuf out."""

from __future__ import annotations

import grpc

from deals.desk import DealDesk
from deals.terms import Trigger
from ledger.errors import ViolationCollector
from server import authz
from server import deal_convert as dc
from server.convert import date_out, instant_out, optional_date_in, optional_instant_in, required_date_in
from server.identity import principal_of
from settlement.desk import ExerciseDesk
from settlement.model import Exercise, ExerciseInput, Method, State
from settlement.rules import parse_decimal
from settlement.split import Waterfall
from toudai.v1 import settlement_pb2 as pb
from toudai.v1 import settlement_pb2_grpc as pb_grpc

METHOD = {
    Method.CASH_AND_SALE: pb.EXERCISE_METHOD_CASH_AND_SALE,
    Method.NET: pb.EXERCISE_METHOD_NET,
    Method.TRANSFER: pb.EXERCISE_METHOD_TRANSFER,
}
TRIGGER = {
    Trigger.QUALIFYING_ROUND: pb.TRIGGER_EVENT_QUALIFYING_ROUND,
    Trigger.IPO: pb.TRIGGER_EVENT_IPO,
    Trigger.MERGER: pb.TRIGGER_EVENT_MERGER,
    Trigger.VALUATION_THRESHOLD: pb.TRIGGER_EVENT_VALUATION_THRESHOLD,
}
STATE = {
    State.REQUESTED: pb.EXERCISE_STATE_REQUESTED,
    State.APPROVED: pb.EXERCISE_STATE_APPROVED,
    State.SETTLED: pb.EXERCISE_STATE_SETTLED,
    State.REJECTED: pb.EXERCISE_STATE_REJECTED,
    State.CANCELLED: pb.EXERCISE_STATE_CANCELLED,
    State.EXPIRED: pb.EXERCISE_STATE_EXPIRED,
}


def split_out(split: Waterfall) -> pb.ProceedsSplitResult:
    return pb.ProceedsSplitResult(
        gain=dc.money_out(split.gain),
        pool_reimbursement=dc.money_out(split.pool_reimbursement),
        advisory_fee=dc.money_out(split.advisory_fee),
        bank=dc.money_out(split.bank),
        investment_arm=dc.money_out(split.investment_arm),
        risk_pool=dc.money_out(split.risk_pool),
    )


def exercise_out(exercise: Exercise) -> pb.Exercise:
    message = pb.Exercise(
        name=exercise.name,
        deal=exercise.deal,
        state=STATE[exercise.state],
        method=METHOD[exercise.method],
        quantity=exercise.quantity,
        trigger=TRIGGER[Trigger(exercise.trigger)],
        funding_round=exercise.trigger_ref,
        price_per_share=format(exercise.price_per_share, "f"),
        strike_per_share=format(exercise.strike_per_share, "f"),
        transfer_price=dc.money_out(exercise.transfer_price),
        fees=dc.money_out(exercise.fees),
        value_date=date_out(exercise.value_date),
        requested_by=exercise.requested_by,
        decided_by=exercise.decided_by,
        shares_received=exercise.shares_received,
        expire_time=instant_out(exercise.expire_time),
        create_time=instant_out(exercise.create_time),
        steps=[
            pb.ExerciseStep(
                from_state=STATE[State(s.from_state)] if s.from_state else pb.EXERCISE_STATE_UNSPECIFIED,
                to_state=STATE[State(s.to_state)],
                principal=s.principal,
                reason=s.reason,
                create_time=instant_out(s.create_time),
                transactions=list(s.transactions),
            )
            for s in exercise.steps
        ],
    )
    if exercise.split is not None:
        message.split.CopyFrom(split_out(exercise.split))
    return message


class SettlementServicer(pb_grpc.SettlementServiceServicer):  # type: ignore[misc]
    """Implements toudai.v1.SettlementService on an `ExerciseDesk`."""

    def __init__(self, desk: ExerciseDesk, deals: DealDesk) -> None:
        self._desk = desk
        self._deals = deals  # for scoping calls to the deal's parties

    def _own(self, context: grpc.ServicerContext, name: str) -> None:
        """A scoped caller may act on the exercise only if its deal is the caller's (else NOT_FOUND)."""
        if authz.scope(context) is not None:
            authz.own_exercise(context, self._desk.get(name), self._deals)

    def RequestExercise(
        self, request: pb.RequestExerciseRequest, context: grpc.ServicerContext
    ) -> pb.RequestExerciseResponse:
        authz.own_deal(context, self._deals, request.deal)
        errors = ViolationCollector()
        method = dc.enum_in(METHOD, request.method, "method", errors, None)
        trigger = dc.enum_in(TRIGGER, request.trigger, "trigger", errors, None)
        price = parse_decimal(request.price_per_share, "price_per_share", errors)
        transfer = dc.money_in(request.transfer_price, "transfer_price", errors, required=False)
        fees = dc.money_in(request.fees, "fees", errors, required=False)
        value_date = optional_date_in(request, "value_date", "value_date", errors)
        expire_time = optional_instant_in(request, "expire_time", "expire_time", errors)
        errors.raise_if_any()
        spec = ExerciseInput(
            deal=request.deal,
            quantity=request.quantity,
            method=method,
            trigger=trigger,
            funding_round=request.funding_round,
            price_per_share=price,
            transfer_price=transfer,
            fees=fees,
            value_date=value_date,
            expire_time=expire_time,
        )
        exercise = self._desk.request(request_id=request.request_id, spec=spec, principal=principal_of(context))
        return pb.RequestExerciseResponse(exercise=exercise_out(exercise))

    def ApproveExercise(
        self, request: pb.ApproveExerciseRequest, context: grpc.ServicerContext
    ) -> pb.ApproveExerciseResponse:
        self._own(context, request.name)
        exercise = self._desk.approve(
            request_id=request.request_id, name=request.name, principal=principal_of(context), reason=request.reason
        )
        return pb.ApproveExerciseResponse(exercise=exercise_out(exercise))

    def RejectExercise(
        self, request: pb.RejectExerciseRequest, context: grpc.ServicerContext
    ) -> pb.RejectExerciseResponse:
        self._own(context, request.name)
        exercise = self._desk.reject(
            request_id=request.request_id, name=request.name, principal=principal_of(context), reason=request.reason
        )
        return pb.RejectExerciseResponse(exercise=exercise_out(exercise))

    def CancelExercise(
        self, request: pb.CancelExerciseRequest, context: grpc.ServicerContext
    ) -> pb.CancelExerciseResponse:
        self._own(context, request.name)
        exercise = self._desk.cancel(
            request_id=request.request_id, name=request.name, principal=principal_of(context), reason=request.reason
        )
        return pb.CancelExerciseResponse(exercise=exercise_out(exercise))

    def SettleExercise(
        self, request: pb.SettleExerciseRequest, context: grpc.ServicerContext
    ) -> pb.SettleExerciseResponse:
        self._own(context, request.name)
        exercise = self._desk.settle(request_id=request.request_id, name=request.name, principal=principal_of(context))
        return pb.SettleExerciseResponse(exercise=exercise_out(exercise))

    def RecordExit(self, request: pb.RecordExitRequest, context: grpc.ServicerContext) -> pb.RecordExitResponse:
        self._own(context, request.name)
        errors = ViolationCollector()
        price = parse_decimal(request.price_per_share, "price_per_share", errors)
        value_date = required_date_in(request, "value_date", errors)
        errors.raise_if_any()
        exercise = self._desk.record_exit(
            request_id=request.request_id,
            name=request.name,
            shares=request.shares,
            price_per_share=price,
            value_date=value_date,
            principal=principal_of(context),
        )
        return pb.RecordExitResponse(exercise=exercise_out(exercise))

    def GetExercise(self, request: pb.GetExerciseRequest, context: grpc.ServicerContext) -> pb.GetExerciseResponse:
        exercise = self._desk.get(request.name)
        authz.own_exercise(context, exercise, self._deals)
        return pb.GetExerciseResponse(exercise=exercise_out(exercise))

    def ListExercises(
        self, request: pb.ListExercisesRequest, context: grpc.ServicerContext
    ) -> pb.ListExercisesResponse:
        errors = ViolationCollector()
        state = dc.enum_in(STATE, request.state, "state", errors, None)
        errors.raise_if_any()
        page = self._desk.list_exercises(
            deal=request.deal, state=state, page_size=request.page_size, page_token=request.page_token
        )
        items = list(page.items)
        call = authz.call_of(context)
        if call.scope is not None:  # only exercises on the caller's deals (pages may come out short)
            deals = {name: self._deals.get(name) for name in {e.deal for e in items}}
            items = [e for e in items if authz.visible(call, deals[e.deal])]
        return pb.ListExercisesResponse(
            exercises=[exercise_out(e) for e in items], next_page_token=page.next_page_token
        )

    def PreviewExercise(
        self, request: pb.PreviewExerciseRequest, context: grpc.ServicerContext
    ) -> pb.PreviewExerciseResponse:
        self._own(context, request.name)
        preview = self._desk.preview(request.name)
        return pb.PreviewExerciseResponse(
            gain=dc.money_out(preview.gain),
            proceeds=dc.money_out(preview.proceeds),
            strike_paid=dc.money_out(preview.strike_paid),
            shares_received=preview.shares_received,
            fraction_cash=dc.money_out(preview.fraction_cash),
            split=split_out(preview.split),
        )

    def ExpireOptions(
        self, request: pb.ExpireOptionsRequest, context: grpc.ServicerContext
    ) -> pb.ExpireOptionsResponse:
        errors = ViolationCollector()
        as_of = required_date_in(request, "as_of", errors)
        errors.raise_if_any()
        lapsed = self._desk.expire_options(request_id=request.request_id, as_of=as_of, principal=principal_of(context))
        return pb.ExpireOptionsResponse(
            lapsed=[pb.LapsedOption(deal=d, units=u, fair_value_reversed=dc.money_out(v)) for d, u, v in lapsed]
        )
