"""Pure validation of transaction requests: every problem in a batch is reported at once.

Validators take plain values and an account resolver and return either validated transactions or an
`InvalidArgument` listing each bad field by its path (`transactions[2].postings[0].amount.value`), so a
client can fix a 1,000-transaction batch in one round trip. Nothing here touches the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ledger import amounts, names
from ledger.canonical import transaction_fingerprint_of
from ledger.errors import ViolationCollector
from ledger.model import Account, Posting, Side, TransactionSpec

MAX_BATCH = 10_000
MAX_POSTINGS = 256
MAX_DESCRIPTION = 1_024
MAX_METADATA_KEYS = 32
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512
EARLIEST_VALUE_DATE = dt.date(1990, 1, 1)
MAX_DAYS_AHEAD = 366
RESERVED_METADATA_PREFIX = "toudai."

_METADATA_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*\Z")

AccountResolver = Callable[[str], Account | None]


@dataclass(frozen=True, slots=True)
class ValidTransaction:
    """A transaction that passed every stateless check, with its postings resolved and its fingerprint."""

    request_id: str
    value_date: dt.date
    description: str
    metadata: Mapping[str, str]
    postings: tuple[Posting, ...]
    reverses: uuid.UUID | None
    fingerprint: str

    #: The books it touches, in party-id order (derived once: the posting path reads it several times).
    parties: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        postings = self.postings
        first = postings[0].account.party_id if postings else ""
        if all(p.account.party_id == first for p in postings):  # the usual case: one book
            parties: tuple[str, ...] = (first,) if postings else ()
        else:
            parties = tuple(sorted({p.account.party_id for p in postings}))
        object.__setattr__(self, "parties", parties)


def check_request_id(value: str, path: str, errors: ViolationCollector) -> None:
    if not value:
        errors.add(
            path,
            "is required: a unique key you choose, so that a retry cannot post twice",
        )
    elif not names.REQUEST_ID.match(value):
        errors.add(path, "must be 1 to 128 printable ASCII characters without spaces")


def check_value_date(value: dt.date | None, path: str, errors: ViolationCollector, today: dt.date) -> None:
    if value is None:
        errors.add(path, "is required")
        return
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    if value < EARLIEST_VALUE_DATE or value > latest:
        errors.add(
            path,
            f"{value.isoformat()} is out of range: value dates run from {EARLIEST_VALUE_DATE.isoformat()} "
            f"to {latest.isoformat()} ({MAX_DAYS_AHEAD} days ahead)",
            "VALUE_DATE_OUT_OF_RANGE",
        )


def check_decimal(text: str, path: str, errors: ViolationCollector, *, required: str = "") -> Decimal:
    """A plain decimal from request text (ledger.amounts.parse_plain_decimal: the one parser), or 0 with
    a violation (reason INVALID_DECIMAL) naming `path`. Empty text is 0, unless `required` gives an
    example to ask for ("3.00"), which makes it a violation."""
    if not text:
        if required:
            errors.add(path, f'is required: a decimal such as "{required}"')
        return Decimal(0)
    try:
        return amounts.parse_plain_decimal(text)
    except amounts.AmountError as exc:
        errors.add(path, str(exc), "INVALID_DECIMAL")
        return Decimal(0)


def check_text(value: str, path: str, errors: ViolationCollector, limit: int = MAX_DESCRIPTION) -> None:
    if len(value) > limit:
        errors.add(path, f"is {len(value)} characters long; the limit is {limit}", "TOO_LONG")
    if _has_control_characters(value):
        errors.add(path, "contains control characters")


_CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f]")
#: Every character of Unicode category Cc (C0 controls with tab, newline and carriage return, DEL, the C1
#: controls U+0080-U+009F) and the line and paragraph separators U+2028 / U+2029: none may be in a
#: metadata value, a token's names or anything else that ends up on one line of a log or an export.
_ANY_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _has_control_characters(value: str) -> bool:
    """C0 controls other than tab and newline (NUL, in particular, cannot be stored in PostgreSQL text)."""
    return _CONTROL_CHARACTER.search(value) is not None


def has_any_control_character(value: str) -> bool:
    """Whether `value` holds a control character (category Cc: C0, DEL, C1) or U+2028 / U+2029.

    Stricter than descriptions' rule (which allows tab and newline): for one-line values such as metadata
    values and the names in a token.
    """
    return _ANY_CONTROL_CHARACTER.search(value) is not None


def is_reserved_metadata_key(key: str) -> bool:
    """Whether `key` is in the ledger's reserved namespace `toudai.`, in any letter case (`TOUDAI.x` too)."""
    return key[: len(RESERVED_METADATA_PREFIX)].casefold() == RESERVED_METADATA_PREFIX


