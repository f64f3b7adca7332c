import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from toudai.v1 import deals_pb2 as _deals_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConsentScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_SCOPE_UNSPECIFIED: _ClassVar[ConsentScope]
    CONSENT_SCOPE_LOANS: _ClassVar[ConsentScope]
    CONSENT_SCOPE_REPAYMENTS: _ClassVar[ConsentScope]
    CONSENT_SCOPE_OVERDUE: _ClassVar[ConsentScope]
    CONSENT_SCOPE_CLASSIFICATION: _ClassVar[ConsentScope]
    CONSENT_SCOPE_DEFAULTS: _ClassVar[ConsentScope]

class ConsentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_STATE_UNSPECIFIED: _ClassVar[ConsentState]
    CONSENT_STATE_ACTIVE: _ClassVar[ConsentState]
    CONSENT_STATE_REVOKED: _ClassVar[ConsentState]

class CreditDataFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDIT_DATA_FORMAT_UNSPECIFIED: _ClassVar[CreditDataFormat]
    CREDIT_DATA_FORMAT_JSONL: _ClassVar[CreditDataFormat]
    CREDIT_DATA_FORMAT_CSV: _ClassVar[CreditDataFormat]
CONSENT_SCOPE_UNSPECIFIED: ConsentScope
CONSENT_SCOPE_LOANS: ConsentScope
CONSENT_SCOPE_REPAYMENTS: ConsentScope
CONSENT_SCOPE_OVERDUE: ConsentScope
CONSENT_SCOPE_CLASSIFICATION: ConsentScope
CONSENT_SCOPE_DEFAULTS: ConsentScope
CONSENT_STATE_UNSPECIFIED: ConsentState
CONSENT_STATE_ACTIVE: ConsentState
CONSENT_STATE_REVOKED: ConsentState
CREDIT_DATA_FORMAT_UNSPECIFIED: CreditDataFormat
CREDIT_DATA_FORMAT_JSONL: CreditDataFormat
CREDIT_DATA_FORMAT_CSV: CreditDataFormat

class Consent(_message.Message):
    __slots__ = ("name", "branch", "borrower_uscc", "platform", "scopes", "signed_date", "expiry_date", "evidence_reference", "evidence_sha256", "state", "revoked_date", "revocation_reason", "recorded_by", "revoked_by")
    NAME_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SIGNED_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_DATE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_SHA256_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    REVOKED_DATE_FIELD_NUMBER: _ClassVar[int]
    REVOCATION_REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    branch: str
    borrower_uscc: str
    platform: str
    scopes: _containers.RepeatedScalarFieldContainer[ConsentScope]
    signed_date: _date_pb2.Date
    expiry_date: _date_pb2.Date
    evidence_reference: str
    evidence_sha256: str
    state: ConsentState
    revoked_date: _date_pb2.Date
    revocation_reason: str
    recorded_by: _deals_pb2.Attribution
    revoked_by: _deals_pb2.Attribution
    def __init__(self, name: _Optional[str] = ..., branch: _Optional[str] = ..., borrower_uscc: _Optional[str] = ..., platform: _Optional[str] = ..., scopes: _Optional[_Iterable[_Union[ConsentScope, str]]] = ..., signed_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., expiry_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., evidence_reference: _Optional[str] = ..., evidence_sha256: _Optional[str] = ..., state: _Optional[_Union[ConsentState, str]] = ..., revoked_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., revocation_reason: _Optional[str] = ..., recorded_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ..., revoked_by: _Optional[_Union[_deals_pb2.Attribution, _Mapping]] = ...) -> None: ...

class RecordConsentRequest(_message.Message):
    __slots__ = ("request_id", "branch", "borrower_uscc", "platform", "scopes", "signed_date", "expiry_date", "evidence_reference", "evidence_sha256")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    SIGNED_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_DATE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_SHA256_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    branch: str
    borrower_uscc: str
    platform: str
    scopes: _containers.RepeatedScalarFieldContainer[ConsentScope]
    signed_date: _date_pb2.Date
    expiry_date: _date_pb2.Date
    evidence_reference: str
    evidence_sha256: str
    def __init__(self, request_id: _Optional[str] = ..., branch: _Optional[str] = ..., borrower_uscc: _Optional[str] = ..., platform: _Optional[str] = ..., scopes: _Optional[_Iterable[_Union[ConsentScope, str]]] = ..., signed_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., expiry_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., evidence_reference: _Optional[str] = ..., evidence_sha256: _Optional[str] = ...) -> None: ...

class RecordConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: Consent
    def __init__(self, consent: _Optional[_Union[Consent, _Mapping]] = ...) -> None: ...

