"""Authentication and authorization: bearer JWTs, the key set, and the one role × RPC table.

Every call to a toudai service carries `authorization: Bearer <JWT>`. The token is verified with PyJWT
against a key set (`--jwt-key`, env TOUDAI_JWT_KEYS): HS256 secrets for development, RS256 / ES256 /
EdDSA public keys for production, several at once so keys can be rotated; the token's `kid` header picks
the key. `exp` and `aud` ("toudai") are required and checked; `exp`, `nbf` and `iat` must be JSON numbers,
and a token may live at most the server's maximum lifetime (`--max-token-lifetime`, default 24 hours:
`exp - iat`, or `exp - now` without `iat`). `alg: none`, a forged signature, an expired token, another
audience, an unknown `kid` and anything garbled are UNAUTHENTICATED, in every mode; so are names (`sub`,
`branch`, `party`) with control characters, which would otherwise reach logs and the journal.

Claims: `sub` (the principal recorded with every transaction and workflow step), `role` (one of
`Role`), and the caller's party: `branch` for branch staff (the sub-branch's party id), `party` for the
investment arm (the option holder) and the risk pool. Auditors and administrators have no party. The
interceptor checks the named party against the ledger (`party_kinds`): it must exist and be of the role's
kind (a branch token names a bank branch, ...), else every call is PERMISSION_DENIED.

`POLICY` says, for every RPC of every service, which roles may call it and whether the call is scoped
to the caller's own party ("own"): the interceptor below refuses a role not in the table
(PERMISSION_DENIED, ErrorInfo reason `PERMISSION_DENIED`); scoped calls are narrowed by the servicers
with server.authz, where another party's resource is NOT_FOUND (so that its existence does not leak) and
a list is filtered. docs/security.md renders the table (`python -m server.auth` prints it; a test keeps
the two equal).

Development mode (no keys configured, loopback address only, see `serve`): a call *without* a token acts
as the development administrator `dev-admin` (or the name in `x-toudai-principal`, so that two people can
be played for the four-eyes rule), and a presented token is still verified, against the development
secret that `toudai token` signs with.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import logging
import math
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ledger import actor
from ledger.errors import LedgerError, NotFound, PermissionDenied, Unauthenticated
from ledger.model import PartyKind
from ledger.validation import has_any_control_character
from server.errors import abort_with, to_status
from server.handlers import HandlerInterceptor, StreamBehaviour, UnaryBehaviour, wrap_handler
from server.logs import note_caller

if TYPE_CHECKING:
    from ledger.store import Ledger

log = logging.getLogger("toudai.auth")

AUDIENCE = "toudai"
LEEWAY_SECONDS = 30
DEV_ADMIN = "dev-admin"
DEV_KID = "dev"
DEV_SECRET_ENV = "TOUDAI_DEV_SECRET_FILE"  # noqa: S105 - a variable name, not a secret
DEFAULT_DEV_SECRET = "var/dev-jwt-secret"  # noqa: S105 - a path, not a secret
KEYS_ENV = "TOUDAI_JWT_KEYS"
PRINCIPAL_METADATA = "x-toudai-principal"
MIN_SECRET_BYTES = 32
MAX_TOKEN_CHARS = 8192
MAX_SUBJECT_CHARS = 200
#: The longest a token may live (`exp - iat`, or `exp - now` without `iat`) unless `--max-token-lifetime`
#: (env TOUDAI_MAX_TOKEN_LIFETIME) says otherwise; `toudai token --ttl` warns above it.
DEFAULT_MAX_TOKEN_LIFETIME = dt.timedelta(hours=24)
MAX_LIFETIME_ENV = "TOUDAI_MAX_TOKEN_LIFETIME"
_KID = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
_PARTY = re.compile(r"^[a-z][a-z0-9-]{0,62}\Z")


class Role(enum.Enum):
    """Who a caller is, from the token's `role` claim."""

    BRANCH = "branch"
    INVESTMENT_ARM = "investment_arm"
    RISK_POOL = "risk_pool"
    INSURER = "insurer"  # a technology insurer's claims staff (科技保险): decides and settles its claims
    CREDIT_DATA = "credit_data"  # the bank's credit-data officer: exports consented credit facts (征信共享)
    AUDITOR = "auditor"
    ADMIN = "admin"


