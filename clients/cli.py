"""The `toudai` command line: run the server, manage its database, and drive the ledger.

This module builds the argument parser and maps outcomes to exit codes, in one place, so that scripts
can rely on them:

    0  ok
    1  the server refused the request (its message and every violation are printed on stderr)
    2  usage error: bad arguments or an unreadable transactions file
    3  the server is unreachable or the deadline passed

The commands themselves live in clients.commands (ledger calls over gRPC) and clients.operate
(`serve`, `db`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape

from clients import cli_args, commands, humanize, token_command
from clients.client import DEFAULT_TARGET, ToudaiClient, new_request_id
from clients.errors import DeadlineExceededError, ToudaiError, UnavailableError
from clients.postfile import PostFileError
from clients.tls import TlsConfigError
from clients.values import AccountType, CommodityKind, PartyKind, TransactionView

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

DEFAULT_DATABASE_URL = "sqlite:///var/toudai.db"

EPILOG = """\
exit codes:
  0  ok
  1  the server refused the request; its message and each field or precondition violation go to stderr
     (also: `serve` or `db` could not start, e.g. unknown schema revision or port in use)
  2  usage error (bad arguments, unreadable transactions file, unreadable TLS file or a cert without a key)
  3  the server is unreachable or the deadline was exceeded (also: the TLS handshake failed)

