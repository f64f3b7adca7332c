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

class PricingModel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRICING_MODEL_UNSPECIFIED: _ClassVar[PricingModel]
    PRICING_MODEL_BSM: _ClassVar[PricingModel]
    PRICING_MODEL_BINOMIAL: _ClassVar[PricingModel]
    PRICING_MODEL_MONTE_CARLO: _ClassVar[PricingModel]
    PRICING_MODEL_WARRANT: _ClassVar[PricingModel]

class OptionRight(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTION_RIGHT_UNSPECIFIED: _ClassVar[OptionRight]
    OPTION_RIGHT_CALL: _ClassVar[OptionRight]
    OPTION_RIGHT_PUT: _ClassVar[OptionRight]

class ExerciseStyle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXERCISE_STYLE_UNSPECIFIED: _ClassVar[ExerciseStyle]
    EXERCISE_STYLE_EUROPEAN: _ClassVar[ExerciseStyle]
    EXERCISE_STYLE_AMERICAN: _ClassVar[ExerciseStyle]
PRICING_MODEL_UNSPECIFIED: PricingModel
PRICING_MODEL_BSM: PricingModel
PRICING_MODEL_BINOMIAL: PricingModel
PRICING_MODEL_MONTE_CARLO: PricingModel
PRICING_MODEL_WARRANT: PricingModel
OPTION_RIGHT_UNSPECIFIED: OptionRight
OPTION_RIGHT_CALL: OptionRight
OPTION_RIGHT_PUT: OptionRight
EXERCISE_STYLE_UNSPECIFIED: ExerciseStyle
EXERCISE_STYLE_EUROPEAN: ExerciseStyle
EXERCISE_STYLE_AMERICAN: ExerciseStyle

class Preference(_message.Message):
    __slots__ = ("price", "multiple", "participating", "participation_cap", "seniority")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    MULTIPLE_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATING_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATION_CAP_FIELD_NUMBER: _ClassVar[int]
    SENIORITY_FIELD_NUMBER: _ClassVar[int]
    price: str
    multiple: str
    participating: bool
    participation_cap: str
    seniority: int
    def __init__(self, price: _Optional[str] = ..., multiple: _Optional[str] = ..., participating: _Optional[bool] = ..., participation_cap: _Optional[str] = ..., seniority: _Optional[int] = ...) -> None: ...

class ShareClass(_message.Message):
    __slots__ = ("name", "shares", "conversion_ratio", "preference")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_RATIO_FIELD_NUMBER: _ClassVar[int]
    PREFERENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    shares: int
    conversion_ratio: str
    preference: Preference
    def __init__(self, name: _Optional[str] = ..., shares: _Optional[int] = ..., conversion_ratio: _Optional[str] = ..., preference: _Optional[_Union[Preference, _Mapping]] = ...) -> None: ...

class OptionPool(_message.Message):
    __slots__ = ("name", "shares", "strike")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    STRIKE_FIELD_NUMBER: _ClassVar[int]
    name: str
    shares: int
    strike: str
    def __init__(self, name: _Optional[str] = ..., shares: _Optional[int] = ..., strike: _Optional[str] = ...) -> None: ...

class CapTable(_message.Message):
    __slots__ = ("classes", "option_pools")
    CLASSES_FIELD_NUMBER: _ClassVar[int]
    OPTION_POOLS_FIELD_NUMBER: _ClassVar[int]
    classes: _containers.RepeatedCompositeFieldContainer[ShareClass]
    option_pools: _containers.RepeatedCompositeFieldContainer[OptionPool]
    def __init__(self, classes: _Optional[_Iterable[_Union[ShareClass, _Mapping]]] = ..., option_pools: _Optional[_Iterable[_Union[OptionPool, _Mapping]]] = ...) -> None: ...

class FundingRound(_message.Message):
    __slots__ = ("name", "company", "round_date", "share_class", "price_per_share", "shares_issued", "preference", "cap_table", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    ROUND_DATE_FIELD_NUMBER: _ClassVar[int]
    SHARE_CLASS_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    SHARES_ISSUED_FIELD_NUMBER: _ClassVar[int]
    PREFERENCE_FIELD_NUMBER: _ClassVar[int]
    CAP_TABLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    company: str
    round_date: _date_pb2.Date
    share_class: str
    price_per_share: str
    shares_issued: int
    preference: Preference
    cap_table: CapTable
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., company: _Optional[str] = ..., round_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., share_class: _Optional[str] = ..., price_per_share: _Optional[str] = ..., shares_issued: _Optional[int] = ..., preference: _Optional[_Union[Preference, _Mapping]] = ..., cap_table: _Optional[_Union[CapTable, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordFundingRoundRequest(_message.Message):
    __slots__ = ("request_id", "company", "round_date", "share_class", "price_per_share", "shares_issued", "preference", "cap_table")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    ROUND_DATE_FIELD_NUMBER: _ClassVar[int]
    SHARE_CLASS_FIELD_NUMBER: _ClassVar[int]
    PRICE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    SHARES_ISSUED_FIELD_NUMBER: _ClassVar[int]
    PREFERENCE_FIELD_NUMBER: _ClassVar[int]
    CAP_TABLE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    company: str
    round_date: _date_pb2.Date
    share_class: str
    price_per_share: str
    shares_issued: int
    preference: Preference
    cap_table: CapTable
    def __init__(self, request_id: _Optional[str] = ..., company: _Optional[str] = ..., round_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., share_class: _Optional[str] = ..., price_per_share: _Optional[str] = ..., shares_issued: _Optional[int] = ..., preference: _Optional[_Union[Preference, _Mapping]] = ..., cap_table: _Optional[_Union[CapTable, _Mapping]] = ...) -> None: ...

class RecordFundingRoundResponse(_message.Message):
    __slots__ = ("funding_round",)
    FUNDING_ROUND_FIELD_NUMBER: _ClassVar[int]
    funding_round: FundingRound
    def __init__(self, funding_round: _Optional[_Union[FundingRound, _Mapping]] = ...) -> None: ...

class GetCapTableRequest(_message.Message):
    __slots__ = ("company", "as_of")
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    company: str
    as_of: _date_pb2.Date
    def __init__(self, company: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetCapTableResponse(_message.Message):
    __slots__ = ("funding_round",)
    FUNDING_ROUND_FIELD_NUMBER: _ClassVar[int]
    funding_round: FundingRound
    def __init__(self, funding_round: _Optional[_Union[FundingRound, _Mapping]] = ...) -> None: ...

class ListFundingRoundsRequest(_message.Message):
    __slots__ = ("company", "page_size", "page_token")
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    company: str
    page_size: int
    page_token: str
    def __init__(self, company: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFundingRoundsResponse(_message.Message):
    __slots__ = ("funding_rounds", "next_page_token")
    FUNDING_ROUNDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    funding_rounds: _containers.RepeatedCompositeFieldContainer[FundingRound]
    next_page_token: str
    def __init__(self, funding_rounds: _Optional[_Iterable[_Union[FundingRound, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PriceOptionRequest(_message.Message):
    __slots__ = ("model", "right", "style", "spot", "strike", "rate", "volatility", "years", "dividend_yield", "steps", "paths", "seed", "shares_outstanding", "new_shares")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    SPOT_FIELD_NUMBER: _ClassVar[int]
    STRIKE_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    YEARS_FIELD_NUMBER: _ClassVar[int]
    DIVIDEND_YIELD_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    SHARES_OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    NEW_SHARES_FIELD_NUMBER: _ClassVar[int]
    model: PricingModel
    right: OptionRight
    style: ExerciseStyle
    spot: str
    strike: str
    rate: str
    volatility: str
    years: str
    dividend_yield: str
    steps: int
    paths: int
    seed: int
    shares_outstanding: str
    new_shares: str
    def __init__(self, model: _Optional[_Union[PricingModel, str]] = ..., right: _Optional[_Union[OptionRight, str]] = ..., style: _Optional[_Union[ExerciseStyle, str]] = ..., spot: _Optional[str] = ..., strike: _Optional[str] = ..., rate: _Optional[str] = ..., volatility: _Optional[str] = ..., years: _Optional[str] = ..., dividend_yield: _Optional[str] = ..., steps: _Optional[int] = ..., paths: _Optional[int] = ..., seed: _Optional[int] = ..., shares_outstanding: _Optional[str] = ..., new_shares: _Optional[str] = ...) -> None: ...

class PriceOptionResponse(_message.Message):
    __slots__ = ("price", "delta", "gamma", "vega", "theta", "rho", "std_error", "engine", "code_version")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    GAMMA_FIELD_NUMBER: _ClassVar[int]
    VEGA_FIELD_NUMBER: _ClassVar[int]
    THETA_FIELD_NUMBER: _ClassVar[int]
    RHO_FIELD_NUMBER: _ClassVar[int]
    STD_ERROR_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    CODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    price: str
    delta: str
    gamma: str
    vega: str
    theta: str
    rho: str
    std_error: str
    engine: str
    code_version: str
    def __init__(self, price: _Optional[str] = ..., delta: _Optional[str] = ..., gamma: _Optional[str] = ..., vega: _Optional[str] = ..., theta: _Optional[str] = ..., rho: _Optional[str] = ..., std_error: _Optional[str] = ..., engine: _Optional[str] = ..., code_version: _Optional[str] = ...) -> None: ...

class ValuationAssumptions(_message.Message):
    __slots__ = ("volatility", "rate", "exit_years")
    VOLATILITY_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    EXIT_YEARS_FIELD_NUMBER: _ClassVar[int]
    volatility: str
    rate: str
    exit_years: str
    def __init__(self, volatility: _Optional[str] = ..., rate: _Optional[str] = ..., exit_years: _Optional[str] = ...) -> None: ...

class OptionValuation(_message.Message):
    __slots__ = ("deal", "as_of", "funding_round", "engine", "code_version", "inputs", "value_per_share", "quantity", "fair_value", "change", "transaction", "valuation_record")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    DEAL_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    FUNDING_ROUND_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    CODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    VALUE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FAIR_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    VALUATION_RECORD_FIELD_NUMBER: _ClassVar[int]
    deal: str
    as_of: _date_pb2.Date
    funding_round: str
    engine: str
    code_version: str
    inputs: _containers.ScalarMap[str, str]
    value_per_share: str
    quantity: int
    fair_value: _money_pb2.Money
    change: _money_pb2.Money
    transaction: str
    valuation_record: str
    def __init__(self, deal: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., funding_round: _Optional[str] = ..., engine: _Optional[str] = ..., code_version: _Optional[str] = ..., inputs: _Optional[_Mapping[str, str]] = ..., value_per_share: _Optional[str] = ..., quantity: _Optional[int] = ..., fair_value: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., change: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., valuation_record: _Optional[str] = ...) -> None: ...

class ValueDealOptionRequest(_message.Message):
    __slots__ = ("name", "as_of", "assumptions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    ASSUMPTIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    as_of: _date_pb2.Date
    assumptions: ValuationAssumptions
    def __init__(self, name: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., assumptions: _Optional[_Union[ValuationAssumptions, _Mapping]] = ...) -> None: ...

class ValueDealOptionResponse(_message.Message):
    __slots__ = ("valuation",)
    VALUATION_FIELD_NUMBER: _ClassVar[int]
    valuation: OptionValuation
    def __init__(self, valuation: _Optional[_Union[OptionValuation, _Mapping]] = ...) -> None: ...

class RevalueOptionsRequest(_message.Message):
    __slots__ = ("request_id", "as_of", "assumptions")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    ASSUMPTIONS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    as_of: _date_pb2.Date
    assumptions: ValuationAssumptions
    def __init__(self, request_id: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., assumptions: _Optional[_Union[ValuationAssumptions, _Mapping]] = ...) -> None: ...

class SkippedDeal(_message.Message):
    __slots__ = ("deal", "reason")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    deal: str
    reason: str
    def __init__(self, deal: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevalueOptionsResponse(_message.Message):
    __slots__ = ("name", "as_of", "valuations", "skipped", "total_fair_value", "total_change", "transactions_posted")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    VALUATIONS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FAIR_VALUE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CHANGE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_POSTED_FIELD_NUMBER: _ClassVar[int]
    name: str
    as_of: _date_pb2.Date
    valuations: _containers.RepeatedCompositeFieldContainer[OptionValuation]
    skipped: _containers.RepeatedCompositeFieldContainer[SkippedDeal]
    total_fair_value: _money_pb2.Money
    total_change: _money_pb2.Money
    transactions_posted: int
    def __init__(self, name: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., valuations: _Optional[_Iterable[_Union[OptionValuation, _Mapping]]] = ..., skipped: _Optional[_Iterable[_Union[SkippedDeal, _Mapping]]] = ..., total_fair_value: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., total_change: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transactions_posted: _Optional[int] = ...) -> None: ...

class ValuationRecord(_message.Message):
    __slots__ = ("name", "revaluation", "deal", "holder", "as_of", "funding_round", "engine", "code_version", "inputs", "engine_parameters", "breakpoints", "tranche_values", "participation", "round_class_participation", "shares_outstanding", "new_shares", "dilution_ratio", "dilution", "value_per_share", "quantity", "fair_value", "rounding", "change", "transaction", "create_time")
    class InputsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class EngineParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVALUATION_FIELD_NUMBER: _ClassVar[int]
    DEAL_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    FUNDING_ROUND_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    CODE_VERSION_FIELD_NUMBER: _ClassVar[int]
    INPUTS_FIELD_NUMBER: _ClassVar[int]
    ENGINE_PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    BREAKPOINTS_FIELD_NUMBER: _ClassVar[int]
    TRANCHE_VALUES_FIELD_NUMBER: _ClassVar[int]
    PARTICIPATION_FIELD_NUMBER: _ClassVar[int]
    ROUND_CLASS_PARTICIPATION_FIELD_NUMBER: _ClassVar[int]
    SHARES_OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    NEW_SHARES_FIELD_NUMBER: _ClassVar[int]
    DILUTION_RATIO_FIELD_NUMBER: _ClassVar[int]
    DILUTION_FIELD_NUMBER: _ClassVar[int]
    VALUE_PER_SHARE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    FAIR_VALUE_FIELD_NUMBER: _ClassVar[int]
    ROUNDING_FIELD_NUMBER: _ClassVar[int]
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    revaluation: str
    deal: str
    holder: str
    as_of: _date_pb2.Date
    funding_round: str
    engine: str
    code_version: str
    inputs: _containers.ScalarMap[str, str]
    engine_parameters: _containers.ScalarMap[str, str]
    breakpoints: _containers.RepeatedScalarFieldContainer[str]
    tranche_values: _containers.RepeatedScalarFieldContainer[str]
    participation: _containers.RepeatedScalarFieldContainer[str]
    round_class_participation: _containers.RepeatedScalarFieldContainer[str]
    shares_outstanding: str
    new_shares: str
    dilution_ratio: str
    dilution: str
    value_per_share: str
    quantity: int
    fair_value: _money_pb2.Money
    rounding: str
    change: _money_pb2.Money
    transaction: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., revaluation: _Optional[str] = ..., deal: _Optional[str] = ..., holder: _Optional[str] = ..., as_of: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., funding_round: _Optional[str] = ..., engine: _Optional[str] = ..., code_version: _Optional[str] = ..., inputs: _Optional[_Mapping[str, str]] = ..., engine_parameters: _Optional[_Mapping[str, str]] = ..., breakpoints: _Optional[_Iterable[str]] = ..., tranche_values: _Optional[_Iterable[str]] = ..., participation: _Optional[_Iterable[str]] = ..., round_class_participation: _Optional[_Iterable[str]] = ..., shares_outstanding: _Optional[str] = ..., new_shares: _Optional[str] = ..., dilution_ratio: _Optional[str] = ..., dilution: _Optional[str] = ..., value_per_share: _Optional[str] = ..., quantity: _Optional[int] = ..., fair_value: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., rounding: _Optional[str] = ..., change: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetValuationRecordRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetValuationRecordResponse(_message.Message):
    __slots__ = ("valuation_record",)
    VALUATION_RECORD_FIELD_NUMBER: _ClassVar[int]
    valuation_record: ValuationRecord
    def __init__(self, valuation_record: _Optional[_Union[ValuationRecord, _Mapping]] = ...) -> None: ...

class ListValuationRecordsRequest(_message.Message):
    __slots__ = ("deal", "from_date", "to_date", "revaluation", "page_size", "page_token")
    DEAL_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    REVALUATION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deal: str
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    revaluation: str
    page_size: int
    page_token: str
    def __init__(self, deal: _Optional[str] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., revaluation: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListValuationRecordsResponse(_message.Message):
    __slots__ = ("valuation_records", "next_page_token")
    VALUATION_RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    valuation_records: _containers.RepeatedCompositeFieldContainer[ValuationRecord]
    next_page_token: str
    def __init__(self, valuation_records: _Optional[_Iterable[_Union[ValuationRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