#: The claim naming the caller's own party, per role (auditors, credit-data officers and administrators
#: have none).
PARTY_CLAIM: dict[Role, str] = {
    Role.BRANCH: "branch",
    Role.INVESTMENT_ARM: "party",
    Role.RISK_POOL: "party",
    Role.INSURER: "party",
}
#: The kind the party named by a role's token must be (ledger.model.PartyKind).
PARTY_KIND_OF_ROLE: dict[Role, PartyKind] = {
    Role.BRANCH: PartyKind.BANK_BRANCH,
    Role.INVESTMENT_ARM: PartyKind.INVESTMENT_ARM,
    Role.RISK_POOL: PartyKind.RISK_POOL,
    Role.INSURER: PartyKind.INSURER,
}


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller."""

    subject: str
    role: Role
    party: str = ""  # the branch (branch staff), the option holder (investment arm) or the pool
    development: bool = False  # the tokenless development administrator

    @property
    def actor(self) -> actor.Actor:
        return actor.Actor(self.subject, self.role.value, self.party)


class AuthConfigError(ValueError):
    """The server cannot start with this security configuration; the message says what to configure."""


# ---------------------------------------------------------------------- the role × RPC table


class Access(enum.Enum):
    ANY = "any"  # every resource
    OWN = "own"  # only the caller's own party's resources (see Rule.own)


class Foreign(enum.Enum):
    """What a scoped caller gets for another party's resource."""

    NOT_FOUND = "NOT_FOUND"  # an existing resource of another party: as if it did not exist
    FILTERED = "filtered"  # a list: only the caller's own items
    PERMISSION_DENIED = "PERMISSION_DENIED"  # a write naming another party (nothing to hide)


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may call one RPC."""

    roles: Mapping[Role, Access]
    write: bool
    own: str = ""  # what makes a resource the caller's own, for scoped roles
    foreign: Foreign = Foreign.NOT_FOUND


B, IA, P, AU, AD = Role.BRANCH, Role.INVESTMENT_ARM, Role.RISK_POOL, Role.AUDITOR, Role.ADMIN
ANY, OWN = Access.ANY, Access.OWN

_EVERYONE = {AD: ANY, AU: ANY, B: ANY, IA: ANY, P: ANY}
_OWN_READ = {AD: ANY, AU: ANY, B: OWN, IA: OWN, P: OWN}
_ADMIN = {AD: ANY}
_AUDIT = {AD: ANY, AU: ANY}
_BRANCH = {AD: ANY, B: OWN}
_ARM = {AD: ANY, IA: OWN}
_CLAIM_READ = {AD: ANY, AU: ANY, B: OWN, P: OWN}
_CONSENTING = {AD: ANY, IA: OWN, P: OWN}
_INSURANCE_READ = {AD: ANY, AU: ANY, B: OWN, Role.INSURER: OWN}
_INSURER = {AD: ANY, Role.INSURER: OWN}

_BOOK = "the account is in the caller's book"
_TX = "the transaction posts to the caller's book"
_DEAL = "the deal's branch (branch), option holder (investment arm) or risk pool (risk pool) is the caller"
_DEAL_BRANCH = "the deal's branch is the caller's branch"
_HOLDER = "the deal's option holder is the caller's party"
_EX = "as for the exercise's deal"
_LIST = "the caller's own party only (a filter naming another party gives an empty page)"
_ONLY_BOOK = "the transaction posts only to the caller's book"
_ALL_BOOK = "every account is in the caller's book"
_TERMS = "terms.branch is the caller's branch (the other parties are checked against the agreements)"
_CLAIM = "the claim's pool (risk pool) or branch (branch) is the caller"
_CLAIM_POOL = "the claim's pool is the caller's pool"
_OWNER = "the agreement's owner is the caller's party"
_PARTY_TO = "the caller's party owns the agreement or is its counterparty"
_POOL = "risk_pool is the caller's pool"
_RUN_BRANCH = "branch is the caller's branch"
_PARENT_BRANCH = "parent is the caller's branch"
_INSURED = "the claim's insurer (insurer) or branch (branch) is the caller"
_INSURER_OWN = "the claim's insurer is the caller's party"


def _r(roles: Mapping[Role, Access], *, write: bool, own: str = "", foreign: Foreign = Foreign.NOT_FOUND) -> Rule:
    return Rule(roles, write, own, foreign)


_FILTERED = Foreign.FILTERED
_DENIED = Foreign.PERMISSION_DENIED

POLICY: dict[str, Rule] = {
    # LedgerService: parties, commodities and accounts are managed by administrators.
    "/toudai.v1.LedgerService/CreateParty": _r(_ADMIN, write=True),
    "/toudai.v1.LedgerService/GetParty": _r(_EVERYONE, write=False),
    "/toudai.v1.LedgerService/ListParties": _r(_EVERYONE, write=False),
    "/toudai.v1.LedgerService/CreateCommodity": _r(_ADMIN, write=True),
    "/toudai.v1.LedgerService/ListCommodities": _r(_EVERYONE, write=False),
    "/toudai.v1.LedgerService/CreateAccount": _r(_ADMIN, write=True),
    "/toudai.v1.LedgerService/GetAccount": _r(_OWN_READ, write=False, own=_BOOK),
    "/toudai.v1.LedgerService/ListAccounts": _r(_OWN_READ, write=False, own=_LIST, foreign=_FILTERED),
    "/toudai.v1.LedgerService/PostTransactions": _r(_BRANCH, write=True, own="every posting is in the caller's book"),
    "/toudai.v1.LedgerService/ReverseTransaction": _r(_BRANCH, write=True, own=_ONLY_BOOK),
    "/toudai.v1.LedgerService/GetTransaction": _r(_OWN_READ, write=False, own=_TX),
    "/toudai.v1.LedgerService/ListTransactions": _r(_OWN_READ, write=False, own=_LIST, foreign=_FILTERED),
    "/toudai.v1.LedgerService/GetBalance": _r(_OWN_READ, write=False, own=_BOOK),
    "/toudai.v1.LedgerService/BatchGetBalances": _r(_OWN_READ, write=False, own=_ALL_BOOK),
    "/toudai.v1.LedgerService/CreateHold": _r(_BRANCH, write=True, own="both accounts are in the caller's book"),
    "/toudai.v1.LedgerService/CaptureHold": _r(_BRANCH, write=True, own="the hold is in the caller's book"),
    "/toudai.v1.LedgerService/VoidHold": _r(_BRANCH, write=True, own="the hold is in the caller's book"),
    "/toudai.v1.LedgerService/GetHold": _r(_OWN_READ, write=False, own="the hold is in the caller's book"),
    # DealService: branch staff book and run the deals of their own branch.
    "/toudai.v1.DealService/BookLinkedDeal": _r(_BRANCH, write=True, own=_TERMS, foreign=_DENIED),
    "/toudai.v1.DealService/GetDeal": _r(_OWN_READ, write=False, own=_DEAL),
    "/toudai.v1.DealService/ListDeals": _r(_OWN_READ, write=False, own=_DEAL, foreign=_FILTERED),
    "/toudai.v1.DealService/GetSchedule": _r(_OWN_READ, write=False, own=_DEAL),
    "/toudai.v1.DealService/DisburseLoan": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.DealService/AccrueInterest": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.DealService/AccrueBranchInterest": _r(_BRANCH, write=True, own=_PARENT_BRANCH, foreign=_DENIED),
    "/toudai.v1.DealService/RecordRepayment": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.DealService/RecordDefault": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.DealService/FundRiskPool": _r({AD: ANY, P: OWN}, write=True, own=_POOL, foreign=_DENIED),
    "/toudai.v1.DealService/WriteOff": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.DealService/CloseDeal": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.DealService/RecordRecovery": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    # Compensation claims: the pool decides; the pool and the branch see them.
    "/toudai.v1.DealService/GetClaim": _r(_CLAIM_READ, write=False, own=_CLAIM),
    "/toudai.v1.DealService/ListClaims": _r(_CLAIM_READ, write=False, own=_CLAIM, foreign=_FILTERED),
    "/toudai.v1.DealService/ApproveClaim": _r({AD: ANY, P: OWN}, write=True, own=_CLAIM_POOL),
    "/toudai.v1.DealService/RejectClaim": _r({AD: ANY, P: OWN}, write=True, own=_CLAIM_POOL),
    # CreditService: the branch classifies its loans; a second person of the branch decides an override.
    "/toudai.v1.CreditService/ReclassifyDeals": _r(_BRANCH, write=True, own=_RUN_BRANCH, foreign=_DENIED),
    "/toudai.v1.CreditService/GetDealClassification": _r(_OWN_READ, write=False, own=_DEAL),
    "/toudai.v1.CreditService/RequestClassificationOverride": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.CreditService/ApproveClassificationOverride": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.CreditService/RejectClassificationOverride": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.CreditService/ListClassificationOverrides": _r(_OWN_READ, write=False, own=_DEAL),
    "/toudai.v1.CreditService/RunImpairment": _r(_BRANCH, write=True, own=_RUN_BRANCH, foreign=_DENIED),
    "/toudai.v1.CreditService/GetImpairmentRun": _r({AD: ANY, AU: ANY, B: OWN}, write=False, own=_RUN_BRANCH),
    # CreditDataService (征信共享, docs/credit-data.md): the branch where the borrower signed records and revokes
    # its consents; the export goes only to the dedicated credit-data officer (and administrators, who run the
    # whole service, e.g. to re-send an export under an incident ticket; every export is in the audit trail
    # with its caller). It is a write: each export records an audit-trail row, and auditors write nothing.
    # Auditors read consents and the trail; branch staff never export, even their own borrowers.
    "/toudai.v1.CreditDataService/RecordConsent": _r(
        _BRANCH, write=True, own="branch is the caller's branch (where the borrower signed)", foreign=_DENIED
    ),
    "/toudai.v1.CreditDataService/RevokeConsent": _r(_BRANCH, write=True, own="the consent's branch is the caller's"),
    "/toudai.v1.CreditDataService/GetConsent": _r(
        {AD: ANY, AU: ANY, Role.CREDIT_DATA: ANY, B: OWN}, write=False, own="the consent's branch is the caller's"
    ),
    "/toudai.v1.CreditDataService/ListConsents": _r(
        {AD: ANY, AU: ANY, Role.CREDIT_DATA: ANY, B: OWN}, write=False, own=_LIST, foreign=_FILTERED
    ),
    "/toudai.v1.CreditDataService/ExportCreditData": _r({AD: ANY, Role.CREDIT_DATA: ANY}, write=True),
    "/toudai.v1.CreditDataService/ListCreditDataExports": _r({AD: ANY, AU: ANY, Role.CREDIT_DATA: ANY}, write=False),
    # AssessmentService: a branch assesses borrowers for its own deals (the assessing branch is the caller's);
    # the branch, auditors and administrators read them. The pool, arm and insurer see a deal's tier on the
    # deal itself (Deal.assessment_tier), not the borrower's figures.
    "/toudai.v1.AssessmentService/RecordAssessment": _r(
        _BRANCH, write=True, own="branch is the caller's branch (the assessing branch)", foreign=_DENIED
    ),
    "/toudai.v1.AssessmentService/GetAssessment": _r(
        {AD: ANY, AU: ANY, B: OWN}, write=False, own="the assessing branch is the caller's branch"
    ),
    "/toudai.v1.AssessmentService/ListAssessments": _r(
        {AD: ANY, AU: ANY, B: OWN}, write=False, own="the caller's branch's assessments only", foreign=_FILTERED
    ),
    # InsuranceService: the insurer's claims staff decide and pay its claims; the insurer and the branch see them.
    "/toudai.v1.InsuranceService/GetInsuranceClaim": _r(_INSURANCE_READ, write=False, own=_INSURED),
    "/toudai.v1.InsuranceService/ListInsuranceClaims": _r(
        _INSURANCE_READ, write=False, own=_INSURED, foreign=_FILTERED
    ),
    "/toudai.v1.InsuranceService/ApproveInsuranceClaim": _r(_INSURER, write=True, own=_INSURER_OWN),
    "/toudai.v1.InsuranceService/RejectInsuranceClaim": _r(_INSURER, write=True, own=_INSURER_OWN),
    "/toudai.v1.InsuranceService/SettleInsuranceClaim": _r(_INSURER, write=True, own=_INSURER_OWN),
    # AgreementService: the consenting party records its agreements; both sides read them.
    "/toudai.v1.AgreementService/CreateAgreement": _r(_CONSENTING, write=True, own=_OWNER, foreign=_DENIED),
    "/toudai.v1.AgreementService/AmendAgreement": _r(_CONSENTING, write=True, own=_OWNER),
    "/toudai.v1.AgreementService/GetAgreement": _r(_OWN_READ, write=False, own=_PARTY_TO),
    "/toudai.v1.AgreementService/ListAgreements": _r(_OWN_READ, write=False, own=_PARTY_TO, foreign=_FILTERED),
    # SettlementService: the arm requests on options it holds; the deal's branch approves (four eyes).
    "/toudai.v1.SettlementService/RequestExercise": _r(_ARM, write=True, own=_HOLDER),
    "/toudai.v1.SettlementService/ApproveExercise": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.SettlementService/RejectExercise": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.SettlementService/CancelExercise": _r(_ARM, write=True, own=_HOLDER),
    "/toudai.v1.SettlementService/SettleExercise": _r(_BRANCH, write=True, own=_DEAL_BRANCH),
    "/toudai.v1.SettlementService/RecordExit": _r(_ARM, write=True, own=_HOLDER),
    "/toudai.v1.SettlementService/GetExercise": _r(_OWN_READ, write=False, own=_EX),
    "/toudai.v1.SettlementService/ListExercises": _r(_OWN_READ, write=False, own=_EX, foreign=_FILTERED),
    "/toudai.v1.SettlementService/PreviewExercise": _r(_OWN_READ, write=False, own=_EX),
    "/toudai.v1.SettlementService/ExpireOptions": _r(_ADMIN, write=True),
    # ValuationService: market data is shared; a deal's valuation is the deal's parties' business.
    "/toudai.v1.ValuationService/RecordFundingRound": _r({AD: ANY, IA: ANY}, write=True),
    "/toudai.v1.ValuationService/GetCapTable": _r(_EVERYONE, write=False),
    "/toudai.v1.ValuationService/ListFundingRounds": _r(_EVERYONE, write=False),
    "/toudai.v1.ValuationService/PriceOption": _r(_EVERYONE, write=False),
    "/toudai.v1.ValuationService/ValueDealOption": _r(_OWN_READ, write=False, own=_DEAL),
    "/toudai.v1.ValuationService/RevalueOptions": _r(_ADMIN, write=True),
    "/toudai.v1.ValuationService/GetValuationRecord": _r(_OWN_READ, write=False, own=_DEAL),
    "/toudai.v1.ValuationService/ListValuationRecords": _r(_OWN_READ, write=False, own=_DEAL, foreign=_FILTERED),
    # AuditService: the whole journal, for auditors and administrators.
    "/toudai.v1.AuditService/ExportJournal": _r(_AUDIT, write=False),
    "/toudai.v1.AuditService/SubscribeJournal": _r(_AUDIT, write=False),
    "/toudai.v1.AuditService/TrialBalance": _r(_AUDIT, write=False),
    "/toudai.v1.AuditService/VerifyChain": _r(_AUDIT, write=False),
    "/toudai.v1.AuditService/GetChainHead": _r(_AUDIT, write=False),
    "/toudai.v1.AuditService/GetBalanceHistory": _r(_AUDIT, write=False),
    # Signed checkpoints and Merkle proofs (docs/audit.md): a checkpoint reveals only heads and roots, and a
    # consistency proof only hashes of whole subtrees, so every role may ask. An inclusion proof is for
    # auditors and administrators on any book; a party gets one only for a leg that concerns it (its own
    # book's, or another book's leg of a transaction that also posted to its book) and learns nothing else.
    "/toudai.v1.AuditService/GetCheckpoint": _r(dict.fromkeys(Role, ANY), write=False),
    "/toudai.v1.AuditService/GetConsistencyProof": _r(dict.fromkeys(Role, ANY), write=False),
    "/toudai.v1.AuditService/GetInclusionProof": _r(
        {AD: ANY, AU: ANY, B: OWN, IA: OWN, P: OWN, Role.INSURER: OWN},
        write=False,
        own="the leg is in the caller's book or its transaction also posted to the caller's book",
    ),
}


def render_policy_markdown() -> str:
    """POLICY as the Markdown table in docs/security.md."""
    roles = list(Role)
    lines = [
        "| RPC | " + " | ".join(f"`{r.value}`" for r in roles) + " | own means | another party's |",
        "|---|" + "---|" * len(roles) + "---|---|",
    ]
    for method, rule in POLICY.items():
        service, name = method.strip("/").split("/")
        cells = []
        for role in roles:
            access = rule.roles.get(role)
            cells.append("—" if access is None else ("own" if access is Access.OWN else "yes"))
        scoped = any(a is Access.OWN for a in rule.roles.values())
        lines.append(
            f"| {service.removeprefix('toudai.v1.')}.{name}{' (write)' if rule.write else ''} | "
            + " | ".join(cells)
            + f" | {rule.own if scoped else ''} | {rule.foreign.value if scoped else ''} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- keys


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """One key of the set: its id, the algorithms it verifies and the key material."""

    kid: str
    algorithms: tuple[str, ...]
    key: Any  # bytes (an HS256 secret) or a cryptography public key
    source: str = ""


@dataclass(frozen=True)
class KeySet:
    keys: Mapping[str, VerificationKey] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def __iter__(self) -> Iterator[VerificationKey]:
        return iter(self.keys.values())


def _algorithms_of(key: Any) -> tuple[str, ...]:
    if isinstance(key, bytes):
        return ("HS256",)
    if isinstance(key, rsa.RSAPublicKey):
        return ("RS256",)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ("EdDSA",)
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return ("ES256",)
    raise AuthConfigError(f"unsupported key type {type(key).__name__}: use RSA, Ed25519, EC P-256 or an HS256 secret")


def read_key_material(path: Path) -> tuple[Any, Any]:
    """(signing key, verifying key) from a PEM key file or an HS256 secret file.

    A PEM public key can only verify (signing key None); a PEM private key gives both; any other file is
    an HS256 secret (its content, surrounding whitespace removed, at least 32 bytes).
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise AuthConfigError(f"cannot read key file {path}: {error.strerror or error}") from None
    if data.lstrip().startswith(b"-----BEGIN"):
        try:
            if b"PRIVATE KEY" in data:
                private = serialization.load_pem_private_key(data, password=None)
                return private, private.public_key()
            return None, serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as error:
            raise AuthConfigError(f"key file {path} is not a readable PEM key: {error}") from None
    secret = data.strip()
    if len(secret) < MIN_SECRET_BYTES:
        raise AuthConfigError(
            f"HS256 secret in {path} is {len(secret)} bytes; use at least {MIN_SECRET_BYTES} random bytes"
        )
    return secret, secret


