"""Hostile: fork until the system refuses, every child holding its slot. Expected: the
per-sandbox process limit stops it inside the sandbox, the children die with the run; the
unsolved exercise scores 0."""

EXTRA_CELLS = [
    "import os, time\n"
    "_children = 0\n"
    "for _ in range(100000):\n"
    "    try:\n"
    "        if os.fork() == 0:\n"
    "            time.sleep(600)\n"
    "            os._exit(0)\n"
    "        _children += 1\n"
    "    except OSError:\n"
    "        break\n"
    "print('forked', _children)",
]