environment:
  TOUDAI_TARGET        default for --target (127.0.0.1:50051)
  TOUDAI_TOKEN         default for --token
  TOUDAI_TLS           1, true or yes: default for --tls
  TOUDAI_TLS_CA        default for --tls-ca (and so TOUDAI_TLS_CERT, TOUDAI_TLS_KEY, TOUDAI_TLS_SERVER_NAME)
  TOUDAI_DATABASE_URL  default for --database-url of `serve` and `db` (sqlite:///var/toudai.db)
  TOUDAI_JWT_KEYS      default for --jwt-key of `serve`: [KID=]FILE entries separated by commas
  TOUDAI_MAX_TOKEN_LIFETIME  default for --max-token-lifetime of `serve` (24h)

accounts are written parties/{party}/accounts/{code} or, shorter, {party}/{code} (e.g. bank-hz/cash).
"""

TRANSFER_HELP = """\
Move an amount from one account to another: --to is DEBITED and --from is CREDITED.
For two asset accounts (cash -> loans) this is the intuitive direction: --from goes down, --to goes up.
"""

POST_HELP = """\
Post the transactions in FILE (YAML, or JSON if FILE ends in .json; '-' reads stdin), all or nothing:

  transactions:
    - request_id: dep-001          # re-running the file with the same ids books nothing twice
      value_date: 2026-11-26       # default: the server's business date
      description: Customer deposit
      metadata: {deal: D-1}
      postings:
        - {account: bank-hz/cash, debit: "100.00"}     # commodity defaults to the account's
        - {account: bank-hz/deposits, credit: "100.00", commodity: CNY}

Amounts are read as exact decimals whether quoted or not; they never pass through a binary float.
"""

Handler = Callable[[argparse.Namespace, ToudaiClient, Console], int]

#: Under every subcommand's help instead of the connection and TLS options themselves (`toudai --help`).
CONNECTION_EPILOG = (
    "connection: --target, --timeout, --token and the TLS options (--tls, --tls-ca, --tls-cert, --tls-key,\n"
    "--tls-server-name) go before or after the subcommand; `toudai --help` describes them."
)


def _connection_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """--target/--timeout/--token and the TLS options, accepted before or after the subcommand.

    The subcommand copies default to SUPPRESS so that they never overwrite a value given before it.
    """

    def default(value: Any) -> Any:
        return value if top_level else argparse.SUPPRESS

    def shown(text: str) -> str:
        """Described once, in `toudai --help`; a subcommand accepts them without repeating the text."""
        return text if top_level else argparse.SUPPRESS

    group = parser.add_argument_group("connection")
    group.add_argument(
        "--target",
        default=default(os.environ.get("TOUDAI_TARGET") or DEFAULT_TARGET),
        type=cli_args.target,
        help=shown("server address HOST[:PORT] (env TOUDAI_TARGET; default %(default)s; no port: 50051)"),
    )
    group.add_argument(
        "--timeout",
        type=cli_args.positive_float,
        default=default(10.0),
        help=shown("deadline of each attempt in seconds (default 10)"),
    )
    group.add_argument(
        "--token", default=default(os.environ.get("TOUDAI_TOKEN")), help=shown("bearer token (env TOUDAI_TOKEN)")
    )
    tls = parser.add_argument_group("TLS (docs/security.md; any of these turns TLS on)")
    tls.add_argument(
        "--tls",
        action="store_true",
        default=default(os.environ.get("TOUDAI_TLS", "").lower() in ("1", "true", "yes")),
        help=shown("connect with TLS, checking the server against the system's trusted roots (env TOUDAI_TLS=1)"),
    )
    tls.add_argument(
        "--tls-ca",
        metavar="FILE",
        default=default(os.environ.get("TOUDAI_TLS_CA") or None),
        help=shown("PEM CA certificate(s) that signed the server's certificate (env TOUDAI_TLS_CA)"),
    )
    tls.add_argument(
        "--tls-cert",
        dest="tls_client_cert",
        metavar="FILE",
        default=default(os.environ.get("TOUDAI_TLS_CERT") or None),
        help=shown("PEM client certificate chain for mutual TLS; needs --tls-key (env TOUDAI_TLS_CERT)"),
    )
    tls.add_argument(
        "--tls-key",
        dest="tls_client_key",
        metavar="FILE",
        default=default(os.environ.get("TOUDAI_TLS_KEY") or None),
        help=shown("PEM private key of --tls-cert (env TOUDAI_TLS_KEY)"),
    )
    tls.add_argument(
        "--tls-server-name",
        metavar="NAME",
        default=default(os.environ.get("TOUDAI_TLS_SERVER_NAME") or None),
        help=shown(
            "check the server's certificate against NAME instead of the target's host (env TOUDAI_TLS_SERVER_NAME)"
        ),
    )


def _group(subparsers: Any, name: str, help_text: str) -> Any:
    """A subcommand that only groups further subcommands (`toudai party ...`)."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def _client_command(
    subparsers: Any,
    name: str,
    handler: Handler,
    help_text: str,
    *,
    mutation: bool = False,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand that talks to the server: --json, the connection options, and --request-id if it writes."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help_text,
        description=description or help_text,
        epilog=CONNECTION_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    output_option(parser)
    if mutation:
        parser.add_argument(
            "--request-id",
            help="idempotency key: the same command with the same key changes nothing twice (default: a fresh "
            "UUID, printed so that you can retry with it)",
        )
    _connection_options(parser, top_level=False)
    parser.set_defaults(handler=handler)
    return parser


def output_option(parser: argparse.ArgumentParser) -> None:
    """`-o table|wide|json` and `--json` (short for `-o json`): one way to choose the output everywhere."""
    parser.add_argument(
        "-o",
        "--output",
        choices=("table", "wide", "json"),
        default="table",
        help="table (default): short names for an 80-column terminal; wide: full resource names and ids; "
        "json: complete machine-readable JSON, amounts as decimal strings",
    )
    parser.add_argument("--json", action="store_true", help="same as -o json")


def _operator_command(subparsers: Any, name: str, help_text: str, function: str) -> argparse.ArgumentParser:
    """A subcommand run in-process (clients.operate.`function`), imported only when used: it pulls in the
    server and the database stack, which the everyday client commands do not need."""
    parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(operate=function)
    return parser


def _security_options(serve: argparse.ArgumentParser) -> None:
    """`serve`'s token keys and TLS (docs/security.md)."""
    group = serve.add_argument_group("security")
    group.add_argument(
        "--jwt-key",
        action="append",
        default=[],
        metavar="[KID=]FILE",
        help="verify bearer tokens with this key: a PEM public key (RS256, ES256, EdDSA) or an HS256 secret "
        "file; repeat for rotation; the kid defaults to the file name without extension (env TOUDAI_JWT_KEYS, "
        "comma-separated). Without keys the server runs in development mode, on loopback addresses only",
    )
    group.add_argument(
        "--max-token-lifetime",
        type=cli_args.duration,
        metavar="DURATION",
        help="refuse tokens that live longer (exp - iat, or exp - now without iat), e.g. 8h, 7d "
        "(env TOUDAI_MAX_TOKEN_LIFETIME; default 24h)",
    )
    group.add_argument(
        "--checkpoint-key",
        action="append",
        default=[],
        metavar="[KID=]FILE",
        help="sign checkpoints with this Ed25519 private key (PEM, PKCS #8); repeat to sign with several during "
        "a rotation; the kid (the key's name in the signed note) defaults to the file name without extension "
        "(env TOUDAI_CHECKPOINT_KEYS, comma-separated). Without one, a development key is created in "
        "var/dev-checkpoint-key.pem (docs/audit.md, Signed checkpoints)",
    )
    group.add_argument(
        "--checkpoint-origin",
        metavar="NAME",
        help="the log name on the first line of every signed checkpoint (env TOUDAI_CHECKPOINT_ORIGIN; default "
        "toudai.local/ledger)",
    )
    group.add_argument("--tls-cert", metavar="FILE", help="serve TLS with this PEM certificate chain")
    group.add_argument("--tls-key", metavar="FILE", help="the PEM private key of --tls-cert")
    group.add_argument("--client-ca", metavar="FILE", help="require client certificates signed by this CA (mTLS)")
    group.add_argument(
        "--plaintext-behind-proxy",
        action="store_true",
        help="serve a non-loopback address without TLS because a proxy or service mesh in front terminates "
        "TLS (logged as a warning); without it, a non-loopback address needs --tls-cert and --tls-key",
    )


def _database_limit_options(serve: argparse.ArgumentParser) -> None:
    """`serve`'s PostgreSQL time limits and start-up wait (docs/operations.md, "Time limits in the database")."""
    group = serve.add_argument_group("database time limits (PostgreSQL; 0 turns one off)")
    limits = (
        (
            "--db-lock-timeout",
            "TOUDAI_DB_LOCK_TIMEOUT",
            "20s",
            "a call waiting this long for a book's lock gives up "
            "(UNAVAILABLE, LOCK_TIMEOUT; nothing written, retry with the same request_id)",
        ),
        (
            "--db-lock-hold-timeout",
            "TOUDAI_DB_LOCK_HOLD_TIMEOUT",
            "5s",
            "a transaction holding books' locks is ended by the database when one statement, or one pause "
            "between statements, lasts longer than this plus 1 ms per transaction of its batch: a stalled server "
            "cannot block the other writers for longer",
        ),
        ("--db-statement-timeout", "TOUDAI_DB_STATEMENT_TIMEOUT", "30s", "any other statement is cancelled after this"),
        ("--db-idle-timeout", "TOUDAI_DB_IDLE_TIMEOUT", "60s", "any other transaction left idle this long is ended"),
    )
    for flag, env, default, text in limits:
        group.add_argument(
            flag,
            type=cli_args.milliseconds,
            default=os.environ.get(env) or default,
            metavar="TIME",
            help=f"{text} (env {env}; default {default})",
        )
    group.add_argument(
        "--db-retry-max-delay",
        type=cli_args.duration,
        default=os.environ.get("TOUDAI_DB_RETRY_MAX_DELAY") or "30s",
        metavar="DURATION",
        help="while the database does not answer at start-up, try again with doubling waits up to this long "
        "(health NOT_SERVING meanwhile) (env TOUDAI_DB_RETRY_MAX_DELAY; default 30s)",
    )


def _database_url_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TOUDAI_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="sqlite:///PATH or postgresql://... (env TOUDAI_DATABASE_URL; default %(default)s)",
    )


