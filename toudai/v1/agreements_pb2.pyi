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

class AgreementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGREEMENT_KIND_UNSPECIFIED: _ClassVar[AgreementKind]
    AGREEMENT_KIND_RISK_SHARING: _ClassVar[AgreementKind]
    AGREEMENT_KIND_LINKAGE: _ClassVar[AgreementKind]
    AGREEMENT_KIND_SUBSIDY: _ClassVar[AgreementKind]

class OptionOnWriteOff(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPTION_ON_WRITE_OFF_UNSPECIFIED: _ClassVar[OptionOnWriteOff]
    OPTION_ON_WRITE_OFF_SURVIVES: _ClassVar[OptionOnWriteOff]
    OPTION_ON_WRITE_OFF_LAPSES: _ClassVar[OptionOnWriteOff]
AGREEMENT_KIND_UNSPECIFIED: AgreementKind
AGREEMENT_KIND_RISK_SHARING: AgreementKind
AGREEMENT_KIND_LINKAGE: AgreementKind
AGREEMENT_KIND_SUBSIDY: AgreementKind
OPTION_ON_WRITE_OFF_UNSPECIFIED: OptionOnWriteOff
OPTION_ON_WRITE_OFF_SURVIVES: OptionOnWriteOff
OPTION_ON_WRITE_OFF_LAPSES: OptionOnWriteOff

class RiskSharingAgreement(_message.Message):
    __slots__ = ("base_rate", "bands", "first_loan_rate", "unsecured_threshold", "unsecured_rate", "per_deal_cap", "exposure_cap", "eligible_stages", "insurer", "insurer_rate", "auto_approval_limit", "reimbursement", "tier_rates")
    BASE_RATE_FIELD_NUMBER: _ClassVar[int]
    BANDS_FIELD_NUMBER: _ClassVar[int]
    FIRST_LOAN_RATE_FIELD_NUMBER: _ClassVar[int]
    UNSECURED_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    UNSECURED_RATE_FIELD_NUMBER: _ClassVar[int]
    PER_DEAL_CAP_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_CAP_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_STAGES_FIELD_NUMBER: _ClassVar[int]
    INSURER_FIELD_NUMBER: _ClassVar[int]
    INSURER_RATE_FIELD_NUMBER: _ClassVar[int]
    AUTO_APPROVAL_LIMIT_FIELD_NUMBER: _ClassVar[int]
    REIMBURSEMENT_FIELD_NUMBER: _ClassVar[int]
    TIER_RATES_FIELD_NUMBER: _ClassVar[int]
    base_rate: str
    bands: _containers.RepeatedCompositeFieldContainer[_deals_pb2.CompensationBand]
    first_loan_rate: str
    unsecured_threshold: str
    unsecured_rate: str
    per_deal_cap: _money_pb2.Money
    exposure_cap: _money_pb2.Money
    eligible_stages: _containers.RepeatedScalarFieldContainer[_deals_pb2.BorrowerStage]
    insurer: str
    insurer_rate: str
    auto_approval_limit: _money_pb2.Money
    reimbursement: _deals_pb2.PoolReimbursement
    tier_rates: _containers.RepeatedCompositeFieldContainer[TierRate]
    def __init__(self, base_rate: _Optional[str] = ..., bands: _Optional[_Iterable[_Union[_deals_pb2.CompensationBand, _Mapping]]] = ..., first_loan_rate: _Optional[str] = ..., unsecured_threshold: _Optional[str] = ..., unsecured_rate: _Optional[str] = ..., per_deal_cap: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., exposure_cap: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., eligible_stages: _Optional[_Iterable[_Union[_deals_pb2.BorrowerStage, str]]] = ..., insurer: _Optional[str] = ..., insurer_rate: _Optional[str] = ..., auto_approval_limit: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., reimbursement: _Optional[_Union[_deals_pb2.PoolReimbursement, str]] = ..., tier_rates: _Optional[_Iterable[_Union[TierRate, _Mapping]]] = ...) -> None: ...

class TierRate(_message.Message):
    __slots__ = ("tier", "rate")
    TIER_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    tier: _deals_pb2.BorrowerStage
    rate: str
    def __init__(self, tier: _Optional[_Union[_deals_pb2.BorrowerStage, str]] = ..., rate: _Optional[str] = ...) -> None: ...

class LinkageAgreement(_message.Message):
    __slots__ = ("bank_bps", "investment_arm_bps", "risk_pool_bps", "advisory_fee", "option_on_write_off")
    BANK_BPS_FIELD_NUMBER: _ClassVar[int]
    INVESTMENT_ARM_BPS_FIELD_NUMBER: _ClassVar[int]
    RISK_POOL_BPS_FIELD_NUMBER: _ClassVar[int]
    ADVISORY_FEE_FIELD_NUMBER: _ClassVar[int]
    OPTION_ON_WRITE_OFF_FIELD_NUMBER: _ClassVar[int]
    bank_bps: int
    investment_arm_bps: int
    risk_pool_bps: int
    advisory_fee: _money_pb2.Money
    option_on_write_off: OptionOnWriteOff
    def __init__(self, bank_bps: _Optional[int] = ..., investment_arm_bps: _Optional[int] = ..., risk_pool_bps: _Optional[int] = ..., advisory_fee: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., option_on_write_off: _Optional[_Union[OptionOnWriteOff, str]] = ...) -> None: ...

class SubsidyAgreement(_message.Message):
    __slots__ = ("types", "max_rate_points", "max_share")
    TYPES_FIELD_NUMBER: _ClassVar[int]
    MAX_RATE_POINTS_FIELD_NUMBER: _ClassVar[int]
    MAX_SHARE_FIELD_NUMBER: _ClassVar[int]
    types: _containers.RepeatedScalarFieldContainer[_deals_pb2.SubsidyType]
    max_rate_points: str
    max_share: str
    def __init__(self, types: _Optional[_Iterable[_Union[_deals_pb2.SubsidyType, str]]] = ..., max_rate_points: _Optional[str] = ..., max_share: _Optional[str] = ...) -> None: ...

class Agreement(_message.Message):
    __slots__ = ("name", "kind", "owner", "counterparty", "version", "effective_from", "effective_until", "risk_sharing", "linkage", "subsidy", "recorded_by", "reference")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    RISK_SHARING_FIELD_NUMBER: _ClassVar[int]
    LINKAGE_FIELD_NUMBER: _ClassVar[int]
    SUBSIDY_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: AgreementKind
    owner: str
    counterparty: str
    version: int
    effective_from: _date_pb2.Date
    effective_until: _date_pb2.Date
    risk_sharing: RiskSharingAgreement
    linkage: LinkageAgreement
    subsidy: SubsidyAgreement
    recorded_by: _deals_pb2.Attribution
    reference: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[AgreementKind, str]] = ..., owner: _Optional[str] = ..., counterparty: _Optional[str] = ..., version: _Optional[int] = ..., effective_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., effective_until: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., risk_sharing: _Optional[_Union[RiskSharingAgreement, _Mapping]] = ..., linkage: _Optional[_Union[LinkageAgreement, _Mapping]] = ..., subsidy: _Optional[_Union[SubsidyAgreement, _Mapping]] = ..., recorded_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., reference: _Optional[str] = ...) -> None: ...

