import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import money_pb2 as _money_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExerciseMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXERCISE_METHOD_UNSPECIFIED: _ClassVar[ExerciseMethod]
    EXERCISE_METHOD_CASH_AND_SALE: _ClassVar[ExerciseMethod]
    EXERCISE_METHOD_NET: _ClassVar[ExerciseMethod]
    EXERCISE_METHOD_TRANSFER: _ClassVar[ExerciseMethod]

class TriggerEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRIGGER_EVENT_UNSPECIFIED: _ClassVar[TriggerEvent]
    TRIGGER_EVENT_QUALIFYING_ROUND: _ClassVar[TriggerEvent]
    TRIGGER_EVENT_IPO: _ClassVar[TriggerEvent]
    TRIGGER_EVENT_MERGER: _ClassVar[TriggerEvent]
    TRIGGER_EVENT_VALUATION_THRESHOLD: _ClassVar[TriggerEvent]

class ExerciseState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXERCISE_STATE_UNSPECIFIED: _ClassVar[ExerciseState]
    EXERCISE_STATE_REQUESTED: _ClassVar[ExerciseState]
    EXERCISE_STATE_APPROVED: _ClassVar[ExerciseState]
    EXERCISE_STATE_SETTLED: _ClassVar[ExerciseState]
    EXERCISE_STATE_REJECTED: _ClassVar[ExerciseState]
    EXERCISE_STATE_CANCELLED: _ClassVar[ExerciseState]
    EXERCISE_STATE_EXPIRED: _ClassVar[ExerciseState]
EXERCISE_METHOD_UNSPECIFIED: ExerciseMethod
EXERCISE_METHOD_CASH_AND_SALE: ExerciseMethod
EXERCISE_METHOD_NET: ExerciseMethod
EXERCISE_METHOD_TRANSFER: ExerciseMethod
TRIGGER_EVENT_UNSPECIFIED: TriggerEvent
TRIGGER_EVENT_QUALIFYING_ROUND: TriggerEvent
TRIGGER_EVENT_IPO: TriggerEvent
TRIGGER_EVENT_MERGER: TriggerEvent
TRIGGER_EVENT_VALUATION_THRESHOLD: TriggerEvent
EXERCISE_STATE_UNSPECIFIED: ExerciseState
EXERCISE_STATE_REQUESTED: ExerciseState
EXERCISE_STATE_APPROVED: ExerciseState
EXERCISE_STATE_SETTLED: ExerciseState
EXERCISE_STATE_REJECTED: ExerciseState
EXERCISE_STATE_CANCELLED: ExerciseState
EXERCISE_STATE_EXPIRED: ExerciseState

class ProceedsSplitResult(_message.Message):
    __slots__ = ("gain", "pool_reimbursement", "advisory_fee", "bank", "investment_arm", "risk_pool")
    GAIN_FIELD_NUMBER: _ClassVar[int]
    POOL_REIMBURSEMENT_FIELD_NUMBER: _ClassVar[int]
    ADVISORY_FEE_FIELD_NUMBER: _ClassVar[int]
    BANK_FIELD_NUMBER: _ClassVar[int]
    INVESTMENT_ARM_FIELD_NUMBER: _ClassVar[int]
    RISK_POOL_FIELD_NUMBER: _ClassVar[int]
    gain: _money_pb2.Money
    pool_reimbursement: _money_pb2.Money
    advisory_fee: _money_pb2.Money
    bank: _money_pb2.Money
    investment_arm: _money_pb2.Money
    risk_pool: _money_pb2.Money
    def __init__(self, gain: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., pool_reimbursement: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., advisory_fee: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., bank: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., investment_arm: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., risk_pool: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class ExerciseStep(_message.Message):
    __slots__ = ("from_state", "to_state", "principal", "reason", "create_time", "transactions")
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    from_state: ExerciseState
    to_state: ExerciseState
    principal: str
    reason: str
    create_time: _timestamp_pb2.Timestamp
    transactions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, from_state: _Optional[_Union[ExerciseState, str]] = ..., to_state: _Optional[_Union[ExerciseState, str]] = ..., principal: _Optional[str] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transactions: _Optional[_Iterable[str]] = ...) -> None: ...

class Exercise(_message.Message):
    __slots__ = ("name", "deal", "state", "method", "quantity", "trigger", "funding_round", "price_per_share", "strike_per_share", "transfer_price", "fees", "value_date", "requested_by", "decided_by", "split", "shares_received", "expire_time", "create_time", "steps")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEAL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    FUNDING_ROUND_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    STRIKE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_PRICE_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    SHARES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    name: str
    deal: str
    state: ExerciseState
    method: ExerciseMethod
    quantity: int
    trigger: TriggerEvent
    funding_round: str
    price_per_share: str
    strike_per_share: str
    transfer_price: _money_pb2.Money
    fees: _money_pb2.Money
    value_date: _date_pb2.Date
    requested_by: str
    decided_by: str
    split: ProceedsSplitResult
    shares_received: int
    expire_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    steps: _containers.RepeatedCompositeFieldContainer[ExerciseStep]
    def __init__(self, name: _Optional[str] = ..., deal: _Optional[str] = ..., state: _Optional[_Union[ExerciseState, str]] = ..., method: _Optional[_Union[ExerciseMethod, str]] = ..., quantity: _Optional[int] = ..., trigger: _Optional[_Union[TriggerEvent, str]] = ..., funding_round: _Optional[str] = ..., price_per_share: _Optional[str] = ..., strike_per_share: _Optional[str] = ..., transfer_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., fees: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., requested_by: _Optional[str] = ..., decided_by: _Optional[str] = ..., split: _Optional[_Union[ProceedsSplitResult, _Mapping]] = ..., shares_received: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[ExerciseStep, _Mapping]]] = ...) -> None: ...

