"""Hostile: allocate and touch memory until the machine runs out, keep what was won and try
again. Expected: the address-space limit stops each allocation (MemoryError) inside the
sandbox; the grader host is unaffected; the unsolved exercise scores 0."""

EXTRA_CELLS = [
    "import numpy as np\n"
    "_hoard = []\n"
    "for _ in range(64):\n"
    "    try:\n"
    "        _hoard.append(np.ones(64 * 1024 * 1024 // 8))  # 64 MiB, touched\n"
    "    except MemoryError:\n"
    "        break\n"
    "print('hoarded', len(_hoard) * 64, 'MiB')",
]


def normalize(scores):
    _hoard = [bytearray(1024**3) for _ in range(64)]  # 64 GiB per call
    return _hoard
