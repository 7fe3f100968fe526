"""``python -m grader.golang warm``: fill the Go build cache at install time.

The first build of a net/http harness compiles the standard library (half a minute or
more on a small machine, as long again for ``-race``); doing that during ``make install``
keeps it out of the first exercise cell.  It builds a throw-away package that imports
what harnesses import (net/http, encoding/json, context, gradeproto) through the real
:func:`grader.golang.build`, normally and with ``-race``, so the compiled packages land
in the project's GOCACHE with exactly the flags graded builds use.  A second run finds
both binaries cached and returns at once.  Without Go it says how to get one and exits 0:
Go is needed by one chapter only.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

_PACKAGE = """package warm

import (
	"context"
	"encoding/json"
	"net/http"
%(allowed)s)

// Get fetches url and decodes its JSON body.
func Get(ctx context.Context, url string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	return out, json.NewDecoder(resp.Body).Decode(&out)
}
"""

_HARNESS = """package main

import (
	"context"
	_ "crypto/sha256" // what the course's harnesses import besides the learner's package
	_ "encoding/hex"
	_ "os"

	"gradeharness/gradeproto"
	"gradeharness/warm"
)

func main() {
	var req struct{ URL string }
	_ = gradeproto.ReadRequest(&req)
	result, errText, panicText := gradeproto.Call(func() (any, error) {
		return warm.Get(context.Background(), req.URL)
	})
	gradeproto.WriteResponse(map[string]any{"result": result, "error": errText, "panic": panicText})
}
"""


def warm() -> int:
    """Build the warm-up harness normally and with -race; print one line; exit status."""
    from grader.golang.build import DEFAULT_ALLOWED, build
    from grader.golang.errors import GoBuildError
    from grader.golang.toolchain import GoNotFound, cache_root, prepare

    try:
        chain = prepare()
    except GoNotFound as exc:
        print(f"go warm-up skipped: {exc}")
        return 0
    timings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="go-warm-") as tmp:
        package, harness = Path(tmp) / "warm", Path(tmp) / "harness"
        package.mkdir()
        harness.mkdir()
        # Every package a learner may import, compiled now: a graded build in the sandbox
        # reads this cache read-only, and recompiles whatever is missing from it every time.
        used = {"context", "encoding/json", "net/http"}
        blank = "".join(f'\t_ "{name}"\n' for name in sorted(DEFAULT_ALLOWED - used))
        (package / "warm.go").write_text(_PACKAGE % {"allowed": blank})
        (harness / "main.go").write_text(_HARNESS)
        for race in (False, True):
            label = "race" if race else "normal"
            started = time.monotonic()
            try:
                build(package, harness, race=race)
            except GoBuildError as exc:
                print(f"go warm-up: the {label} build failed: {exc}")
                return 1 if not race else 0  # -race needs gcc; everything else still works
            seconds = time.monotonic() - started
            timings.append(f"{label} {seconds:.1f} s" if seconds > 0.5 else f"{label} cached")
    where = f"{chain.version_text} ({chain.go}), cache {cache_root()}"
    print(f"go warm-up: {where}: " + ", ".join(timings))
    return 0


def main(argv: list[str]) -> int:
    if argv == ["warm"]:
        return warm()
    print("usage: python -m grader.golang warm", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