class RequestExerciseRequest(_message.Message):
    __slots__ = ("request_id", "deal", "quantity", "method", "trigger", "funding_round", "price_per_share", "transfer_price", "fees", "value_date", "expire_time")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEAL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    FUNDING_ROUND_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_PRICE_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    deal: str
    quantity: int
    method: ExerciseMethod
    trigger: TriggerEvent
    funding_round: str
    price_per_share: str
    transfer_price: _money_pb2.Money
    fees: _money_pb2.Money
    value_date: _date_pb2.Date
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, request_id: _Optional[str] = ..., deal: _Optional[str] = ..., quantity: _Optional[int] = ..., method: _Optional[_Union[ExerciseMethod, str]] = ..., trigger: _Optional[_Union[TriggerEvent, str]] = ..., funding_round: _Optional[str] = ..., price_per_share: _Optional[str] = ..., transfer_price: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., fees: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RequestExerciseResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class ApproveExerciseRequest(_message.Message):
    __slots__ = ("request_id", "name", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ApproveExerciseResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class RejectExerciseRequest(_message.Message):
    __slots__ = ("request_id", "name", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectExerciseResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class CancelExerciseRequest(_message.Message):
    __slots__ = ("request_id", "name", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelExerciseResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class SettleExerciseRequest(_message.Message):
    __slots__ = ("request_id", "name")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class SettleExerciseResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class RecordExitRequest(_message.Message):
    __slots__ = ("request_id", "name", "shares", "price_per_share", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    shares: int
    price_per_share: str
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., shares: _Optional[int] = ..., price_per_share: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class RecordExitResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class GetExerciseRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetExerciseResponse(_message.Message):
    __slots__ = ("exercise",)
    EXERCISE_FIELD_NUMBER: _ClassVar[int]
    exercise: Exercise
    def __init__(self, exercise: _Optional[_Union[Exercise, _Mapping]] = ...) -> None: ...

class ListExercisesRequest(_message.Message):
    __slots__ = ("deal", "state", "page_size", "page_token")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deal: str
    state: ExerciseState
    page_size: int
    page_token: str
    def __init__(self, deal: _Optional[str] = ..., state: _Optional[_Union[ExerciseState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListExercisesResponse(_message.Message):
    __slots__ = ("exercises", "next_page_token")
    EXERCISES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    exercises: _containers.RepeatedCompositeFieldContainer[Exercise]
    next_page_token: str
    def __init__(self, exercises: _Optional[_Iterable[_Union[Exercise, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PreviewExerciseRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class PreviewExerciseResponse(_message.Message):
    __slots__ = ("gain", "proceeds", "strike_paid", "shares_received", "fraction_cash", "split")
    GAIN_FIELD_NUMBER: _ClassVar[int]
    PROCEEDS_FIELD_NUMBER: _ClassVar[int]
    STRIKE_PAID_FIELD_NUMBER: _ClassVar[int]
    SHARES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    FRACTION_CASH_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    gain: _money_pb2.Money
    proceeds: _money_pb2.Money
    strike_paid: _money_pb2.Money
    shares_received: int
    fraction_cash: _money_pb2.Money
    split: ProceedsSplitResult
    def __init__(self, gain: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., proceeds: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., strike_paid: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., shares_received: _Optional[int] = ..., fraction_cash: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., split: _Optional[_Union[ProceedsSplitResult, _Mapping]] = ...) -> None: ...

class ExpireOptionsRequest(_message.Message):
    __slots__ = ("request_id", "as_of")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    as_of: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class LapsedOption(_message.Message):
    __slots__ = ("deal", "units", "fair_value_reversed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    FAIR_VALUE_REVERSED_FIELD_NUMBER: _ClassVar[int]
    deal: str
    units: int
    fair_value_reversed: _money_pb2.Money
    def __init__(self, deal: _Optional[str] = ..., units: _Optional[int] = ..., fair_value_reversed: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class ExpireOptionsResponse(_message.Message):
    __slots__ = ("lapsed",)
    LAPSED_FIELD_NUMBER: _ClassVar[int]
    lapsed: _containers.RepeatedCompositeFieldContainer[LapsedOption]
    def __init__(self, lapsed: _Optional[_Iterable[_Union[LapsedOption, _Mapping]]] = ...) -> None: ...
