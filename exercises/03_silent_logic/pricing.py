"""The shop's instalment and pricing rules: correct, and yours to test (exercise 03, part 2).

Read them like a specification. Your tests in the notebook call these two functions; the
grader then runs the same tests against copies with one small bug each (mutants) and
counts how many of those bugs your tests catch.
"""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal


def is_eligible(age, annual_income, credit_score, has_defaulted):
    """Whether a customer may pay by instalments.

    Eligible when all of these hold: aged 18 to 75, both included; no default on record;
    and a credit score of 700 or more, or of 600 or more with an annual income above
    30000.00 (30000.00 itself is not above).

    Raises TypeError when age or credit_score is not an int (a bool is not an int here),
    ValueError when annual_income is negative.
    """
    if not isinstance(age, int) or isinstance(age, bool):
        raise TypeError(f"age must be an int, got {age!r}")
    if not isinstance(credit_score, int) or isinstance(credit_score, bool):
        raise TypeError(f"credit_score must be an int, got {credit_score!r}")
    if annual_income < 0:
        raise ValueError(f"annual_income cannot be negative, got {annual_income}")
    if age < 18 or age > 75:
        return False
    if has_defaulted:
        return False
    return credit_score >= 700 or (credit_score >= 600 and annual_income > Decimal("30000.00"))


def order_total(unit_price, quantity, discount_pct, coupon, tax_rate):
    """The amount to charge for one order line, a Decimal in cents.

    In this order:
    1. subtotal = unit_price x quantity;
    2. discount_pct percent off (an int from 0 to 100), rounded to the cent, half to even;
    3. the coupon (an amount) comes off next, never taking the amount below 0.00;
    4. tax = that amount x tax_rate, rounded to the cent, half up;
    5. the total is the amount after the coupon plus the tax.

    Raises TypeError when quantity or discount_pct is not an int (bool included),
    ValueError for a negative unit_price or coupon, a quantity below 1, a discount_pct
    outside 0..100 or a tax_rate outside [0, 1).
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise TypeError(f"quantity must be an int, got {quantity!r}")
    if not isinstance(discount_pct, int) or isinstance(discount_pct, bool):
        raise TypeError(f"discount_pct must be an int, got {discount_pct!r}")
    if unit_price < 0 or coupon < 0:
        raise ValueError("unit_price and coupon cannot be negative")
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}")
    if discount_pct < 0 or discount_pct > 100:
        raise ValueError(f"discount_pct must be 0..100, got {discount_pct}")
    if tax_rate < 0 or tax_rate >= 1:
        raise ValueError(f"tax_rate must be in [0, 1), got {tax_rate}")
    subtotal = unit_price * quantity
    discounted = (subtotal * (100 - discount_pct) / 100).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    after_coupon = max(discounted - coupon, Decimal("0.00"))
    tax = (after_coupon * tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return after_coupon + tax
