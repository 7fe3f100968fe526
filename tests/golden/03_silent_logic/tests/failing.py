# Strong tests with one wrong belief about the spec: 75 is not included. They fail on the
# correct functions, so they score nothing, and the feedback names the test.
@pytest.mark.parametrize("age, expected", [(17, False), (18, True), (75, False), (76, False)])
def test_age_limits(age, expected):
    assert is_eligible(age, Decimal("50000.00"), 720, False) is expected


def test_worked_example():
    assert order_total(Decimal("19.99"), 3, 10, Decimal("5.00"), Decimal("0.19")) == Decimal("58.27")
