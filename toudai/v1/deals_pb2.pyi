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

class DealStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DEAL_STATUS_UNSPECIFIED: _ClassVar[DealStatus]
    DEAL_STATUS_BOOKED: _ClassVar[DealStatus]
    DEAL_STATUS_DISBURSED: _ClassVar[DealStatus]
    DEAL_STATUS_REPAYING: _ClassVar[DealStatus]
    DEAL_STATUS_CLOSED: _ClassVar[DealStatus]
    DEAL_STATUS_DEFAULTED: _ClassVar[DealStatus]
    DEAL_STATUS_WRITTEN_OFF: _ClassVar[DealStatus]

class BorrowerStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BORROWER_STAGE_UNSPECIFIED: _ClassVar[BorrowerStage]
    BORROWER_STAGE_START_UP: _ClassVar[BorrowerStage]
    BORROWER_STAGE_GROWTH: _ClassVar[BorrowerStage]
    BORROWER_STAGE_MATURE: _ClassVar[BorrowerStage]

class ScheduleType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEDULE_TYPE_UNSPECIFIED: _ClassVar[ScheduleType]
    SCHEDULE_TYPE_BULLET: _ClassVar[ScheduleType]
    SCHEDULE_TYPE_EQUAL_PRINCIPAL: _ClassVar[ScheduleType]
    SCHEDULE_TYPE_EQUAL_INSTALMENT: _ClassVar[ScheduleType]

class InterestFrequency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEREST_FREQUENCY_UNSPECIFIED: _ClassVar[InterestFrequency]
    INTEREST_FREQUENCY_MONTHLY: _ClassVar[InterestFrequency]
    INTEREST_FREQUENCY_QUARTERLY: _ClassVar[InterestFrequency]

class DayCountConvention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DAY_COUNT_CONVENTION_UNSPECIFIED: _ClassVar[DayCountConvention]
    DAY_COUNT_CONVENTION_ACT_360: _ClassVar[DayCountConvention]
    DAY_COUNT_CONVENTION_ACT_365F: _ClassVar[DayCountConvention]

