"""Hostile: phone home. Tries DNS, an outside address, and the grader host's loopback, and
would define the functions from downloaded code. Expected: no network at all; 0."""

EXTRA_CELLS = [
    "import socket, urllib.request\n"
    "_results = []\n"
    "for _target in (('1.1.1.1', 53), ('8.8.8.8', 443), ('127.0.0.1', 22), ('10.0.0.1', 80)):\n"
    "    try:\n"
    "        socket.create_connection(_target, timeout=2).close()\n"
    "        _results.append(('CONNECTED', _target))\n"
    "    except OSError as _exc:\n"
    "        _results.append(('blocked', _target, type(_exc).__name__))\n"
    "try:\n"
    "    exec(urllib.request.urlopen('https://pypi.org/simple/', timeout=3).read())\n"
    "    _results.append('DOWNLOADED')\n"
    "except Exception as _exc:\n"
    "    _results.append(('blocked', 'https', type(_exc).__name__))\n"
    "print(_results)",
]
