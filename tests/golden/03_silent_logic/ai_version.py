# The assistant's code, handed in as is: it passes its own tests and nothing else of ours.
# 0 expected on every cell.
# %% qualifies_solution
def qualifies(age, income):
    return age > 65 or income <= 20_000
# %% monthly_totals_solution
import numpy as np


def monthly_totals(sales):
    sales = np.asarray(sales, dtype=float)
    return sales.sum(axis=1)
# %% checkout_total_solution
def checkout_total(prices, coupon, tax_rate):
    subtotal = sum(prices)
    total = subtotal * (1 + tax_rate) - coupon
    return round(total, 2)
# %% add_months_solution
from datetime import date

DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def add_months(d, months):
    index = d.month - 1 + months
    year = d.year + index // 12
    month = index % 12 + 1
    return date(year, month, min(d.day, DAYS_IN_MONTH[month - 1]))
# %% daily_runs_solution
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo


def daily_runs(first_local, days, zone):
    tz = ZoneInfo(zone)
    start = first_local.replace(tzinfo=tz).astimezone(timezone.utc)
    return [(start + timedelta(days=i)).astimezone(tz) for i in range(days)]
# %% unique_names_solution
def unique_names(names):
    seen = set()
    out = []
    for name in names:
        key = name.strip().lower()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out
