"""The typed Python client (ToudaiClient) and the `toudai` command-line interface.

Everything a caller needs is importable from here:

    from decimal import Decimal
    from clients import ToudaiClient

    with ToudaiClient("127.0.0.1:50051") as client:
        result = client.post_transfer("bank-hz/cash", "bank-hz/loans", Decimal("100.00"), request_id="loan-1")

Over TLS (mutual TLS with the client certificate and key; docs/security.md):

    ToudaiClient("ledger.bank.internal:443", tls_ca="ca.pem", tls_cert="client.pem", tls_key="client.key")

Two parts share this package, and each of its modules belongs to exactly one of them:

- the client SDK, which a bank installs: `clients` (this module), `clients.client`, `clients.deal_client`,
  `clients.deal_types`, `clients.deal_convert`, `clients.exercise_client`, `clients.credit_client`,
  `clients.insurance_client`, `clients.assessment_client`, `clients.sharing_client`,
  `clients.value_client`,
  `clients.errors`, `clients.inputs`, `clients.resources`, `clients.retry`, `clients.tls`, `clients.values`.
  They import only the generated code (toudai.v1), grpc, protobuf, googleapis-common-protos, the standard
  library and third-party libraries: never `server`, `ledger`, `deals`, `settlement`, `valuation` or
  `audit` (`.importlinter` and tests/unit/test_client_sdk_imports.py check it);
- the `toudai` CLI: `clients.cli` and the modules it runs: `clients.cli_args`, `clients.commands`,
  `clients.deal_commands`, `clients.deal_files`, `clients.demo`, `clients.exercise_commands`,
  `clients.agreement_commands`, `clients.credit_commands`, `clients.sharing_commands`, `clients.insurance_commands`,
  `clients.assessment_commands`,
  `clients.value_commands`, `clients.audit_commands`, `clients.checkpoint_commands`,
  `clients.postfile`, `clients.suggest`, `clients.render`, `clients.humanize`, `clients.operate`,
  `clients.token_command`, `clients.workers`. They
  may import the SDK and the core
  packages (the offline audit verifier, for instance); they load the server only inside the commands
  that run it (`toudai serve`, `toudai db`, `toudai token`), so `import clients.cli` loads no `server`
  module.
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
