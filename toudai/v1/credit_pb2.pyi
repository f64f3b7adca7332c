import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.type import money_pb2 as _money_pb2
from toudai.v1 import deals_pb2 as _deals_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LoanCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOAN_CATEGORY_UNSPECIFIED: _ClassVar[LoanCategory]
    LOAN_CATEGORY_NORMAL: _ClassVar[LoanCategory]
    LOAN_CATEGORY_SPECIAL_MENTION: _ClassVar[LoanCategory]
    LOAN_CATEGORY_SUBSTANDARD: _ClassVar[LoanCategory]
    LOAN_CATEGORY_DOUBTFUL: _ClassVar[LoanCategory]
    LOAN_CATEGORY_LOSS: _ClassVar[LoanCategory]

class OverrideStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OVERRIDE_STATUS_UNSPECIFIED: _ClassVar[OverrideStatus]
    OVERRIDE_STATUS_PENDING: _ClassVar[OverrideStatus]
    OVERRIDE_STATUS_APPROVED: _ClassVar[OverrideStatus]
    OVERRIDE_STATUS_REJECTED: _ClassVar[OverrideStatus]
LOAN_CATEGORY_UNSPECIFIED: LoanCategory
LOAN_CATEGORY_NORMAL: LoanCategory
LOAN_CATEGORY_SPECIAL_MENTION: LoanCategory
LOAN_CATEGORY_SUBSTANDARD: LoanCategory
LOAN_CATEGORY_DOUBTFUL: LoanCategory
LOAN_CATEGORY_LOSS: LoanCategory
OVERRIDE_STATUS_UNSPECIFIED: OverrideStatus
OVERRIDE_STATUS_PENDING: OverrideStatus
OVERRIDE_STATUS_APPROVED: OverrideStatus
OVERRIDE_STATUS_REJECTED: OverrideStatus

