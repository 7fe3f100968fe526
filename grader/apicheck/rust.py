"""Rust: ``cargo check`` of a snippet against the crate versions the course pinned.

``check_rust(code)`` makes the code ``src/main.rs`` of a copy of the ``rust/`` template
(itertools 0.13.0, Cargo.lock committed) and runs ``cargo check --offline`` with the
project's cargo home and a shared target dir, so the crates are compiled once (at install
time, ``python -m grader.apicheck warm``) and a check takes about a quarter of a second. Of
rustc's errors only those that mean a hallucinated or misused API become findings:

* E0599 (no method / associated item named X), E0609 (no field), E0425 / E0432 / E0433
  (cannot find function, unresolved import or path) and "cannot find macro": ``missing-name``,
  with rustc's "a similar name" help as the suggestion; a name the snippet merely forgot to
  ``use`` (rustc: "consider importing") is not one;
* an unresolved crate (``use serde_json::Value;`` when the template has no serde_json):
  ``not-installed``;
* E0061 (wrong number of arguments): ``bad-call``;
* a parse error (rustc gives those no code): one ``syntax`` finding.

Other errors (mismatched types, borrows) are the learner's logic, not the library's API: they
are counted in a note. For a missing name the installed crate's own CHANGELOG is read: when it
says the name was removed (itertools 0.13.0: "Removed deprecated `repeat_call,
Itertools::{foreach, step, map_results, fold_results}`"), the message says so, with the
replacement its deprecation note names (``map_ok`` for ``map_results``). rustc compiled
against the real crate, so every finding is ``confirmed``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.apicheck.report import ApiReport, Finding
from grader.apicheck.tools import (
    INSTALL_HINT,
    RUST_TEMPLATE,
    cargo_environment,
    cargo_version,
    prepare_rust_work_dir,
    rust_lock,
)

SNIPPET = "src/main.rs"
API_CODES = {"E0599", "E0609", "E0425", "E0432", "E0433", "E0412", "E0422", "E0423", "E0405"}
LEXER_CODES = {"E0758", "E0762", "E0763", "E0765", "E0766"}  # unterminated strings, comments
PARSE = re.compile(r"^(expected |unexpected |mismatched closing delimiter|this file contains an "
                   r"unclosed delimiter|unclosed delimiter|unterminated |unknown start of token|"
                   r"missing |incorrect |invalid |found |unknown prefix|unmatched |prefix `|"
                   r"character literal|keyword `)")
NO_MEMBER = re.compile(r"^no (?P<what>[\w ]+?) named `(?P<name>[^`]+)` found for (?:\w+ )*"
                       r"`(?P<owner>.+?)`(?: in the current scope)?$")
NO_FIELD = re.compile(r"^no field `(?P<name>[^`]+)` on type `(?P<owner>.+)`$")
CANNOT_FIND = re.compile(r"^cannot find (?:(?P<what>[\w ]+?) )?`(?P<name>[^`]+)`(?: in "
                         r"(?:crate |module )?`(?P<owner>[^`]+)`)?")
NO_IN = re.compile(r"no `(?P<name>[^`]+)` in `(?P<owner>[^`]+)`")
UNLINKED = re.compile(r"(?:unlinked crate|missing crate|cargo add) `?(?P<crate>[\w-]+)`?")
FOUND_IN = re.compile(r"not found in `(?P<type>.+)`$")
HEADING = re.compile(r"^#+\s*\[?v?(?P<version>\d+\.\d+\.\d+)")
REPLACED = re.compile(r"\b(?:use|in favou?r of|replaced by|instead of)\b")


@dataclass(frozen=True)
class History:
    """What a crate's CHANGELOG says about a name: the version that removed it, and the
    replacement its deprecation note names (``std_`` when that is std's)."""

    removed_in: str = ""
    replacement: str = ""
    std_: bool = False


def check_rust(code: str, *, timeout: float = 120.0) -> ApiReport:
    """The calls in ``code`` (a Rust program; ``fn main() {}`` is added when it has none)
    that the pinned crates or std lack, or that do not fit them.

    Bad input: a non-string ``code`` raises TypeError, a non-positive ``timeout`` ValueError;
    code that does not parse gives one ``syntax`` finding; no cargo, or the template's crates
    not fetched (``make install`` not run), raises RuntimeError saying so.
    """
    if not isinstance(code, str):
        raise TypeError(f"check_rust takes the code as a string, got {type(code).__name__}")
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    started = time.monotonic()
    env = cargo_environment()
    report = ApiReport(language="rust", tool=cargo_version())
    messages = _cargo_check(code, env, timeout)
    crates = locked_crates()
    std = "Rust " + report.tool.split()[-1]
    findings, others = [], []
    for message in messages:
        made = _finding(message, crates, std, env)
        (findings if made else others).append(made or message)
    syntax = [f for f in findings if f.kind == "syntax"]
    report.findings = syntax[:1] or sorted(findings, key=lambda f: (f.line, f.column))
    if others and not syntax:
        first = others[0]
        report.notes.append(f"{len(others)} other compiler error(s) are not about the API "
                            f"(first, line {_where(first)[0]}: {first.get('message', '')})")
    report.seconds = time.monotonic() - started
    return report


def locked_crates() -> dict[str, str]:
    """``{name: version}`` of the crates a snippet can ``use``: the template's direct
    dependencies (Cargo.toml), at the versions its Cargo.lock pins."""
    manifest = tomllib.loads((RUST_TEMPLATE / "Cargo.toml").read_text(encoding="utf-8"))
    lock = tomllib.loads((RUST_TEMPLATE / "Cargo.lock").read_text(encoding="utf-8"))
    pinned = {p["name"]: p["version"] for p in lock.get("package", []) if "source" in p}
    return {name: pinned[name] for name in manifest.get("dependencies", {}) if name in pinned}


def _cargo_check(code: str, env: dict[str, str], timeout: float) -> list[dict]:
    """rustc's error messages for ``code`` as ``src/main.rs`` of the work copy (one check at a
    time there). RuntimeError when cargo fails without any (crates not fetched...)."""
    source = code if re.search(r"\bfn\s+main\s*\(", code) else code + "\n\nfn main() {}\n"
    cmd = ["cargo", "check", "--offline", "--locked", "--message-format=json"]
    with rust_lock():
        work = prepare_rust_work_dir()
        _write_snippet(work / SNIPPET, source)
        try:
            done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"api_check: `cargo check` took longer than {timeout} s") from exc
    messages = _errors(done.stdout)
    if done.returncode != 0 and not messages:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"`cargo check` of the snippet failed before compiling it "
                           f"({INSTALL_HINT} fetches the crates):\n{tail}")
    return messages


