"""Resource names and identifier formats."""

from __future__ import annotations

import uuid

import pytest

from ledger import names


def test_format_names() -> None:
    assert names.party_name("bank-hz") == "parties/bank-hz"
    assert names.account_name("bank-hz", "cash") == "parties/bank-hz/accounts/cash"


@pytest.mark.parametrize("party", ["a", "bank-hz", "b2", "x" * 63, "fund-2024-q1"])
def test_parse_party_name(party: str) -> None:
    assert names.parse_party_name(f"parties/{party}") == party
    assert names.parse_party_name(names.party_name(party)) == party


@pytest.mark.parametrize(
    "name",
    [
        "",
        "bank-hz",
        "parties/",
        "parties/Bank",
        "parties/1bank",
        "parties/-bank",
        "parties/bank_hz",
        "parties/bank hz",
        "parties/bank-hz/",
        "parties/bank-hz\n",
        "parties/x" + "x" * 63,
        "party/bank-hz",
        "/parties/bank-hz",
        "parties/bank-hz/accounts/cash",
    ],
)
def test_parse_party_name_refuses(name: str) -> None:
    with pytest.raises(names.BadName):
        names.parse_party_name(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("parties/bank-hz/accounts/cash", ("bank-hz", "cash")),
        ("parties/a/accounts/1001.02", ("a", "1001.02")),
        ("parties/a/accounts/due_from-b", ("a", "due_from-b")),
        ("parties/a/accounts/" + "c" * 63, ("a", "c" * 63)),
    ],
)
def test_parse_account_name(name: str, expected: tuple[str, str]) -> None:
    assert names.parse_account_name(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "parties/a/accounts/",
        "parties/a/accounts/Cash",
        "parties/a/accounts/.cash",
        "parties/a/accounts/ca sh",
        "parties/a/accounts/cash/x",
        "parties/a/accounts/cash\n",
        "parties/A/accounts/cash",
        "parties/a/account/cash",
        "accounts/cash",
        "parties/a/accounts/" + "c" * 64,
    ],
)
def test_parse_account_name_refuses(name: str) -> None:
    with pytest.raises(names.BadName, match="not an account name"):
        names.parse_account_name(name)


def test_parse_uuid_name() -> None:
    value = uuid.uuid4()
    assert names.parse_uuid_name(f"transactions/{value}", "transactions") == value
    assert names.parse_uuid_name(f"holds/{value}", "holds") == value
    with pytest.raises(names.BadName, match="not a transaction name"):
        names.parse_uuid_name(f"holds/{value}", "transactions")
    with pytest.raises(names.BadName, match="UUID"):
        names.parse_uuid_name("transactions/not-a-uuid", "transactions")
    with pytest.raises(names.BadName):
        names.parse_uuid_name("", "transactions")


@pytest.mark.parametrize(
    ("name", "code"), [("CNY", "CNY"), ("commodities/CNY", "CNY"), ("OPT.ACME-1_A", "OPT.ACME-1_A")]
)
def test_parse_commodity_name(name: str, code: str) -> None:
    assert names.parse_commodity_name(name) == code


@pytest.mark.parametrize("name", ["", "cny", "1CNY", "commodities/", "C" * 33, "CNY\n", "CN Y", "commodities/cny"])
def test_parse_commodity_name_refuses(name: str) -> None:
    with pytest.raises(names.BadName):
        names.parse_commodity_name(name)


@pytest.mark.parametrize("value", ["a", "req-1", "x" * 128, "!~", "2026-11-26T00:00:00Z/abc"])
def test_request_id_accepted(value: str) -> None:
    assert names.REQUEST_ID.match(value)


@pytest.mark.parametrize("value", ["", "x" * 129, "has space", "tab\there", "trailing\n", "é", "中文"])
def test_request_id_refused(value: str) -> None:
    assert not names.REQUEST_ID.match(value)