def parse_key_spec(spec: str) -> tuple[str, Path]:
    """`[KID=]PATH` → (kid, path); without `KID=` the kid is the file name without its extension."""
    kid, sep, path = spec.partition("=")
    if not sep or not _KID.match(kid):
        path, kid = spec, Path(spec).stem
    if not _KID.match(kid):
        raise AuthConfigError(f"key id {kid!r} (from {spec!r}) must be 1-64 characters of A-Z a-z 0-9 . _ -")
    return kid, Path(path)


def load_key_set(specs: Iterable[str]) -> KeySet:
    """The key set from `--jwt-key` values (`[KID=]PATH`, repeatable)."""
    keys: dict[str, VerificationKey] = {}
    for spec in specs:
        kid, path = parse_key_spec(spec)
        if kid in keys:
            raise AuthConfigError(f"two keys have the id {kid!r} ({keys[kid].source} and {path}); name them KID=PATH")
        _, verifying = read_key_material(path)
        keys[kid] = VerificationKey(kid, _algorithms_of(verifying), verifying, str(path))
    return KeySet(keys)


def key_specs_from_env(environ: Mapping[str, str] = os.environ) -> list[str]:
    """TOUDAI_JWT_KEYS: `[KID=]PATH` entries separated by commas."""
    return [s.strip() for s in environ.get(KEYS_ENV, "").split(",") if s.strip()]


