"""The typed Python client (ToudaiClient) and the `toudai` command-line interface.

Everything a caller needs is importable from here:

    from decimal import Decimal
    from clients import ToudaiClient

    with ToudaiClient("127.0.0.1:50051") as client:
        result = client.post_transfer("bank-hz/cash", "bank-hz/loans", Decimal("100.00"), request_id="loan-1")

Over TLS (mutual TLS with the client certificate and key; docs/security.md):

    ToudaiClient("ledger.bank.internal:443", tls_ca="ca.pem", tls_cert="client.pem", tls_key="client.key")
"""

from clients.client import ToudaiClient
from clients.errors import (
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    FailedPreconditionError,
    InsufficientFundsError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    ToudaiError,
    UnauthenticatedError,
    UnavailableError,
)
from clients.inputs import PostingInput, TransactionInput, credit, debit
from clients.resources import (
    Account,
    Balance,
    CaptureResult,
    Commodity,
    Hold,
    Party,
    Posting,
    PostResult,
    ReversalResult,
    Transaction,
)
from clients.tls import TlsConfigError, TlsSettings
from clients.values import AccountType, CommodityKind, HoldState, PartyKind, Side, TransactionView

__all__ = [
    "AbortedError",
    "Account",
    "AccountType",
    "AlreadyExistsError",
    "Balance",
    "CaptureResult",
    "Commodity",
    "CommodityKind",
    "DeadlineExceededError",
    "FailedPreconditionError",
    "Hold",
    "HoldState",
    "InsufficientFundsError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "Party",
    "PartyKind",
    "PermissionDeniedError",
    "PostResult",
    "Posting",
    "PostingInput",
    "ResourceExhaustedError",
    "ReversalResult",
    "Side",
    "TlsConfigError",
    "TlsSettings",
    "ToudaiClient",
    "ToudaiError",
    "Transaction",
    "TransactionInput",
    "TransactionView",
    "UnauthenticatedError",
    "UnavailableError",
    "credit",
    "debit",
]
