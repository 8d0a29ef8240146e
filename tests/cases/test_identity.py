"""Personnummer and samordningsnummer: what a caseworker types is accepted in every usual form, and
anything that is not a real number is refused with a message that says what is wrong."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from stdnum import luhn

from cases.identity import looks_like_identity_number, parse_identity_number
from gvi.demo import identity_number

FORMAT_MESSAGE = "YYYYMMDD-NNNN"
INVALID_MESSAGE = "check the date and the last digit"


@pytest.fixture(autouse=True)
def _english() -> object:
    """Messages are compared as written in the source (the UI default is Swedish)."""
    with translation.override("en"):
        yield


def ten_digits(yymmdd: str, serial: str) -> str:
    """A 10-digit number (YYMMDD + 3-digit serial + check digit), computed with the Luhn algorithm."""
    body = yymmdd + serial
    return body + luhn.calc_check_digit(body)


def with_wrong_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# 2003-04-12, serial 123: the same human in the four usual spellings.
ADAM = identity_number(2003, 4, 12, 123)  # "20030412-NNNN"
ADAM_DIGITS = ADAM.replace("-", "")


def test_demo_helper_makes_a_number_with_a_valid_check_digit() -> None:
    assert len(ADAM) == 13
    assert ADAM[8] == "-"
    assert luhn.is_valid(ADAM_DIGITS[2:])


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(ADAM, id="12 digits with dash"),
        pytest.param(ADAM_DIGITS, id="12 digits without dash"),
        pytest.param(ADAM[2:], id="10 digits with dash"),
        pytest.param(ADAM_DIGITS[2:], id="10 digits without dash"),
        pytest.param(f"  {ADAM}  ", id="surrounding spaces"),
        pytest.param(f"{ADAM[:8]} {ADAM[9:]}", id="space instead of dash"),
    ],
)
def test_caseworker_may_type_a_personnummer_in_any_usual_form(typed: str) -> None:
    parsed = parse_identity_number(typed)
    assert parsed.canonical == ADAM
    assert parsed.birth_year == 2003
    assert parsed.is_coordination_number is False


def test_ten_digit_number_with_plus_belongs_to_someone_over_a_hundred() -> None:
    number = ten_digits("240101", "456")
    assert parse_identity_number(f"{number[:6]}-{number[6:]}").canonical == f"20240101-{number[6:]}"
    centenarian = parse_identity_number(f"{number[:6]}+{number[6:]}")
    assert centenarian.canonical == f"19240101-{number[6:]}"
    assert centenarian.birth_year == 1924


def test_ten_digit_number_of_someone_born_last_century_gets_the_right_century() -> None:
    number = ten_digits("851224", "987")
    parsed = parse_identity_number(number)
    assert parsed.canonical == f"19851224-{number[6:]}"
    assert parsed.birth_year == 1985


@pytest.mark.parametrize("typed_form", ["10", "10-dash", "12", "12-dash"])
def test_samordningsnummer_with_day_plus_sixty_is_accepted_and_flagged(typed_form: str) -> None:
    # Born 2003-04-12: the coordination number carries day 12 + 60 = 72.
    number = ten_digits("030472", "123")
    typed = {
        "10": number,
        "10-dash": f"{number[:6]}-{number[6:]}",
        "12": f"20{number}",
        "12-dash": f"20{number[:6]}-{number[6:]}",
    }[typed_form]
    parsed = parse_identity_number(typed)
    assert parsed.is_coordination_number is True
    assert parsed.canonical == f"20030472-{number[6:]}", "the canonical form keeps the day as issued (+60)"
    assert parsed.birth_year == 2003


def test_samordningsnummer_on_the_last_day_of_a_month_is_accepted() -> None:
    number = ten_digits("991291", "222")  # 1999-12-31 + 60
    parsed = parse_identity_number(number)
    assert parsed.is_coordination_number
    assert parsed.canonical == f"19991291-{number[6:]}"


def test_a_personnummer_is_not_flagged_as_samordningsnummer() -> None:
    assert parse_identity_number(ten_digits("050531", "832")).is_coordination_number is False


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(with_wrong_check_digit(ADAM), id="personnummer 12"),
        pytest.param(with_wrong_check_digit(ADAM_DIGITS[2:]), id="personnummer 10"),
        pytest.param(with_wrong_check_digit(ten_digits("030472", "123")), id="samordningsnummer"),
    ],
)
def test_wrong_check_digit_is_refused_with_a_clear_message(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_identity_number(typed)
    assert caught.value.code == "identity_number_invalid"
    assert INVALID_MESSAGE in " ".join(caught.value.messages)


@pytest.mark.parametrize(
    "yymmdd",
    [
        pytest.param("030230", id="30 February"),
        pytest.param("010229", id="29 February in a common year"),
        pytest.param("031301", id="month 13"),
        pytest.param("030000", id="month 00"),
        pytest.param("030400", id="day 00"),
        pytest.param("030431", id="31 April"),
        pytest.param("030460", id="coordination day 00"),
        pytest.param("030492", id="coordination day 32"),
    ],
)
def test_impossible_date_is_refused_even_with_a_correct_check_digit(yymmdd: str) -> None:
    typed = ten_digits(yymmdd, "123")
    assert luhn.is_valid(typed)
    with pytest.raises(ValidationError) as caught:
        parse_identity_number(typed)
    assert caught.value.code == "identity_number_invalid"
    assert INVALID_MESSAGE in " ".join(caught.value.messages)


def test_leap_day_in_a_leap_year_is_accepted() -> None:
    assert parse_identity_number(ten_digits("040229", "123")).canonical.startswith("20040229-")


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("abc", id="letters"),
        pytest.param("Adam Karlsson", id="a name"),
        pytest.param("12345", id="too short"),
        pytest.param("20030412123", id="11 digits"),
        pytest.param("2003041212345", id="13 digits"),
        pytest.param("20030412-12a3", id="letter inside"),
        pytest.param("20030412-1239; DROP TABLE", id="trailing junk"),
        pytest.param("20030412-1239\x00", id="NUL byte"),
        pytest.param("2003/04/12", id="a date"),
    ],
)
def test_garbage_is_refused_with_the_expected_format(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_identity_number(typed)
    assert caught.value.code == "identity_number_format"
    assert FORMAT_MESSAGE in " ".join(caught.value.messages)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("２００３０４１２-１２３９", id="full-width digits"),
        pytest.param("٢٠٠٣٠٤١٢-١٢٣٩", id="arabic-indic digits"),
    ],
)
def test_non_ascii_digits_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        parse_identity_number(typed)


@pytest.mark.parametrize("typed", ["200304²2-1239", "2003041²-1239"])
def test_superscript_digits_are_refused_as_a_validation_error(typed: str) -> None:
    with pytest.raises(ValidationError):
        parse_identity_number(typed)


@pytest.mark.parametrize("typed", ["2003047-21236", "-200304121239", "200304-121239"])
def test_misplaced_separator_is_refused_or_keeps_the_digits_typed(typed: str) -> None:
    typed_digits = "".join(ch for ch in typed if ch.isdigit())
    try:
        parsed = parse_identity_number(typed)
    except ValidationError:
        return
    assert parsed.canonical.replace("-", "") == typed_digits


def test_birth_date_in_the_future_is_refused() -> None:
    typed = "20" + ten_digits("990101", "123")
    with pytest.raises(ValidationError):
        parse_identity_number(typed)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        (ADAM, True),
        (ADAM_DIGITS[2:], True),
        (f"{ADAM[2:8]}-{ADAM[9:]}", True),
        ("Adam", False),
        ("Karlsson 2003", False),
        ("Adam Karlsson", False),
        ("2003", False),
    ],
)
def test_search_terms_that_look_like_identity_numbers_are_recognised(term: str, expected: bool) -> None:
    assert looks_like_identity_number(term) is expected
