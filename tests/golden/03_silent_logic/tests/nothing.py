# Tests that call everything and assert nothing: green, and they catch almost nothing.
def test_is_eligible_runs():
    is_eligible(30, Decimal("40000.00"), 720, False)
    is_eligible(17, Decimal("0.00"), 500, True)


def test_order_total_runs():
    order_total(Decimal("19.99"), 3, 10, Decimal("5.00"), Decimal("0.19"))
    order_total(Decimal("0.25"), 1, 0, Decimal("0.00"), Decimal("0.10"))
