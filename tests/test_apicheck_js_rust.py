"""api_check for JavaScript (TypeScript's checker + Node) and Rust (cargo check, itertools 0.13).

The checkers are installed by ``make install`` (``python -m grader.apicheck warm``); the
fixture below runs the same warm-up, which returns at once when it is done, and skips when
the machine has no Node or no cargo at all.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.apicheck import api_check
from grader.apicheck.javascript import callee_at, parse_diagnostics, suggest
from grader.apicheck.rust import crate_history
from grader.apicheck.tools import ToolMissing, warm_js, warm_rust

ROOT = Path(__file__).resolve().parent.parent


def _warm(step) -> str | None:
    try:
        step()
    except ToolMissing as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def js() -> str:
    """Node's version ("20.20.2") once TypeScript is installed; skip without Node."""
    missing = _warm(warm_js)
    if missing:
        pytest.skip(missing)
    return subprocess.run(["node", "--version"], capture_output=True, text=True,
                          check=True).stdout.strip().lstrip("v")


@pytest.fixture(scope="module")
def rust() -> None:
    missing = _warm(warm_rust)
    if missing:
        pytest.skip(missing)


ARTICLE_JS = """\
async function getData(url) {
  const resp = await fetch(url);
  const data = await resp.json_safe();
  return data;
}
"""

CLEAN_JS = """\
import { readFile } from "node:fs/promises";

export async function getData(url, ms) {
  const resp = await fetch(url, { signal: AbortSignal.timeout(ms) });
  if (!resp.ok) throw new Error(`HTTP ${resp.status} for ${url}`);
  try {
    return await resp.json();
  } catch (err) {
    throw new Error(`bad JSON from ${url}: ${err.message}`);
  }
}

export const config = JSON.parse(await readFile("config.json", "utf8"));
"""


# ---- JavaScript ---------------------------------------------------------------------------

def test_article_json_safe_is_a_confirmed_missing_method(js):
    report = api_check(ARTICLE_JS, "javascript")
    assert report.tool == "typescript 7.0.2"
    assert [(f.kind, f.name, f.line, f.column) for f in report.findings] == [
        ("missing-name", "json_safe", 3, 27)]
    found = report.findings[0]
    assert found.confirmed is True and found.owner == "Response" and found.version == js
    assert "json" in found.suggestions
    assert found.message == f"Response has no method 'json_safe' in Node {js}; did you mean 'json'?"


def test_fetch_timeout_option_is_a_bad_call(js):
    # bad-call, as Python's unknown keyword: fetch runs, and silently ignores the key
    # (Node's Request constructor never reads it: confirm.mjs watches which keys it reads).
    code = "export async function get(url, ms) {\n  return fetch(url, { timeout: ms });\n}\n"
    report = api_check(code, "js")
    assert [(f.kind, f.name, f.owner) for f in report.findings] == [
        ("bad-call", "timeout", "RequestInit")]
    found = report.findings[0]
    assert found.confirmed is True
    assert found.message.startswith(f"fetch()'s options (RequestInit) have no 'timeout' in Node "
                                    f"{js}: it is silently ignored")


def test_object_group_by_is_missing_in_node_20(js):
    report = api_check("const g = Object.groupBy([1, 2, 3], (n) => n % 2);\n", "js")
    if int(js.split(".")[0]) >= 21:  # Node has it, the es2022 types do not: dropped, noted
        assert report.ok and any("groupBy" in note for note in report.notes)
        return
    [found] = report.findings
    assert (found.kind, found.name, found.owner, found.confirmed) == (
        "missing-name", "groupBy", "Object", True)
    assert found.message == (f"Object.groupBy does not exist in Node {js} (added in a later "
                             "ECMAScript/Node: the checker's lib hint says es2024)")


def test_string_contains_is_missing(js):
    report = api_check('const hit = "abc".contains("a");\n', "js")
    [found] = report.findings
    assert (found.kind, found.name, found.owner, found.confirmed) == (
        "missing-name", "contains", "String", True)
    # difflib does not rate 'includes' close to 'contains' (0.375): no invented suggestion
    assert "includes" not in found.suggestions


def test_clean_javascript_has_no_findings(js):
    report = api_check(CLEAN_JS, "javascript")
    assert report.ok, str(report)


def test_unknown_package_is_not_installed(js):
    report = api_check('import x from "not-a-real-pkg-xyz";\nconsole.log(x);\n', "js")
    assert [(f.kind, f.name) for f in report.findings] == [("not-installed", "not-a-real-pkg-xyz")]
    assert report.findings[0].message == "module 'not-a-real-pkg-xyz' is not installed here"


def test_javascript_syntax_error_is_one_finding(js):
    code = 'async function f() {\n  const x = await fetch("u";\n  return x;\n}\n'
    report = api_check(code, "js")
    [found] = report.findings
    assert (found.kind, found.line, found.column) == ("syntax", 2, 25)
    assert "SyntaxError" in found.message


def test_missing_await_and_node_module_exports(js):
    code = ('import { readFil } from "node:fs/promises";\n'
            'const body = fetch("http://x").json();\n')
    report = api_check(code, "js")
    assert [(f.name, f.owner) for f in report.findings] == [
        ("readFil", "node:fs/promises"), ("json", "Promise")]
    assert report.findings[0].suggestions[0] == "readFile"
    assert "did you forget 'await'" in report.findings[1].message