def check_metadata(
    metadata: Mapping[str, str],
    path: str,
    errors: ViolationCollector,
    *,
    allow_reserved: bool = False,
) -> None:
    if len(metadata) > MAX_METADATA_KEYS:
        errors.add(
            path,
            f"has {len(metadata)} keys; the limit is {MAX_METADATA_KEYS}",
            "METADATA_TOO_LARGE",
        )
        return
    for key, value in metadata.items():
        if not _METADATA_KEY.match(key) or len(key) > MAX_METADATA_KEY:
            errors.add(
                f"{path}[{key!r}]",
                f"key must be 1 to {MAX_METADATA_KEY} characters of letters, digits and . _ : / -",
                "METADATA_TOO_LARGE" if len(key) > MAX_METADATA_KEY else "INVALID_FIELD",
            )
        elif is_reserved_metadata_key(key) and not allow_reserved:
            errors.add(
                f"{path}[{key!r}]",
                f"keys starting with {RESERVED_METADATA_PREFIX!r} (in any letter case) are reserved",
            )
        if len(value) > MAX_METADATA_VALUE:
            errors.add(
                f"{path}[{key!r}]",
                f"value is {len(value)} characters long; the limit is {MAX_METADATA_VALUE}",
                "METADATA_TOO_LARGE",
            )
        if has_any_control_character(value):
            errors.add(
                f"{path}[{key!r}]",
                "value contains control characters (none allowed: no tab, newline, DEL, U+2028 or U+2029)",
            )


def check_metadata_filter(key: str, value: str, errors: ViolationCollector) -> None:
    """A `metadata_key = metadata_value` filter obeys the rules of stored metadata: a bad one is refused, not run."""
    if key and (not _METADATA_KEY.match(key) or len(key) > MAX_METADATA_KEY):
        errors.add(
            "metadata_key",
            f"must be 1 to {MAX_METADATA_KEY} characters of letters, digits and . _ : / -",
        )
    if len(value) > MAX_METADATA_VALUE or has_any_control_character(value):
        errors.add(
            "metadata_value",
            f"must be at most {MAX_METADATA_VALUE} characters, without control characters",
        )