class BusinessDayConvention(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUSINESS_DAY_CONVENTION_UNSPECIFIED: _ClassVar[BusinessDayConvention]
    BUSINESS_DAY_CONVENTION_UNADJUSTED: _ClassVar[BusinessDayConvention]
    BUSINESS_DAY_CONVENTION_FOLLOWING: _ClassVar[BusinessDayConvention]
    BUSINESS_DAY_CONVENTION_MODIFIED_FOLLOWING: _ClassVar[BusinessDayConvention]
    BUSINESS_DAY_CONVENTION_PRECEDING: _ClassVar[BusinessDayConvention]

class SubsidyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSIDY_TYPE_UNSPECIFIED: _ClassVar[SubsidyType]
    SUBSIDY_TYPE_NONE: _ClassVar[SubsidyType]
    SUBSIDY_TYPE_RATE_POINTS: _ClassVar[SubsidyType]
    SUBSIDY_TYPE_INTEREST_SHARE: _ClassVar[SubsidyType]

class OptionQuantityBasis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTION_QUANTITY_BASIS_UNSPECIFIED: _ClassVar[OptionQuantityBasis]
    OPTION_QUANTITY_BASIS_SHARES: _ClassVar[OptionQuantityBasis]
    OPTION_QUANTITY_BASIS_STAKE: _ClassVar[OptionQuantityBasis]
    OPTION_QUANTITY_BASIS_COVERAGE: _ClassVar[OptionQuantityBasis]

class StrikeBasis(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STRIKE_BASIS_UNSPECIFIED: _ClassVar[StrikeBasis]
    STRIKE_BASIS_FIXED_PRICE: _ClassVar[StrikeBasis]
    STRIKE_BASIS_LAST_ROUND_PRICE: _ClassVar[StrikeBasis]
    STRIKE_BASIS_NEXT_ROUND_DISCOUNT: _ClassVar[StrikeBasis]
    STRIKE_BASIS_VALUATION_CAP: _ClassVar[StrikeBasis]

class ExerciseTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXERCISE_TRIGGER_UNSPECIFIED: _ClassVar[ExerciseTrigger]
    EXERCISE_TRIGGER_QUALIFYING_ROUND: _ClassVar[ExerciseTrigger]
    EXERCISE_TRIGGER_IPO: _ClassVar[ExerciseTrigger]
    EXERCISE_TRIGGER_MERGER: _ClassVar[ExerciseTrigger]
    EXERCISE_TRIGGER_VALUATION_THRESHOLD: _ClassVar[ExerciseTrigger]

class HolidayCalendar(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLIDAY_CALENDAR_UNSPECIFIED: _ClassVar[HolidayCalendar]
    HOLIDAY_CALENDAR_CN_MAINLAND: _ClassVar[HolidayCalendar]
    HOLIDAY_CALENDAR_WEEKENDS_ONLY: _ClassVar[HolidayCalendar]

class PoolReimbursement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POOL_REIMBURSEMENT_UNSPECIFIED: _ClassVar[PoolReimbursement]
    POOL_REIMBURSEMENT_BORROWER: _ClassVar[PoolReimbursement]
    POOL_REIMBURSEMENT_PORTFOLIO: _ClassVar[PoolReimbursement]
    POOL_REIMBURSEMENT_NONE: _ClassVar[PoolReimbursement]

class ClaimStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLAIM_STATUS_UNSPECIFIED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_AUTO_APPROVED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_PENDING: _ClassVar[ClaimStatus]
    CLAIM_STATUS_APPROVED: _ClassVar[ClaimStatus]
    CLAIM_STATUS_REJECTED: _ClassVar[ClaimStatus]
DEAL_STATUS_UNSPECIFIED: DealStatus
DEAL_STATUS_BOOKED: DealStatus
DEAL_STATUS_DISBURSED: DealStatus
DEAL_STATUS_REPAYING: DealStatus
DEAL_STATUS_CLOSED: DealStatus
DEAL_STATUS_DEFAULTED: DealStatus
DEAL_STATUS_WRITTEN_OFF: DealStatus
BORROWER_STAGE_UNSPECIFIED: BorrowerStage
BORROWER_STAGE_START_UP: BorrowerStage
BORROWER_STAGE_GROWTH: BorrowerStage
BORROWER_STAGE_MATURE: BorrowerStage
SCHEDULE_TYPE_UNSPECIFIED: ScheduleType
SCHEDULE_TYPE_BULLET: ScheduleType
SCHEDULE_TYPE_EQUAL_PRINCIPAL: ScheduleType
SCHEDULE_TYPE_EQUAL_INSTALMENT: ScheduleType
INTEREST_FREQUENCY_UNSPECIFIED: InterestFrequency
INTEREST_FREQUENCY_MONTHLY: InterestFrequency
INTEREST_FREQUENCY_QUARTERLY: InterestFrequency
DAY_COUNT_CONVENTION_UNSPECIFIED: DayCountConvention
DAY_COUNT_CONVENTION_ACT_360: DayCountConvention
DAY_COUNT_CONVENTION_ACT_365F: DayCountConvention
BUSINESS_DAY_CONVENTION_UNSPECIFIED: BusinessDayConvention
BUSINESS_DAY_CONVENTION_UNADJUSTED: BusinessDayConvention
BUSINESS_DAY_CONVENTION_FOLLOWING: BusinessDayConvention
BUSINESS_DAY_CONVENTION_MODIFIED_FOLLOWING: BusinessDayConvention
BUSINESS_DAY_CONVENTION_PRECEDING: BusinessDayConvention
SUBSIDY_TYPE_UNSPECIFIED: SubsidyType
SUBSIDY_TYPE_NONE: SubsidyType
SUBSIDY_TYPE_RATE_POINTS: SubsidyType
SUBSIDY_TYPE_INTEREST_SHARE: SubsidyType
OPTION_QUANTITY_BASIS_UNSPECIFIED: OptionQuantityBasis
OPTION_QUANTITY_BASIS_SHARES: OptionQuantityBasis
OPTION_QUANTITY_BASIS_STAKE: OptionQuantityBasis
OPTION_QUANTITY_BASIS_COVERAGE: OptionQuantityBasis
STRIKE_BASIS_UNSPECIFIED: StrikeBasis
STRIKE_BASIS_FIXED_PRICE: StrikeBasis
STRIKE_BASIS_LAST_ROUND_PRICE: StrikeBasis
STRIKE_BASIS_NEXT_ROUND_DISCOUNT: StrikeBasis
STRIKE_BASIS_VALUATION_CAP: StrikeBasis
EXERCISE_TRIGGER_UNSPECIFIED: ExerciseTrigger
EXERCISE_TRIGGER_QUALIFYING_ROUND: ExerciseTrigger
EXERCISE_TRIGGER_IPO: ExerciseTrigger
EXERCISE_TRIGGER_MERGER: ExerciseTrigger
EXERCISE_TRIGGER_VALUATION_THRESHOLD: ExerciseTrigger
HOLIDAY_CALENDAR_UNSPECIFIED: HolidayCalendar
HOLIDAY_CALENDAR_CN_MAINLAND: HolidayCalendar
HOLIDAY_CALENDAR_WEEKENDS_ONLY: HolidayCalendar
POOL_REIMBURSEMENT_UNSPECIFIED: PoolReimbursement
POOL_REIMBURSEMENT_BORROWER: PoolReimbursement
POOL_REIMBURSEMENT_PORTFOLIO: PoolReimbursement
POOL_REIMBURSEMENT_NONE: PoolReimbursement
CLAIM_STATUS_UNSPECIFIED: ClaimStatus
CLAIM_STATUS_AUTO_APPROVED: ClaimStatus
CLAIM_STATUS_PENDING: ClaimStatus
CLAIM_STATUS_APPROVED: ClaimStatus
CLAIM_STATUS_REJECTED: ClaimStatus

class Borrower(_message.Message):
    __slots__ = ("name", "uscc", "stage", "credit_score")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USCC_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    CREDIT_SCORE_FIELD_NUMBER: _ClassVar[int]
    name: str
    uscc: str
    stage: BorrowerStage
    credit_score: int
    def __init__(self, name: _Optional[str] = ..., uscc: _Optional[str] = ..., stage: _Optional[_Union[BorrowerStage, str]] = ..., credit_score: _Optional[int] = ...) -> None: ...

class LoanTerms(_message.Message):
    __slots__ = ("principal", "annual_rate", "day_count", "start_date", "maturity_date", "schedule", "frequency", "business_day", "end_of_month", "calendar")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_RATE_FIELD_NUMBER: _ClassVar[int]
    DAY_COUNT_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    MATURITY_DATE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_DAY_FIELD_NUMBER: _ClassVar[int]
    END_OF_MONTH_FIELD_NUMBER: _ClassVar[int]
    CALENDAR_FIELD_NUMBER: _ClassVar[int]
    principal: _money_pb2.Money
    annual_rate: str
    day_count: DayCountConvention
    start_date: _date_pb2.Date
    maturity_date: _date_pb2.Date
    schedule: ScheduleType
    frequency: InterestFrequency
    business_day: BusinessDayConvention
    end_of_month: bool
    calendar: BusinessCalendar
    def __init__(self, principal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., annual_rate: _Optional[str] = ..., day_count: _Optional[_Union[DayCountConvention, str]] = ..., start_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., maturity_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., schedule: _Optional[_Union[ScheduleType, str]] = ..., frequency: _Optional[_Union[InterestFrequency, str]] = ..., business_day: _Optional[_Union[BusinessDayConvention, str]] = ..., end_of_month: _Optional[bool] = ..., calendar: _Optional[_Union[BusinessCalendar, _Mapping]] = ...) -> None: ...

class BusinessCalendar(_message.Message):
    __slots__ = ("base", "extra_holidays", "extra_working_days")
    BASE_FIELD_NUMBER: _ClassVar[int]
    EXTRA_HOLIDAYS_FIELD_NUMBER: _ClassVar[int]
    EXTRA_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    base: HolidayCalendar
    extra_holidays: _containers.RepeatedCompositeFieldContainer[_date_pb2.Date]
    extra_working_days: _containers.RepeatedCompositeFieldContainer[_date_pb2.Date]
    def __init__(self, base: _Optional[_Union[HolidayCalendar, str]] = ..., extra_holidays: _Optional[_Iterable[_Union[_date_pb2.Date, _Mapping]]] = ..., extra_working_days: _Optional[_Iterable[_Union[_date_pb2.Date, _Mapping]]] = ...) -> None: ...

class SubsidyTerms(_message.Message):
    __slots__ = ("type", "subsidy_fund", "rate_points", "share", "cap")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FUND_FIELD_NUMBER: _ClassVar[int]
    RATE_POINTS_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    CAP_FIELD_NUMBER: _ClassVar[int]
    type: SubsidyType
    subsidy_fund: str
    rate_points: str
    share: str
    cap: _money_pb2.Money
    def __init__(self, type: _Optional[_Union[SubsidyType, str]] = ..., subsidy_fund: _Optional[str] = ..., rate_points: _Optional[str] = ..., share: _Optional[str] = ..., cap: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class OptionTerms(_message.Message):
    __slots__ = ("holder", "company", "share_class", "quantity_basis", "shares", "stake", "coverage", "fully_diluted_shares", "strike_basis", "strike_price", "discount", "valuation_cap", "exercise_window_start", "exercise_window_end", "triggers", "qualifying_round_size", "valuation_threshold")
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    SHARE_CLASS_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_BASIS_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    STAKE_FIELD_NUMBER: _ClassVar[int]
    COVERAGE_FIELD_NUMBER: _ClassVar[int]
    FULLY_DILUTED_SHARES_FIELD_NUMBER: _ClassVar[int]
    STRIKE_BASIS_FIELD_NUMBER: _ClassVar[int]
    STRIKE_PRICE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    VALUATION_CAP_FIELD_NUMBER: _ClassVar[int]
    EXERCISE_WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    EXERCISE_WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    TRIGGERS_FIELD_NUMBER: _ClassVar[int]
    QUALIFYING_ROUND_SIZE_FIELD_NUMBER: _ClassVar[int]
    VALUATION_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    holder: str
    company: str
    share_class: str
    quantity_basis: OptionQuantityBasis
    shares: int
    stake: str
    coverage: str
    fully_diluted_shares: int
    strike_basis: StrikeBasis
    strike_price: str
    discount: str
    valuation_cap: _money_pb2.Money
    exercise_window_start: _date_pb2.Date
    exercise_window_end: _date_pb2.Date
    triggers: _containers.RepeatedScalarFieldContainer[ExerciseTrigger]
    qualifying_round_size: _money_pb2.Money
    valuation_threshold: _money_pb2.Money
    def __init__(self, holder: _Optional[str] = ..., company: _Optional[str] = ..., share_class: _Optional[str] = ..., quantity_basis: _Optional[_Union[OptionQuantityBasis, str]] = ..., shares: _Optional[int] = ..., stake: _Optional[str] = ..., coverage: _Optional[str] = ..., fully_diluted_shares: _Optional[int] = ..., strike_basis: _Optional[_Union[StrikeBasis, str]] = ..., strike_price: _Optional[str] = ..., discount: _Optional[str] = ..., valuation_cap: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., exercise_window_start: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., exercise_window_end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., triggers: _Optional[_Iterable[_Union[ExerciseTrigger, str]]] = ..., qualifying_round_size: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., valuation_threshold: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class RiskSharingTerms(_message.Message):
    __slots__ = ("risk_pool", "base_rate", "first_loan", "first_loan_rate", "unsecured_share", "unsecured_threshold", "unsecured_rate", "cap", "insurer", "insurer_rate", "bands", "auto_approval_limit", "reimbursement")
    RISK_POOL_FIELD_NUMBER: _ClassVar[int]
    BASE_RATE_FIELD_NUMBER: _ClassVar[int]
    FIRST_LOAN_FIELD_NUMBER: _ClassVar[int]
    FIRST_LOAN_RATE_FIELD_NUMBER: _ClassVar[int]
    UNSECURED_SHARE_FIELD_NUMBER: _ClassVar[int]
    UNSECURED_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    UNSECURED_RATE_FIELD_NUMBER: _ClassVar[int]
    CAP_FIELD_NUMBER: _ClassVar[int]
    INSURER_FIELD_NUMBER: _ClassVar[int]
    INSURER_RATE_FIELD_NUMBER: _ClassVar[int]
    BANDS_FIELD_NUMBER: _ClassVar[int]
    AUTO_APPROVAL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    REIMBURSEMENT_FIELD_NUMBER: _ClassVar[int]
    risk_pool: str
    base_rate: str
    first_loan: bool
    first_loan_rate: str
    unsecured_share: str
    unsecured_threshold: str
    unsecured_rate: str
    cap: _money_pb2.Money
    insurer: str
    insurer_rate: str
    bands: _containers.RepeatedCompositeFieldContainer[CompensationBand]
    auto_approval_limit: _money_pb2.Money
    reimbursement: PoolReimbursement
    def __init__(self, risk_pool: _Optional[str] = ..., base_rate: _Optional[str] = ..., first_loan: _Optional[bool] = ..., first_loan_rate: _Optional[str] = ..., unsecured_share: _Optional[str] = ..., unsecured_threshold: _Optional[str] = ..., unsecured_rate: _Optional[str] = ..., cap: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., insurer: _Optional[str] = ..., insurer_rate: _Optional[str] = ..., bands: _Optional[_Iterable[_Union[CompensationBand, _Mapping]]] = ..., auto_approval_limit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., reimbursement: _Optional[_Union[PoolReimbursement, str]] = ...) -> None: ...

class CompensationBand(_message.Message):
    __slots__ = ("up_to", "rate")
    UP_TO_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    up_to: _money_pb2.Money
    rate: str
    def __init__(self, up_to: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., rate: _Optional[str] = ...) -> None: ...

class ProceedsSplit(_message.Message):
    __slots__ = ("bank_bps", "investment_arm_bps", "risk_pool_bps", "advisory_fee")
    BANK_BPS_FIELD_NUMBER: _ClassVar[int]
    INVESTMENT_ARM_BPS_FIELD_NUMBER: _ClassVar[int]
    RISK_POOL_BPS_FIELD_NUMBER: _ClassVar[int]
    ADVISORY_FEE_FIELD_NUMBER: _ClassVar[int]
    bank_bps: int
    investment_arm_bps: int
    risk_pool_bps: int
    advisory_fee: _money_pb2.Money
    def __init__(self, bank_bps: _Optional[int] = ..., investment_arm_bps: _Optional[int] = ..., risk_pool_bps: _Optional[int] = ..., advisory_fee: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class DealTerms(_message.Message):
    __slots__ = ("branch", "borrower", "loan", "subsidy", "option", "risk_sharing", "split", "agreements")
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    BORROWER_FIELD_NUMBER: _ClassVar[int]
    LOAN_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    OPTION_FIELD_NUMBER: _ClassVar[int]
    RISK_SHARING_FIELD_NUMBER: _ClassVar[int]
    SPLIT_FIELD_NUMBER: _ClassVar[int]
    AGREEMENTS_FIELD_NUMBER: _ClassVar[int]
    branch: str
    borrower: Borrower
    loan: LoanTerms
    subsidy: SubsidyTerms
    option: OptionTerms
    risk_sharing: RiskSharingTerms
    split: ProceedsSplit
    agreements: DealAgreements
    def __init__(self, branch: _Optional[str] = ..., borrower: _Optional[_Union[Borrower, _Mapping]] = ..., loan: _Optional[_Union[LoanTerms, _Mapping]] = ..., subsidy: _Optional[_Union[SubsidyTerms, _Mapping]] = ..., option: _Optional[_Union[OptionTerms, _Mapping]] = ..., risk_sharing: _Optional[_Union[RiskSharingTerms, _Mapping]] = ..., split: _Optional[_Union[ProceedsSplit, _Mapping]] = ..., agreements: _Optional[_Union[DealAgreements, _Mapping]] = ...) -> None: ...

class DealAgreements(_message.Message):
    __slots__ = ("risk_sharing", "linkage", "subsidy")
    RISK_SHARING_FIELD_NUMBER: _ClassVar[int]
    LINKAGE_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    risk_sharing: str
    linkage: str
    subsidy: str
    def __init__(self, risk_sharing: _Optional[str] = ..., linkage: _Optional[str] = ..., subsidy: _Optional[str] = ...) -> None: ...

class Attribution(_message.Message):
    __slots__ = ("principal", "role", "request_id", "time")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    principal: str
    role: str
    request_id: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, principal: _Optional[str] = ..., role: _Optional[str] = ..., request_id: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DealEvent(_message.Message):
    __slots__ = ("kind", "value_date", "request_id", "transaction", "create_time", "details", "recorded_by")
    class DetailsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    kind: str
    value_date: _date_pb2.Date
    request_id: str
    transaction: str
    create_time: _timestamp_pb2.Timestamp
    details: _containers.ScalarMap[str, str]
    recorded_by: Attribution
    def __init__(self, kind: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., request_id: _Optional[str] = ..., transaction: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., details: _Optional[_Mapping[str, str]] = ..., recorded_by: _Optional[_Union[Attribution, _Mapping]] = ...) -> None: ...

class Deal(_message.Message):
    __slots__ = ("name", "status", "terms", "option_quantity", "option_commodity", "principal_outstanding", "interest_receivable", "subsidy_receivable", "accrued_to", "create_time", "events", "booked_by", "accrued_through", "non_accrual_since", "off_balance_interest", "assessment", "assessment_tier", "assessment_score")
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    OPTION_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    OPTION_COMMODITY_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    INTEREST_RECEIVABLE_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_RECEIVABLE_FIELD_NUMBER: _ClassVar[int]
    ACCRUED_TO_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    BOOKED_BY_FIELD_NUMBER: _ClassVar[int]
    ACCRUED_THROUGH_FIELD_NUMBER: _ClassVar[int]
    NON_ACCRUAL_SINCE_FIELD_NUMBER: _ClassVar[int]
    OFF_BALANCE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_TIER_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_SCORE_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: DealStatus
    terms: DealTerms
    option_quantity: int
    option_commodity: str
    principal_outstanding: _money_pb2.Money
    interest_receivable: _money_pb2.Money
    subsidy_receivable: _money_pb2.Money
    accrued_to: _date_pb2.Date
    create_time: _timestamp_pb2.Timestamp
    events: _containers.RepeatedCompositeFieldContainer[DealEvent]
    booked_by: Attribution
    accrued_through: _date_pb2.Date
    non_accrual_since: _date_pb2.Date
    off_balance_interest: _money_pb2.Money
    assessment: str
    assessment_tier: BorrowerStage
    assessment_score: str
    def __init__(self, name: _Optional[str] = ..., status: _Optional[_Union[DealStatus, str]] = ..., terms: _Optional[_Union[DealTerms, _Mapping]] = ..., option_quantity: _Optional[int] = ..., option_commodity: _Optional[str] = ..., principal_outstanding: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., interest_receivable: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy_receivable: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., accrued_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., events: _Optional[_Iterable[_Union[DealEvent, _Mapping]]] = ..., booked_by: _Optional[_Union[Attribution, _Mapping]] = ..., accrued_through: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., non_accrual_since: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., off_balance_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., assessment: _Optional[str] = ..., assessment_tier: _Optional[_Union[BorrowerStage, str]] = ..., assessment_score: _Optional[str] = ...) -> None: ...

class CompensationClaim(_message.Message):
    __slots__ = ("name", "deal", "risk_pool", "branch", "status", "loss", "amount", "paid", "owed", "value_date", "agreement", "filed_by", "decided_by", "reason", "transaction")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEAL_FIELD_NUMBER: _ClassVar[int]
    RISK_POOL_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    OWED_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    FILED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    deal: str
    risk_pool: str
    branch: str
    status: ClaimStatus
    loss: _money_pb2.Money
    amount: _money_pb2.Money
    paid: _money_pb2.Money
    owed: _money_pb2.Money
    value_date: _date_pb2.Date
    agreement: str
    filed_by: Attribution
    decided_by: Attribution
    reason: str
    transaction: str
    def __init__(self, name: _Optional[str] = ..., deal: _Optional[str] = ..., risk_pool: _Optional[str] = ..., branch: _Optional[str] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., loss: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., paid: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., owed: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., agreement: _Optional[str] = ..., filed_by: _Optional[_Union[Attribution, _Mapping]] = ..., decided_by: _Optional[_Union[Attribution, _Mapping]] = ..., reason: _Optional[str] = ..., transaction: _Optional[str] = ...) -> None: ...

class GetClaimRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: CompensationClaim
    def __init__(self, claim: _Optional[_Union[CompensationClaim, _Mapping]] = ...) -> None: ...

class ListClaimsRequest(_message.Message):
    __slots__ = ("risk_pool", "branch", "status", "page_size", "page_token")
    RISK_POOL_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    risk_pool: str
    branch: str
    status: ClaimStatus
    page_size: int
    page_token: str
    def __init__(self, risk_pool: _Optional[str] = ..., branch: _Optional[str] = ..., status: _Optional[_Union[ClaimStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[CompensationClaim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[CompensationClaim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApproveClaimRequest(_message.Message):
    __slots__ = ("request_id", "name", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ApproveClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: CompensationClaim
    def __init__(self, claim: _Optional[_Union[CompensationClaim, _Mapping]] = ...) -> None: ...

class RejectClaimRequest(_message.Message):
    __slots__ = ("request_id", "name", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: CompensationClaim
    def __init__(self, claim: _Optional[_Union[CompensationClaim, _Mapping]] = ...) -> None: ...

class SchedulePeriod(_message.Message):
    __slots__ = ("number", "accrual_start", "accrual_end", "payment_date", "days", "opening_principal", "principal", "interest", "subsidy", "borrower_interest", "borrower_payment", "provisional")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    ACCRUAL_START_FIELD_NUMBER: _ClassVar[int]
    ACCRUAL_END_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_DATE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    OPENING_PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    INTEREST_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    BORROWER_INTEREST_FIELD_NUMBER: _ClassVar[int]
    BORROWER_PAYMENT_FIELD_NUMBER: _ClassVar[int]
    PROVISIONAL_FIELD_NUMBER: _ClassVar[int]
    number: int
    accrual_start: _date_pb2.Date
    accrual_end: _date_pb2.Date
    payment_date: _date_pb2.Date
    days: int
    opening_principal: _money_pb2.Money
    principal: _money_pb2.Money
    interest: _money_pb2.Money
    subsidy: _money_pb2.Money
    borrower_interest: _money_pb2.Money
    borrower_payment: _money_pb2.Money
    provisional: bool
    def __init__(self, number: _Optional[int] = ..., accrual_start: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., accrual_end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., payment_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., days: _Optional[int] = ..., opening_principal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., principal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., borrower_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., borrower_payment: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., provisional: _Optional[bool] = ...) -> None: ...

class BookLinkedDealRequest(_message.Message):
    __slots__ = ("request_id", "deal_id", "terms")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEAL_ID_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    deal_id: str
    terms: DealTerms
    def __init__(self, request_id: _Optional[str] = ..., deal_id: _Optional[str] = ..., terms: _Optional[_Union[DealTerms, _Mapping]] = ...) -> None: ...

class BookLinkedDealResponse(_message.Message):
    __slots__ = ("deal",)
    DEAL_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ...) -> None: ...

class GetDealRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDealResponse(_message.Message):
    __slots__ = ("deal",)
    DEAL_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ...) -> None: ...

class ListDealsRequest(_message.Message):
    __slots__ = ("branch", "status", "borrower_uscc", "holder", "page_size", "page_token")
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    branch: str
    status: DealStatus
    borrower_uscc: str
    holder: str
    page_size: int
    page_token: str
    def __init__(self, branch: _Optional[str] = ..., status: _Optional[_Union[DealStatus, str]] = ..., borrower_uscc: _Optional[str] = ..., holder: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDealsResponse(_message.Message):
    __slots__ = ("deals", "next_page_token")
    DEALS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deals: _containers.RepeatedCompositeFieldContainer[Deal]
    next_page_token: str
    def __init__(self, deals: _Optional[_Iterable[_Union[Deal, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetScheduleRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetScheduleResponse(_message.Message):
    __slots__ = ("periods", "total_interest", "total_subsidy", "total_borrower_interest")
    PERIODS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_INTEREST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BORROWER_INTEREST_FIELD_NUMBER: _ClassVar[int]
    periods: _containers.RepeatedCompositeFieldContainer[SchedulePeriod]
    total_interest: _money_pb2.Money
    total_subsidy: _money_pb2.Money
    total_borrower_interest: _money_pb2.Money
    def __init__(self, periods: _Optional[_Iterable[_Union[SchedulePeriod, _Mapping]]] = ..., total_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., total_subsidy: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., total_borrower_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ...) -> None: ...

class DisburseLoanRequest(_message.Message):
    __slots__ = ("request_id", "name", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class DisburseLoanResponse(_message.Message):
    __slots__ = ("deal", "transaction", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    transaction: str
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., transaction: _Optional[str] = ..., replayed: _Optional[bool] = ...) -> None: ...

class AccrueInterestRequest(_message.Message):
    __slots__ = ("request_id", "name", "to_date", "through_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    THROUGH_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    to_date: _date_pb2.Date
    through_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., through_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class AccrueBranchInterestRequest(_message.Message):
    __slots__ = ("request_id", "parent", "through_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    THROUGH_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    parent: str
    through_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., parent: _Optional[str] = ..., through_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class AccrueBranchInterestResponse(_message.Message):
    __slots__ = ("deals_accrued", "deals_accrued_later", "deals_entering_non_accrual", "accrued", "subsidy", "off_balance_interest", "transactions_posted", "replayed")
    DEALS_ACCRUED_FIELD_NUMBER: _ClassVar[int]
    DEALS_ACCRUED_LATER_FIELD_NUMBER: _ClassVar[int]
    DEALS_ENTERING_NON_ACCRUAL_FIELD_NUMBER: _ClassVar[int]
    ACCRUED_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    OFF_BALANCE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_POSTED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deals_accrued: int
    deals_accrued_later: int
    deals_entering_non_accrual: int
    accrued: _money_pb2.Money
    subsidy: _money_pb2.Money
    off_balance_interest: _money_pb2.Money
    transactions_posted: int
    replayed: bool
    def __init__(self, deals_accrued: _Optional[int] = ..., deals_accrued_later: _Optional[int] = ..., deals_entering_non_accrual: _Optional[int] = ..., accrued: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., off_balance_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transactions_posted: _Optional[int] = ..., replayed: _Optional[bool] = ...) -> None: ...

class AccrueInterestResponse(_message.Message):
    __slots__ = ("deal", "accrued", "subsidy", "transaction", "off_balance_interest", "moved_off_balance", "subsidy_reversed", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    ACCRUED_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    OFF_BALANCE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    MOVED_OFF_BALANCE_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_REVERSED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    accrued: _money_pb2.Money
    subsidy: _money_pb2.Money
    transaction: str
    off_balance_interest: _money_pb2.Money
    moved_off_balance: _money_pb2.Money
    subsidy_reversed: _money_pb2.Money
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., accrued: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., off_balance_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., moved_off_balance: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy_reversed: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class RecordRepaymentRequest(_message.Message):
    __slots__ = ("request_id", "name", "amount", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    amount: _money_pb2.Money
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class RecordRepaymentResponse(_message.Message):
    __slots__ = ("deal", "overdue_interest", "interest", "principal", "subsidy", "transaction", "off_balance_interest", "accrual_resumed", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    INTEREST_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    OFF_BALANCE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    ACCRUAL_RESUMED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    overdue_interest: _money_pb2.Money
    interest: _money_pb2.Money
    principal: _money_pb2.Money
    subsidy: _money_pb2.Money
    transaction: str
    off_balance_interest: _money_pb2.Money
    accrual_resumed: _money_pb2.Money
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., overdue_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., principal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., off_balance_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., accrual_resumed: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class RecordDefaultRequest(_message.Message):
    __slots__ = ("request_id", "name", "value_date", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    value_date: _date_pb2.Date
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RecordDefaultResponse(_message.Message):
    __slots__ = ("deal", "loss", "compensation_paid", "compensation_claim", "insurer_share", "transaction", "compensation_pending", "subsidy_reversed", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_PAID_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_CLAIM_FIELD_NUMBER: _ClassVar[int]
    INSURER_SHARE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_PENDING_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_REVERSED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    loss: _money_pb2.Money
    compensation_paid: _money_pb2.Money
    compensation_claim: _money_pb2.Money
    insurer_share: _money_pb2.Money
    transaction: str
    compensation_pending: _money_pb2.Money
    subsidy_reversed: _money_pb2.Money
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., loss: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., compensation_paid: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., compensation_claim: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., insurer_share: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., compensation_pending: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., subsidy_reversed: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class FundRiskPoolRequest(_message.Message):
    __slots__ = ("request_id", "risk_pool", "amount", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_POOL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    risk_pool: str
    amount: _money_pb2.Money
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., risk_pool: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class FundRiskPoolResponse(_message.Message):
    __slots__ = ("claims_paid", "transactions")
    CLAIMS_PAID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    claims_paid: _money_pb2.Money
    transactions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, claims_paid: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transactions: _Optional[_Iterable[str]] = ...) -> None: ...

class WriteOffRequest(_message.Message):
    __slots__ = ("request_id", "name", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class WriteOffResponse(_message.Message):
    __slots__ = ("deal", "written_off", "transaction", "loan_loss", "compensation_applied", "insurance_applied", "allowance_applied", "off_balance_interest", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    WRITTEN_OFF_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    LOAN_LOSS_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_APPLIED_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_APPLIED_FIELD_NUMBER: _ClassVar[int]
    ALLOWANCE_APPLIED_FIELD_NUMBER: _ClassVar[int]
    OFF_BALANCE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    written_off: _money_pb2.Money
    transaction: str
    loan_loss: _money_pb2.Money
    compensation_applied: _money_pb2.Money
    insurance_applied: _money_pb2.Money
    allowance_applied: _money_pb2.Money
    off_balance_interest: _money_pb2.Money
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., written_off: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., loan_loss: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., compensation_applied: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., insurance_applied: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., allowance_applied: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., off_balance_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class CloseDealRequest(_message.Message):
    __slots__ = ("request_id", "name")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class CloseDealResponse(_message.Message):
    __slots__ = ("deal", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class RecordRecoveryRequest(_message.Message):
    __slots__ = ("request_id", "name", "amount", "costs", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    COSTS_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    amount: _money_pb2.Money
    costs: _money_pb2.Money
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., costs: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class RecordRecoveryResponse(_message.Message):
    __slots__ = ("deal", "costs", "principal", "interest", "pool_share", "pool_set_off", "insurer_share", "insurer_set_off", "bank_share", "transaction", "off_balance_interest", "replayed")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    COSTS_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    INTEREST_FIELD_NUMBER: _ClassVar[int]
    POOL_SHARE_FIELD_NUMBER: _ClassVar[int]
    POOL_SET_OFF_FIELD_NUMBER: _ClassVar[int]
    INSURER_SHARE_FIELD_NUMBER: _ClassVar[int]
    INSURER_SET_OFF_FIELD_NUMBER: _ClassVar[int]
    BANK_SHARE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    OFF_BALANCE_INTEREST_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    deal: Deal
    costs: _money_pb2.Money
    principal: _money_pb2.Money
    interest: _money_pb2.Money
    pool_share: _money_pb2.Money
    pool_set_off: _money_pb2.Money
    insurer_share: _money_pb2.Money
    insurer_set_off: _money_pb2.Money
    bank_share: _money_pb2.Money
    transaction: str
    off_balance_interest: _money_pb2.Money
    replayed: bool
    def __init__(self, deal: _Optional[_Union[Deal, _Mapping]] = ..., costs: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., principal: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., pool_share: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., pool_set_off: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., insurer_share: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., insurer_set_off: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., bank_share: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., off_balance_interest: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...
