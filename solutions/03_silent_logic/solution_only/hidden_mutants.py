"""Hand-written mutants of pricing.py: bugs no single-node change makes (grader/mutation).

They count in the grade and are never shown to the learner, only how many survived. Each
replaces one whole function; the model tests catch each one
(tests/test_silent_logic_mutation.py).
"""

MUTANTS = [
    {
        "function": "order_total",
        "description": "the tax is charged before the coupon comes off",
        "source": '''
def order_total(unit_price, quantity, discount_pct, coupon, tax_rate):
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
    tax = (discounted * tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return max(discounted + tax - coupon, Decimal("0.00"))
''',
    },
    {
        "function": "order_total",
        "description": "only the final total is rounded",
        "source": '''
def order_total(unit_price, quantity, discount_pct, coupon, tax_rate):
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
    discounted = unit_price * quantity * (100 - discount_pct) / 100
    after_coupon = max(discounted - coupon, Decimal("0.00"))
    total = after_coupon * (1 + tax_rate)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
''',
    },
    {
        "function": "order_total",
        "description": "the arithmetic is done in floats",
        "source": '''
def order_total(unit_price, quantity, discount_pct, coupon, tax_rate):
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
    discounted = round(float(unit_price) * quantity * (100 - discount_pct) / 100, 2)
    after_coupon = max(discounted - float(coupon), 0.0)
    tax = round(after_coupon * float(tax_rate), 2)
    return Decimal(str(round(after_coupon + tax, 2))).quantize(Decimal("0.01"))
''',
    },
    {
        "function": "is_eligible",
        "description": "a high score outweighs a default",
        "source": '''
def is_eligible(age, annual_income, credit_score, has_defaulted):
    if not isinstance(age, int) or isinstance(age, bool):
        raise TypeError(f"age must be an int, got {age!r}")
    if not isinstance(credit_score, int) or isinstance(credit_score, bool):
        raise TypeError(f"credit_score must be an int, got {credit_score!r}")
    if annual_income < 0:
        raise ValueError(f"annual_income cannot be negative, got {annual_income}")
    if age < 18 or age > 75:
        return False
    if has_defaulted and credit_score < 780:
        return False
    return credit_score >= 700 or (credit_score >= 600 and annual_income > Decimal("30000.00"))
''',
    },
]
