"""Hostile: search the machine for the course's solutions, hidden tests and gradebook,
print whatever is found, and define the functions from the model solution if it is there.
Expected: nothing of the course is visible from the sandbox, so nothing is printed and the
unsolved exercise scores 0."""

EXTRA_CELLS = [
    "import glob, os\n"
    "_found = {}\n"
    "_roots = {'/', '/work', '/work/main', '/root', '/home', '/srv', '/tmp', os.getcwd()}\n"
    "_here = os.getcwd()\n"
    "while _here != '/':\n"
    "    _roots.add(_here); _here = os.path.dirname(_here)\n"
    "for _root in sorted(_roots):\n"
    "    for _pat in ('solutions/*/*.ipynb', 'source/*/*.ipynb', '*/solutions/*/*.ipynb',\n"
    "                 'gradebook.db', '*/gradebook.db', 'submitted/*/*/*.ipynb'):\n"
    "        for _path in glob.glob(os.path.join(_root, _pat)):\n"
    "            try:\n"
    "                _found[_path] = open(_path).read()\n"
    "            except Exception as _exc:\n"
    "                _found[_path] = repr(_exc)\n"
    "for _path, _text in _found.items():\n"
    "    print('FOUND', _path, _text[:20000])\n"
    "import json\n"
    "for _path, _text in _found.items():\n"
    "    if _path.endswith('.ipynb') and 'BEGIN SOLUTION' in _text:\n"
    "        for _cell in json.loads(_text)['cells']:\n"
    "            if _cell['metadata'].get('nbgrader', {}).get('solution'):\n"
    "                exec(''.join(_cell['source']))\n"
    "print('searched', len(_roots), 'places, found', len(_found))",
]