def validate_batch(
    specs: Sequence[TransactionSpec],
    resolve: AccountResolver,
    *,
    today: dt.date,
    allow_reserved_metadata: bool = False,
    field_prefix: str = "transactions",
    default_value_date: dt.date | None = None,
) -> list[ValidTransaction]:
    """Validate a batch; raise InvalidArgument with every violation, or return the valid transactions.

    With `default_value_date` (the server's business date, for clients' PostTransactions), a transaction
    sent without a value date is dated that day; its fingerprint is of the request as sent (no date), so a
    retry on a later day with the same request_id replays the original instead of being refused.
    """
    errors = ViolationCollector()
    if not specs:
        errors.add(field_prefix, "is empty: send at least one transaction")
    elif len(specs) > MAX_BATCH:
        errors.add(
            field_prefix,
            f"has {len(specs)} transactions; the limit per call is {MAX_BATCH}: split the batch",
            "BATCH_TOO_LARGE",
        )
    errors.raise_if_any()

    seen_ids: dict[str, int] = {}
    valid: list[ValidTransaction] = []
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    for i, given in enumerate(specs):
        spec = given
        if given.value_date is None and default_value_date is not None:
            spec = dataclasses.replace(given, value_date=default_value_date)
        fast = _fast_postings(spec, resolve, latest, seen_ids, allow_reserved_metadata)
        if fast is not None:
            seen_ids[spec.request_id] = i
            valid.append(
                ValidTransaction(
                    spec.request_id,
                    spec.value_date,  # type: ignore[arg-type]  # _fast_postings checked it is set
                    spec.description,
                    dict(spec.metadata),
                    fast,
                    spec.reverses,
                    request_fingerprint(given, fast),
                )
            )
            continue
        path = f"{field_prefix}[{i}]"
        check_request_id(spec.request_id, f"{path}.request_id", errors)
        if spec.request_id in seen_ids:
            errors.add(
                f"{path}.request_id",
                f"repeats the request_id of transactions[{seen_ids[spec.request_id]}]; each needs its own",
                "DUPLICATE_REQUEST_ID",
            )
        else:
            seen_ids[spec.request_id] = i
        check_value_date(spec.value_date, f"{path}.value_date", errors, today)
        check_text(spec.description, f"{path}.description", errors)
        check_metadata(
            spec.metadata,
            f"{path}.metadata",
            errors,
            allow_reserved=allow_reserved_metadata,
        )
        postings = _validate_postings(spec, path, resolve, errors)
        if postings is not None and spec.value_date is not None:
            valid.append(
                ValidTransaction(
                    request_id=spec.request_id,
                    value_date=spec.value_date,
                    description=spec.description,
                    metadata=dict(spec.metadata),
                    postings=postings,
                    reverses=spec.reverses,
                    fingerprint=request_fingerprint(given, postings),
                )
            )
    errors.raise_if_any()
    return valid


def _fast_postings(
    spec: TransactionSpec,
    resolve: AccountResolver,
    latest: dt.date,
    seen_ids: Mapping[str, int],
    allow_reserved_metadata: bool,
) -> tuple[Posting, ...] | None:
    """`_plain_postings` of a spec (see there)."""
    return _plain_postings(
        spec.request_id,
        spec.value_date,
        spec.description,
        spec.metadata,
        [(p.account, p.side, p.commodity, p.value) for p in spec.postings],
        resolve,
        latest,
        seen_ids,
        allow_reserved_metadata,
    )


def _plain_postings(
    request_id: str,
    value_date: dt.date | None,
    description: str,
    metadata: Mapping[str, str],
    specs: Sequence[PlainPosting],
    resolve: AccountResolver,
    latest: dt.date,
    seen_ids: Mapping[str, int],
    allow_reserved_metadata: bool,
) -> tuple[Posting, ...] | None:
    """The postings of a transaction that obviously passes every check below, else None.

    Most transactions of a large batch are plain: a fresh request id, a value date in range, short clean
    text, two or more postings in one book and one commodity with plain decimal amounts that sum to zero.
    Recognising those takes a fraction of the full checks, which build a field path and a message for
    every possible problem. Anything this does not accept (including everything invalid) goes through the
    full checks, which alone decide what is refused and say why; this never accepts what they refuse.
    """
    if request_id in seen_ids or names.REQUEST_ID.match(request_id) is None:
        return None
    if value_date is None or value_date < EARLIEST_VALUE_DATE or value_date > latest:
        return None
    if len(description) > MAX_DESCRIPTION or _CONTROL_CHARACTER.search(description) is not None:
        return None
    if metadata:
        probe = ViolationCollector()
        check_metadata(metadata, "metadata", probe, allow_reserved=allow_reserved_metadata)
        if probe.violations:
            return None
    if len(specs) < 2 or len(specs) > MAX_POSTINGS:
        return None
    postings = []
    total = 0
    first: Account | None = None
    for account_name, side, commodity, value in specs:
        account = resolve(account_name)
        if account is None or account.name != account_name or side is None or commodity != account.commodity:
            return None  # (an account's own name is well-formed, so a resolver's answer cannot smuggle a bad one)
        minor = _plain_minor(value, account.scale)
        if minor is None:
            return None
        if first is None:
            first = account
        elif account.party_id != first.party_id or account.commodity != first.commodity:
            return None  # several books or commodities: the full per-party balance check decides
        total += minor if side is Side.DEBIT else -minor
        postings.append(Posting(account, side, minor))
    return tuple(postings) if total == 0 else None


