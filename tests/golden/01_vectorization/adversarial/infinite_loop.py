"""Hostile: a cell that never ends and swallows every KeyboardInterrupt, so a kernel
interrupt cannot stop it. Expected: the cell timeout and the sandbox's wall clock stop the
run; every grade cell (none reported) scores 0, never a pass."""

EXTRA_CELLS = [
    "while True:\n"
    "    try:\n"
    "        while True:\n"
    "            pass\n"
    "    except BaseException:\n"
    "        pass",
]