#: Modules that add their own subcommands, each with `register(subparsers, command, group)`: `command` is
#: `_client_command` (a subcommand that talks to the server) and `group` is `_group`. A module per service
#: keeps this file from growing with every service.
COMMAND_MODULES = (
    "clients.deal_commands",
    "clients.value_commands",
    "clients.audit_commands",
    "clients.exercise_commands",
    "clients.agreement_commands",
    "clients.credit_commands",
    "clients.sharing_commands",
    "clients.insurance_commands",
    "clients.assessment_commands",
)


def _register_service_commands(subparsers: Any) -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name == module_name:
                continue
            raise
        module.register(subparsers, _client_command, _group)


def _version() -> str:
    """The installed distribution's version (pyproject.toml), without importing anything else."""
    from importlib import metadata

    try:
        return metadata.version("toudai")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree not installed
        return "unknown (not installed)"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is the message and where to read the usage, not the whole usage block
    first (the block buried the one line that says what is wrong). Exit code 2, as argparse."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n  (`{self.prog} --help` shows the usage)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="toudai",
        description="toudai: the ledger for 投贷联动 (investment-loan linkage) deals.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _connection_options(parser, top_level=True)
    parser.add_argument("--version", action="version", version=f"toudai {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = _operator_command(subparsers, "serve", "run the gRPC server until SIGTERM or SIGINT", "serve")
    serve.add_argument("--listen", default="127.0.0.1:50051", help="HOST:PORT to listen on (default %(default)s)")
    _database_url_option(serve)
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations; refuse an old schema")
    serve.add_argument(
        "--reuse-port",
        action="store_true",
        help="share the port with other toudai replicas (SO_REUSEPORT); off, a busy port is an error",
    )
    serve.add_argument(
        "--read-replica",
        action="append",
        default=[],
        metavar="URL",
        help="a PostgreSQL hot standby of --database-url that may serve reads (repeatable); writes answer with a "
        "consistency token that later reads present (docs/operations.md, 'Read replicas')",
    )
    serve.add_argument(
        "--replica-max-lag",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how stale a standby may be for a read that presents no consistency token (default %(default)s)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N server processes on the --listen port (SO_REUSEPORT), one per core to use; the book locks "
        "keep them correct on one database (docs/operations.md) (default %(default)s)",
    )
    serve.add_argument(
        "--metrics-listen",
        metavar="HOST:PORT",
        help="serve Prometheus metrics over HTTP at HOST:PORT/metrics (off by default)",
    )
    serve.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    serve.add_argument(
        "--timezone",
        default="Asia/Shanghai",
        type=cli_args.timezone,
        help="IANA time zone of the business date: dates a request leaves out are today there (default %(default)s)",
    )
    serve.add_argument(
        "--non-accrual-days",
        default=90,
        type=cli_args.days,
        metavar="DAYS",
        help="a loan more than DAYS past due stops recognising interest as income (non-accrual, 停止计息); "
        "docs/credit.md (default %(default)s)",
    )
    _security_options(serve)
    _database_limit_options(serve)

    token = _operator_command(subparsers, "token", "mint a development bearer token (prints it on stdout)", "token")
    token_command.add_arguments(token)

    database = _group(subparsers, "db", "manage the database schema")
    upgrade = _operator_command(database, "upgrade", "migrate the database to the latest schema revision", "db_upgrade")
    _database_url_option(upgrade)
    revision = _operator_command(
        database, "revision", "show the database's schema revision and the latest one", "db_revision"
    )
    _database_url_option(revision)
    revision.add_argument("--json", action="store_true", help="print machine-readable JSON")

    party = _group(subparsers, "party", "parties: legal entities, each with its own book")
    create = _client_command(party, "create", commands.party_create, "register a party", mutation=True)
    create.add_argument("id", help="party id, e.g. bank-hz")
    create.add_argument("--name", required=True, help="display name, e.g. 杭州科技支行")
    create.add_argument("--kind", required=True, choices=[k.value for k in PartyKind])
    _client_command(party, "list", commands.party_list, "list parties")
    get = _client_command(party, "get", commands.party_get, "show one party")
    get.add_argument("id", help="party id or parties/{party}")

    commodity = _group(subparsers, "commodity", "commodities: currencies, option units, shares")
    create = _client_command(commodity, "create", commands.commodity_create, "register a commodity", mutation=True)
    create.add_argument("code", help="e.g. CNY or OPT-ACME-A")
    create.add_argument("--kind", required=True, choices=[k.value for k in CommodityKind])
    create.add_argument("--scale", type=cli_args.scale, help="decimal places (currencies: ISO minor unit by default)")
    create.add_argument("--name", default="", help="display name")
    _client_command(commodity, "list", commands.commodity_list, "list commodities")

    account = _group(subparsers, "account", "accounts in parties' books")
    create = _client_command(account, "create", commands.account_create, "open an account", mutation=True)
    create.add_argument("party", help="party id, e.g. bank-hz")
    create.add_argument("code", help="account code, e.g. cash")
    create.add_argument("--type", required=True, choices=[t.value for t in AccountType])
    create.add_argument("--commodity", required=True, help="e.g. CNY")
    create.add_argument("--name", default="", help="display name")
    create.add_argument("--must-not-go-negative", action="store_true", help="refuse postings that overdraw it")
    listing = _client_command(account, "list", commands.account_list, "list accounts")
    listing.add_argument("--party", help="only this party's accounts")
    listing.add_argument("--commodity", help="only accounts in this commodity")
    listing.add_argument("--type", choices=[t.value for t in AccountType], help="only accounts of this type")
    get = _client_command(account, "get", commands.account_get, "show one account")
    get.add_argument("account", help="{party}/{code} or parties/{party}/accounts/{code}")

    post = _client_command(
        subparsers, "post", commands.post, "post transactions from a YAML or JSON file", description=POST_HELP
    )
    post.add_argument("file", help="path to a .yaml/.yml/.json file, or - for stdin")
    post.add_argument(
        "--view",
        choices=[v.value for v in TransactionView],
        default=TransactionView.FULL.value,
        help="full (default): the answer repeats every posting; basic: names, dates and legs only, "
        "cheaper for large files",
    )

    transfer = _client_command(
        subparsers,
        "transfer",
        commands.transfer,
        "move an amount between two accounts",
        mutation=True,
        description=TRANSFER_HELP,
    )
    transfer.add_argument("--from", dest="from_account", required=True, help="account credited (money leaves)")
    transfer.add_argument("--to", dest="to_account", required=True, help="account debited (money arrives)")
    transfer.add_argument("--amount", type=cli_args.amount, required=True, help="exact decimal, e.g. 100.00")
    transfer.add_argument("--commodity", help="default: the accounts' commodity")
    transfer.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: server's business date)")
    transfer.add_argument("--description", default="", help="free text")

    balance = _client_command(subparsers, "balance", commands.balance, "show account balances")
    balance.add_argument("accounts", nargs="+", metavar="ACCOUNT", help="{party}/{code} or full account names")
    balance.add_argument("--as-of", type=cli_args.date, help="balance at the end of this value date")

    tx = _group(subparsers, "tx", "transactions")
    listing = _client_command(tx, "list", commands.tx_list, "list transactions in posting order")
    listing.add_argument("--party", help="only transactions touching this party's book")
    listing.add_argument("--account", help="only transactions posting to this account")
    listing.add_argument(
        "--from-date", dest="date_from", type=cli_args.date, metavar="DATE", help="value date on or after"
    )
    listing.add_argument(
        "--to-date", dest="date_to", type=cli_args.date, metavar="DATE", help="value date on or before"
    )
    # Deprecated spellings, kept hidden for one release (README, "Deprecated spellings").
    listing.add_argument("--from", dest="date_from", type=cli_args.date, help=argparse.SUPPRESS)
    listing.add_argument("--to", dest="date_to", type=cli_args.date, help=argparse.SUPPRESS)
    listing.add_argument("--meta", type=cli_args.key_value, metavar="KEY=VALUE", help="metadata KEY equals VALUE")
    listing.add_argument("--limit", type=cli_args.positive_int, help="at most this many")
    get = _client_command(tx, "get", commands.tx_get, "show one transaction")
    get.add_argument("name", help="transactions/{uuid} or the bare uuid")
    reverse = _client_command(tx, "reverse", commands.tx_reverse, "post the opposite of a transaction", mutation=True)
    reverse.add_argument("name", help="transactions/{uuid} or the bare uuid")
    reverse.add_argument("--date", type=cli_args.date, help="value date (default: the original's)")
    reverse.add_argument("--description", default="", help="free text (default: 'Reversal of ...')")

    hold = _group(subparsers, "hold", "two-phase transfers: reserve now, capture or void later")
    create = _client_command(hold, "create", commands.hold_create, "reserve an amount", mutation=True)
    create.add_argument("--debit", required=True, help="account debited on capture")
    create.add_argument("--credit", required=True, help="account credited on capture (its available balance drops now)")
    create.add_argument("--amount", type=cli_args.amount, required=True, help="exact decimal")
    create.add_argument("--commodity", help="default: the debit account's commodity")
    create.add_argument("--expires-in", type=cli_args.duration, help="e.g. 7d, 12h, 30m (server default 7d)")
    create.add_argument("--description", default="", help="free text")
    capture = _client_command(hold, "capture", commands.hold_capture, "post all or part of a hold", mutation=True)
    capture.add_argument("name", help="holds/{uuid} or the bare uuid")
    capture.add_argument("--amount", type=cli_args.amount, help="part to post (default: all)")
    capture.add_argument("--date", type=cli_args.date, help="value date YYYY-MM-DD (default: server's business date)")
    void = _client_command(hold, "void", commands.hold_void, "release a hold", mutation=True)
    void.add_argument("name", help="holds/{uuid} or the bare uuid")
    get = _client_command(hold, "get", commands.hold_get, "show one hold")
    get.add_argument("name", help="holds/{uuid} or the bare uuid")
    _register_service_commands(subparsers)
    return parser


def _output_console() -> Console:
    """Tables on stdout, laid out for the terminal's width; when piped, for COLUMNS or 80 columns (the width
    the tables are designed and tested for, tests/snapshots)."""
    if sys.stdout.isatty():
        return Console()
    columns = os.environ.get("COLUMNS", "")
    return Console(width=int(columns) if columns.isdigit() and int(columns) > 0 else 80)


#: The RPCs a server message may tell the caller to use, as the CLI commands that make them: a clerk is
#: told what to type, not the API's name for it.
RPC_COMMANDS = {
    "CreateParty": "toudai party create",
    "CreateCommodity": "toudai commodity create",
    "CreateAccount": "toudai account create",
    "PostTransactions": "toudai post",
    "ReverseTransaction": "toudai tx reverse",
    "CreateHold": "toudai hold create",
    "BookLinkedDeal": "toudai deal book",
    "DisburseLoan": "toudai deal disburse",
    "AccrueInterest": "toudai deal accrue",
    "AccrueBranchInterest": "toudai deal accrue-branch",
    "RecordRepayment": "toudai deal repay",
    "RecordDefault": "toudai deal default",
    "FundRiskPool": "toudai deal fund-pool",
    "ApproveClaim": "toudai deal approve-claim",
    "RejectClaim": "toudai deal reject-claim",
    "WriteOff": "toudai deal write-off",
    "RecordRecovery": "toudai deal recover",
    "CloseDeal": "toudai deal close",
    "RecordFundingRound": "toudai round record",
    "RevalueOptions": "toudai revalue",
    "RequestExercise": "toudai exercise request",
    "ApproveExercise": "toudai exercise approve",
    "SettleExercise": "toudai exercise settle",
    "RecordExit": "toudai exercise exit",
    "CreateAgreement": "toudai agreement sign",
    "AmendAgreement": "toudai agreement amend",
    "ReclassifyDeals": "toudai credit classify",
    "RunImpairment": "toudai credit impairment",
    "ApproveInsuranceClaim": "toudai insurance approve",
    "SettleInsuranceClaim": "toudai insurance pay",
    "RecordAssessment": "toudai assess record",
    "RecordConsent": "toudai consent record",
}
_RPC_NAME = re.compile(r"\b(" + "|".join(RPC_COMMANDS) + r")\b")


def in_cli_words(message: str) -> str:
    """A server message as the CLI says things: every RPC it names as the CLI command that calls it, accounts
    as `bank-hz/cash`, and amounts in the one amount style (`-6,000,000.00 CNY`, clients.humanize.in_words)."""
    return humanize.in_words(_RPC_NAME.sub(lambda m: f"`{RPC_COMMANDS[m.group(1)]}`", message))


def report_refusal(error: ToudaiError, console: Console) -> None:
    """The server's message (RPC names as the CLI commands to type) and every violation it attached, for a
    person reading stderr."""
    message = in_cli_words(error.message)
    console.print(f"[bold red]error:[/] {escape(error.code.name)}: {escape(message)}", highlight=False)
    # A violation the message already states (a one-problem refusal repeats it there) is printed once.
    for field, description in error.field_violations:
        if f"{field}: {description}" not in error.message:
            console.print(f"  {escape(field)}: {escape(in_cli_words(description))}", highlight=False)
    for kind, subject, description in error.precondition_violations:
        if description not in error.message:
            console.print(
                f"  {escape(kind)} {escape(in_cli_words(subject))}: {escape(in_cli_words(description))}",
                highlight=False,
            )
    if error.reason:
        console.print(f"  reason: {escape(error.reason)}", highlight=False)


def _tls_hint(client: ToudaiClient, message: str) -> str:
    """What to check when a connection failed for a reason that looks like TLS, or '' when it does not."""
    text = message.lower()
    if client.tls is None:
        if "ssl" in text or "handshake" in text or "socket closed" in text or "connection reset" in text:
            return "if the server serves TLS, connect with --tls-ca FILE (or --tls for a publicly trusted certificate)"
        return ""
    if "handshake" in text or "ssl" in text or "certificate" in text or "tls" in text or "socket closed" in text:
        return (
            "TLS: the handshake failed; check that --tls-ca is the CA that signed the server's certificate, that "
            "the certificate names the target's host (or --tls-server-name), and, if the server requires client "
            "certificates, --tls-cert and --tls-key"
        )
    return ""


#: The writes that, run again without --request-id, happen again (a second transfer, a second repayment):
#: when the CLI picks their request id, it prints it with how to retry safely. Creating a party or an
#: account, booking a deal file, disbursing, accruing and the like are refused or change nothing the
#: second time, so they go without the note.
REPEATS_ON_RERUN = frozenset(
    {
        ("transfer", None),
        ("hold", "create"),
        ("hold", "capture"),
        ("deal", "repay"),
        ("deal", "fund-pool"),
        ("deal", "recover"),
        ("exercise", "request"),
    }
)


def _repeats_on_rerun(args: argparse.Namespace) -> bool:
    command = getattr(args, "command", None)
    return (command, getattr(args, f"{command}_command", None)) in REPEATS_ON_RERUN and hasattr(args, "request_id")


def _retry_hint(errors: Console, request_id: str) -> None:
    """How to repeat a write the CLI gave a fresh request id without doing it twice (stderr, so that stdout
    stays the answer)."""
    errors.print(
        f"request id {request_id}: to retry this safely, repeat the command with --request-id {request_id}; "
        "without it, running it again does it again",
        highlight=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_request:  # --help (0) or a usage error (2)
        return int(exit_request.code or 0)
    errors = Console(stderr=True, soft_wrap=True)  # one line per message, whatever the terminal width
    if getattr(args, "output", None) == "json":
        args.json = True
    humanize.configure(wide=getattr(args, "output", None) == "wide")
    if getattr(args, "operate", None) is not None:
        from clients import operate

        return int(getattr(operate, args.operate)(args))
    try:
        client = ToudaiClient(
            args.target,
            timeout=args.timeout,
            token=args.token,
            tls=args.tls,
            tls_ca=args.tls_ca,
            tls_cert=args.tls_client_cert,
            tls_key=args.tls_client_key,
            tls_server_name=args.tls_server_name,
        )
    except TlsConfigError as error:
        errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return EXIT_USAGE
    generated = _repeats_on_rerun(args) and not getattr(args, "request_id", None)
    if generated:  # chosen here, not in the client, so that the clerk can be told how to retry safely
        args.request_id = new_request_id()
    try:
        with client:
            code = int(args.handler(args, client, _output_console()))
            if generated and not args.json:
                _retry_hint(errors, args.request_id)
            return code
    except (UnavailableError, DeadlineExceededError) as error:
        errors.print(
            f"[bold red]error:[/] cannot reach toudai at {escape(args.target)}: {escape(error.message)}",
            highlight=False,
        )
        hint = _tls_hint(client, error.message)
        if hint:
            errors.print(f"  {escape(hint)}", highlight=False)
        elif isinstance(error, UnavailableError):
            errors.print(
                "  is the server running? Start it with `make run` (or `toudai serve`), or point --target "
                "(env TOUDAI_TARGET) at the one you use",
                highlight=False,
            )
        if generated:  # the request may have been done before the deadline passed: say how to retry safely
            _retry_hint(errors, args.request_id)
        return EXIT_UNREACHABLE
    except ToudaiError as error:
        report_refusal(error, errors)
        return EXIT_REFUSED
    except PostFileError as error:
        errors.print(f"[bold red]error:[/] cannot read {escape(error.source)}:", highlight=False)
        for problem in error.problems:
            errors.print(f"  {escape(problem)}", highlight=False)
        return EXIT_USAGE
    except OSError as error:  # a file named on the command line could not be opened
        what = f"{error.filename}: " if error.filename else ""
        errors.print(
            f"[bold red]error:[/] cannot read {escape(what)}{escape(error.strerror or str(error))}", highlight=False
        )
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