def dev_secret_path(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get(DEV_SECRET_ENV) or DEFAULT_DEV_SECRET)


def ensure_dev_secret(path: Path) -> bytes:
    """The development HS256 secret at `path`, created (random, mode 0600) when missing.

    Written to a private temporary file and published with a hard link, which fails if the path exists:
    a server and a `toudai token` starting at once never read a created-but-not-yet-written (empty) file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process published its secret first; use that one
        finally:
            draft.unlink()
    secret, _ = read_key_material(path)
    assert isinstance(secret, bytes)
    return secret


def dev_key_set(secret: bytes) -> KeySet:
    return KeySet({DEV_KID: VerificationKey(DEV_KID, ("HS256",), secret, "development secret")})


def is_loopback(listen: str) -> bool:
    """Whether HOST:PORT listens on a loopback address only (localhost, 127.0.0.0/8, ::1)."""
    host = listen.rsplit(":", 1)[0] if ":" in listen else listen
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------------- tokens


def mint_token(
    *,
    role: Role,
    subject: str,
    signing_key: Any,
    kid: str,
    ttl: dt.timedelta,
    party: str = "",
    now: dt.datetime | None = None,
) -> str:
    """A signed token; HS256 for a secret, RS256 / ES256 / EdDSA for a private key."""
    if isinstance(signing_key, bytes):
        algorithm = "HS256"
    elif signing_key is None:
        raise AuthConfigError("a public key cannot sign tokens: give the private key or an HS256 secret")
    else:
        algorithm = _algorithms_of(signing_key.public_key())[0]
    issued = now or dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role.value,
        "aud": AUDIENCE,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if party:
        claims[PARTY_CLAIM.get(role, "party")] = party
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers={"kid": kid})


def describe_duration(value: dt.timedelta | float) -> str:
    """A duration for messages, as `--ttl` and `--max-token-lifetime` take them when it is whole: 7d, 24h,
    90m, 45s (days from 2 days on); else in hours with two decimals (24.01h)."""
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    if seconds == int(seconds):
        whole = int(seconds)
        for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
            if whole >= size and whole % size == 0 and (unit != "d" or whole >= 2 * size):
                return f"{whole // size}{unit}"
        if abs(whole) < 120:
            return f"{whole}s"
    return f"{seconds / 3600:.2f}h"


class Authenticator:
    """Verifies bearer tokens against a key set; optionally lets tokenless calls act as dev-admin.

    `max_lifetime` bounds how long a token may live (see `_check_times`); `clock` is for tests.
    """

    def __init__(
        self,
        keys: KeySet,
        *,
        development: bool = False,
        max_lifetime: dt.timedelta = DEFAULT_MAX_TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_lifetime <= dt.timedelta(0):
            raise AuthConfigError("the maximum token lifetime must be positive, e.g. --max-token-lifetime 24h")
        self.keys = keys
        self.development = development
        self.max_lifetime = max_lifetime
        self._clock = clock
        self._announced: set[str] = set()

    def identify(self, metadata: Iterable[tuple[str, Any]]) -> Identity:
        """The verified caller of a call with this metadata, or `Unauthenticated`."""
        authorization = [v for k, v in metadata if k == "authorization"]
        if not authorization:
            if self.development:
                return self._development_admin(metadata)
            raise Unauthenticated(
                "no bearer token: send `authorization: Bearer <JWT>` (toudai --token or TOUDAI_TOKEN)",
                reason="TOKEN_MISSING",
            )
        if len(authorization) > 1 or not isinstance(authorization[0], str):
            raise Unauthenticated("send exactly one authorization header", reason="TOKEN_INVALID")
        scheme, _, token = authorization[0].strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the authorization header must be `Bearer <JWT>`", reason="TOKEN_INVALID")
        return self.verify(token)

    def _development_admin(self, metadata: Iterable[tuple[str, Any]]) -> Identity:
        named = [v for k, v in metadata if k == PRINCIPAL_METADATA and isinstance(v, str) and v.strip()]
        subject = named[0].strip()[:MAX_SUBJECT_CHARS] if named else DEV_ADMIN
        if has_any_control_character(subject):
            raise Unauthenticated(
                f"the {PRINCIPAL_METADATA} name must not contain control characters", reason="TOKEN_INVALID"
            )
        if subject not in self._announced:  # once per name: each call is in the access log anyway
            self._announced.add(subject)
            log.warning("development mode: a call without a token acts as administrator %r", subject)
        log.debug("development administrator %r", subject)
        return Identity(subject, Role.ADMIN, development=True)

    def verify(self, token: str) -> Identity:
        """The identity a token proves, or `Unauthenticated` saying why not."""
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated(f"the token is longer than {MAX_TOKEN_CHARS} characters", reason="TOKEN_INVALID")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise Unauthenticated("the bearer token is not a JWT (garbled)", reason="TOKEN_INVALID") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm.lower() == "none":
            raise Unauthenticated("unsigned tokens (alg: none) are refused", reason="TOKEN_UNSIGNED")
        if not self.keys:
            raise Unauthenticated(
                "this server has no keys to verify tokens with; configure --jwt-key", reason="TOKEN_UNVERIFIABLE"
            )
        kid = header.get("kid")
        if kid is not None:
            key = self.keys.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise Unauthenticated(f"no key with id {kid!r} is configured", reason="TOKEN_UNKNOWN_KEY")
            candidates = [key]
        else:
            candidates = [k for k in self.keys if algorithm in k.algorithms]
        candidates = [k for k in candidates if algorithm in k.algorithms]
        if not candidates:
            raise Unauthenticated(f"no configured key verifies {algorithm!r} tokens", reason="TOKEN_INVALID")
        problem = ""
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[algorithm],
                    audience=AUDIENCE,
                    # The times are checked below, after their types: PyJWT takes "123" and true for numbers.
                    options={
                        "require": ["exp", "sub", "aud", "role"],
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                    },
                )
            except jwt.InvalidAudienceError:
                raise Unauthenticated(f"the token is not for audience {AUDIENCE!r}", reason="TOKEN_AUDIENCE") from None
            except jwt.MissingRequiredClaimError as error:
                raise Unauthenticated(f"the token has no {error.claim!r} claim", reason="TOKEN_INVALID") from None
            except jwt.InvalidSignatureError:
                problem = "the token's signature does not verify"
                continue
            except jwt.InvalidTokenError as error:
                raise Unauthenticated(f"invalid token: {str(error)!r}", reason="TOKEN_INVALID") from None
            self._check_times(claims)
            return _identity(claims)
        raise Unauthenticated(problem, reason="TOKEN_SIGNATURE")

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        """`exp` (required), `nbf` and `iat` are JSON numbers; the token is current and not too long-lived.

        30 seconds of clock skew are tolerated for `exp`, `nbf` and `iat`, and for the lifetime of a token
        without `iat` (measured from now); with `iat` the lifetime `exp - iat` is exact.
        """
        times: dict[str, float] = {}
        for name in ("exp", "nbf", "iat"):
            if name not in claims:
                continue
            value = claims[name]
            try:
                number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise Unauthenticated(
                    f"the token's {name!r} claim must be a JSON number of seconds since 1970, "
                    f"not {type(value).__name__} {str(value)[:40]!r}",
                    reason="TOKEN_INVALID",
                )
            times[name] = number
        now = self._clock()
        exp = times["exp"]
        if now > exp + LEEWAY_SECONDS:
            raise Unauthenticated("the token has expired", reason="TOKEN_EXPIRED")
        if times.get("nbf", -math.inf) > now + LEEWAY_SECONDS:
            raise Unauthenticated("the token is not yet valid (nbf is in the future)", reason="TOKEN_INVALID")
        if times.get("iat", -math.inf) > now + LEEWAY_SECONDS:
            raise Unauthenticated("the token was issued in the future (iat)", reason="TOKEN_INVALID")
        limit = self.max_lifetime.total_seconds()
        if "iat" in times:
            lifetime, since = exp - times["iat"], "exp - iat"
        else:
            lifetime, since = exp - now, "exp - now, the token having no iat"
            limit += LEEWAY_SECONDS
        if lifetime > limit:
            raise Unauthenticated(
                f"the token lives {describe_duration(lifetime)} ({since}), longer than this server's maximum "
                f"token lifetime of {describe_duration(self.max_lifetime)}: ask the issuer for a shorter-lived token",
                reason="TOKEN_INVALID",
            )


def _identity(claims: Mapping[str, Any]) -> Identity:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_CHARS:
        raise Unauthenticated("the token's sub claim must be a name of 1-200 characters", reason="TOKEN_INVALID")
    for name in ("sub", "branch", "party"):
        value = claims.get(name)
        if isinstance(value, str) and has_any_control_character(value):
            raise Unauthenticated(
                f"the token's {name} claim contains control characters (tab, newline, ESC, NUL, DEL, U+2028, ...)",
                reason="TOKEN_INVALID",
            )
    try:
        role = Role(claims.get("role"))
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise Unauthenticated(f"the token's role claim must be one of {known}", reason="TOKEN_INVALID") from None
    party = ""
    claim = PARTY_CLAIM.get(role)
    if claim is not None:
        value = claims.get(claim)
        if isinstance(value, str):
            value = value.removeprefix("parties/")
        if not isinstance(value, str) or not _PARTY.match(value):
            raise Unauthenticated(
                f"a {role.value} token needs a {claim!r} claim naming its party id", reason="TOKEN_INVALID"
            )
        party = value
    return Identity(subject.strip(), role, party)


# ---------------------------------------------------------------------- the interceptor


@dataclass(frozen=True, slots=True)
class Call:
    """What a servicer knows about the caller: who, and whether this call is scoped to its party."""

    identity: Identity
    rule: Rule

    @property
    def scope(self) -> str | None:
        """The caller's party when the call is limited to it, else None (every resource)."""
        return self.identity.party if self.rule.roles.get(self.identity.role) is Access.OWN else None


