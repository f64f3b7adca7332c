import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PartyKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARTY_KIND_UNSPECIFIED: _ClassVar[PartyKind]
    PARTY_KIND_BANK_BRANCH: _ClassVar[PartyKind]
    PARTY_KIND_INVESTMENT_ARM: _ClassVar[PartyKind]
    PARTY_KIND_RISK_POOL: _ClassVar[PartyKind]
    PARTY_KIND_SUBSIDY_FUND: _ClassVar[PartyKind]
    PARTY_KIND_INSURER: _ClassVar[PartyKind]
    PARTY_KIND_BORROWER: _ClassVar[PartyKind]
    PARTY_KIND_OTHER: _ClassVar[PartyKind]

class AccountType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACCOUNT_TYPE_UNSPECIFIED: _ClassVar[AccountType]
    ACCOUNT_TYPE_ASSET: _ClassVar[AccountType]
    ACCOUNT_TYPE_LIABILITY: _ClassVar[AccountType]
    ACCOUNT_TYPE_EQUITY: _ClassVar[AccountType]
    ACCOUNT_TYPE_INCOME: _ClassVar[AccountType]
    ACCOUNT_TYPE_EXPENSE: _ClassVar[AccountType]

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    SIDE_DEBIT: _ClassVar[Side]
    SIDE_CREDIT: _ClassVar[Side]

class CommodityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMMODITY_KIND_UNSPECIFIED: _ClassVar[CommodityKind]
    COMMODITY_KIND_CURRENCY: _ClassVar[CommodityKind]
    COMMODITY_KIND_OPTION: _ClassVar[CommodityKind]
    COMMODITY_KIND_SHARE: _ClassVar[CommodityKind]
    COMMODITY_KIND_OTHER: _ClassVar[CommodityKind]

class HoldState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATE_UNSPECIFIED: _ClassVar[HoldState]
    HOLD_STATE_PENDING: _ClassVar[HoldState]
    HOLD_STATE_CAPTURED: _ClassVar[HoldState]
    HOLD_STATE_VOIDED: _ClassVar[HoldState]
    HOLD_STATE_EXPIRED: _ClassVar[HoldState]

class TransactionView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_VIEW_UNSPECIFIED: _ClassVar[TransactionView]
    TRANSACTION_VIEW_BASIC: _ClassVar[TransactionView]
    TRANSACTION_VIEW_FULL: _ClassVar[TransactionView]
PARTY_KIND_UNSPECIFIED: PartyKind
PARTY_KIND_BANK_BRANCH: PartyKind
PARTY_KIND_INVESTMENT_ARM: PartyKind
PARTY_KIND_RISK_POOL: PartyKind
PARTY_KIND_SUBSIDY_FUND: PartyKind
PARTY_KIND_INSURER: PartyKind
PARTY_KIND_BORROWER: PartyKind
PARTY_KIND_OTHER: PartyKind
ACCOUNT_TYPE_UNSPECIFIED: AccountType
ACCOUNT_TYPE_ASSET: AccountType
ACCOUNT_TYPE_LIABILITY: AccountType
ACCOUNT_TYPE_EQUITY: AccountType
ACCOUNT_TYPE_INCOME: AccountType
ACCOUNT_TYPE_EXPENSE: AccountType
SIDE_UNSPECIFIED: Side
SIDE_DEBIT: Side
SIDE_CREDIT: Side
COMMODITY_KIND_UNSPECIFIED: CommodityKind
COMMODITY_KIND_CURRENCY: CommodityKind
COMMODITY_KIND_OPTION: CommodityKind
COMMODITY_KIND_SHARE: CommodityKind
COMMODITY_KIND_OTHER: CommodityKind
HOLD_STATE_UNSPECIFIED: HoldState
HOLD_STATE_PENDING: HoldState
HOLD_STATE_CAPTURED: HoldState
HOLD_STATE_VOIDED: HoldState
HOLD_STATE_EXPIRED: HoldState
TRANSACTION_VIEW_UNSPECIFIED: TransactionView
TRANSACTION_VIEW_BASIC: TransactionView
TRANSACTION_VIEW_FULL: TransactionView

