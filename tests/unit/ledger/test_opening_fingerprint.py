"""`ledger.catalog.opening_fingerprint` writes the canonical text of an opened account's document directly;
it must hash exactly what `fingerprint()` of the document hashes, for any text (accounts opened before it
existed carry the old fingerprint in `request_id`, so a difference would open a second account)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.canonical import fingerprint
from ledger.catalog import opening_fingerprint


def test_a_fair_value_account_hashes_as_its_document() -> None:
    document = {"party": "arm", "code": "options-fair-value.d00001", "type": "ASSET", "commodity": "CNY"}
    assert opening_fingerprint("arm", "options-fair-value.d00001", "ASSET", "CNY") == fingerprint(document)


@given(st.text(), st.text(), st.text(), st.text())
def test_any_text_hashes_as_its_document(party: str, code: str, account_type: str, commodity: str) -> None:
    """Quotes, backslashes, control characters, non-ASCII and lone surrogates included."""
    document = {"party": party, "code": code, "type": account_type, "commodity": commodity}
    try:
        expected = fingerprint(document)
    except UnicodeEncodeError:  # a lone surrogate: neither can encode it as UTF-8
        try:
            opening_fingerprint(party, code, account_type, commodity)
        except UnicodeEncodeError:
            return
        raise AssertionError("opening_fingerprint encoded text that canonical_json could not") from None
    assert opening_fingerprint(party, code, account_type, commodity) == expected
