"""Chapter 02's AI snippets, three ways: what a linter says, what api_check says, what
happens when the code runs. One Markdown table, then api_check's time per snippet.

    .venv/bin/python benchmarks/api_findings.py [--runs 3]

Each snippet is the AI's code as the exercise notebook (or the lesson) shows it. The linter
is ruff with its default rules (``--isolated``: not this project's configuration). The
runtime column runs the snippet: Python in this process against the fault server, the
JavaScript through the grader's Node harness (grader/snippets/node.py), Rust with ``cargo
check`` (compiling is how Rust code first "runs"). api_check is timed cold (the first call
in this process: imports, Node start) and warm (the best of ``--runs`` later calls); run it
on a quiet machine, and quote the ratios, not the seconds, elsewhere.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent

SNIPPETS: dict[str, tuple[str, str]] = {
    "fetch_user": ("python", '''import requests


def fetch_user(url, timeout=5.0):
    return requests.get(url, timeout=timeout).json_or_raise()
'''),
    "latency_summary": ("python", '''import numpy as np


def latency_summary(samples):
    p50, p95, p99 = np.percentile(samples, [50, 95, 99], interpolation="nearest")
    return {"p50": p50, "p95": p95, "p99": p99, "mean": sum(samples) / len(samples)}
'''),
    "load_settings": ("python", '''import json


def load_settings(raw):
    return json.loads(raw, encoding="utf-8")
'''),
    "numpy names (lesson)": ("python", '''import numpy as np

x = np.arange(1.0, 101.0)
mean = np.float_(x.mean())
area = np.trapz(x)
'''),
    "getUserData": ("javascript", '''export async function getUserData(url, timeoutMs = 5000) {
  const resp = await fetch(url);
  const data = await resp.json_safe();
  return data;
}
'''),
    "fetchText": ("javascript", '''export async function fetchText(url, timeoutMs) {
  const resp = await fetch(url, { timeout: timeoutMs });
  if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
  return await resp.text();
}
'''),
    "itertools 0.13 (lesson)": ("rust", '''use itertools::Itertools;

fn doubled(lines: &[&str]) -> Vec<i64> {
    lines.iter().map(|s| s.parse::<i64>()).map_results(|n| n * 2)
        .filter_map(Result::ok).collect()
}

fn main() {
    println!("{:?}", doubled(&["1", "x"]));
}
'''),
}


def linter(language: str, code: str) -> str:
    if language != "python":
        return "(ruff reads Python only)"
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated",
                           "--output-format", "concise", "--stdin-filename", "snippet.py", "-"],
                          input=code, capture_output=True, text=True, timeout=60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("snippet.py:")]
    return "; ".join(line.split(": ", 1)[1] for line in lines) or "nothing"


def runtime(name: str, language: str, code: str, server: Any) -> str:
    """What the snippet does when it runs, in one line."""
    if language == "rust":
        from grader.apicheck.rust import check_rust

        notes = check_rust(code).findings
        return "does not compile" if notes else "compiles"
    if language == "javascript":
        from grader.snippets import CallCrashed, NodeModule

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "snippet.mjs"
            path.write_text(code)
            export = code.split("function ", 1)[1].split("(", 1)[0]
            args = ([server.url("ok_json")] if export == "getUserData"
                    else [server.url("slow_headers", delay=3), 1000])
            try:
                result = NodeModule(path).call(export, *args, deadline=20)
            except CallCrashed as exc:
                return f"{exc.kind}: {exc}"
            if result.error is not None:
                return f"{result.error.type_name}: {result.error.message}"
            return f"returned after {result.seconds:.1f} s (asked for a 1 s timeout)"
    namespace: dict[str, Any] = {}
    try:
        exec(compile(code, name, "exec"), namespace)  # noqa: S102 - the course's
    except Exception as exc:  # noqa: BLE001 - module-level code failing is the outcome
        return f"{type(exc).__name__}: {exc}"
    calls: dict[str, Callable[[], Any]] = {
        "fetch_user": lambda: namespace["fetch_user"](server.url("ok_json")),
        "latency_summary": lambda: namespace["latency_summary"]([12, 15, 250]),
        "load_settings": lambda: namespace["load_settings"](b'{"a": 1}'),
    }
    try:
        calls.get(name, lambda: None)()
    except Exception as exc:  # noqa: BLE001 - the outcome is what we report
        return f"{type(exc).__name__}: {exc}"
    return "ran without error" if name in calls else "(module level: see the checker)"


def timed(language: str, code: str, runs: int) -> tuple[Any, float, float]:
    from grader.apicheck import api_check

    started = time.perf_counter()
    report = api_check(code, language)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        api_check(code, language)
        warm.append(time.perf_counter() - started)
    return report, cold, min(warm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="warm api_check runs per snippet")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    from grader.faults import FaultServer

    rows = []
    with FaultServer() as server:
        for name, (language, code) in SNIPPETS.items():
            report, cold, warm = timed(language, code, max(1, args.runs))
            found = "; ".join(f"{f.kind} `{f.name}`: {f.message}" for f in report.findings)
            rows.append({"snippet": name, "language": language, "linter": linter(language, code),
                         "api_check": found or "nothing", "runtime": runtime(
                             name, language, code, server),
                         "cold_s": round(cold, 2), "warm_s": round(warm, 2)})
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print("| snippet | linter (ruff, defaults) | api_check | when it runs "
          "| api_check cold / warm |")
    print("|---|---|---|---|---|")
    for r in rows:
        cells = [r["snippet"], r["linter"], r["api_check"], r["runtime"],
                 f"{r['cold_s']:.2f} s / {r['warm_s']:.2f} s"]
        print("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
