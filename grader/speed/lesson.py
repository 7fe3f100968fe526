"""The scaling curve of lesson 01 (course/01_vectorization.ipynb): time per call against
input size, with a slider that picks one size and reads each version's time there and how
many times slower the first is than the last.

    scaling_explorer(sizes, {"AI loop": loop_seconds, "NumPy": numpy_seconds})

The result displays as one output that holds both the live widget (slider, readout, plot)
and a static PNG of the curve. JupyterLab draws the widget. Where no widget front end
exists (nbclient in the test suite, nbconvert's HTML, a notebook reopened without its
kernel) the PNG is what shows: nbconvert skips a widget view whose state it does not have.
The plot is an ipywidgets Image whose value is replaced, not an Output widget: what an
Output widget captures lives in the widget state, so a headless run would keep no plot.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

from grader.speed.charts import duration, scaling_png

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def ratio_words(sizes: Sequence[int], times: dict[str, Sequence[float]], at: int) -> str:
    """"at N elements: FIRST takes Rx as long as LAST" (the plot's title)."""
    i = list(sizes).index(at)
    first, last = list(times)[0], list(times)[-1]
    ratio = times[first][i] / max(times[last][i], 1e-12)
    return f"at {at:,} elements: {first} takes {ratio:,.0f}x as long as {last}"


def readout(sizes: Sequence[int], times: dict[str, Sequence[float]], at: int) -> str:
    """One line: each version's time at size ``at``, then `ratio_words`."""
    i = list(sizes).index(at)
    each = ", ".join(f"{name}: {duration(seconds[i])}" for name, seconds in times.items())
    return f"{ratio_words(sizes, times, at)} ({each} per call)"


class ScalingExplorer:
    """The curve at one size; displays as a slider-driven widget with a PNG fallback."""

    def __init__(self, sizes: Sequence[int], times: dict[str, Sequence[float]],
                 at: int | None = None) -> None:
        self.sizes = [int(n) for n in sizes]
        self.times = {name: [float(s) for s in seconds] for name, seconds in times.items()}
        if not self.sizes or self.sizes != sorted(set(self.sizes)):
            raise ValueError(f"sizes must be distinct and increasing, got {list(sizes)}")
        if not self.times or any(len(s) != len(self.sizes) for s in self.times.values()):
            raise ValueError("times needs one list of seconds per version, each as long as "
                             "sizes")
        if at is not None and at not in self.sizes:
            raise ValueError(f"at={at} is not one of the measured sizes {self.sizes}")
        self.at = self.sizes[-1] if at is None else at
        self._widget: Any = None

    def text(self) -> str:
        return readout(self.sizes, self.times, self.at)

    def png(self) -> bytes:
        return scaling_png(self.sizes, self.times, self.at,
                           ratio_words(self.sizes, self.times, self.at))

    def widget(self, png: bytes) -> Any:
        """Slider, readout and plot (starting as ``png``) in a VBox, built once; None
        without ipywidgets."""
        if self._widget is None:
            try:
                import ipywidgets as widgets
            except ImportError:
                return None
            slider = widgets.SelectionSlider(
                options=[(f"{n:,}", n) for n in self.sizes], value=self.at,
                description="input size", continuous_update=False,  # redraw on release
                style={"description_width": "initial"},
                layout=widgets.Layout(width="32em"))
            words = widgets.HTML(value=html.escape(self.text()))
            image = widgets.Image(value=png, format="png")

            def move(change: dict[str, Any]) -> None:
                self.at = change["new"]
                words.value = html.escape(self.text())
                image.value = self.png()

            slider.observe(move, names="value")
            self._widget = widgets.VBox([slider, words, image])
        return self._widget

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        png = self.png()
        bundle: dict[str, Any] = {"text/plain": self.text(),
                                  "image/png": base64.b64encode(png).decode()}
        box = self.widget(png)
        if box is not None:
            bundle[WIDGET_VIEW] = box._repr_mimebundle_()[WIDGET_VIEW]
        return bundle


def scaling_explorer(sizes: Sequence[int], times: dict[str, Sequence[float]],
                     at: int | None = None) -> ScalingExplorer:
    """The curve of ``times`` (seconds per call, one list per version, the slow one first)
    against ``sizes``, read at ``at`` (default: the largest size). Display it (the last
    line of a cell) to get the slider."""
    return ScalingExplorer(sizes, times, at)
