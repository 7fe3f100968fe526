"""Hand-written mutants of pricing.py: bugs no single-node change makes (grader/mutation).

They count in the grade and are never shown to the learner, only how many survived. Each
replaces a piece of one function's text (which must occur there exactly once); the model
tests catch each one (tests/test_silent_logic_mutation.py).
"""

_TAIL = """    after_coupon = max(discounted - coupon, Decimal("0.00"))
    tax = (after_coupon * tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return after_coupon + tax
"""

MUTANTS = [
    {
        "function": "order_total",
        "description": "the tax is charged before the coupon comes off",
        "replace": (_TAIL, """\
    tax = (discounted * tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return max(discounted + tax - coupon, Decimal("0.00"))
"""),
    },
    {
        "function": "order_total",
        "description": "only the final total is rounded",
        "replace": ("""    discounted = (subtotal * (100 - discount_pct) / 100).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN)
""" + _TAIL, """    discounted = subtotal * (100 - discount_pct) / 100
    after_coupon = max(discounted - coupon, Decimal("0.00"))
    return (after_coupon * (1 + tax_rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
"""),
    },
    {
        "function": "order_total",
        "description": "the arithmetic is done in floats",
        "replace": ("""    subtotal = unit_price * quantity
    discounted = (subtotal * (100 - discount_pct) / 100).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_EVEN)
""" + _TAIL, """    discounted = round(float(unit_price) * quantity * (100 - discount_pct) / 100, 2)
    after_coupon = max(discounted - float(coupon), 0.0)
    tax = round(after_coupon * float(tax_rate), 2)
    return Decimal(str(round(after_coupon + tax, 2))).quantize(Decimal("0.01"))
"""),
    },
    {
        "function": "is_eligible",
        "description": "a high score outweighs a default",
        "replace": ("    if has_defaulted:\n",
                    "    if has_defaulted and credit_score < 780:\n"),
    },
]
