# A typical first attempt: the happy path, the age limit's lower edge, one bad input.
def test_eligible_customer():
    assert is_eligible(30, Decimal("40000.00"), 720, False)


def test_young_customer_is_not_eligible():
    assert not is_eligible(17, Decimal("40000.00"), 720, False)
    assert is_eligible(18, Decimal("40000.00"), 720, False)


def test_defaulted_customer_is_not_eligible():
    assert not is_eligible(30, Decimal("40000.00"), 720, True)


def test_simple_order():
    assert order_total(Decimal("10.00"), 2, 0, Decimal("0.00"), Decimal("0.19")) == Decimal("23.80")


def test_order_with_discount():
    assert order_total(Decimal("10.00"), 2, 10, Decimal("0.00"), Decimal("0.19")) == Decimal("21.42")


def test_negative_price_is_rejected():
    with pytest.raises(ValueError):
        order_total(Decimal("-1.00"), 1, 0, Decimal("0.00"), Decimal("0.19"))


def test_low_score_with_income():
    assert is_eligible(30, Decimal("40000.00"), 650, False)
    assert not is_eligible(30, Decimal("20000.00"), 650, False)
