import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from toudai.v1 import ledger_pb2 as _ledger_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_JSONL: _ClassVar[ExportFormat]
    EXPORT_FORMAT_BEANCOUNT: _ClassVar[ExportFormat]
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_CSV: ExportFormat
EXPORT_FORMAT_JSONL: ExportFormat
EXPORT_FORMAT_BEANCOUNT: ExportFormat

class ExportJournalRequest(_message.Message):
    __slots__ = ("format", "parties", "accounts", "value_date_from", "value_date_to", "from_sequence", "to_sequence")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FROM_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_TO_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    format: ExportFormat
    parties: _containers.RepeatedScalarFieldContainer[str]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    value_date_from: _date_pb2.Date
    value_date_to: _date_pb2.Date
    from_sequence: int
    to_sequence: int
    def __init__(self, format: _Optional[_Union[ExportFormat, str]] = ..., parties: _Optional[_Iterable[str]] = ..., accounts: _Optional[_Iterable[str]] = ..., value_date_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., value_date_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class ExportJournalResponse(_message.Message):
    __slots__ = ("data", "legs_exported", "legs_total", "manifest")
    DATA_FIELD_NUMBER: _ClassVar[int]
    LEGS_EXPORTED_FIELD_NUMBER: _ClassVar[int]
    LEGS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    legs_exported: int
    legs_total: int
    manifest: ExportManifest
    def __init__(self, data: _Optional[bytes] = ..., legs_exported: _Optional[int] = ..., legs_total: _Optional[int] = ..., manifest: _Optional[_Union[ExportManifest, _Mapping]] = ...) -> None: ...

class ExportManifest(_message.Message):
    __slots__ = ("json", "sha256", "size_bytes", "transaction_count", "leg_count", "posting_count", "checkpoint", "signed_checkpoint")
    JSON_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    LEG_COUNT_FIELD_NUMBER: _ClassVar[int]
    POSTING_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    SIGNED_CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    json: str
    sha256: str
    size_bytes: int
    transaction_count: int
    leg_count: int
    posting_count: int
    checkpoint: str
    signed_checkpoint: str
    def __init__(self, json: _Optional[str] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., transaction_count: _Optional[int] = ..., leg_count: _Optional[int] = ..., posting_count: _Optional[int] = ..., checkpoint: _Optional[str] = ..., signed_checkpoint: _Optional[str] = ...) -> None: ...

class BookPosition(_message.Message):
    __slots__ = ("party", "sequence")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    party: str
    sequence: int
    def __init__(self, party: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class SubscribeJournalRequest(_message.Message):
    __slots__ = ("parties", "start_sequence", "after", "cursor", "stop_when_caught_up")
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    START_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    STOP_WHEN_CAUGHT_UP_FIELD_NUMBER: _ClassVar[int]
    parties: _containers.RepeatedScalarFieldContainer[str]
    start_sequence: int
    after: _containers.RepeatedCompositeFieldContainer[BookPosition]
    cursor: str
    stop_when_caught_up: bool
    def __init__(self, parties: _Optional[_Iterable[str]] = ..., start_sequence: _Optional[int] = ..., after: _Optional[_Iterable[_Union[BookPosition, _Mapping]]] = ..., cursor: _Optional[str] = ..., stop_when_caught_up: _Optional[bool] = ...) -> None: ...

class SubscribeJournalResponse(_message.Message):
    __slots__ = ("leg", "cursor")
    LEG_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    leg: JournalLeg
    cursor: str
    def __init__(self, leg: _Optional[_Union[JournalLeg, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...

class JournalPosting(_message.Message):
    __slots__ = ("account", "commodity", "amount_minor")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MINOR_FIELD_NUMBER: _ClassVar[int]
    account: str
    commodity: str
    amount_minor: int
    def __init__(self, account: _Optional[str] = ..., commodity: _Optional[str] = ..., amount_minor: _Optional[int] = ...) -> None: ...

class JournalLeg(_message.Message):
    __slots__ = ("encoding_version", "book", "sequence", "prev_hash", "hash", "transaction_id", "request_id", "value_date", "record_time", "description", "metadata", "reverses", "postings")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENCODING_VERSION_FIELD_NUMBER: _ClassVar[int]
    BOOK_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REVERSES_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    encoding_version: int
    book: str
    sequence: int
    prev_hash: str
    hash: str
    transaction_id: str
    request_id: str
    value_date: _date_pb2.Date
    record_time: _timestamp_pb2.Timestamp
    description: str
    metadata: _containers.ScalarMap[str, str]
    reverses: str
    postings: _containers.RepeatedCompositeFieldContainer[JournalPosting]
    def __init__(self, encoding_version: _Optional[int] = ..., book: _Optional[str] = ..., sequence: _Optional[int] = ..., prev_hash: _Optional[str] = ..., hash: _Optional[str] = ..., transaction_id: _Optional[str] = ..., request_id: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., reverses: _Optional[str] = ..., postings: _Optional[_Iterable[_Union[JournalPosting, _Mapping]]] = ...) -> None: ...

class TrialBalanceRequest(_message.Message):
    __slots__ = ("as_of_date", "parties")
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    as_of_date: _date_pb2.Date
    parties: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., parties: _Optional[_Iterable[str]] = ...) -> None: ...

class TrialBalanceResponse(_message.Message):
    __slots__ = ("as_of_date", "parties", "balanced")
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    BALANCED_FIELD_NUMBER: _ClassVar[int]
    as_of_date: _date_pb2.Date
    parties: _containers.RepeatedCompositeFieldContainer[PartyTrialBalance]
    balanced: bool
    def __init__(self, as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., parties: _Optional[_Iterable[_Union[PartyTrialBalance, _Mapping]]] = ..., balanced: _Optional[bool] = ...) -> None: ...

class PartyTrialBalance(_message.Message):
    __slots__ = ("party", "display_name", "kind", "lines", "totals", "balanced")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    BALANCED_FIELD_NUMBER: _ClassVar[int]
    party: str
    display_name: str
    kind: _ledger_pb2.PartyKind
    lines: _containers.RepeatedCompositeFieldContainer[TrialBalanceLine]
    totals: _containers.RepeatedCompositeFieldContainer[CommodityTotal]
    balanced: bool
    def __init__(self, party: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[_ledger_pb2.PartyKind, str]] = ..., lines: _Optional[_Iterable[_Union[TrialBalanceLine, _Mapping]]] = ..., totals: _Optional[_Iterable[_Union[CommodityTotal, _Mapping]]] = ..., balanced: _Optional[bool] = ...) -> None: ...

class TrialBalanceLine(_message.Message):
    __slots__ = ("account", "type", "commodity", "debit", "credit", "balance_minor")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    DEBIT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_MINOR_FIELD_NUMBER: _ClassVar[int]
    account: str
    type: _ledger_pb2.AccountType
    commodity: str
    debit: str
    credit: str
    balance_minor: int
    def __init__(self, account: _Optional[str] = ..., type: _Optional[_Union[_ledger_pb2.AccountType, str]] = ..., commodity: _Optional[str] = ..., debit: _Optional[str] = ..., credit: _Optional[str] = ..., balance_minor: _Optional[int] = ...) -> None: ...

class CommodityTotal(_message.Message):
    __slots__ = ("commodity", "debit", "credit", "balanced")
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    DEBIT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    BALANCED_FIELD_NUMBER: _ClassVar[int]
    commodity: str
    debit: str
    credit: str
    balanced: bool
    def __init__(self, commodity: _Optional[str] = ..., debit: _Optional[str] = ..., credit: _Optional[str] = ..., balanced: _Optional[bool] = ...) -> None: ...

class VerifyChainRequest(_message.Message):
    __slots__ = ("party", "from_sequence", "to_sequence")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    FROM_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TO_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    party: str
    from_sequence: int
    to_sequence: int
    def __init__(self, party: _Optional[str] = ..., from_sequence: _Optional[int] = ..., to_sequence: _Optional[int] = ...) -> None: ...

class VerifyChainResponse(_message.Message):
    __slots__ = ("party", "ok", "legs_checked", "first_bad_sequence", "faults", "head_sequence", "head_hash", "computed_hash")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    LEGS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FAULTS_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HEAD_HASH_FIELD_NUMBER: _ClassVar[int]
    COMPUTED_HASH_FIELD_NUMBER: _ClassVar[int]
    party: str
    ok: bool
    legs_checked: int
    first_bad_sequence: int
    faults: _containers.RepeatedCompositeFieldContainer[ChainFault]
    head_sequence: int
    head_hash: str
    computed_hash: str
    def __init__(self, party: _Optional[str] = ..., ok: _Optional[bool] = ..., legs_checked: _Optional[int] = ..., first_bad_sequence: _Optional[int] = ..., faults: _Optional[_Iterable[_Union[ChainFault, _Mapping]]] = ..., head_sequence: _Optional[int] = ..., head_hash: _Optional[str] = ..., computed_hash: _Optional[str] = ...) -> None: ...

class ChainFault(_message.Message):
    __slots__ = ("sequence", "kind", "description")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    kind: str
    description: str
    def __init__(self, sequence: _Optional[int] = ..., kind: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class GetChainHeadRequest(_message.Message):
    __slots__ = ("parties",)
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    parties: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, parties: _Optional[_Iterable[str]] = ...) -> None: ...

class GetChainHeadResponse(_message.Message):
    __slots__ = ("heads", "checkpoint", "checkpoint_heads", "read_time", "encoding_version")
    HEADS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_HEADS_FIELD_NUMBER: _ClassVar[int]
    READ_TIME_FIELD_NUMBER: _ClassVar[int]
    ENCODING_VERSION_FIELD_NUMBER: _ClassVar[int]
    heads: _containers.RepeatedCompositeFieldContainer[BookHead]
    checkpoint: str
    checkpoint_heads: _containers.RepeatedCompositeFieldContainer[BookHead]
    read_time: _timestamp_pb2.Timestamp
    encoding_version: int
    def __init__(self, heads: _Optional[_Iterable[_Union[BookHead, _Mapping]]] = ..., checkpoint: _Optional[str] = ..., checkpoint_heads: _Optional[_Iterable[_Union[BookHead, _Mapping]]] = ..., read_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., encoding_version: _Optional[int] = ...) -> None: ...

class BookHead(_message.Message):
    __slots__ = ("party", "sequence", "hash")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    party: str
    sequence: int
    hash: str
    def __init__(self, party: _Optional[str] = ..., sequence: _Optional[int] = ..., hash: _Optional[str] = ...) -> None: ...

class GetBalanceHistoryRequest(_message.Message):
    __slots__ = ("accounts", "as_of_date")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    as_of_date: _date_pb2.Date
    def __init__(self, accounts: _Optional[_Iterable[str]] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetBalanceHistoryResponse(_message.Message):
    __slots__ = ("histories",)
    HISTORIES_FIELD_NUMBER: _ClassVar[int]
    histories: _containers.RepeatedCompositeFieldContainer[AccountBalanceHistory]
    def __init__(self, histories: _Optional[_Iterable[_Union[AccountBalanceHistory, _Mapping]]] = ...) -> None: ...

class AccountBalanceHistory(_message.Message):
    __slots__ = ("account", "commodity", "type", "points")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    account: str
    commodity: str
    type: _ledger_pb2.AccountType
    points: _containers.RepeatedCompositeFieldContainer[BalancePoint]
    def __init__(self, account: _Optional[str] = ..., commodity: _Optional[str] = ..., type: _Optional[_Union[_ledger_pb2.AccountType, str]] = ..., points: _Optional[_Iterable[_Union[BalancePoint, _Mapping]]] = ...) -> None: ...

class BalancePoint(_message.Message):
    __slots__ = ("value_date", "balance", "balance_minor")
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    BALANCE_MINOR_FIELD_NUMBER: _ClassVar[int]
    value_date: _date_pb2.Date
    balance: str
    balance_minor: int
    def __init__(self, value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., balance: _Optional[str] = ..., balance_minor: _Optional[int] = ...) -> None: ...

class GetCheckpointRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCheckpointResponse(_message.Message):
    __slots__ = ("signed_note", "keys", "checkpoint")
    SIGNED_NOTE_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    signed_note: str
    keys: _containers.RepeatedCompositeFieldContainer[CheckpointKey]
    checkpoint: str
    def __init__(self, signed_note: _Optional[str] = ..., keys: _Optional[_Iterable[_Union[CheckpointKey, _Mapping]]] = ..., checkpoint: _Optional[str] = ...) -> None: ...

class CheckpointKey(_message.Message):
    __slots__ = ("kid", "vkey", "public_key", "key_id")
    KID_FIELD_NUMBER: _ClassVar[int]
    VKEY_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    kid: str
    vkey: str
    public_key: bytes
    key_id: str
    def __init__(self, kid: _Optional[str] = ..., vkey: _Optional[str] = ..., public_key: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class GetInclusionProofRequest(_message.Message):
    __slots__ = ("book", "sequence", "tree_size", "checkpoint")
    BOOK_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    book: str
    sequence: int
    tree_size: int
    checkpoint: str
    def __init__(self, book: _Optional[str] = ..., sequence: _Optional[int] = ..., tree_size: _Optional[int] = ..., checkpoint: _Optional[str] = ...) -> None: ...

class GetInclusionProofResponse(_message.Message):
    __slots__ = ("book", "sequence", "tree_size", "leaf_hash", "leg_hash", "path", "root")
    BOOK_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TREE_SIZE_FIELD_NUMBER: _ClassVar[int]
    LEAF_HASH_FIELD_NUMBER: _ClassVar[int]
    LEG_HASH_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ROOT_FIELD_NUMBER: _ClassVar[int]
    book: str
    sequence: int
    tree_size: int
    leaf_hash: bytes
    leg_hash: str
    path: _containers.RepeatedScalarFieldContainer[bytes]
    root: bytes
    def __init__(self, book: _Optional[str] = ..., sequence: _Optional[int] = ..., tree_size: _Optional[int] = ..., leaf_hash: _Optional[bytes] = ..., leg_hash: _Optional[str] = ..., path: _Optional[_Iterable[bytes]] = ..., root: _Optional[bytes] = ...) -> None: ...

class GetConsistencyProofRequest(_message.Message):
    __slots__ = ("book", "first_size", "second_size")
    BOOK_FIELD_NUMBER: _ClassVar[int]
    FIRST_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECOND_SIZE_FIELD_NUMBER: _ClassVar[int]
    book: str
    first_size: int
    second_size: int
    def __init__(self, book: _Optional[str] = ..., first_size: _Optional[int] = ..., second_size: _Optional[int] = ...) -> None: ...

class GetConsistencyProofResponse(_message.Message):
    __slots__ = ("book", "first_size", "second_size", "path", "first_root", "second_root")
    BOOK_FIELD_NUMBER: _ClassVar[int]
    FIRST_SIZE_FIELD_NUMBER: _ClassVar[int]
    SECOND_SIZE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FIRST_ROOT_FIELD_NUMBER: _ClassVar[int]
    SECOND_ROOT_FIELD_NUMBER: _ClassVar[int]
    book: str
    first_size: int
    second_size: int
    path: _containers.RepeatedScalarFieldContainer[bytes]
    first_root: bytes
    second_root: bytes
    def __init__(self, book: _Optional[str] = ..., first_size: _Optional[int] = ..., second_size: _Optional[int] = ..., path: _Optional[_Iterable[bytes]] = ..., first_root: _Optional[bytes] = ..., second_root: _Optional[bytes] = ...) -> None: ...