class Amount(_message.Message):
    __slots__ = ("commodity", "value")
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    commodity: str
    value: str
    def __init__(self, commodity: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Party(_message.Message):
    __slots__ = ("name", "display_name", "kind", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    kind: PartyKind
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[PartyKind, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Commodity(_message.Message):
    __slots__ = ("name", "code", "kind", "scale", "display_name")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    code: str
    kind: CommodityKind
    scale: int
    display_name: str
    def __init__(self, name: _Optional[str] = ..., code: _Optional[str] = ..., kind: _Optional[_Union[CommodityKind, str]] = ..., scale: _Optional[int] = ..., display_name: _Optional[str] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("name", "party", "code", "display_name", "type", "commodity", "must_not_go_negative", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    MUST_NOT_GO_NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    party: str
    code: str
    display_name: str
    type: AccountType
    commodity: str
    must_not_go_negative: bool
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., party: _Optional[str] = ..., code: _Optional[str] = ..., display_name: _Optional[str] = ..., type: _Optional[_Union[AccountType, str]] = ..., commodity: _Optional[str] = ..., must_not_go_negative: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Posting(_message.Message):
    __slots__ = ("account", "side", "amount")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    account: str
    side: Side
    amount: Amount
    def __init__(self, account: _Optional[str] = ..., side: _Optional[_Union[Side, str]] = ..., amount: _Optional[_Union[Amount, _Mapping]] = ...) -> None: ...

class TransactionInput(_message.Message):
    __slots__ = ("request_id", "value_date", "description", "metadata", "postings")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    value_date: _date_pb2.Date
    description: str
    metadata: _containers.ScalarMap[str, str]
    postings: _containers.RepeatedCompositeFieldContainer[Posting]
    def __init__(self, request_id: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., postings: _Optional[_Iterable[_Union[Posting, _Mapping]]] = ...) -> None: ...

class Leg(_message.Message):
    __slots__ = ("party", "sequence", "hash")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    party: str
    sequence: int
    hash: str
    def __init__(self, party: _Optional[str] = ..., sequence: _Optional[int] = ..., hash: _Optional[str] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ("name", "request_id", "value_date", "description", "metadata", "postings", "legs", "create_time", "reverses", "reversed_by")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    LEGS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVERSES_FIELD_NUMBER: _ClassVar[int]
    REVERSED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    value_date: _date_pb2.Date
    description: str
    metadata: _containers.ScalarMap[str, str]
    postings: _containers.RepeatedCompositeFieldContainer[Posting]
    legs: _containers.RepeatedCompositeFieldContainer[Leg]
    create_time: _timestamp_pb2.Timestamp
    reverses: str
    reversed_by: str
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., postings: _Optional[_Iterable[_Union[Posting, _Mapping]]] = ..., legs: _Optional[_Iterable[_Union[Leg, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reverses: _Optional[str] = ..., reversed_by: _Optional[str] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("account", "balance", "held", "available", "as_of_date")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    account: str
    balance: Amount
    held: Amount
    available: Amount
    as_of_date: _date_pb2.Date
    def __init__(self, account: _Optional[str] = ..., balance: _Optional[_Union[Amount, _Mapping]] = ..., held: _Optional[_Union[Amount, _Mapping]] = ..., available: _Optional[_Union[Amount, _Mapping]] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class Hold(_message.Message):
    __slots__ = ("name", "request_id", "debit_account", "credit_account", "amount", "captured", "state", "expire_time", "description", "metadata", "capture_transaction", "create_time")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEBIT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    request_id: str
    debit_account: str
    credit_account: str
    amount: Amount
    captured: Amount
    state: HoldState
    expire_time: _timestamp_pb2.Timestamp
    description: str
    metadata: _containers.ScalarMap[str, str]
    capture_transaction: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., request_id: _Optional[str] = ..., debit_account: _Optional[str] = ..., credit_account: _Optional[str] = ..., amount: _Optional[_Union[Amount, _Mapping]] = ..., captured: _Optional[_Union[Amount, _Mapping]] = ..., state: _Optional[_Union[HoldState, str]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ..., capture_transaction: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePartyRequest(_message.Message):
    __slots__ = ("request_id", "party_id", "display_name", "kind")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    party_id: str
    display_name: str
    kind: PartyKind
    def __init__(self, request_id: _Optional[str] = ..., party_id: _Optional[str] = ..., display_name: _Optional[str] = ..., kind: _Optional[_Union[PartyKind, str]] = ...) -> None: ...

class CreatePartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: Party
    def __init__(self, party: _Optional[_Union[Party, _Mapping]] = ...) -> None: ...

class GetPartyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPartyResponse(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: Party
    def __init__(self, party: _Optional[_Union[Party, _Mapping]] = ...) -> None: ...

class ListPartiesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPartiesResponse(_message.Message):
    __slots__ = ("parties", "next_page_token")
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parties: _containers.RepeatedCompositeFieldContainer[Party]
    next_page_token: str
    def __init__(self, parties: _Optional[_Iterable[_Union[Party, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateCommodityRequest(_message.Message):
    __slots__ = ("request_id", "code", "kind", "scale", "display_name")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    code: str
    kind: CommodityKind
    scale: int
    display_name: str
    def __init__(self, request_id: _Optional[str] = ..., code: _Optional[str] = ..., kind: _Optional[_Union[CommodityKind, str]] = ..., scale: _Optional[int] = ..., display_name: _Optional[str] = ...) -> None: ...

class CreateCommodityResponse(_message.Message):
    __slots__ = ("commodity",)
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    commodity: Commodity
    def __init__(self, commodity: _Optional[_Union[Commodity, _Mapping]] = ...) -> None: ...

class ListCommoditiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListCommoditiesResponse(_message.Message):
    __slots__ = ("commodities",)
    COMMODITIES_FIELD_NUMBER: _ClassVar[int]
    commodities: _containers.RepeatedCompositeFieldContainer[Commodity]
    def __init__(self, commodities: _Optional[_Iterable[_Union[Commodity, _Mapping]]] = ...) -> None: ...

class CreateAccountRequest(_message.Message):
    __slots__ = ("request_id", "party", "code", "display_name", "type", "commodity", "must_not_go_negative")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    MUST_NOT_GO_NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    party: str
    code: str
    display_name: str
    type: AccountType
    commodity: str
    must_not_go_negative: bool
    def __init__(self, request_id: _Optional[str] = ..., party: _Optional[str] = ..., code: _Optional[str] = ..., display_name: _Optional[str] = ..., type: _Optional[_Union[AccountType, str]] = ..., commodity: _Optional[str] = ..., must_not_go_negative: _Optional[bool] = ...) -> None: ...

class CreateAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ("party", "commodity", "type", "page_size", "page_token")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    party: str
    commodity: str
    type: AccountType
    page_size: int
    page_token: str
    def __init__(self, party: _Optional[str] = ..., commodity: _Optional[str] = ..., type: _Optional[_Union[AccountType, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[Account]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[Account, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PostTransactionsRequest(_message.Message):
    __slots__ = ("transactions", "view")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[TransactionInput]
    view: TransactionView
    def __init__(self, transactions: _Optional[_Iterable[_Union[TransactionInput, _Mapping]]] = ..., view: _Optional[_Union[TransactionView, str]] = ...) -> None: ...

class PostTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "balances", "replayed")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[Transaction]
    balances: _containers.RepeatedCompositeFieldContainer[Balance]
    replayed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, transactions: _Optional[_Iterable[_Union[Transaction, _Mapping]]] = ..., balances: _Optional[_Iterable[_Union[Balance, _Mapping]]] = ..., replayed: _Optional[_Iterable[str]] = ...) -> None: ...

class ReverseTransactionRequest(_message.Message):
    __slots__ = ("request_id", "name", "value_date", "description")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    value_date: _date_pb2.Date
    description: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., description: _Optional[str] = ...) -> None: ...

class ReverseTransactionResponse(_message.Message):
    __slots__ = ("transaction", "balances")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    balances: _containers.RepeatedCompositeFieldContainer[Balance]
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ..., balances: _Optional[_Iterable[_Union[Balance, _Mapping]]] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetTransactionResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: Transaction
    def __init__(self, transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class ListTransactionsRequest(_message.Message):
    __slots__ = ("party", "account", "value_date_from", "value_date_to", "metadata_key", "metadata_value", "page_size", "page_token")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FROM_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_TO_FIELD_NUMBER: _ClassVar[int]
    METADATA_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_VALUE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    party: str
    account: str
    value_date_from: _date_pb2.Date
    value_date_to: _date_pb2.Date
    metadata_key: str
    metadata_value: str
    page_size: int
    page_token: str
    def __init__(self, party: _Optional[str] = ..., account: _Optional[str] = ..., value_date_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., value_date_to: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., metadata_key: _Optional[str] = ..., metadata_value: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTransactionsResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[Transaction]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[Transaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("account", "as_of_date")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    account: str
    as_of_date: _date_pb2.Date
    def __init__(self, account: _Optional[str] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("balance",)
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    balance: Balance
    def __init__(self, balance: _Optional[_Union[Balance, _Mapping]] = ...) -> None: ...

class BatchGetBalancesRequest(_message.Message):
    __slots__ = ("accounts", "as_of_date")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_DATE_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    as_of_date: _date_pb2.Date
    def __init__(self, accounts: _Optional[_Iterable[str]] = ..., as_of_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class BatchGetBalancesResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[Balance]
    def __init__(self, balances: _Optional[_Iterable[_Union[Balance, _Mapping]]] = ...) -> None: ...

class CreateHoldRequest(_message.Message):
    __slots__ = ("request_id", "debit_account", "credit_account", "amount", "expire_time", "description", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DEBIT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    debit_account: str
    credit_account: str
    amount: Amount
    expire_time: _timestamp_pb2.Timestamp
    description: str
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, request_id: _Optional[str] = ..., debit_account: _Optional[str] = ..., credit_account: _Optional[str] = ..., amount: _Optional[_Union[Amount, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., description: _Optional[str] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class CaptureHoldRequest(_message.Message):
    __slots__ = ("request_id", "name", "amount", "value_date")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    VALUE_DATE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    amount: Amount
    value_date: _date_pb2.Date
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ..., amount: _Optional[_Union[Amount, _Mapping]] = ..., value_date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ...) -> None: ...

class CaptureHoldResponse(_message.Message):
    __slots__ = ("hold", "transaction")
    HOLD_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    transaction: Transaction
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ..., transaction: _Optional[_Union[Transaction, _Mapping]] = ...) -> None: ...

class VoidHoldRequest(_message.Message):
    __slots__ = ("request_id", "name")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    name: str
    def __init__(self, request_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class VoidHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class GetHoldRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...