class CreateAgreementRequest(_message.Message):
    __slots__ = ("request_id", "agreement_id", "agreement")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    agreement_id: str
    agreement: Agreement
    def __init__(self, request_id: _Optional[str] = ..., agreement_id: _Optional[str] = ..., agreement: _Optional[_Union[Agreement, _Mapping]] = ...) -> None: ...

class CreateAgreementResponse(_message.Message):
    __slots__ = ("agreement",)
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    agreement: Agreement
    def __init__(self, agreement: _Optional[_Union[Agreement, _Mapping]] = ...) -> None: ...

class AmendAgreementRequest(_message.Message):
    __slots__ = ("request_id", "name", "agreement")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    agreement: Agreement
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., agreement: _Optional[_Union[Agreement, _Mapping]] = ...) -> None: ...

class AmendAgreementResponse(_message.Message):
    __slots__ = ("agreement",)
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    agreement: Agreement
    def __init__(self, agreement: _Optional[_Union[Agreement, _Mapping]] = ...) -> None: ...

class GetAgreementRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAgreementResponse(_message.Message):
    __slots__ = ("agreement",)
    AGREEMENT_FIELD_NUMBER: _ClassVar[int]
    agreement: Agreement
    def __init__(self, agreement: _Optional[_Union[Agreement, _Mapping]] = ...) -> None: ...

class ListAgreementsRequest(_message.Message):
    __slots__ = ("owner", "counterparty", "kind", "page_size", "page_token")
    OWNER_FIELD_NUMBER: _ClassVar[int]
    COUNTERPARTY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner: str
    counterparty: str
    kind: AgreementKind
    page_size: int
    page_token: str
    def __init__(self, owner: _Optional[str] = ..., counterparty: _Optional[str] = ..., kind: _Optional[_Union[AgreementKind, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAgreementsResponse(_message.Message):
    __slots__ = ("agreements", "next_page_token")
    AGREEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    agreements: _containers.RepeatedCompositeFieldContainer[Agreement]
    next_page_token: str
    def __init__(self, agreements: _Optional[_Iterable[_Union[Agreement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