_bound: dict[int, Call] = {}


def bound_call(context: grpc.ServicerContext) -> Call | None:
    """The verified call bound to `context` by the interceptor (None outside an intercepted call)."""
    return _bound.get(id(context))


#: A party id → its kind, or None when no such party exists.
PartyKindLookup = Callable[[str], PartyKind | None]


class PartyKinds:
    """The kinds of parties, read from the ledger once each: a party's kind never changes.

    A party that does not exist is looked up again on the next call (it may have been created since).
    """

    def __init__(self, lookup: PartyKindLookup) -> None:
        self._lookup = lookup
        self._known: dict[str, PartyKind] = {}
        self._lock = threading.Lock()

    def __call__(self, party: str) -> PartyKind | None:
        kind = self._known.get(party)
        if kind is None:
            kind = self._lookup(party)
            if kind is not None:
                with self._lock:
                    self._known[party] = kind
        return kind


def party_kinds(ledger: Ledger) -> PartyKinds:
    """The cached party-kind lookup of `ledger`, for AuthInterceptor(party_kind=...)."""

    def lookup(party: str) -> PartyKind | None:
        try:
            return ledger.get_party(f"parties/{party}").kind
        except NotFound:
            return None

    return PartyKinds(lookup)


class AuthInterceptor(HandlerInterceptor):
    """Verifies the caller of every toudai RPC and checks the role against POLICY.

    Health and reflection are not toudai services and answer without a token (load balancers, grpcurl).
    A toudai method missing from POLICY is refused: the table fails closed. With `party_kind`, a token's
    party must exist and be of its role's kind (PARTY_KIND_OF_ROLE), else every call is refused. Refusals
    are LedgerErrors, so the error interceptor around this one turns them into statuses with ErrorInfo and
    logs them; on a stream the translation happens here.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        policy: Mapping[str, Rule] = POLICY,
        *,
        party_kind: PartyKindLookup | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._policy = policy
        self._party_kind = party_kind

    def _admit(self, method: str, context: grpc.ServicerContext) -> Call:
        try:
            identity = self._authenticator.identify(context.invocation_metadata() or ())
        except Unauthenticated as refusal:
            # The message quotes (repr) whatever it takes from the token, so the log line stays one line.
            log.warning("unauthenticated call to %s from %s: %s", method, context.peer(), refusal.message)
            raise
        note_caller(identity.subject, identity.role.value)
        if identity.party and self._party_kind is not None:
            self._check_party(identity, method)
        rule = self._policy.get(method)
        if rule is None or identity.role not in rule.roles:
            log.warning("%r (%s) may not call %s", identity.subject, identity.role.value, method)
            raise PermissionDenied(
                f"role {identity.role.value} may not call {method.rsplit('/', 1)[-1]}",
                metadata={"role": identity.role.value, "method": method, "principal": identity.subject},
            )
        return Call(identity, rule)

    def _check_party(self, identity: Identity, method: str) -> None:
        """The token's party exists and is of the role's kind, or PERMISSION_DENIED."""
        assert self._party_kind is not None
        role, party = identity.role, identity.party
        expected = PARTY_KIND_OF_ROLE[role]
        claim = PARTY_CLAIM[role]
        kind = self._party_kind(party)
        if kind is expected:
            return
        metadata = {"role": role.value, "party": party, "method": method, "principal": identity.subject}
        if kind is None:
            log.warning("%r (%s) names party %r, which does not exist: refused", identity.subject, role.value, party)
            raise PermissionDenied(
                f"the token's {claim} claim names party {party!r}, which does not exist; a {role.value} token "
                f"must name an existing {expected.value} party",
                reason="UNKNOWN_PARTY",
                metadata=metadata,
            )
        log.warning("%r (%s) names party %r of kind %s: refused", identity.subject, role.value, party, kind.value)
        raise PermissionDenied(
            f"the token's {claim} claim names party {party!r}, a {kind.value}; a {role.value} token must name "
            f"a {expected.value} party",
            reason="PARTY_KIND_MISMATCH",
            metadata={**metadata, "kind": kind.value, "expected_kind": expected.value},
        )

    def wrap(
        self, handler: grpc.RpcMethodHandler[Any, Any], details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        method = details.method
        if not method.startswith("/toudai."):
            return handler
        if handler.unary_unary is None and handler.unary_stream is None:
            return None  # no toudai method streams requests; refuse rather than let one through unchecked
        return wrap_handler(
            handler,
            unary=lambda unary: self._admitted_unary(method, unary),
            stream=lambda stream: self._admitted_stream(method, stream),
        )

    def _admitted_unary(self, method: str, unary: UnaryBehaviour) -> UnaryBehaviour:
        def unary_call(request: Any, context: grpc.ServicerContext) -> Any:
            call = self._admit(method, context)
            with _Binding(context, call):
                return unary(request, context)

        return unary_call

    def _admitted_stream(self, method: str, stream: StreamBehaviour) -> StreamBehaviour:
        """A refusal is turned into a status here: the error interceptor around this one wraps unary calls
        only."""

        def stream_call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                call = self._admit(method, context)
            except LedgerError as refusal:
                abort_with(context, to_status(refusal))
                return
            with _Binding(context, call):
                yield from stream(request, context)

        return stream_call


class _Binding:
    """Bind a call to its context (for server.authz) and its actor (for the ledger) while it runs."""

    def __init__(self, context: grpc.ServicerContext, call: Call) -> None:
        self._key = id(context)
        self._call = call
        self._acting = actor.acting_as(call.identity.actor)

    def __enter__(self) -> None:
        _bound[self._key] = self._call
        self._acting.__enter__()

    def __exit__(self, *exc: object) -> None:
        _bound.pop(self._key, None)
        self._acting.__exit__(None, None, None)


# ---------------------------------------------------------------------- configuration for `serve`


def server_authenticator(
    listen: str, key_specs: Sequence[str], *, max_token_lifetime: dt.timedelta = DEFAULT_MAX_TOKEN_LIFETIME
) -> Authenticator:
    """The authenticator `toudai serve` runs with, or AuthConfigError when it must not start.

    With keys: production mode. Without keys: development mode on a loopback address (the development
    secret is created if missing, so tokens from `toudai token` verify), a refusal anywhere else.
    """
    if key_specs:
        keys = load_key_set(key_specs)
        log.info(
            "verifying bearer tokens with key(s) %s; tokens may live at most %s",
            ", ".join(sorted(keys.keys)),
            describe_duration(max_token_lifetime),
        )
        return Authenticator(keys, max_lifetime=max_token_lifetime)
    if not is_loopback(listen):
        raise AuthConfigError(
            f"refusing to listen on {listen} without token keys: configure --jwt-key [KID=]FILE (repeatable) or "
            f"{KEYS_ENV}, and TLS with --tls-cert/--tls-key; development mode (no keys) is for loopback "
            "addresses only, e.g. --listen 127.0.0.1:50051"
        )
    path = dev_secret_path()
    secret = ensure_dev_secret(path)
    log.warning(
        "DEVELOPMENT MODE: no --jwt-key configured. Calls without a token act as the administrator %r; "
        "tokens are verified with the development secret %s (mint them with `toudai token`). "
        "Never run like this with real data.",
        DEV_ADMIN,
        path,
    )
    return Authenticator(dev_key_set(secret), development=True, max_lifetime=max_token_lifetime)


def check_transport(listen: str, *, tls: bool, plaintext_behind_proxy: bool = False) -> None:
    """Refuse (AuthConfigError) to serve plaintext on a non-loopback address unless told a proxy protects it.

    Bearer tokens cross the network with every call: off loopback they need TLS (`--tls-cert`/`--tls-key`),
    or an explicit `--plaintext-behind-proxy` when a proxy or service mesh in front terminates TLS, which
    is then logged as a WARNING.
    """
    if tls or is_loopback(listen):
        return
    if not plaintext_behind_proxy:
        raise AuthConfigError(
            f"refusing to serve {listen} in plaintext: bearer tokens would cross the network readable by anyone "
            "on the path. Configure TLS with --tls-cert FILE --tls-key FILE (and --client-ca FILE for mutual "
            "TLS), or, if a proxy or service mesh in front of toudai terminates TLS, say so with "
            "--plaintext-behind-proxy"
        )
    log.warning(
        "PLAINTEXT on %s (--plaintext-behind-proxy): no TLS here; the transport is assumed to be protected "
        "elsewhere (a TLS-terminating proxy or service mesh). Bearer tokens and data travel unencrypted to it.",
        listen,
    )


def server_credentials(cert: str, key: str, client_ca: str | None = None) -> grpc.ServerCredentials:
    """TLS credentials for the server; with `client_ca`, clients must present a certificate it signed."""
    try:
        chain = Path(cert).read_bytes()
        private = Path(key).read_bytes()
        roots = Path(client_ca).read_bytes() if client_ca else None
    except OSError as error:
        raise AuthConfigError(f"cannot read TLS file {error.filename}: {error.strerror}") from None
    return grpc.ssl_server_credentials([(private, chain)], root_certificates=roots, require_client_auth=bool(roots))


def main() -> None:
    """`python -m server.auth` prints the role × RPC table as Markdown."""
    sys.stdout.write(render_policy_markdown())


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = [
    "AUDIENCE",
    "POLICY",
    "Access",
    "AuthConfigError",
    "AuthInterceptor",
    "Authenticator",
    "Call",
    "Foreign",
    "Identity",
    "KeySet",
    "PartyKinds",
    "Role",
    "Rule",
    "bound_call",
    "check_transport",
    "load_key_set",
    "mint_token",
    "party_kinds",
    "render_policy_markdown",
    "server_authenticator",
    "server_credentials",
]
