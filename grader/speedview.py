"""How a speed verdict looks in a notebook: a small table and a bar chart with the bar
the learner has to clear (drawn with matplotlib, embedded as a PNG)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any


class SpeedView:
    """Wraps a grader.speed SpeedReport for display; ``str()`` gives the text version."""

    def __init__(self, exercise: str, report: Any) -> None:
        self.exercise = exercise
        self.report = report

    def _times(self) -> dict[str, float]:
        samples = self.report.samples
        if not samples:
            return {}
        median = sorted(s.baseline_s for s in samples)[len(samples) // 2]
        out = {"AI baseline": median}
        refs = sorted(s.reference_s for s in samples if s.reference_s is not None)
        if refs:
            out["model solution"] = refs[len(refs) // 2]
        out["yours"] = sorted(s.candidate_s for s in samples)[len(samples) // 2]
        return out

    def chart_png(self) -> bytes | None:
        times = self._times()
        if not times:
            return None
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        base = times["AI baseline"]
        speedups = {k: base / v for k, v in times.items() if v > 0}
        fig, ax = plt.subplots(figsize=(6, 2.2))
        colors = ["#8c959f", "#0969da", "#1a7f37" if self.report.passed else "#cf222e"]
        ax.barh(list(speedups), list(speedups.values()), color=colors[: len(speedups)])
        ax.axvline(self.report.threshold, color="black", linestyle="--",
                   label=f"needed: {self.report.threshold:g}x")
        ax.set_xscale("log")
        ax.set_xlabel("speedup over the AI version (median CPU time, log scale)")
        ax.legend(loc="lower right", fontsize="small")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90)
        plt.close(fig)
        return buffer.getvalue()

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td style='text-align:left'>{html.escape(k)}</td>"
                       f"<td>{v * 1e3:.2f} ms</td></tr>" for k, v in self._times().items())
        png = self.chart_png()
        img = (f"<img src='data:image/png;base64,{base64.b64encode(png).decode()}'/>"
               if png else "")
        text = html.escape(str(self.report)).replace("\n", "<br/>")
        return (f"<div><b>speed: {html.escape(self.exercise)}</b><table><thead><tr>"
                "<th style='text-align:left'>who</th><th>CPU time per call (median)</th>"
                f"</tr></thead><tbody>{rows}</tbody></table>{img}<p>{text}</p></div>")

    def __str__(self) -> str:
        return f"speed: {self.exercise}\n{self.report}"
