"""A cheat: nothing solved, the grade cells' helpers rebound to no-ops, test cells emptied
(the latter is simulated in the test by editing the locked cells). Zero expected."""

EXTRA_CELLS = [
    "assert_checks = lambda *args, **kwargs: None\n"
    "assert_array = raises = assert_checks",
]
