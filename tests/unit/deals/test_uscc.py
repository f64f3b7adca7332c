"""USCC (GB 32100-2015) check characters, worked by hand in the test from the standard's weights."""

from __future__ import annotations

import pytest

from deals import uscc

# The standard's alphabet (digits and capitals without I, O, S, V, Z) and weights 3^(i-1) mod 31, written
# out here rather than taken from the code under test.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_by_hand(first_seventeen: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first_seventeen, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def test_the_example_code_worked_out_digit_by_digit() -> None:
    # 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4 against the weights:
    # 9*1 + 1*3 + 3*9 + 5*27 + 0 + 1*26 + 0 + 0 + 21*20 + 0 + 0 + 0 + 1*8 + 0 + 0 + 30*30 + 4*28
    # = 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640; 1640 mod 31 = 28; 31 - 28 = 3.
    assert 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 == 1640
    assert 1640 % 31 == 28
    assert uscc.check_character("91350100M000100Y4") == "3"
    assert uscc.validate("91350100M000100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "body",
    [
        "91330400MA2B3C4D5",  # Jiaxing (3304) enterprise (91)
        "91110108MA01XYW12",  # Beijing Haidian
        "9131000068731234X",  # Shanghai, an older organisation code ending in X
        "52330000MJ8765432",  # a social organisation (52)
        "12100000400012345",  # a public institution (12)
        "91440300MA5FQRTUW",  # Shenzhen, letters from the tail of the alphabet
    ],
)
def test_valid_codes_with_a_check_character_computed_by_hand(body: str) -> None:
    code = body + check_by_hand(body)
    assert uscc.check_character(body) == code[-1]
    assert uscc.validate(code) == code


def test_a_check_index_of_zero_gives_zero() -> None:
    # Find a body whose weighted sum is a multiple of 31: 0...0 with a last character c gives 28*c;
    # 28*c = 0 mod 31 only for c = 0, so the all-zero body has check character "0".
    assert check_by_hand("00000000000000000") == "0"
    assert uscc.validate("000000000000000000") == "000000000000000000"


def test_every_wrong_check_character_is_refused() -> None:
    body = "91350100M000100Y4"
    for ch in ALPHABET:
        if ch == "3":
            continue
        with pytest.raises(uscc.InvalidUSCC, match="check character"):
            uscc.validate(body + ch)


def test_a_single_typo_is_caught() -> None:
    # The weights are all non-zero mod 31 (31 is prime), so any single substitution changes the sum.
    with pytest.raises(uscc.InvalidUSCC, match="check character is '3' but the first 17 characters require"):
        uscc.validate("91350100M000101Y43")


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_outside_the_alphabet(letter: str) -> None:
    code = "91350100" + letter + "000100Y43"
    with pytest.raises(uscc.InvalidUSCC, match="only digits and capitals other than I, O, S, V, Z"):
        uscc.validate(code)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y4", "must be 18 characters long \\(got 17\\)"),
        ("91350100M000100Y433", "must be 18 characters long \\(got 19\\)"),
        ("", "must be 18 characters long \\(got 0\\)"),
        ("91350100m000100y43", "'m', 'y'"),
        ("91350100M000100Y4 ", "' '"),
        ("91350100M-00100Y43", "'-'"),
    ],
)
def test_wrong_length_lowercase_and_punctuation(code: str, message: str) -> None:
    with pytest.raises(uscc.InvalidUSCC, match=message):
        uscc.validate(code)