def _write_snippet(path: Path, source: str) -> None:
    """Write the snippet so cargo sees it as changed: its mtime is moved past the previous
    one by a second when the clock has not (cargo compares mtimes, and a filesystem with
    coarse timestamps could otherwise replay the previous snippet's result)."""
    if path.is_file() and path.read_text(encoding="utf-8") == source:
        return
    before = path.stat().st_mtime_ns if path.is_file() else 0
    path.write_text(source, encoding="utf-8")
    stamp = max(time.time_ns(), before + 1_000_000_000)
    os.utime(path, ns=(stamp, stamp))


def _errors(stdout: str) -> list[dict]:
    """rustc's error messages (not warnings, not the "aborting" summary), in order."""
    found = []
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        message = record.get("message") or {}
        if record.get("reason") == "compiler-message" and message.get("level") == "error":
            if not message.get("message", "").startswith("aborting due to"):
                found.append(message)
    return found


def _where(message: dict) -> tuple[int, int, str]:
    """(line, column, highlighted text) of the message's primary span in the snippet."""
    spans = [s for s in message.get("spans") or [] if s.get("file_name") == SNIPPET]
    span = next((s for s in spans if s.get("is_primary")), spans[0] if spans else None)
    if span is None:
        return 1, 1, ""
    text = (span.get("text") or [{}])[0]
    start, end = text.get("highlight_start", 1), text.get("highlight_end", 1)
    return span["line_start"], span["column_start"], text.get("text", "")[start - 1:end - 1]


def _children_text(message: dict) -> str:
    return "\n".join(c.get("message", "") for c in message.get("children") or [])


def _similar(message: dict) -> list[str]:
    """rustc's "there is a method `step_by` with a similar name" replacements."""
    found = []
    for child in message.get("children") or []:
        if "similar name" not in child.get("message", ""):
            continue
        for span in child.get("spans") or []:
            text = (span.get("suggested_replacement") or "").strip()
            if re.fullmatch(r"[\w:]+", text):
                found.append(text.split("::")[-1])
    return found


def _finding(message: dict, crates: dict[str, str], std: str,
             env: dict[str, str]) -> Finding | None:
    """The finding for one rustc error, or None when it is not about the API."""
    rule = (message.get("code") or {}).get("code") or ""
    text = message.get("message", "")
    line, column, span_text = _where(message)
    spans = " ".join(s.get("label") or "" for s in message.get("spans") or [])
    base = {"line": line, "column": column, "confirmed": True, "tool": "cargo", "code": rule}
    if rule in LEXER_CODES or (not rule and PARSE.match(text)):
        return Finding(kind="syntax", message=f"the code does not parse: {text}", **base)
    if rule == "E0061":
        name = span_text or "this call"
        return Finding(kind="bad-call", name=name, message=f"{name}(): {text} ({std})", **base)
    if not rule and (macro := re.match(r"cannot find macro `(\w+)`", text)):
        return Finding(kind="missing-name", name=macro[1] + "!", library="std",
                       version=std.split()[-1],
                       message=f"there is no macro '{macro[1]}!' in {std} or the pinned "
                       "crates", **base)
    if rule not in API_CODES:
        return None
    helps = _children_text(message)
    crate = UNLINKED.search(f"{text} {spans} {helps}")
    if crate:
        have = ", ".join(f"{n} {v}" for n, v in crates.items())
        return Finding(kind="not-installed", name=crate["crate"], library=crate["crate"],
                       message=f"crate '{crate['crate']}' is not installed here (the check "
                       f"compiles against {have} and std)", **base)
    if "consider importing" in helps or "not in scope" in helps:
        return None  # the name exists: the snippet forgot a `use`
    return _missing(message, text, spans, crates, std, env, base)