def _plain_minor(text: str, scale: int) -> int | None:
    """Unsigned decimal text with at most `scale` places ("1234.50") in minor units, if positive and in range.

    None for anything else (signs, exponents, excess places even if zero, zero, too large), which the full
    check (ledger.amounts.parse_minor) then accepts or refuses with its message.
    """
    whole, dot, fraction = text.partition(".")
    if not (whole.isascii() and whole.isdigit()):
        return None
    if dot:
        if not (fraction.isascii() and fraction.isdigit()) or len(fraction) > scale:
            return None
        minor = int(whole) * 10**scale + int(fraction.ljust(scale, "0"))
    else:
        minor = int(whole) * 10**scale
    return minor if 0 < minor <= amounts.MAX_POSTING_MINOR else None


def _validate_postings(
    spec: TransactionSpec,
    path: str,
    resolve: AccountResolver,
    errors: ViolationCollector,
) -> tuple[Posting, ...] | None:
    before = len(errors.violations)
    if len(spec.postings) < 2:
        errors.add(f"{path}.postings", "needs at least two postings (a debit and a credit)")
        return None
    if len(spec.postings) > MAX_POSTINGS:
        errors.add(
            f"{path}.postings",
            f"has {len(spec.postings)} postings; the limit is {MAX_POSTINGS}",
        )
        return None
    postings: list[Posting] = []
    for j, posting in enumerate(spec.postings):
        ppath = f"{path}.postings[{j}]"
        account = _resolve_account(posting.account, f"{ppath}.account", resolve, errors)
        if posting.side is None:
            errors.add(f"{ppath}.side", "is required: SIDE_DEBIT or SIDE_CREDIT")
        if account is None:
            continue
        if posting.commodity != account.commodity:
            errors.add(
                f"{ppath}.amount.commodity",
                f"is {posting.commodity!r} but account {account.name} holds {account.commodity}",
                "COMMODITY_MISMATCH",
            )
            continue
        try:
            minor = amounts.parse_minor(posting.value, account.scale)
        except amounts.AmountError as exc:
            errors.add(f"{ppath}.amount.value", str(exc), "INVALID_AMOUNT")
            continue
        if minor <= 0:
            errors.add(
                f"{ppath}.amount.value",
                f"must be greater than zero (got {posting.value!r}); choose the side for the direction",
                "NON_POSITIVE_AMOUNT",
            )
            continue
        if posting.side is not None:
            postings.append(Posting(account, posting.side, minor))
    if len(errors.violations) > before:
        return None
    _check_balanced(postings, path, errors)
    return None if len(errors.violations) > before else tuple(postings)


def _resolve_account(name: str, path: str, resolve: AccountResolver, errors: ViolationCollector) -> Account | None:
    try:
        names.parse_account_name(name)
    except names.BadName as exc:
        errors.add(path, str(exc))
        return None
    account = resolve(name)
    if account is None:
        errors.add(path, f"account {name} does not exist; create it first", "UNKNOWN_ACCOUNT")
    return account


