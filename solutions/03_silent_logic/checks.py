"""Public tests of chapter 03: silent logic.

``check("qualifies")`` (and the others) run them in your notebook; the grade cells run them
too, outside your kernel, followed by hidden tests: tables of boundaries and properties
checked on random inputs. These public tests are few on purpose, like the tests an assistant
writes with its own code: passing them does not make a function right.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import numpy as np

from grader.testing import TestSuite, assert_array, raises, short

suite = TestSuite()


# --- 1. qualifies(age, income) -------------------------------------------------------------


def expect_bool(got: Any, want: bool, call: str) -> None:
    if not isinstance(got, bool | np.bool_):
        raise AssertionError(f"{call} returned {short(got)}; expected True or False")
    if bool(got) is not want:
        raise AssertionError(f"{call} returned {got}; expected {want}")


@suite.test("qualifies_public")
def seniors_qualify(qualifies):
    """a 70-year-old qualifies, whatever the income"""
    expect_bool(qualifies(70, 85_000), True, "qualifies(70, 85000)")


@suite.test("qualifies_public")
def low_incomes_qualify(qualifies):
    """an income of 12,000 qualifies at any age"""
    expect_bool(qualifies(30, 12_000), True, "qualifies(30, 12000)")


@suite.test("qualifies_public")
def others_do_not(qualifies):
    """a 40-year-old earning 45,000 does not qualify"""
    expect_bool(qualifies(40, 45_000), False, "qualifies(40, 45000)")


@suite.test("qualifies_public")
def sixty_five_is_a_senior(qualifies):
    """65 is "65 and over": qualifies(65, 50000) is True"""
    expect_bool(qualifies(65, 50_000), True, "qualifies(65, 50000)")


@suite.test("qualifies_hidden")
def negative_income_raises(qualifies):
    """a negative income raises ValueError"""
    raises(ValueError, qualifies, 30, -1, call="qualifies(30, -1)")


# --- 2. monthly_totals(sales) --------------------------------------------------------------


@suite.test("monthly_totals_public")
def square_of_ones(monthly_totals):
    """3 stores x 3 months of 1.0 give 3.0 a month (the assistant's own test)"""
    assert_array(monthly_totals(np.ones((3, 3))), [3.0, 3.0, 3.0],
                 call="monthly_totals(np.ones((3, 3)))")


@suite.test("monthly_totals_public")
def two_stores_three_months(monthly_totals):
    """2 stores x 3 months: one total per month, summed over the stores"""
    sales = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]])
    assert_array(monthly_totals(sales), [11.0, 22.0, 33.0],
                 call="monthly_totals([[1, 2, 3], [10, 20, 30]])")


@suite.test("monthly_totals_public")
def flat_list_raises(monthly_totals):
    """a flat (1-D) list raises ValueError"""
    raises(ValueError, monthly_totals, [1.0, 2.0, 3.0], call="monthly_totals([1.0, 2.0, 3.0])")


@suite.test("monthly_totals_hidden")
def one_store(monthly_totals):
    """a single store (1 x 4): the totals are its own row"""
    assert_array(monthly_totals([[5, 0, 7, 1]]), [5.0, 0.0, 7.0, 1.0],
                 call="monthly_totals([[5, 0, 7, 1]])")


# --- 3. checkout_total(prices, coupon, tax_rate) ------------------------------------------


def expect_money(got: Any, want: str, call: str) -> None:
    """``got`` is the Decimal ``want``, with exactly two decimal places."""
    if not isinstance(got, Decimal):
        raise AssertionError(f"{call} returned {type(got).__name__} {short(got)}; "
                             f"expected Decimal('{want}')")
    if got != Decimal(want) or got.as_tuple().exponent != -2:
        raise AssertionError(f"{call} returned Decimal('{got}'); expected Decimal('{want}')")


def D(text: str) -> Decimal:
    return Decimal(text)


