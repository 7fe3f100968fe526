"""``python -m grader``: see grader/cli.py."""

import sys

# nbformat imports jsonschema, whose eager rfc3987_syntax import builds ~35 Earley parsers:
# about 3 s of CPU before any command starts (jsonschema#1428; see grader/classgrade/
# execute.py). Notebook schemas use no "iri" format, and jsonschema skips a format checker
# whose import fails, so this short-lived process goes without that one.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

from grader.cli import main  # noqa: E402

raise SystemExit(main())
