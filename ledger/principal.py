"""One person, however their name is spelled in a token: the identity four-eyes rules compare.

Identity providers differ in case and Unicode form (`ARM-ALICE`, `arm-alice`, a full-width `ａｒｍ`); a
four-eyes rule that compares raw `sub` strings lets one person approve their own request by asking for a
second token spelled differently. Compare `normalised_principal` values instead: NFKC, then casefold,
then surrounding whitespace removed.
"""

from __future__ import annotations

import unicodedata


def normalised_principal(principal: str) -> str:
    """The stable form of a principal for comparisons (NFKC, casefolded, stripped)."""
    return unicodedata.normalize("NFKC", principal).casefold().strip()


def same_person(first: str, second: str) -> bool:
    """Whether two principals name the same person under `normalised_principal`."""
    return normalised_principal(first) == normalised_principal(second)
