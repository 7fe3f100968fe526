# Correct, written differently from the model: full marks expected on every cell of part 1.
# %% qualifies_solution
from decimal import Decimal

SENIOR_AGE = 65
INCOME_LIMIT = 20_000


def qualifies(age, income):
    if type(age) is not int:  # type(True) is bool, not int
        raise TypeError("age must be an int")
    if age < 0 or age > 130:
        raise ValueError("age must be from 0 to 130")
    if type(income) not in (int, float, Decimal):
        raise TypeError("income must be an int, a float or a Decimal")
    if income != income or income in (float("inf"), float("-inf")):  # NaN is not equal to itself
        raise ValueError("income must be a finite number")
    if income < 0:
        raise ValueError("income cannot be negative")
    return not (age < SENIOR_AGE and income >= INCOME_LIMIT)
# %% monthly_totals_solution
import numpy as np


def monthly_totals(sales):
    try:
        table = np.array(sales, dtype=np.float64)  # a fresh copy; text fails to convert
    except TypeError as exc:
        raise TypeError(f"sales must hold numbers: {exc}") from None
    if table.ndim != 2:
        raise ValueError(f"sales must be 2-D: stores x months, not {table.ndim}-D")
    if np.isnan(table).any() or np.isinf(table).any():
        raise ValueError("sales must be finite")
    stores = table.shape[0]
    return np.ones(stores) @ table  # a row of ones times the table: the column sums
# %% checkout_total_solution
from decimal import ROUND_HALF_UP, Decimal


def _cents(value, name):
    """A Decimal amount as a whole number of cents."""
    if type(value) is not Decimal:
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    if value.is_nan() or value.is_infinite() or value.is_signed() and value != 0:
        raise ValueError(f"{name} must be a finite amount >= 0, got {value}")
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{name} has a fraction of a cent: {value}")
    return int(cents)


def checkout_total(prices, coupon, tax_rate):
    if type(prices) is not list:
        raise TypeError("prices must be a list")
    goods = sum(_cents(p, "a price") for p in prices)
    off = _cents(coupon, "coupon")
    if type(tax_rate) is not Decimal:
        raise TypeError("tax_rate must be a Decimal")
    if not tax_rate.is_finite() or not 0 <= tax_rate <= 1:
        raise ValueError(f"tax_rate must be from 0 to 1, got {tax_rate}")
    payable = goods - off if goods > off else 0
    tax = int((payable * tax_rate).to_integral_value(rounding=ROUND_HALF_UP))
    return Decimal(payable + tax).scaleb(-2)
# %% add_months_solution
import calendar
from datetime import date, datetime


def add_months(d, months):
    if type(d) is not date:  # a datetime is a date too, and would lose its time
        raise TypeError("d must be a date (not a datetime)")
    if type(months) is not int:
        raise TypeError("months must be an int")
    total = d.month + months  # 1-based; may be <= 0 or > 12
    year = d.year + (total - 1) // 12
    month = (total - 1) % 12 + 1
    if year < 1 or year > 9999:
        raise OverflowError("the result is outside the calendar")
    february = 29 if calendar.isleap(year) else 28
    days = (31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return d.replace(year=year, month=month, day=min(d.day, days))
# %% daily_runs_solution
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo


def daily_runs(first_local, days, zone):
    if type(first_local) is not datetime:
        raise TypeError("first_local must be a naive datetime")
    if first_local.utcoffset() is not None:
        raise ValueError("first_local must be naive")
    if type(days) is not int:
        raise TypeError("days must be an int")
    if days < 0:
        raise ValueError("days must be >= 0")
    if type(zone) is not str:
        raise TypeError("zone must be a str")
    tz = ZoneInfo(zone)
    out = []
    for n in range(days):
        local = datetime.combine(first_local.date() + timedelta(days=n), first_local.time())
        offset = tz.utcoffset(local)  # fold=0: before a jump forward, first of a repeat
        instant = (local - offset).replace(tzinfo=timezone.utc)
        out.append(instant.astimezone(tz))
    return out
# %% unique_names_solution
import unicodedata


def _person(name):
    folded = unicodedata.normalize("NFKC", name).casefold()
    return folded.strip()


def unique_names(names):
    if type(names) is not list:
        raise TypeError("names must be a list of str")
    first = {}
    for name in names:
        if type(name) is not str:
            raise TypeError(f"not a str: {name!r}")
        person = _person(name)
        if person == "":
            raise ValueError(f"blank name: {name!r}")
        first.setdefault(person, name)
    return list(first.values())
