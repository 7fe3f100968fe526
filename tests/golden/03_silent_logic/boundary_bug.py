# base: solution
# The model solution with one boundary wrong: an income of exactly 20,000 qualifies. The
# public tests sit on the age boundary only; the hidden table and property find the other.
# Everything except qualifies_hidden expected.
# %% qualifies_solution
import math
from decimal import Decimal


def qualifies(age, income):
    if isinstance(age, bool) or not isinstance(age, int):
        raise TypeError(f"age must be an int, got {type(age).__name__}")
    if not 0 <= age <= 130:
        raise ValueError(f"age must be between 0 and 130, got {age}")
    if isinstance(income, bool) or not isinstance(income, int | float | Decimal):
        raise TypeError(f"income must be an int, float or Decimal, got {type(income).__name__}")
    if not math.isfinite(income):
        raise ValueError(f"income must be finite, got {income}")
    if income < 0:
        raise ValueError(f"income cannot be negative, got {income}")
    return age >= 65 or income <= 20_000
