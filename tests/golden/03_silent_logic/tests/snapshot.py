# "Snapshot" tests: the expected values are whatever the functions return when the cell runs,
# the tests written from the code's own answers (the article's "same mental model").
CASES = [(17, Decimal("0.00"), 500, False), (18, Decimal("30000.01"), 600, False),
         (75, Decimal("99.00"), 700, True), (76, Decimal("1.00"), 800, False)]
ORDERS = [(Decimal("19.99"), 3, 10, Decimal("5.00"), Decimal("0.19")),
          (Decimal("0.25"), 1, 10, Decimal("0.00"), Decimal("0.10"))]
EXPECTED_ELIGIBLE = [is_eligible(*case) for case in CASES]
EXPECTED_TOTALS = [order_total(*order) for order in ORDERS]


def test_eligibility_is_stable():
    assert [is_eligible(*case) for case in CASES] == EXPECTED_ELIGIBLE


def test_totals_are_stable():
    assert [order_total(*order) for order in ORDERS] == EXPECTED_TOTALS
