"""The typed Python client (ToudaiClient) and the `toudai` command-line interface.

Everything a caller needs is importable from here:

    from decimal import Decimal
    from clients import ToudaiClient

    with ToudaiClient("127.0.0.1:50051") as client:
        result = client.post_transfer("bank-hz/cash", "bank-hz/loans", Decimal("100.00"), request_id="loan-1")

Over TLS (mutual TLS with the client certificate and key; docs/security.md):

    ToudaiClient("ledger.bank.internal:443", tls_ca="ca.pem", tls_cert="client.pem", tls_key="client.key")

Two parts share this package:

- the client SDK: `clients` (this module), `clients.client`, `clients.deal_client` (with
  `clients.deal_types` and `clients.deal_convert`),
  `clients.exercise_client`, `clients.value_client`, `clients.errors`, `clients.inputs`,
  `clients.resources`, `clients.retry`, `clients.tls`, `clients.values`. They import only the generated
  code (toudai.v1), grpc, protobuf and googleapis-common-protos: never the server or the core packages
  (`.importlinter` and tests/unit/test_client_sdk_imports.py check it);
- the `toudai` CLI: `clients.cli` and the modules it runs (`cli_args`, `commands`, `deal_commands`,
  `deal_files`, `demo`, `exercise_commands`, `value_commands`, `audit_commands`, `postfile`, `render`,
  `operate`, `token_command`). It may use the core packages (the offline audit verifier, for instance);
  it loads the server only inside the commands that run it (`toudai serve`, `toudai db`, `toudai token`).
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
