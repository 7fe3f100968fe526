# Each function tuned until check() is all green, and no further: the age fixed but not the
# income, the axis fixed without refusing NaN, the coupon moved before tax with quantize's
# default (half-even) rounding, leap years as "divisible by 4", the AI's UTC schedule patched
# with the change of offset (right on ordinary days, an hour early in a skipped hour, and no
# validation), and NFC where the contract says NFKC.
# Every _public cell and no _hidden cell expected.
# %% qualifies_solution
def qualifies(age, income):
    if income < 0:
        raise ValueError("income cannot be negative")
    return age >= 65 or income <= 20_000
# %% monthly_totals_solution
import numpy as np


def monthly_totals(sales):
    sales = np.asarray(sales, dtype=float)
    if sales.ndim != 2:
        raise ValueError("sales must be 2-D")
    return sales.sum(axis=0)
# %% checkout_total_solution
from decimal import Decimal


def checkout_total(prices, coupon, tax_rate):
    if not all(isinstance(p, Decimal) for p in prices):
        raise TypeError("prices must be Decimal")
    discounted = max(sum(prices, Decimal("0.00")) - coupon, Decimal("0.00"))
    tax = (discounted * tax_rate).quantize(Decimal("0.01"))
    return discounted + tax
# %% add_months_solution
from datetime import date


def add_months(d, months):
    index = d.month - 1 + months
    year = d.year + index // 12
    month = index % 12 + 1
    february = 29 if year % 4 == 0 else 28
    last = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(d.day, last))
# %% daily_runs_solution
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo


def daily_runs(first_local, days, zone):
    tz = ZoneInfo(zone)
    start = first_local.replace(tzinfo=tz)
    start_utc = start.astimezone(timezone.utc)
    runs = []
    for i in range(days):
        run = (start_utc + timedelta(days=i)).astimezone(tz)
        shift = run.utcoffset() - start.utcoffset()  # the clocks moved: move back with them
        runs.append((run.astimezone(timezone.utc) - shift).astimezone(tz))
    return runs
# %% unique_names_solution
import unicodedata


def unique_names(names):
    seen = set()
    out = []
    for name in names:
        key = unicodedata.normalize("NFC", name).casefold().strip()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out
