"""``hint()``: an exercise's hints, revealed one at a time.

In a kernel with a widget front end, ``hint("normalize")`` shows the hints revealed so far
(the first one if none was) and a button that reveals the next; once all are shown the
button says so and is disabled. Elsewhere (a terminal, nbconvert, nbgrader's grading) each
call returns the next hint as Markdown, and a call past the last one says there are no
more. Either way the count is kept in the progress file, so the progress panel can show
how many hints an exercise took.
"""

from __future__ import annotations

from typing import Any

from grader import progress, widgets
from grader.metadata import Exercise


def _header(ex: Exercise, index: int) -> str:
    last = " (the last one)" if index == len(ex.hints) - 1 else ""
    return f"**Hint {index + 1} of {len(ex.hints)}{last} — {ex.title}**\n\n{ex.hints[index]}"


class HintsText:
    """Markdown for whatever has no widget front end; ``str()`` is the same text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)


def no_hints(ex: Exercise) -> HintsText:
    return HintsText(f"**{ex.title}** has no hints. Re-read the lesson's matching section.")


def next_hint_text(ex: Exercise) -> HintsText:
    """Reveal the next hint, as text; past the last one, say so."""
    if not ex.hints:
        return no_hints(ex)
    shown = progress.hints_shown(ex.name)
    if shown >= len(ex.hints):
        return HintsText(f"**No more hints for {ex.title}**: all {len(ex.hints)} were shown. "
                         "Re-read the last one, or the lesson's matching section.\n\n"
                         + _header(ex, len(ex.hints) - 1))
    return HintsText(_header(ex, progress.next_hint_index(ex.name, len(ex.hints))))


def _button_label(shown: int, total: int) -> str:
    if shown >= total:
        return f"No more hints: all {total} shown"
    return f"Show hint {shown + 1} of {total}"


def hint_panel(ex: Exercise) -> Any:
    """The hint widget (with its Markdown fallback), or the text outside a kernel."""
    if not ex.hints:
        return no_hints(ex)
    if not widgets.available():
        return next_hint_text(ex)
    import ipywidgets as w
    from IPython.display import Markdown, display

    total = len(ex.hints)
    # Asking for hints shows the first one: one read, and one write when none was shown.
    shown = min(progress.hints_shown(ex.name), total) or progress.next_hint_index(ex.name,
                                                                                  total) + 1
    out = w.Output()
    with out:
        for i in range(shown):
            display(Markdown(_header(ex, i)))
    button = w.Button(description=_button_label(shown, total), disabled=shown >= total,
                      layout=w.Layout(width="fit-content"))

    def reveal(_: Any) -> None:
        index = progress.next_hint_index(ex.name, total)
        with out:
            display(Markdown(_header(ex, index)))
        now = index + 1
        button.description = _button_label(now, total)
        button.disabled = now >= total

    button.on_click(reveal)
    box = w.VBox([out, button])
    box.add_class("grader-hints")
    text = "\n\n".join(_header(ex, i) for i in range(shown))
    return widgets.with_fallback(box, HintsText(text))
