"""Chapter 06's fault scenarios against the AI version, the article's fix and the model.

    .venv/bin/python benchmarks/go_scenarios.py

Each row is one request through the course's harness (a fresh process) against the fault
server; the columns say what each implementation returned, how long the call took (inside
the process), and what it left behind: connections the server still saw open after the
call returned (idle keep-alive ones closed first), goroutines still running. The AI version
is the exercise's starter (the article's code moved into the exercise's signatures), the
article's fix is tests/golden/06_go_errors/article_fix.go. Two more columns show the leaks
the AI version itself hides (its FetchData never fails, and reading to EOF hands the
connection back): "early return" (still_leaks.go: the status check returns before the
deferred Close) and "AI fan-out" (the model with the starter's FetchAll: a goroutine per URL
and return on the first error). Prints a Markdown table.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.faults import FaultServer  # noqa: E402
from grader.golang import GoPackage  # noqa: E402
from grader.sources import solution_version  # noqa: E402
from tests.test_go_chapter import RELEASE, SOURCE, assemble, package_text  # noqa: E402

VERSIONS = {"AI version": "unsolved", "article's fix": "article_fix", "model": "solution",
            "early return": "still_leaks", "AI fan-out": "ai_fanout"}
MiB = 1 << 20


def _ai_fanout() -> str:
    """The model solution with the starter's FetchAll in place of its own."""
    starter = (RELEASE / "fetch" / "fetch.go").read_text()
    fanout = re.search(r"^func FetchAll\(.*?^}\n", starter, re.M | re.S)
    assert fanout, "the starter has no FetchAll"
    part = '// drop import "sync"\n' + fanout.group(0)  # only the model's FetchAll used it
    return assemble(part, solution_version((SOURCE / "fetch" / "fetch.go")
                                                      .read_text()))


def _rows(server: FaultServer) -> list[tuple[str, str, dict]]:
    """(scenario, operation, request fields) of each row."""
    big = dict(limit=10_000_000)
    latency = [server.url("latency", ms=2000, id=i) for i in range(6)]
    return [
        ("200 ok_json", "FetchData", dict(url=server.url("ok_json"), limit=MiB)),
        ("404", "FetchData", dict(url=server.url("not_found"), limit=MiB)),
        ("503 + Retry-After", "FetchData", dict(url=server.url("unavailable"), limit=MiB)),
        ("nothing listening", "FetchData", dict(url=server.dead_url(), limit=MiB)),
        ("headers after 5 s, 1 s deadline", "FetchData",
         dict(url=server.url("slow_headers", delay=5.0), limit=MiB, timeout_ms=1000)),
        ("body trickles for 5 s, 1 s deadline", "FetchData",
         dict(url=server.url("trickle", size=1000, chunk=10, interval=0.05), limit=MiB,
              timeout_ms=1000)),
        ("reset after 5,000 of 50,000 bytes", "FetchData",
         dict(url=server.url("reset", size=50_000, after=5000), limit=MiB)),
        ("11 MB, limit 1e7, Content-Length", "FetchData",
         dict(url=server.url("big_body", size=11_000_000, length=1), **big)),
        ("11 MB, limit 1e7, no Content-Length", "FetchData",
         dict(url=server.url("big_body", size=11_000_000, length=0), **big)),
        ("redirect loop", "FetchData", dict(url=server.url("redirect_loop"), limit=MiB)),
        ("500, 50 calls", "FetchData",
         dict(url=server.url("server_error"), limit=MiB, repeat=50)),
        ("FetchAll: a 404 and 6 urls of 2 s, 3 workers", "FetchAll",
         dict(urls=[server.url("not_found"), *latency], workers=3, limit=MiB)),
        ("FetchAll: a 404, a 500, 2 good urls, 4 workers", "FetchAll",
         dict(urls=[server.url("not_found"), server.url("server_error"), *latency[:2]],
              workers=4, limit=MiB)),
        ("FetchItem: JSON null", "FetchItem", dict(url=server.url("json_null"), limit=MiB)),
        ("FetchItem: an HTML page", "FetchItem", dict(url=server.url("wrong_type"), limit=MiB)),
    ]


def _outcome(pkg: GoPackage, server: FaultServer, op: str, fields: dict) -> str:
    mark = server.mark()
    result = pkg.request(op, timeout=20.0, **fields,
                         inspect=lambda _r: server.wait_closed(1.0, since=mark))
    if result.crash:
        return result.crash.split(":")[0] + f" ({result.seconds:.1f} s)"
    calls = result.response["calls"]
    last = calls[-1]
    if last.get("panic"):
        what = "panic"
    elif last.get("error"):
        what = "error"
    elif op == "FetchItem":
        what = f"Item{{{last['item']['id']}, {last['item']['name']!r}}}"
    elif op == "FetchAll":
        what = f"{len(last.get('bodies') or [])} bodies"
    else:
        what = f"{(last.get('body') or {}).get('len', 0):,} bytes"
    errors = sum(1 for c in calls if c.get("error"))
    if len(calls) > 1:
        what = f"{errors}/{len(calls)} errors"
    leaked = result.response["goroutines_after"] - result.response["goroutines_before"]
    extra = []
    if result.inspected:
        extra.append(f"{result.inspected} conn open")
    if leaked > 0:
        extra.append(f"{leaked} goroutines")
    ms = sum(c["ms"] for c in calls)
    return f"{what}, {ms / 1000:.2f} s" + (f"; {', '.join(extra)}" if extra else "")


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="go-scenarios-"))
    try:
        packages = {}
        for label, golden in VERSIONS.items():
            folder = base / golden
            shutil.copytree(RELEASE / "fetch", folder)
            text = _ai_fanout() if golden == "ai_fanout" else package_text(golden)
            (folder / "fetch.go").write_text(text)
            packages[label] = GoPackage(folder, SOURCE / "harness")
        with FaultServer() as server:
            print("| scenario | " + " | ".join(VERSIONS) + " |")
            print("|---|" + "---|" * len(VERSIONS))
            for scenario, op, fields in _rows(server):
                cells = [_outcome(pkg, server, op, fields) for pkg in packages.values()]
                print(f"| {scenario} | " + " | ".join(cells) + " |", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
