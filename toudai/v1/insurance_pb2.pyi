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

class InsuranceClaimStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INSURANCE_CLAIM_STATUS_UNSPECIFIED: _ClassVar[InsuranceClaimStatus]
    INSURANCE_CLAIM_STATUS_PENDING: _ClassVar[InsuranceClaimStatus]
    INSURANCE_CLAIM_STATUS_APPROVED: _ClassVar[InsuranceClaimStatus]
    INSURANCE_CLAIM_STATUS_REJECTED: _ClassVar[InsuranceClaimStatus]
    INSURANCE_CLAIM_STATUS_SETTLED: _ClassVar[InsuranceClaimStatus]
INSURANCE_CLAIM_STATUS_UNSPECIFIED: InsuranceClaimStatus
INSURANCE_CLAIM_STATUS_PENDING: InsuranceClaimStatus
INSURANCE_CLAIM_STATUS_APPROVED: InsuranceClaimStatus
INSURANCE_CLAIM_STATUS_REJECTED: InsuranceClaimStatus
INSURANCE_CLAIM_STATUS_SETTLED: InsuranceClaimStatus

class InsuranceClaim(_message.Message):
    __slots__ = ("name", "deal", "insurer", "branch", "status", "loss", "rate", "amount", "settled", "value_date", "decision_date", "filed_by", "decided_by", "reason", "transaction")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DEAL_FIELD_NUMBER: _ClassVar[int]
    INSURER_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SETTLED_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DECISION_DATE_FIELD_NUMBER: _ClassVar[int]
    FILED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    deal: str
    insurer: str
    branch: str
    status: InsuranceClaimStatus
    loss: _money_pb2.Money
    rate: str
    amount: _money_pb2.Money
    settled: _money_pb2.Money
    value_date: _date_pb2.Date
    decision_date: _date_pb2.Date
    filed_by: _deals_pb2.Attribution
    decided_by: _deals_pb2.Attribution
    reason: str
    transaction: str
    def __init__(self, name: _Optional[str] = ..., deal: _Optional[str] = ..., insurer: _Optional[str] = ..., branch: _Optional[str] = ..., status: _Optional[_Union[InsuranceClaimStatus, str]] = ..., loss: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., rate: _Optional[str] = ..., amount: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., settled: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., decision_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., filed_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., decided_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., reason: _Optional[str] = ..., transaction: _Optional[str] = ...) -> None: ...

class GetInsuranceClaimRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetInsuranceClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: InsuranceClaim
    def __init__(self, claim: _Optional[_Union[InsuranceClaim, _Mapping]] = ...) -> None: ...

class ListInsuranceClaimsRequest(_message.Message):
    __slots__ = ("insurer", "branch", "status", "page_size", "page_token")
    INSURER_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    insurer: str
    branch: str
    status: InsuranceClaimStatus
    page_size: int
    page_token: str
    def __init__(self, insurer: _Optional[str] = ..., branch: _Optional[str] = ..., status: _Optional[_Union[InsuranceClaimStatus, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInsuranceClaimsResponse(_message.Message):
    __slots__ = ("claims", "next_page_token")
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    claims: _containers.RepeatedCompositeFieldContainer[InsuranceClaim]
    next_page_token: str
    def __init__(self, claims: _Optional[_Iterable[_Union[InsuranceClaim, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApproveInsuranceClaimRequest(_message.Message):
    __slots__ = ("request_id", "name", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class ApproveInsuranceClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: InsuranceClaim
    def __init__(self, claim: _Optional[_Union[InsuranceClaim, _Mapping]] = ...) -> None: ...

class RejectInsuranceClaimRequest(_message.Message):
    __slots__ = ("request_id", "name", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectInsuranceClaimResponse(_message.Message):
    __slots__ = ("claim",)
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    claim: InsuranceClaim
    def __init__(self, claim: _Optional[_Union[InsuranceClaim, _Mapping]] = ...) -> None: ...

class SettleInsuranceClaimRequest(_message.Message):
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

class SettleInsuranceClaimResponse(_message.Message):
    __slots__ = ("claim", "outstanding", "transaction")
    CLAIM_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    claim: InsuranceClaim
    outstanding: _money_pb2.Money
    transaction: str
    def __init__(self, claim: _Optional[_Union[InsuranceClaim, _Mapping]] = ..., outstanding: _Optional[_Union[_money_pb2.Money, _Mapping]] = ..., transaction: _Optional[str] = ...) -> None: ...