@suite.test("checkout_total_public")
def two_items_with_tax(checkout_total):
    """10.00 + 5.00 at 19 % tax, no coupon: 17.85 (the assistant's own test)"""
    got = checkout_total([D("10.00"), D("5.00")], D("0.00"), D("0.19"))
    expect_money(got, "17.85", "checkout_total([10.00, 5.00], coupon=0.00, tax_rate=0.19)")


@suite.test("checkout_total_public")
def empty_cart(checkout_total):
    """an empty cart costs Decimal('0.00')"""
    expect_money(checkout_total([], D("0.00"), D("0.19")), "0.00",
                 "checkout_total([], coupon=0.00, tax_rate=0.19)")


@suite.test("checkout_total_public")
def coupon_before_tax(checkout_total):
    """a 5.00 coupon comes off before the 19 % tax: 25.00 -> 20.00 + 3.80 = 23.80"""
    got = checkout_total([D("19.99"), D("5.01")], D("5.00"), D("0.19"))
    expect_money(got, "23.80", "checkout_total([19.99, 5.01], coupon=5.00, tax_rate=0.19)")


@suite.test("checkout_total_public")
def float_price_raises(checkout_total):
    """a float price raises TypeError (money is Decimal)"""
    raises(TypeError, checkout_total, [19.99], D("0.00"), D("0.19"),
           call="checkout_total([19.99], coupon=Decimal('0.00'), tax_rate=Decimal('0.19'))")


@suite.test("checkout_total_hidden")
def coupon_bigger_than_cart(checkout_total):
    """a 20.00 coupon on a 10.00 cart: 0.00, never negative"""
    expect_money(checkout_total([D("10.00")], D("20.00"), D("0.19")), "0.00",
                 "checkout_total([10.00], coupon=20.00, tax_rate=0.19)")


# --- 4. add_months(d, months) ---------------------------------------------------------------


def expect_date(got: Any, want: date, call: str) -> None:
    if type(got) is not date:
        raise AssertionError(f"{call} returned {short(got)}; expected the date {want}")
    if got != want:
        raise AssertionError(f"{call} returned {got}; expected {want}")


@suite.test("add_months_public")
def mid_month(add_months):
    """Jan 15 + 1 month is Feb 15"""
    expect_date(add_months(date(2024, 1, 15), 1), date(2024, 2, 15),
                "add_months(date(2024, 1, 15), 1)")


@suite.test("add_months_public")
def into_next_year(add_months):
    """Nov 30, 2024 + 3 months is Feb 28, 2025 (clamped to the month's end)"""
    expect_date(add_months(date(2024, 11, 30), 3), date(2025, 2, 28),
                "add_months(date(2024, 11, 30), 3)")


@suite.test("add_months_public")
def end_of_january(add_months):
    """Jan 31 + 1 month: Feb 29 in 2024, Feb 28 in 2023"""
    expect_date(add_months(date(2024, 1, 31), 1), date(2024, 2, 29),
                "add_months(date(2024, 1, 31), 1)")
    expect_date(add_months(date(2023, 1, 31), 1), date(2023, 2, 28),
                "add_months(date(2023, 1, 31), 1)")


@suite.test("add_months_hidden")
def one_month_back(add_months):
    """Mar 31, 2024 - 1 month is Feb 29, 2024"""
    expect_date(add_months(date(2024, 3, 31), -1), date(2024, 2, 29),
                "add_months(date(2024, 3, 31), -1)")


# --- 5. daily_runs(first_local, days, zone) ------------------------------------------------


def expect_runs(got: Any, zone: str, want_utc: list[datetime], call: str) -> None:
    """``got`` is a list of aware datetimes in ``zone`` at the instants ``want_utc``."""
    if not isinstance(got, list):
        raise AssertionError(f"{call} returned {type(got).__name__}; expected a list")
    if len(got) != len(want_utc):
        raise AssertionError(f"{call} returned {len(got)} runs; expected {len(want_utc)}")
    for i, (run, want) in enumerate(zip(got, want_utc, strict=True)):
        if not isinstance(run, datetime) or run.utcoffset() is None:
            raise AssertionError(f"{call}[{i}] is {short(run)}; expected an aware datetime")
        if getattr(run.tzinfo, "key", None) != zone:
            raise AssertionError(f"{call}[{i}] has tzinfo {run.tzinfo!r}; expected "
                                 f"ZoneInfo({zone!r})")
        if run.astimezone(UTC) != want:
            local = run.astimezone(UTC).astimezone(run.tzinfo)
            wanted = want.astimezone(run.tzinfo)
            raise AssertionError(
                f"{call}[{i}] is {local:%Y-%m-%d %H:%M%z} ({run.astimezone(UTC):%H:%M} UTC); "
                f"expected {wanted:%Y-%m-%d %H:%M%z} ({want:%H:%M} UTC)")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@suite.test("daily_runs_public")