def _check_balanced(postings: Sequence[Posting], path: str, errors: ViolationCollector) -> None:
    per_commodity: dict[str, int] = defaultdict(int)
    per_party: dict[tuple[str, str], int] = defaultdict(int)
    scales: dict[str, int] = {}
    for posting in postings:
        per_commodity[posting.account.commodity] += posting.signed
        per_party[(posting.account.party_id, posting.account.commodity)] += posting.signed
        scales[posting.account.commodity] = posting.account.scale
    for commodity, total in sorted(per_commodity.items()):
        if total:
            errors.add(
                f"{path}.postings",
                f"do not balance in {commodity}: {_excess(total, scales[commodity])} {commodity}",
                "UNBALANCED",
            )
    if any(per_commodity.values()):
        return
    for (party, commodity), total in sorted(per_party.items()):
        if total:
            errors.add(
                f"{path}.postings",
                f"balance overall but not within party {party}: its {_excess(total, scales[commodity])} "
                f"{commodity}; route value between "
                "parties through due-to / due-from accounts in each party's book",
                "UNBALANCED_PER_PARTY",
            )


def _excess(total: int, scale: int) -> str:
    """Which side is larger and by how much, e.g. "credits exceed debits by 0.01" (never a negative excess)."""
    larger, smaller = ("debits", "credits") if total > 0 else ("credits", "debits")
    return f"{larger} exceed {smaller} by {amounts.format_minor(abs(total), scale)}"


def request_fingerprint(spec: TransactionSpec, postings: Sequence[Posting]) -> str:
    """A hash of what the transaction means, so '1.0' and '1.00' are the same request."""
    return _fingerprint(
        spec.description,
        spec.metadata,
        postings,
        str(spec.reverses) if spec.reverses else None,
        spec.value_date.isoformat() if spec.value_date else None,
    )


def _fingerprint(
    description: str, metadata: Mapping[str, str], postings: Sequence[Posting], reverses: str | None, day: str | None
) -> str:
    return transaction_fingerprint_of(
        description=description,
        metadata=metadata,
        postings=[(p.account.name, p.side_text, p.account.commodity, p.amount) for p in postings],
        reverses=reverses,
        value_date=day,
    )


# ------------------------------------------------------------------ plain batches, straight from the wire

#: A posting as the wire carries it: (account name, side or None when unset or unknown, commodity, decimal text).
PlainPosting = tuple[str, Side | None, str, str]
#: A client's transaction as the wire carries it, for `validate_plain`: (request_id, value date or None when
#: not sent, description, metadata, postings). No `reverses`: clients cannot send one.
PlainTransaction = tuple[str, dt.date | None, str, Mapping[str, str], Sequence[PlainPosting]]


def validate_plain(
    batch: Sequence[PlainTransaction],
    resolve: AccountResolver,
    *,
    today: dt.date,
    default_value_date: dt.date,
) -> list[ValidTransaction] | None:
    """A client's batch as `validate_batch` validates it, when every transaction is plain; else None.

    The server's PostTransactions reads each transaction off the wire into a tuple (server/convert.py,
    `plain_batch`) and calls this first: it skips building a TransactionSpec and a PostingSpec per
    transaction and posting (frozen dataclasses, a sizeable share of the server's CPU at batch 1,000),
    then runs the same fast checks as `validate_batch` (`_plain_postings`) and the same fingerprint. When
    it answers, the answer equals `validate_batch`'s for the same request with `default_value_date`
    (tests/unit/test_plain_batch.py checks that for arbitrary batches); when any transaction is not plain
    (or the batch is empty or too large) it answers None, and the caller runs `validate_batch`, which
    alone decides every refusal and its message.
    """
    if not batch or len(batch) > MAX_BATCH:
        return None
    seen_ids: dict[str, int] = {}
    valid: list[ValidTransaction] = []
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    for i, (request_id, sent_date, description, metadata, postings) in enumerate(batch):
        value_date = default_value_date if sent_date is None else sent_date
        fast = _plain_postings(
            request_id, value_date, description, metadata, postings, resolve, latest, seen_ids, False
        )
        if fast is None:
            return None
        seen_ids[request_id] = i
        valid.append(
            ValidTransaction(
                request_id,
                value_date,
                description,
                dict(metadata),
                fast,
                None,
                _fingerprint(description, metadata, fast, None, None if sent_date is None else sent_date.isoformat()),
            )
        )
    return valid