class LoanClassification(_message.Message):
    __slots__ = ("deal", "as_of_date", "category", "days_past_due", "category_by_days", "category_by_cure_window", "override_category", "impaired", "written_off", "non_performing", "reason")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DAYS_PAST_DUE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_BY_DAYS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_BY_CURE_WINDOW_FIELD_NUMBER: _ClassVar[int]
    OVERRIDE_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    IMPAIRED_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_OFF_FIELD_NUMBER: _ClassVar[int]
    NON_PERFORMING_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    deal: str
    as_of_date: _date_pb2.Date
    category: LoanCategory
    days_past_due: int
    category_by_days: LoanCategory
    category_by_cure_window: LoanCategory
    override_category: LoanCategory
    impaired: bool
    written_off: bool
    non_performing: bool
    reason: str
    def __init__(self, deal: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., category: _Optional[_Union[LoanCategory, str]] = ..., days_past_due: _Optional[int] = ..., category_by_days: _Optional[_Union[LoanCategory, str]] = ..., category_by_cure_window: _Optional[_Union[LoanCategory, str]] = ..., override_category: _Optional[_Union[LoanCategory, str]] = ..., impaired: _Optional[bool] = ..., written_off: _Optional[bool] = ..., non_performing: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ClassificationRecord(_message.Message):
    __slots__ = ("run", "as_of_date", "category", "days_past_due", "reason", "record_time")
    RUN_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DAYS_PAST_DUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    run: str
    as_of_date: _date_pb2.Date
    category: LoanCategory
    days_past_due: int
    reason: str
    record_time: _timestamp_pb2.Timestamp
    def __init__(self, run: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., category: _Optional[_Union[LoanCategory, str]] = ..., days_past_due: _Optional[int] = ..., reason: _Optional[str] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReclassifyDealsRequest(_message.Message):
    __slots__ = ("request_id", "branch", "as_of_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    branch: str
    as_of_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., branch: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ReclassifyDealsResponse(_message.Message):
    __slots__ = ("run", "as_of_date", "classifications", "run_by")
    RUN_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    CLASSIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    RUN_BY_FIELD_NUMBER: _ClassVar[int]
    run: str
    as_of_date: _date_pb2.Date
    classifications: _containers.RepeatedCompositeFieldContainer[LoanClassification]
    run_by: _deals_pb2.Attribution
    def __init__(self, run: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., classifications: _Optional[_Iterable[_Union[LoanClassification, _Mapping]]] = ..., run_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ...) -> None: ...

class GetDealClassificationRequest(_message.Message):
    __slots__ = ("name", "as_of_date")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    as_of_date: _date_pb2.Date
    def __init__(self, name: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetDealClassificationResponse(_message.Message):
    __slots__ = ("classification", "history")
    CLASSIFICATION_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    classification: LoanClassification
    history: _containers.RepeatedCompositeFieldContainer[ClassificationRecord]
    def __init__(self, classification: _Optional[_Union[LoanClassification, _Mapping]] = ..., history: _Optional[_Iterable[_Union[ClassificationRecord, _Mapping]]] = ...) -> None: ...

class ClassificationOverride(_message.Message):
    __slots__ = ("name", "category", "reason", "effective_date", "status", "requested_by", "decided_by", "decision_note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECISION_NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    category: LoanCategory
    reason: str
    effective_date: _date_pb2.Date
    status: OverrideStatus
    requested_by: _deals_pb2.Attribution
    decided_by: _deals_pb2.Attribution
    decision_note: str
    def __init__(self, name: _Optional[str] = ..., category: _Optional[_Union[LoanCategory, str]] = ..., reason: _Optional[str] = ..., effective_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., status: _Optional[_Union[OverrideStatus, str]] = ..., requested_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., decided_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., decision_note: _Optional[str] = ...) -> None: ...

class RequestClassificationOverrideRequest(_message.Message):
    __slots__ = ("request_id", "name", "category", "reason", "effective_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    category: LoanCategory
    reason: str
    effective_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[_Union[LoanCategory, str]] = ..., reason: _Optional[str] = ..., effective_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class RequestClassificationOverrideResponse(_message.Message):
    __slots__ = ("override",)
    OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    override: ClassificationOverride
    def __init__(self, override: _Optional[_Union[ClassificationOverride, _Mapping]] = ...) -> None: ...

class ApproveClassificationOverrideRequest(_message.Message):
    __slots__ = ("request_id", "name", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    note: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class ApproveClassificationOverrideResponse(_message.Message):
    __slots__ = ("override",)
    OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    override: ClassificationOverride
    def __init__(self, override: _Optional[_Union[ClassificationOverride, _Mapping]] = ...) -> None: ...

class RejectClassificationOverrideRequest(_message.Message):
    __slots__ = ("request_id", "name", "note")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    note: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class RejectClassificationOverrideResponse(_message.Message):
    __slots__ = ("override",)
    OVERRIDE_FIELD_NUMBER: _ClassVar[int]
    override: ClassificationOverride
    def __init__(self, override: _Optional[_Union[ClassificationOverride, _Mapping]] = ...) -> None: ...

class ListClassificationOverridesRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListClassificationOverridesResponse(_message.Message):
    __slots__ = ("overrides",)
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    overrides: _containers.RepeatedCompositeFieldContainer[ClassificationOverride]
    def __init__(self, overrides: _Optional[_Iterable[_Union[ClassificationOverride, _Mapping]]] = ...) -> None: ...

class ImpairmentLine(_message.Message):
    __slots__ = ("deal", "category", "days_past_due", "stage", "tier", "probability_of_default", "loss_given_default", "exposure_at_default", "cover", "cover_measured", "expected_credit_loss", "previous_allowance", "change", "assessment")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DAYS_PAST_DUE_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_OF_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    LOSS_GIVEN_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_AT_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    COVER_FIELD_NUMBER: _ClassVar[int]
    COVER_MEASURED_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_CREDIT_LOSS_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ALLOWANCE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    deal: str
    category: LoanCategory
    days_past_due: int
    stage: int
    tier: str
    probability_of_default: str
    loss_given_default: str
    exposure_at_default: _money_pb2.Money
    cover: _money_pb2.Money
    cover_measured: bool
    expected_credit_loss: _money_pb2.Money
    previous_allowance: _money_pb2.Money
    change: _money_pb2.Money
    assessment: str
    def __init__(self, deal: _Optional[str] = ..., category: _Optional[_Union[LoanCategory, str]] = ..., days_past_due: _Optional[int] = ..., stage: _Optional[int] = ..., tier: _Optional[str] = ..., probability_of_default: _Optional[str] = ..., loss_given_default: _Optional[str] = ..., exposure_at_default: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., cover: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., cover_measured: _Optional[bool] = ..., expected_credit_loss: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., previous_allowance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., change: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., assessment: _Optional[str] = ...) -> None: ...

class ImpairmentRun(_message.Message):
    __slots__ = ("name", "branch", "as_of_date", "parameters", "lines", "allowance", "change", "transaction", "run_by", "transactions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    ALLOWANCE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    RUN_BY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    branch: str
    as_of_date: _date_pb2.Date
    parameters: str
    lines: _containers.RepeatedCompositeFieldContainer[ImpairmentLine]
    allowance: _money_pb2.Money
    change: _money_pb2.Money
    transaction: str
    run_by: _deals_pb2.Attribution
    transactions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., branch: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., parameters: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ImpairmentLine, _Mapping]]] = ..., allowance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., change: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., run_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., transactions: _Optional[_Iterable[str]] = ...) -> None: ...

class RunImpairmentRequest(_message.Message):
    __slots__ = ("request_id", "branch", "as_of_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    branch: str
    as_of_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., branch: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class RunImpairmentResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ImpairmentRun
    def __init__(self, run: _Optional[_Union[ImpairmentRun, _Mapping]] = ...) -> None: ...

class GetImpairmentRunRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetImpairmentRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ImpairmentRun
    def __init__(self, run: _Optional[_Union[ImpairmentRun, _Mapping]] = ...) -> None: ...
