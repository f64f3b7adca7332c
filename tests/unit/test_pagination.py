"""Page tokens are opaque, round-trip their position, and only work with the filters they were issued for."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import pagination
from ledger.errors import InvalidArgument

FILTERS = {"list": "transactions", "party": "bank-hz", "account": "", "from": "2026-01-01"}


def _reason(token: str, filters: dict[str, str]) -> str:
    with pytest.raises(InvalidArgument) as info:
        pagination.decode(token, filters)
    [violation] = info.value.violations
    assert violation.field == "page_token"
    return violation.reason


def test_round_trip() -> None:
    position = ["bank-hz", 42, "2026-11-26T02:19:42+00:00"]
    token = pagination.encode(FILTERS, position)
    assert pagination.decode(token, dict(FILTERS)) == position


def test_filter_key_order_does_not_matter() -> None:
    token = pagination.encode(FILTERS, [1])
    reordered = dict(reversed(list(FILTERS.items())))
    assert pagination.decode(token, reordered) == [1]


def test_token_is_url_safe_without_padding() -> None:
    token = pagination.encode(FILTERS, ["ü?/+", 10**12])
    assert "=" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_empty_token_means_first_page() -> None:
    assert pagination.decode("", FILTERS) is None


@pytest.mark.parametrize(
    "other",
    [
        {**FILTERS, "party": "bank-sh"},
        {**FILTERS, "from": ""},
        {**FILTERS, "extra": "x"},
        {k: v for k, v in FILTERS.items() if k != "account"},
        {**FILTERS, "list": "accounts"},
    ],
)
def test_other_filters_refused(other: dict[str, str]) -> None:
    token = pagination.encode(FILTERS, [7])
    assert _reason(token, other) == "PAGE_TOKEN_FILTER_MISMATCH"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "!!!!",
        "a",
        _b64(b"not json"),
        _b64(b"\xff\xfe\x00"),
        _b64(b"[1,2]"),
        _b64(b'"string"'),
        _b64(b'{"p":[1]}'),
        _b64(b'{"f":"abc"}'),
        _b64(b'{"f":"abc","p":"notalist"}'),
        _b64(b'{"f":7,"p":[1]}'),
        _b64(b"null"),
    ],
)
def test_malformed_token_refused(token: str) -> None:
    assert _reason(token, FILTERS) == "INVALID_PAGE_TOKEN"


def test_tampered_position_with_kept_fingerprint_still_decodes_but_forged_fingerprint_refused() -> None:
    token = pagination.encode(FILTERS, [7])
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    # Forging a token for other filters: swap in a fingerprint that is not the one for FILTERS.
    payload["f"] = "0" * 16
    assert _reason(_b64(json.dumps(payload).encode()), FILTERS) == "PAGE_TOKEN_FILTER_MISMATCH"
    # A tampered token (one character changed) is refused one way or the other, never a crash.
    for i in range(len(token)):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        try:
            result = pagination.decode(flipped, FILTERS)
        except InvalidArgument as exc:
            assert exc.violations[0].reason in ("INVALID_PAGE_TOKEN", "PAGE_TOKEN_FILTER_MISMATCH")
        else:
            assert isinstance(result, list)


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes(token: str) -> None:
    try:
        result = pagination.decode(token, FILTERS)
    except InvalidArgument as exc:
        assert exc.violations[0].field == "page_token"
    else:
        assert result is None or isinstance(result, list)


@given(st.lists(st.one_of(st.integers(), st.text(max_size=20)), max_size=4))
def test_round_trip_property(position: list[object]) -> None:
    assert pagination.decode(pagination.encode(FILTERS, position), FILTERS) == position


def test_page_size_bounds() -> None:
    assert pagination.page_size(0) == pagination.DEFAULT_PAGE_SIZE == 100
    assert pagination.page_size(1) == 1
    assert pagination.page_size(1000) == pagination.MAX_PAGE_SIZE == 1000
    assert pagination.page_size(1001) == 1000
    assert pagination.page_size(10**9) == 1000
    with pytest.raises(InvalidArgument) as info:
        pagination.page_size(-1)
    assert info.value.violations[0].field == "page_size"
