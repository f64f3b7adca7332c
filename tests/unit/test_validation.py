"""validate_batch with an in-memory account resolver: every problem is reported at once, by field path."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import validation
from ledger.errors import FieldViolation, InvalidArgument, ViolationCollector
from ledger.model import Account, AccountType, PostingSpec, Side, TransactionSpec
from ledger.validation import validate_batch

TODAY = dt.date(2026, 11, 26)
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _account(
    party: str, code: str, commodity: str = "CNY", scale: int = 2, kind: AccountType = AccountType.ASSET
) -> Account:
    return Account(uuid.uuid4(), party, code, code, kind, commodity, scale, False, CREATED)


ACCOUNTS = {
    a.name: a
    for a in [
        _account("bank-hz", "cash"),
        _account("bank-hz", "loans"),
        _account("bank-hz", "due-to-fund", kind=AccountType.LIABILITY),
        _account("fund", "cash"),
        _account("fund", "due-from-bank"),
        _account("fund", "shares", "ACME", 0),
        _account("fund", "share-capital", "ACME", 0, AccountType.EQUITY),
        _account("fund", "yen", "JPY", 0),
    ]
}


def P(account: str, side: Side | None, value: str, commodity: str = "CNY") -> PostingSpec:
    return PostingSpec(f"parties/{account}", side, commodity, value)


def tx(request_id: str, *postings: PostingSpec, **kw: object) -> TransactionSpec:
    fields: dict[str, object] = {
        "request_id": request_id,
        "value_date": TODAY,
        "description": "transfer",
        "metadata": {},
        "postings": postings,
    }
    fields.update(kw)
    return TransactionSpec(**fields)  # type: ignore[arg-type]


def transfer(request_id: str, value: str = "10.00", **kw: object) -> TransactionSpec:
    return tx(
        request_id,
        P("bank-hz/accounts/loans", Side.DEBIT, value),
        P("bank-hz/accounts/cash", Side.CREDIT, value),
        **kw,
    )


def run(*specs: TransactionSpec) -> list[validation.ValidTransaction]:
    return validate_batch(list(specs), ACCOUNTS.get, today=TODAY)


def violations(*specs: TransactionSpec) -> list[FieldViolation]:
    with pytest.raises(InvalidArgument) as info:
        run(*specs)
    return list(info.value.violations)


def fields(found: list[FieldViolation]) -> list[tuple[str, str]]:
    return [(v.field, v.reason) for v in found]


def test_valid_transfer_resolves_postings_in_minor_units() -> None:
    [valid] = run(transfer("t1", "1234.5"))
    assert [(p.account.code, p.side, p.amount, p.signed) for p in valid.postings] == [
        ("loans", Side.DEBIT, 123450, 123450),
        ("cash", Side.CREDIT, 123450, -123450),
    ]
    assert valid.parties == ("bank-hz",)
    assert valid.request_id == "t1" and valid.value_date == TODAY


def test_fingerprint_ignores_spelling_of_the_same_amount() -> None:
    [a] = run(transfer("t1", "10"))
    [b] = run(transfer("t1", "10.000"))
    [c] = run(transfer("t1", "10.01"))
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_cross_party_transaction_balanced_per_party() -> None:
    [valid] = run(
        tx(
            "x1",
            P("bank-hz/accounts/due-to-fund", Side.CREDIT, "500"),
            P("bank-hz/accounts/cash", Side.DEBIT, "500"),
            P("fund/accounts/cash", Side.CREDIT, "500"),
            P("fund/accounts/due-from-bank", Side.DEBIT, "500"),
        )
    )
    assert valid.parties == ("bank-hz", "fund")


def test_multi_commodity_transaction_balanced_in_each() -> None:
    run(
        tx(
            "m1",
            P("fund/accounts/shares", Side.DEBIT, "7", "ACME"),
            P("fund/accounts/share-capital", Side.CREDIT, "7", "ACME"),
            P("fund/accounts/cash", Side.DEBIT, "1.00"),
            P("fund/accounts/due-from-bank", Side.CREDIT, "1.00"),
        )
    )


def test_unbalanced() -> None:
    found = violations(
        tx("u1", P("bank-hz/accounts/loans", Side.DEBIT, "10.00"), P("bank-hz/accounts/cash", Side.CREDIT, "9.99"))
    )
    assert fields(found) == [("transactions[0].postings", "UNBALANCED")]
    assert "0.01 CNY" in found[0].description


def test_unbalanced_in_one_commodity_of_two() -> None:
    found = violations(
        tx(
            "u2",
            P("fund/accounts/shares", Side.DEBIT, "7", "ACME"),
            P("fund/accounts/share-capital", Side.CREDIT, "5", "ACME"),
            P("fund/accounts/cash", Side.DEBIT, "1.00"),
            P("fund/accounts/due-from-bank", Side.CREDIT, "1.00"),
        )
    )
    assert fields(found) == [("transactions[0].postings", "UNBALANCED")]
    assert "ACME" in found[0].description and "2 ACME" in found[0].description


def test_balanced_overall_but_not_per_party() -> None:
    found = violations(
        tx("pp", P("bank-hz/accounts/loans", Side.DEBIT, "300"), P("fund/accounts/cash", Side.CREDIT, "300"))
    )
    assert fields(found) == [
        ("transactions[0].postings", "UNBALANCED_PER_PARTY"),
        ("transactions[0].postings", "UNBALANCED_PER_PARTY"),
    ]
    # The bank's leg has 300.00 more debits; the fund's leg has 300.00 more credits.
    assert "bank-hz" in found[0].description and "debits exceed credits by 300.00" in found[0].description
    assert "fund" in found[1].description and "credits exceed debits by 300.00" in found[1].description


def test_commodity_mismatch() -> None:
    found = violations(
        tx("c1", P("bank-hz/accounts/loans", Side.DEBIT, "1", "USD"), P("bank-hz/accounts/cash", Side.CREDIT, "1"))
    )
    assert fields(found) == [("transactions[0].postings[0].amount.commodity", "COMMODITY_MISMATCH")]


def test_every_violation_reported_at_once_with_paths() -> None:
    found = violations(
        transfer("ok-0"),
        tx(
            "",
            P("bank-hz/accounts/nope", Side.DEBIT, "1"),
            P("bank-hz/accounts/cash", Side.CREDIT, "1.001"),
            P("bank-hz/accounts/loans", None, "1"),
            P("not a name", Side.DEBIT, "1"),
            P("fund/accounts/yen", Side.CREDIT, "0", "JPY"),
            P("bank-hz/accounts/cash", Side.CREDIT, "-1"),
            P("bank-hz/accounts/cash", Side.CREDIT, "1e3"),
            value_date=dt.date(1989, 12, 31),
            description="bad\x00text",
            metadata={"toudai.hold": "x", "ok": "v" * 513, "bad key": "v"},
        ),
        transfer("ok-0"),
        tx("short", P("bank-hz/accounts/cash", Side.DEBIT, "1"), value_date=None),
    )
    got = fields(found)
    expected = [
        ("transactions[1].request_id", "INVALID_FIELD"),
        ("transactions[1].value_date", "VALUE_DATE_OUT_OF_RANGE"),
        ("transactions[1].description", "INVALID_FIELD"),
        ("transactions[1].metadata['toudai.hold']", "INVALID_FIELD"),
        ("transactions[1].metadata['ok']", "METADATA_TOO_LARGE"),
        ("transactions[1].metadata['bad key']", "INVALID_FIELD"),
        ("transactions[1].postings[0].account", "UNKNOWN_ACCOUNT"),
        ("transactions[1].postings[1].amount.value", "INVALID_AMOUNT"),
        ("transactions[1].postings[2].side", "INVALID_FIELD"),
        ("transactions[1].postings[3].account", "INVALID_FIELD"),
        ("transactions[1].postings[4].amount.value", "NON_POSITIVE_AMOUNT"),
        ("transactions[1].postings[5].amount.value", "NON_POSITIVE_AMOUNT"),  # "-1": the side says the direction
        ("transactions[1].postings[6].amount.value", "INVALID_AMOUNT"),
        ("transactions[2].request_id", "DUPLICATE_REQUEST_ID"),
        ("transactions[3].value_date", "INVALID_FIELD"),
        ("transactions[3].postings", "INVALID_FIELD"),
    ]
    assert sorted(got) == sorted(expected)
    assert len(got) == len(expected)


def test_error_message_names_first_problem_and_count() -> None:
    with pytest.raises(InvalidArgument) as info:
        run(transfer("a", "0.001"), transfer("b", "0"))
    assert str(info.value).startswith("transactions[0].postings[0].amount.value:")
    assert "(and 3 more problems)" in str(info.value)


def test_duplicate_request_ids_point_at_the_first() -> None:
    found = violations(transfer("same"), transfer("other"), transfer("same"), transfer("same"))
    assert fields(found) == [
        ("transactions[2].request_id", "DUPLICATE_REQUEST_ID"),
        ("transactions[3].request_id", "DUPLICATE_REQUEST_ID"),
    ]
    assert all("transactions[0]" in v.description for v in found)


def test_empty_batch() -> None:
    assert fields(violations()) == [("transactions", "INVALID_FIELD")]


def test_batch_limit() -> None:
    specs = [transfer(f"r{i}") for i in range(validation.MAX_BATCH)]
    assert len(run(*specs)) == validation.MAX_BATCH
    found = violations(*specs, transfer("one-too-many"))
    assert fields(found) == [("transactions", "BATCH_TOO_LARGE")]


def test_posting_limit() -> None:
    n = validation.MAX_POSTINGS // 2
    many = [P("bank-hz/accounts/loans", Side.DEBIT, "1")] * n + [P("bank-hz/accounts/cash", Side.CREDIT, "1")] * n
    run(tx("max", *many))
    found = violations(
        tx("over", *many, P("bank-hz/accounts/cash", Side.DEBIT, "0.5"), P("bank-hz/accounts/cash", Side.CREDIT, "0.5"))
    )
    assert fields(found) == [("transactions[0].postings", "INVALID_FIELD")]


def test_description_and_metadata_limits() -> None:
    run(
        transfer(
            "limits-ok",
            description="d" * validation.MAX_DESCRIPTION,
            metadata={f"k{i}": "v" * validation.MAX_METADATA_VALUE for i in range(validation.MAX_METADATA_KEYS)},
        )
    )
    run(transfer("tabs-ok", description="line one\nline\ttwo"))
    found = violations(
        transfer("long", description="d" * (validation.MAX_DESCRIPTION + 1)),
        transfer("keys", metadata={f"k{i}": "v" for i in range(validation.MAX_METADATA_KEYS + 1)}),
        transfer("keylen", metadata={"k" * (validation.MAX_METADATA_KEY + 1): "v"}),
        transfer("newline-key", metadata={"key\n": "v"}),
    )
    assert fields(found) == [
        ("transactions[0].description", "TOO_LONG"),
        ("transactions[1].metadata", "METADATA_TOO_LARGE"),
        ("transactions[2].metadata['" + "k" * (validation.MAX_METADATA_KEY + 1) + "']", "METADATA_TOO_LARGE"),
        ("transactions[3].metadata['key\\n']", "INVALID_FIELD"),
    ]


def test_value_date_range() -> None:
    run(transfer("earliest", value_date=dt.date(1990, 1, 1)))
    run(transfer("latest", value_date=TODAY + dt.timedelta(days=366)))
    found = violations(
        transfer("early", value_date=dt.date(1989, 12, 31)),
        transfer("late", value_date=TODAY + dt.timedelta(days=367)),
    )
    assert fields(found) == [
        ("transactions[0].value_date", "VALUE_DATE_OUT_OF_RANGE"),
        ("transactions[1].value_date", "VALUE_DATE_OUT_OF_RANGE"),
    ]


def test_reserved_metadata_allowed_only_when_asked() -> None:
    spec = transfer("rev", metadata={"toudai.reverses": "x"})
    with pytest.raises(InvalidArgument):
        run(spec)
    assert validate_batch([spec], ACCOUNTS.get, today=TODAY, allow_reserved_metadata=True)


def test_request_id_format() -> None:
    found = violations(transfer("has space"), transfer("x" * 129), transfer("trailing\n"))
    assert [v.field for v in found] == [
        "transactions[0].request_id",
        "transactions[1].request_id",
        "transactions[2].request_id",
    ]


def test_field_prefix() -> None:
    with pytest.raises(InvalidArgument) as info:
        validate_batch([transfer("p", "0")], ACCOUNTS.get, today=TODAY, field_prefix="batch")
    assert [v.field for v in info.value.violations] == [
        "batch[0].postings[0].amount.value",
        "batch[0].postings[1].amount.value",
    ]


def test_malformed_name_is_a_format_error_even_if_the_resolver_knows_it() -> None:
    """A resolver is a lookup that may be asked any string (the fast path asks first); a malformed name is
    still refused for its format, never treated as an account, even by a resolver that would answer it."""
    asked: list[str] = []

    def resolve(name: str) -> Account | None:
        asked.append(name)
        return ACCOUNTS.get(name) or (ACCOUNTS["parties/bank-hz/accounts/cash"] if name == "parties/BAD" else None)

    with pytest.raises(InvalidArgument) as caught:
        validate_batch(
            [tx("r", P("bank-hz/accounts/cash", Side.DEBIT, "1"), P("BAD", Side.CREDIT, "1"))], resolve, today=TODAY
        )
    assert [(v.field, v.description) for v in caught.value.violations] == [
        (
            "transactions[0].postings[1].account",
            "'parties/BAD' is not an account name; expected parties/{party}/accounts/{code} "
            "such as parties/bank-hz/accounts/cash",
        )
    ]


# ---------------------------------------------------------------------- the fast path agrees with the full checks

_amount_text = st.one_of(
    st.from_regex(r"[+-]?[0-9]{1,20}(\.[0-9]{0,4})?", fullmatch=True),
    st.sampled_from(["0", "0.00", "1", "1.", ".5", "1e3", "1.000", "１２", "²", " 1", "1,000.00", "NaN", ""]),
)
_posting = st.builds(
    PostingSpec,
    st.sampled_from([*ACCOUNTS, "parties/bank-hz/accounts/none", "BAD"]),
    st.sampled_from([Side.DEBIT, Side.CREDIT, None]),
    st.sampled_from(["CNY", "ACME", "JPY", "USD"]),
    _amount_text,
)
_spec = st.builds(
    TransactionSpec,
    st.sampled_from(["r1", "r2", "", "has space", "x" * 129]),
    st.one_of(st.none(), st.dates(dt.date(1989, 1, 1), dt.date(2028, 1, 1))),
    st.sampled_from(["", "transfer", "tab\tok", "nul\x00", "x" * 1025]),
    st.sampled_from([{}, {"loan": "L1"}, {"toudai.x": "y"}, {"bad key": "v"}]),
    st.lists(_posting, min_size=0, max_size=4).map(tuple),
)


_cny = [name for name, account in ACCOUNTS.items() if account.commodity == "CNY"]
_balanced = st.builds(
    lambda value, debit, credit: TransactionSpec(
        "r1",
        TODAY,
        "transfer",
        {},
        (PostingSpec(debit, Side.DEBIT, "CNY", value), PostingSpec(credit, Side.CREDIT, "CNY", value)),
    ),
    _amount_text,
    st.sampled_from(_cny),
    st.sampled_from(_cny),
)


@settings(max_examples=600, deadline=None)
@given(spec=st.one_of(_spec, _balanced))
def test_fast_path_accepts_only_what_the_full_checks_accept(spec: TransactionSpec) -> None:
    """Whatever `_fast_postings` accepts, the full checks accept with the same postings (never the reverse
    direction of disagreement: the fast path may decline anything, the full checks then decide)."""
    latest = TODAY + dt.timedelta(days=validation.MAX_DAYS_AHEAD)
    fast = validation._fast_postings(spec, ACCOUNTS.get, latest, {}, False)
    if fast is None:
        return
    errors = ViolationCollector()
    validation.check_request_id(spec.request_id, "request_id", errors)
    validation.check_value_date(spec.value_date, "value_date", errors, TODAY)
    validation.check_text(spec.description, "description", errors)
    validation.check_metadata(spec.metadata, "metadata", errors)
    full = validation._validate_postings(spec, "t", ACCOUNTS.get, errors)
    assert errors.violations == []
    assert full == fast


def test_fast_path_takes_plain_transfers() -> None:
    """The fast path is actually used for the plain case (else the test above proves nothing)."""
    latest = TODAY + dt.timedelta(days=validation.MAX_DAYS_AHEAD)
    assert validation._fast_postings(transfer("t1", "12.5"), ACCOUNTS.get, latest, {}, False) is not None
    assert validation._fast_postings(transfer("t1", "12.5"), ACCOUNTS.get, latest, {"t1": 0}, False) is None