def _missing(message: dict, text: str, spans: str, crates: dict[str, str], std: str,
             env: dict[str, str], base: dict) -> Finding | None:
    """A ``missing-name`` finding, with the crate's CHANGELOG history when it has one."""
    match = NO_MEMBER.match(text) or NO_FIELD.match(text) or NO_IN.search(spans) \
        or NO_IN.search(text) or CANNOT_FIND.match(text)
    if not match:
        return None
    groups = match.groupdict()
    name, owner = groups["name"].split("::")[-1], groups.get("owner") or ""
    what = groups.get("what") or ("field" if text.startswith("no field") else "item")
    if what == "value" and not owner:
        return None  # an undefined variable of the snippet's own, not an API
    if concrete := FOUND_IN.search(spans):
        owner = concrete["type"]  # "IntoIter<Result<i32, String>>", not "IntoIter<T, A>"
    if path := re.match(r"unresolved import `(?P<path>[\w:]+)::\w+`", text):
        owner = path["path"]  # "std::collections", not rustc's label's "collections"
    library, history = _history(name, crates, env, owner)
    where = f"{library} {crates[library]}" if library in crates else std
    suggestions = list(dict.fromkeys(_similar(message)))
    if history.replacement and history.replacement not in suggestions:
        suggestions.insert(0, history.replacement)
    said = f" (removed in {history.removed_in}, says its CHANGELOG)" if history.removed_in else ""
    std_hint = "std's " if history.std_ and suggestions[:1] == [history.replacement] else ""
    mean = f"; did you mean {std_hint}'{suggestions[0]}'?" if suggestions else ""
    if owner:
        subject = f"crate `{owner}`" if owner in crates else f"`{owner}`"
        sentence = f"{subject} has no {what} '{name}' with {where}"
    else:
        pinned = ", ".join([std, *(f"{n} {v}" for n, v in crates.items())])
        sentence = f"there is no {what} '{name}' in scope ({pinned})"
    return Finding(kind="missing-name", name=name, owner=owner, library=library,
                   version=crates.get(library, std.split()[-1]), suggestions=tuple(suggestions),
                   message=f"{sentence}{said}{mean}", **base)


def _history(name: str, crates: dict[str, str], env: dict[str, str],
             owner: str) -> tuple[str, History]:
    """The pinned crate the name belongs to (by its CHANGELOG, else the crate it was looked
    up in, else "std") and what that CHANGELOG says about it."""
    for crate, version in crates.items():
        history = crate_history(Path(env["CARGO_HOME"]), crate, version, name)
        if history.removed_in or history.replacement:
            return crate, history
    first = owner.split("::")[0]
    return (first if first in crates else "std"), History()


def crate_history(cargo_home: Path, crate: str, version: str, name: str) -> History:
    """What ``crate`` ``version``'s CHANGELOG (unpacked in the registry) says about ``name``;
    an empty History when it has none or says nothing."""
    files = sorted(cargo_home.glob(f"registry/src/*/{crate}-{version}/CHANGELOG*"))
    if not files:
        return History()
    removed, replacement, std_, current = "", "", False, ""
    for line in files[0].read_text(encoding="utf-8", errors="replace").splitlines():
        if heading := HEADING.match(line):
            current = heading["version"]
            continue
        cut = REPLACED.search(line)
        head, tail = (line[:cut.start()], line[cut.end():]) if cut else (line, "")
        if name not in _span_names(head) or name in _span_names(tail):
            continue  # "Remove `.flatten()` in favour of std's `.flatten()`": not this error
        if re.search(r"\bRemove[sd]?\b", head) and not removed:
            removed = current
        if re.search(r"\b(?:Deprecate[sd]?|Remove[sd]?)\b", head) and tail and not replacement:
            spans = re.findall(r"`([^`]+)`", tail)
            replacement = next(iter(sorted(_span_names(spans[0])))) if spans else ""
            std_ = "std" in tail.split("`")[0]
    return History(removed, replacement, std_)


def _span_names(text: str) -> set[str]:
    """The item names in a CHANGELOG line's code spans: ``repeat_call, Itertools::{foreach,
    step}`` gives repeat_call, foreach and step; ``.step_by()`` gives step_by."""
    names = set()
    for span in re.findall(r"`([^`]+)`", text) if "`" in text else [text]:
        for part in re.split(r"[,{}]", span):
            leaf = re.sub(r"\(.*\)$", "", part.strip().split("::")[-1].strip().lstrip("."))
            if re.fullmatch(r"\w+", leaf):
                names.add(leaf)
    return names
