# Written differently from the model: hypothesis properties against a slow oracle written
# from the spec, plus the edges the spec names.
from hypothesis import given, settings
from hypothesis import strategies as st

CENT = Decimal("0.01")
money = st.decimals(min_value=0, max_value=500, places=2)


def spec_total(price, qty, pct, coupon, rate):
    from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP
    amount = (price * qty * (100 - pct) / 100).quantize(CENT, rounding=ROUND_HALF_EVEN)
    amount = max(amount - coupon, Decimal(0))
    return amount + (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=20)
@given(money, st.integers(1, 20), st.integers(0, 100), money,
       st.decimals(min_value=0, max_value="0.99", places=2))
def test_total_matches_the_spec(price, qty, pct, coupon, rate):
    assert order_total(price, qty, pct, coupon, rate) == spec_total(price, qty, pct, coupon, rate)


@settings(max_examples=20)
@given(st.integers(0, 120), st.decimals(min_value=0, max_value=100000, places=2),
       st.integers(300, 900), st.booleans())
def test_eligibility_matches_the_spec(age, income, score, defaulted):
    expected = (18 <= age <= 75 and not defaulted and
                (score >= 700 or (score >= 600 and income > Decimal("30000.00"))))
    assert is_eligible(age, income, score, defaulted) == expected


def test_every_edge_of_eligibility():
    for age, ok in ((17, False), (18, True), (75, True), (76, False)):
        assert is_eligible(age, Decimal("0"), 700, False) is ok
    for score, income, ok in ((699, Decimal("30000.00"), False), (699, Decimal("30000.01"), True),
                              (600, Decimal("30000.01"), True), (599, Decimal("30000.01"), False),
                              (700, Decimal("0"), True)):
        assert is_eligible(40, income, score, False) is ok
    assert is_eligible(40, Decimal("90000"), 850, True) is False


def test_half_cents():
    assert order_total(Decimal("0.25"), 1, 10, Decimal("0"), Decimal("0")) == Decimal("0.22")
    assert order_total(Decimal("0.25"), 1, 0, Decimal("0"), Decimal("0.10")) == Decimal("0.28")


def test_bad_input():
    good = (Decimal("1.00"), 1, 0, Decimal("0"), Decimal("0.19"))
    for index, bad, error in ((0, Decimal("-0.01"), ValueError), (1, 0, ValueError),
                              (1, True, TypeError), (1, 1.0, TypeError), (2, -1, ValueError),
                              (2, 101, ValueError), (2, True, TypeError), (2, 5.0, TypeError),
                              (3, Decimal("-0.01"), ValueError), (4, Decimal("1"), ValueError),
                              (4, Decimal("-0.01"), ValueError), (0, Decimal("-0.5"), ValueError),
                              (3, Decimal("-0.5"), ValueError), (4, Decimal("-0.5"), ValueError)):
        args = list(good)
        args[index] = bad
        with pytest.raises(error):
            order_total(*args)
    for age, score, error in ((True, 700, TypeError), (40.0, 700, TypeError),
                              (40, False, TypeError), (40, 700.0, TypeError)):
        with pytest.raises(error):
            is_eligible(age, Decimal("1"), score, False)
    for income in (Decimal("-0.01"), Decimal("-0.5")):
        with pytest.raises(ValueError):
            is_eligible(40, income, 700, False)
    assert is_eligible(40, Decimal("0"), 700, False)