def winter_week(daily_runs):
    """09:00 in Berlin for 5 days in January: 08:00 UTC every day"""
    got = daily_runs(datetime(2024, 1, 8, 9, 0), 5, "Europe/Berlin")
    expect_runs(got, "Europe/Berlin", [utc(2024, 1, 8 + i, 8, 0) for i in range(5)],
                "daily_runs(datetime(2024, 1, 8, 9, 0), 5, 'Europe/Berlin')")


@suite.test("daily_runs_public")
def across_spring_forward(daily_runs):
    """09:00 in Berlin across March 31, 2024 (clocks go forward): still 09:00 local"""
    got = daily_runs(datetime(2024, 3, 29, 9, 0), 4, "Europe/Berlin")
    want = [utc(2024, 3, 29, 8), utc(2024, 3, 30, 8), utc(2024, 3, 31, 7), utc(2024, 4, 1, 7)]
    expect_runs(got, "Europe/Berlin", want,
                "daily_runs(datetime(2024, 3, 29, 9, 0), 4, 'Europe/Berlin')")


@suite.test("daily_runs_hidden")
def across_fall_back_in_new_york(daily_runs):
    """07:30 in New York across November 3, 2024 (clocks go back): still 07:30 local"""
    got = daily_runs(datetime(2024, 11, 2, 7, 30), 3, "America/New_York")
    want = [utc(2024, 11, 2, 11, 30), utc(2024, 11, 3, 12, 30), utc(2024, 11, 4, 12, 30)]
    expect_runs(got, "America/New_York", want,
                "daily_runs(datetime(2024, 11, 2, 7, 30), 3, 'America/New_York')")


# --- 6. unique_names(names) -----------------------------------------------------------------


def expect_names(got: Any, want: list[str], call: str) -> None:
    if not isinstance(got, list) or got != want:
        raise AssertionError(f"{call} returned {short(got, 120)}; expected {short(want, 120)}")


@suite.test("unique_names_public")
def case_differs(unique_names):
    """Anna, anna and ANNA are one name: the first spelling is kept"""
    names = ["Anna", "anna", "ANNA", "Bob"]
    expect_names(unique_names(names), ["Anna", "Bob"], f"unique_names({names!r})")


@suite.test("unique_names_public")
def spaces_around(unique_names):
    """spaces around a name do not make another name; the spelling is kept as given"""
    names = [" Bob", "bob ", "Carl"]
    expect_names(unique_names(names), [" Bob", "Carl"], f"unique_names({names!r})")


@suite.test("unique_names_public")
def order_of_first_appearance(unique_names):
    """the result keeps the order in which names first appear"""
    names = ["Zed", "amy", "zed", "Amy", "Ben"]
    expect_names(unique_names(names), ["Zed", "amy", "Ben"], f"unique_names({names!r})")


@suite.test("unique_names_public")
def composed_and_decomposed(unique_names):
    """José with a composed é and José with e + a combining accent are one name"""
    names = ["Jos\u00e9", "Jose\u0301"]
    expect_names(unique_names(names), ["Jos\u00e9"], "unique_names(['Jos\\u00e9', 'Jose\\u0301'])")


@suite.test("unique_names_hidden")
def sharp_s(unique_names):
    """Straße and STRASSE are one name (case folding, not lower())"""
    names = ["Stra\u00dfe", "STRASSE"]
    expect_names(unique_names(names), ["Stra\u00dfe"], f"unique_names({names!r})")