def test_tsc_output_parsing_and_call_labels():
    out = ("snippet.mjs(4,27): error TS2339: Property 'json_safe' does not exist on type "
           "'Response'.\nother.ts(1,1): error TS1005: ';' expected.\n  continuation\n")
    [diag] = parse_diagnostics(out)
    assert (diag.code, diag.line, diag.column) == (2339, 4, 27)
    code = "const r = await fetch(url, { a: 1, timeout: ms });\nJSON.parse(s, null, 3);\n"
    assert callee_at(code, 1, 36) == "fetch"
    assert callee_at(code, 2, 21) == "JSON.parse"
    assert callee_at("s.substring();", 1, 3) == "s.substring"  # TS2554 for too few: on the name
    assert callee_at(code, 9, 1) == ""
    assert suggest("json_safe", ["json", "text", "blob"]) == ("json",)


def test_bad_input_is_refused_clearly():
    with pytest.raises(TypeError, match="as a string"):
        api_check(b"x", "js")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown language"):
        api_check("x", "cobol")
    from grader.apicheck.javascript import check_javascript
    from grader.apicheck.rust import check_rust

    for check in (check_javascript, check_rust):
        with pytest.raises(ValueError, match="timeout"):
            check("x", timeout=0)


def test_missing_tools_say_make_install(monkeypatch, tmp_path):
    import grader.native.rust
    from grader.apicheck import tools

    monkeypatch.setattr(tools, "node_dir", lambda: tmp_path / "node")
    with pytest.raises(RuntimeError, match="make install"):
        api_check("const x = 1;\n", "js")

    def no_cargo():
        raise FileNotFoundError("cargo not found on PATH")

    monkeypatch.setattr(grader.native.rust, "_cargo_bin_dir", no_cargo)
    with pytest.raises(RuntimeError, match="make install"):
        api_check("fn main() {}\n", "rust")


# ---- Rust ---------------------------------------------------------------------------------

REMOVED_RUST = """\
use itertools::Itertools;

fn main() {
    let r: Vec<Result<i32, String>> = vec![Ok(1), Err("x".into())];
    let doubled: Vec<Result<i32, String>> = r.into_iter().map_results(|n| n * 2).collect();
    let evens: Vec<i32> = (0..10).step(2).collect();
    println!("{doubled:?} {evens:?}");
}
"""


def test_itertools_013_removed_map_results_and_step(rust):
    report = api_check(REMOVED_RUST, "rust")
    assert report.tool.startswith("cargo ")
    assert [(f.kind, f.name, f.line, f.library, f.version) for f in report.findings] == [
        ("missing-name", "map_results", 5, "itertools", "0.13.0"),
        ("missing-name", "step", 6, "itertools", "0.13.0")]
    map_results, step = report.findings
    assert "step_by" in step.suggestions and "map_ok" in map_results.suggestions
    assert "removed in 0.13.0" in map_results.message and map_results.confirmed is True


def test_clean_rust_has_no_findings(rust):
    code = REMOVED_RUST.replace("map_results", "map_ok").replace(".step(2)", ".step_by(2)")
    report = api_check(code, "rust")
    assert report.ok, str(report)


def test_rust_crate_not_in_template_is_not_installed(rust):
    code = "use serde_json::Value;\n\nfn main() {\n    let v: Option<Value> = None;\n}\n"
    report = api_check(code, "rust")
    assert [(f.kind, f.name) for f in report.findings] == [("not-installed", "serde_json")]


def test_rust_syntax_error_is_one_finding(rust):
    report = api_check("fn main() {\n    let x = (1, 2;\n    let y = 1 let z = 2;\n}\n", "rust")
    assert [f.kind for f in report.findings] == ["syntax"]
    assert report.findings[0].line in (2, 3, 4)


def test_rust_type_errors_are_only_a_note(rust):
    report = api_check('fn main() {\n    let x: i32 = "s";\n}\n', "rust")
    assert report.ok and "1 other compiler error" in report.notes[0]


def test_changelog_history(tmp_path):
    crate = tmp_path / "registry" / "src" / "index" / "demo-1.0.0"
    crate.mkdir(parents=True)
    (crate / "CHANGELOG.md").write_text(
        "# Changelog\n## 1.0.0\n- Removed deprecated `old_call, Demo::{alpha, beta}` (#1)\n"
        "## 0.9.0\n- Deprecate `Demo::beta`, use `Demo::gamma` instead\n"
        "- Deprecate `.alpha()` in favour of std's `.alpha_by()`\n"
        "## 0.8.0\n- Remove `.flatten()` in favour of std's `.flatten()`\n")
    assert crate_history(tmp_path, "demo", "1.0.0", "beta").removed_in == "1.0.0"
    assert crate_history(tmp_path, "demo", "1.0.0", "beta").replacement == "gamma"
    alpha = crate_history(tmp_path, "demo", "1.0.0", "alpha")
    assert (alpha.replacement, alpha.std_) == ("alpha_by", True)
    assert crate_history(tmp_path, "demo", "1.0.0", "zeta").removed_in == ""
    assert crate_history(tmp_path, "demo", "1.0.0", "flatten").removed_in == ""  # std has it
    assert crate_history(tmp_path, "nothing", "0.1.0", "beta").removed_in == ""


# ---- install ------------------------------------------------------------------------------

def test_warm_twice_is_quick_the_second_time(js, rust):
    cmd = [sys.executable, "-m", "grader.apicheck", "warm"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    started = time.monotonic()
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0 and time.monotonic() - started < 10
    assert "(javascript): warm" in second.stdout and "(rust): warm" in second.stdout