class RevokeConsentRequest(_message.Message):
    __slots__ = ("request_id", "name", "revoked_date", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_DATE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    revoked_date: _date_pb2.Date
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., revoked_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: Consent
    def __init__(self, consent: _Optional[_Union[Consent, _Mapping]] = ...) -> None: ...

class GetConsentRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetConsentResponse(_message.Message):
    __slots__ = ("consent",)
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    consent: Consent
    def __init__(self, consent: _Optional[_Union[Consent, _Mapping]] = ...) -> None: ...

class ListConsentsRequest(_message.Message):
    __slots__ = ("branch", "borrower_uscc", "platform")
    BRANCH_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    branch: str
    borrower_uscc: str
    platform: str
    def __init__(self, branch: _Optional[str] = ..., borrower_uscc: _Optional[str] = ..., platform: _Optional[str] = ...) -> None: ...

class ListConsentsResponse(_message.Message):
    __slots__ = ("consents",)
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    consents: _containers.RepeatedCompositeFieldContainer[Consent]
    def __init__(self, consents: _Optional[_Iterable[_Union[Consent, _Mapping]]] = ...) -> None: ...

class ExportCreditDataRequest(_message.Message):
    __slots__ = ("platform", "borrower_usccs", "from_date", "to_date", "format", "scopes")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCCS_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    platform: str
    borrower_usccs: _containers.RepeatedScalarFieldContainer[str]
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    format: CreditDataFormat
    scopes: _containers.RepeatedScalarFieldContainer[ConsentScope]
    def __init__(self, platform: _Optional[str] = ..., borrower_usccs: _Optional[_Iterable[str]] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., format: _Optional[_Union[CreditDataFormat, str]] = ..., scopes: _Optional[_Iterable[_Union[ConsentScope, str]]] = ...) -> None: ...

class ExportCreditDataResponse(_message.Message):
    __slots__ = ("data", "records_exported", "records_total", "manifest")
    DATA_FIELD_NUMBER: _ClassVar[int]
    RECORDS_EXPORTED_FIELD_NUMBER: _ClassVar[int]
    RECORDS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    records_exported: int
    records_total: int
    manifest: CreditDataManifest
    def __init__(self, data: _Optional[bytes] = ..., records_exported: _Optional[int] = ..., records_total: _Optional[int] = ..., manifest: _Optional[_Union[CreditDataManifest, _Mapping]] = ...) -> None: ...

class CreditDataManifest(_message.Message):
    __slots__ = ("json", "sha256", "size_bytes", "record_count", "export")
    JSON_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    json: str
    sha256: str
    size_bytes: int
    record_count: int
    export: str
    def __init__(self, json: _Optional[str] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., record_count: _Optional[int] = ..., export: _Optional[str] = ...) -> None: ...

class ListCreditDataExportsRequest(_message.Message):
    __slots__ = ("platform", "borrower_uscc", "page_size")
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCC_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    platform: str
    borrower_uscc: str
    page_size: int
    def __init__(self, platform: _Optional[str] = ..., borrower_uscc: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class CreditDataExport(_message.Message):
    __slots__ = ("name", "platform", "borrower_usccs", "scopes", "from_date", "to_date", "format", "export_date", "consents", "record_count", "sha256", "size_bytes", "principal", "role", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_FIELD_NUMBER: _ClassVar[int]
    BORROWER_USCCS_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    FROM_DATE_FIELD_NUMBER: _ClassVar[int]
    TO_DATE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    EXPORT_DATE_FIELD_NUMBER: _ClassVar[int]
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    RECORD_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    platform: str
    borrower_usccs: _containers.RepeatedScalarFieldContainer[str]
    scopes: _containers.RepeatedScalarFieldContainer[ConsentScope]
    from_date: _date_pb2.Date
    to_date: _date_pb2.Date
    format: CreditDataFormat
    export_date: _date_pb2.Date
    consents: _containers.RepeatedScalarFieldContainer[str]
    record_count: int
    sha256: str
    size_bytes: int
    principal: str
    role: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., platform: _Optional[str] = ..., borrower_usccs: _Optional[_Iterable[str]] = ..., scopes: _Optional[_Iterable[_Union[ConsentScope, str]]] = ..., from_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., to_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., format: _Optional[_Union[CreditDataFormat, str]] = ..., export_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., consents: _Optional[_Iterable[str]] = ..., record_count: _Optional[int] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., principal: _Optional[str] = ..., role: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListCreditDataExportsResponse(_message.Message):
    __slots__ = ("exports",)
    EXPORTS_FIELD_NUMBER: _ClassVar[int]
    exports: _containers.RepeatedCompositeFieldContainer[CreditDataExport]
    def __init__(self, exports: _Optional[_Iterable[_Union[CreditDataExport, _Mapping]]] = ...) -> None: ...
