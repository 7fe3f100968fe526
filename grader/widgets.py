"""ipywidgets where they help, with a text and HTML fallback everywhere else.

A widget shows only in a live kernel with a front end. In a terminal, in nbconvert, in
nbgrader's feedback or in a notebook reopened after its kernel stopped there is no widget
state, so every widget the learner's API returns carries the same content as ``text/html``
and ``text/plain`` in its display bundle: nbconvert skips a widget view whose state is
missing and takes the next format (nbconvert's WidgetsDataTypeFilter), JupyterLab prefers
the widget while its model lives.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

OFF_VARIABLE = "GRADER_WIDGETS"  # "0": never a widget (plain output, for debugging)


def available() -> bool:
    """True in an IPython kernel (not a terminal), with ipywidgets installed, outside
    nbgrader's grading (where nobody clicks and only the saved output counts)."""
    if os.environ.get(OFF_VARIABLE) == "0" or os.environ.get("NBGRADER_EXECUTION"):
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    return importlib.util.find_spec("ipywidgets") is not None


class WithFallback:
    """Displays as ``widget`` where a widget front end is live, else as ``fallback``
    (an object with ``_repr_html_`` or ``_repr_markdown_``, and ``__str__``)."""

    def __init__(self, widget: Any, fallback: Any) -> None:
        self.widget = widget
        self.fallback = fallback

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_())
        for mime, method in (("text/html", "_repr_html_"), ("text/markdown", "_repr_markdown_")):
            if hasattr(self.fallback, method):
                bundle[mime] = getattr(self.fallback, method)()
        bundle["text/plain"] = str(self.fallback)
        return bundle

    def __str__(self) -> str:
        return str(self.fallback)


def with_fallback(widget: Any, fallback: Any) -> WithFallback:
    return WithFallback(widget, fallback)
