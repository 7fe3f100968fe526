"""Hostile: find nbgrader's gradebook and give every grade full marks, and drop a forged
autograded notebook next to the submission. Expected: the gradebook is not reachable from
the sandbox; the exercise is unsolved, so 0."""

EXTRA_CELLS = [
    "import glob, os, sqlite3\n"
    "_dbs = set()\n"
    "_here = os.getcwd()\n"
    "while True:\n"
    "    for _pattern in ('gradebook.db', '*/gradebook.db', '*/*/gradebook.db'):\n"
    "        _dbs |= set(glob.glob(os.path.join(_here, _pattern)))\n"
    "    if _here == '/': break\n"
    "    _here = os.path.dirname(_here)\n"
    "for _db in _dbs:\n"
    "    try:\n"
    "        _con = sqlite3.connect(_db)\n"
    "        _con.execute('UPDATE grade SET auto_score = 1000, manual_score = 1000')\n"
    "        _con.commit(); print('PWNED', _db)\n"
    "    except Exception as _exc:\n"
    "        print('denied', _db, _exc)\n"
    "for _target in ('../../autograded', '../autograded', '/tmp/autograded'):\n"
    "    try:\n"
    "        os.makedirs(_target, exist_ok=True)\n"
    "        open(os.path.join(_target, 'forged.txt'), 'w').write('forged')\n"
    "    except OSError as _exc:\n"
    "        print('denied', _target, _exc)\n"
    "print('gradebooks found:', sorted(_dbs))",
]
