# Written differently from the model: one table per function, each row an edge the
# docstring names, checked in a loop with the row in the failure message.
D = Decimal

ELIGIBILITY = [  # (age, income, score, defaulted) -> eligible
    ((17, D("99999"), 800, False), False), ((18, D("0"), 700, False), True),
    ((75, D("0"), 700, False), True), ((76, D("99999"), 800, False), False),
    ((40, D("0"), 699, False), False), ((40, D("30000.00"), 699, False), False),
    ((40, D("30000.01"), 699, False), True), ((40, D("30000.01"), 600, False), True),
    ((40, D("30000.01"), 599, False), False), ((40, D("99999"), 900, True), False),
    ((40, D("0.00"), 700, False), True),
]

TOTALS = [  # (price, qty, pct, coupon, rate) -> total
    ((D("19.99"), 3, 10, D("5.00"), D("0.19")), D("58.27")),
    ((D("2.50"), 4, 0, D("0"), D("0")), D("10.00")),
    ((D("0.25"), 1, 10, D("0"), D("0")), D("0.22")),      # half a cent, to even
    ((D("0.35"), 1, 10, D("0"), D("0")), D("0.32")),
    ((D("0.25"), 1, 0, D("0"), D("0.10")), D("0.28")),    # half a cent of tax, up
    ((D("100.00"), 1, 20, D("30.00"), D("0.10")), D("55.00")),
    ((D("10.00"), 1, 0, D("10.00"), D("0.19")), D("0.00")),
    ((D("10.00"), 1, 0, D("25.00"), D("0.19")), D("0.00")),
    ((D("10.00"), 1, 0, D("9.99"), D("0.50")), D("0.02")),
    ((D("10.00"), 2, 100, D("0"), D("0.19")), D("0.00")),
    ((D("4.00"), 1, 99, D("0"), D("0")), D("0.04")),
    ((D("4.00"), 1, 1, D("0"), D("0")), D("3.96")),
    ((D("0.50"), 1, 0, D("0"), D("0.99")), D("1.00")),
    ((D("0.00"), 1, 0, D("0"), D("0")), D("0.00")),
]

RAISES = [  # arguments replaced in a good call -> the error
    ({"unit_price": D("-0.01")}, ValueError), ({"unit_price": D("-0.5")}, ValueError),
    ({"coupon": D("-0.01")}, ValueError), ({"coupon": D("-0.5")}, ValueError),
    ({"quantity": 0}, ValueError), ({"discount_pct": -1}, ValueError),
    ({"discount_pct": 101}, ValueError), ({"tax_rate": D("1")}, ValueError),
    ({"tax_rate": D("-0.01")}, ValueError), ({"tax_rate": D("-0.5")}, ValueError),
    ({"quantity": True}, TypeError), ({"quantity": 1.0}, TypeError),
    ({"discount_pct": False}, TypeError), ({"discount_pct": 5.0}, TypeError),
]


def test_eligibility_table():
    for args, expected in ELIGIBILITY:
        assert is_eligible(*args) is expected, args


def test_totals_table():
    for args, expected in TOTALS:
        assert order_total(*args) == expected, args


def test_bad_orders_raise():
    good = dict(unit_price=D("1.00"), quantity=1, discount_pct=0, coupon=D("0"),
                tax_rate=D("0.19"))
    for change, error in RAISES:
        with pytest.raises(error):
            order_total(**{**good, **change})


def test_bad_customers_raise():
    for age, score in ((True, 700), (40.0, 700), (40, False), (40, 700.0)):
        with pytest.raises(TypeError):
            is_eligible(age, D("1"), score, False)
    for income in (D("-0.01"), D("-0.5")):
        with pytest.raises(ValueError):
            is_eligible(40, income, 700, False)
