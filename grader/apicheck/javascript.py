"""JavaScript: TypeScript's checker in checkJs mode against Node's types, confirmed in Node.

``check_javascript(code)`` writes the code as ``snippet.mjs`` (an ES module) in a private
temporary folder whose ``node_modules`` links to the one installed in ``.cache/node`` (so
imports resolve like Node resolves them, against those packages), runs ``tsc`` (TypeScript
7, the native port: about 0.3 s) and keeps only the diagnostics that mean a hallucinated
or misused API:

* TS2339 / TS2551 / TS2550 (no such property; "did you mean"; exists only in a later lib)
  and TS2305 / TS2724 / TS2614 (module has no such export): ``missing-name``;
* TS2353 / TS2561 (an options object with an unknown key, ``fetch(url, {timeout})``):
  ``bad-call``, like Python's unknown keyword: the call runs but silently ignores the key;
* TS2554 / TS2555 (wrong number of arguments): ``bad-call``;
* TS2307 (cannot find module): ``not-installed``, or ``missing-name`` for a ``node:`` module
  Node does not have; imports of the learner's own files (``./x.mjs``) are not checked.

Left out: TS2345 / TS2769 (an argument of the wrong type): in JavaScript the types are
inferred from the learner's own data (``parseInt(process.env.PORT)`` is "string | undefined"),
so they are opinions about the data, not a name the library lacks. TS2304 (cannot find name)
is left out too: notebook snippets use names defined in other cells. ``strict`` is off, the
classic checkJs mode: implicit any and possibly-undefined are not reported at all.

Each missing name is then looked up on the real object in this Node (``js/confirm.mjs``, one
process per check), because the types lag the runtime: what Node has is dropped with a note;
the real names give the suggestions (difflib). A syntax error is judged by ``node --check``
(the parser that will run the code), giving one ``syntax`` finding.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.apicheck.report import ApiReport, Finding
from grader.apicheck.tools import (
    INSTALL_HINT,
    JS_SOURCE,
    find_node,
    find_tsc,
    node_dir,
    node_flags,
    package_version,
)

SNIPPET = "snippet.mjs"
TSCONFIG = {"compilerOptions": {
    "noEmit": True, "allowJs": True, "checkJs": True, "strict": False, "target": "es2022",
    "module": "nodenext", "lib": ["es2022"], "types": ["node"], "skipLibCheck": True,
    "pretty": False}, "files": [SNIPPET]}
DIAGNOSTIC = re.compile(r"^(?P<file>[^(]+)\((?P<line>\d+),(?P<col>\d+)\): error TS(?P<code>\d+): "
                        r"(?P<text>.*)$")
PROPERTY = re.compile(r"Property '(?P<name>[^']+)' does not exist on type '(?P<type>.+?)'\.(?: |$)")
OPTION = re.compile(r"'(?P<name>[^']+)' does not exist in type '(?P<type>.+?)'\.(?: |$)")
EXPORT = re.compile(r"""'"(?P<module>[^"]+)"' has no exported member(?: named)? """
                    r"""'(?P<name>[^']+)'""")
MODULE = re.compile(r"Cannot find module '(?P<module>[^']+)'")
DID_YOU_MEAN = re.compile(r"Did you mean(?: to write)? '(?P<name>[\w$]+)'\?")
LIB_HINT = re.compile(r"lib' compiler option to '(?P<lib>[\w.]+)'")
ARITY = re.compile(r"Expected (?P<expected>.+?) arguments?, but got (?P<got>\d+)")
CALLEE = re.compile(r"([A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*)\s*$")
CODES = {"member": {2339, 2551, 2550}, "option": {2353, 2561}, "export": {2305, 2724, 2614},
         "arity": {2554, 2555}, "module": {2307}}


@dataclass(frozen=True)
class Diagnostic:
    """One line of tsc's output: ``snippet.mjs(4,27): error TS2339: Property ...``."""

    code: int
    line: int
    column: int
    text: str


@dataclass
class Pending:
    """A diagnostic about the API and what ``confirm.mjs`` should look up for it."""

    diag: Diagnostic
    group: str                # a key of CODES
    name: str
    owner: str = ""           # TypeScript's type text, or the module specifier
    item: dict | None = None  # the request to confirm.mjs (None: nothing to look up)


def check_javascript(code: str, *, timeout: float = 120.0) -> ApiReport:
    """The calls in ``code`` (an ES module) that Node's API lacks or that do not fit it.

    Bad input: a non-string ``code`` raises TypeError, a non-positive ``timeout`` ValueError;
    code that does not parse gives one ``syntax`` finding; no ``node`` or no installed
    TypeScript raises RuntimeError saying to run ``make install``; a check slower than
    ``timeout`` raises RuntimeError.
    """
    if not isinstance(code, str):
        raise TypeError(f"check_javascript takes the code as a string, got {type(code).__name__}")
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    started = time.monotonic()
    node, tsc = find_node(), find_tsc()
    report = ApiReport(language="javascript", tool=f"typescript {package_version('typescript')}")
    # A private folder in the temporary directory (the install may be read-only, as in the
    # grading sandbox), whose node_modules is the installed one: imports and the types
    # then resolve as Node resolves them.
    folder = Path(tempfile.mkdtemp(prefix="apicheck-js-"))
    try:
        (folder / "node_modules").symlink_to(node_dir() / "node_modules",
                                             target_is_directory=True)
        (folder / SNIPPET).write_text(code, encoding="utf-8")
        (folder / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
        diagnostics = _typescript(tsc, folder, timeout)
        syntax = _syntax_finding(node, folder, diagnostics, timeout)
        if syntax is not None:
            report.findings.append(syntax)
        else:
            _report_api(report, code, diagnostics, node, folder, timeout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _run(cmd: list[str], folder: Path, timeout: float,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``cmd`` run in ``folder`` (a failing exit status is normal: errors were found);
    RuntimeError when it takes longer than ``timeout``."""
    try:
        return subprocess.run(cmd, cwd=folder, input=stdin, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"api_check: `{Path(cmd[0]).name}` took longer than {timeout} s") \
            from exc


def _typescript(tsc: Path, folder: Path, timeout: float) -> list[Diagnostic]:
    """tsc's diagnostics about the snippet; RuntimeError when tsc failed without any (a broken
    install, a config error): a silent "no findings" would be a lie."""
    # --pretty false on the command line: TypeScript 7 lets FORCE_COLOR (which ipykernel
    # sets) override the tsconfig's "pretty": false, and coloured lines do not parse.
    done = _run([str(tsc), "-p", "tsconfig.json", "--pretty", "false"], folder, timeout)
    diagnostics = parse_diagnostics(done.stdout)
    if done.returncode != 0 and not diagnostics:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise RuntimeError(f"TypeScript's checker failed ({INSTALL_HINT} reinstalls it):\n{tail}")
    return diagnostics


def parse_diagnostics(output: str) -> list[Diagnostic]:
    """tsc's ``--pretty false`` lines about the snippet (continuation lines are dropped)."""
    found = []
    for line in output.splitlines():
        match = DIAGNOSTIC.match(line)
        if match and Path(match["file"]).name == SNIPPET:
            found.append(Diagnostic(int(match["code"]), int(match["line"]), int(match["col"]),
                                    match["text"]))
    return found


def _syntax_finding(node: str, folder: Path, diagnostics: list[Diagnostic],
                    timeout: float) -> Finding | None:
    """One ``syntax`` finding from ``node --check`` when tsc saw a parse-level error (TS1xxx,
    TS8xxx: TypeScript-only syntax); None when Node's parser accepts the code (some TS1xxx
    codes are not syntax, e.g. TS1192 "no default export")."""
    if not any(1000 <= d.code < 2000 or 8000 <= d.code < 9000 for d in diagnostics):
        return None
    done = _run([node, "--check", SNIPPET], folder, timeout)
    if done.returncode == 0:
        return None
    lines = done.stderr.splitlines()
    line = next((int(m[1]) for m in map(re.compile(r".*:(\d+)$").match, lines[:1]) if m), 1)
    caret = next((text.index("^") + 1 for text in lines[1:4] if text.strip().startswith("^")), 1)
    message = next((text for text in lines if re.match(r"\w*Error: ", text)), "SyntaxError")
    # TypeScript-only syntax (TS8xxx): Node's message ("Missing initializer") hides why.
    typescript = next((f"; {d.text}" for d in diagnostics if 8000 <= d.code < 9000), "")
    return Finding(kind="syntax", line=line, column=caret, message=f"the code does not parse: "
                   f"{message} (node --check){typescript}", library="node",
                   version=node_version(node), tool="node", code="SyntaxError")


@functools.cache
def node_version(node: str) -> str:
    """``20.20.2`` for the ``node`` binary at that path."""
    done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=60,
                          check=False)
    return done.stdout.strip().lstrip("v")


def _pending(diag: Diagnostic) -> Pending | None:
    """What the diagnostic is about, or None when it is not about the API."""
    group = next((g for g, codes in CODES.items() if diag.code in codes), None)
    text = diag.text
    if group == "member" and (m := PROPERTY.search(text)):
        item = {"kind": "member", "type": m["type"], "name": m["name"]}
        return Pending(diag, group, m["name"], m["type"], item)
    if group == "option" and (m := OPTION.search(text)):
        item = {"kind": "option", "type": m["type"], "name": m["name"]}
        return Pending(diag, group, m["name"], m["type"], item)
    if group == "export" and (m := EXPORT.search(text)):
        item = {"kind": "export", "module": m["module"], "name": m["name"]}
        return Pending(diag, group, m["name"], m["module"], item)
    if group == "arity" and ARITY.search(text):
        return Pending(diag, group, "")
    if group == "module" and (m := MODULE.search(text)) and not m["module"].startswith((".", "/")):
        builtin = m["module"].startswith("node:")
        item = {"kind": "builtin", "name": m["module"]} if builtin else None
        return Pending(diag, group, m["module"], m["module"], item)
    return None


def _report_api(report: ApiReport, code: str, diagnostics: list[Diagnostic], node: str,
                folder: Path, timeout: float) -> None:
    """Fill ``report`` with the API findings among ``diagnostics``, confirmed in Node."""
    pending, others = [], []
    for diag in diagnostics:
        found = _pending(diag)
        (pending if found else others).append(found or diag)
    own = [d for d in others if d.code == 2307]
    if own:
        report.notes.append(f"{len(own)} import(s) of your own files are not checked")
    rest = sorted({f"TS{d.code}" for d in others if d.code != 2307})
    if rest:
        report.notes.append(f"{len(others) - len(own)} other TypeScript diagnostic(s) "
                            f"({', '.join(rest)}) are not about the API: left out")
    requests = [p.item for p in pending if p.item is not None]
    results = iter(_confirm(node, folder, requests, timeout, report.notes) if requests else [])
    version = node_version(node)
    for item in pending:
        result = next(results, {}) if item.item is not None else {}
        made = finding(item, result, code, version, report.notes)
        if made is not None:
            report.findings.append(made)


def _confirm(node: str, folder: Path, items: list[dict], timeout: float,
             notes: list[str]) -> list[dict]:
    """``confirm.mjs``'s answer for each item; ``{}`` each (not confirmable) when it fails."""
    request = json.dumps({"base": str(folder), "items": items})
    done = _run([node, *node_flags(node), str(JS_SOURCE / "confirm.mjs")], folder, timeout,
                stdin=request)
    try:
        results = json.loads(done.stdout)["results"]
    except (ValueError, KeyError, TypeError):
        notes.append(f"could not confirm the findings in Node: {done.stderr.strip()[-300:]}")
        return [{} for _ in items]
    return [r if isinstance(r, dict) else {} for r in results]


def suggest(name: str, names: list[str], first: str = "") -> tuple[str, ...]:
    """The closest real ``names`` to ``name`` (difflib), TypeScript's own guess ``first``
    leading when Node really has it."""
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    ordered = ([first] if first and first in names else []) + close
    return tuple(dict.fromkeys(n for n in ordered if n != name))[:3]


def callee_at(code: str, line: int, column: int) -> str:
    """The call around ``line``:``column`` (1-based): ``fetch`` for the ``timeout`` in
    ``fetch(url, { timeout: ms })``, ``JSON.parse`` for an extra argument of it or for the
    called name itself. "" when there is none (a string holding brackets may mislead it: it
    only labels the message)."""
    lines = code.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    offset = sum(len(text) + 1 for text in lines[: line - 1]) + max(column - 1, 0)
    text = "\n".join(lines)
    word = re.match(r"[A-Za-z_$][\w$]*(?=\s*\()", text[offset:])
    end = offset + len(word[0]) if word else _open_paren(text, offset)
    found = CALLEE.search(text[:end]) if end >= 0 else None
    return re.sub(r"\s+", "", found[1]) if found else ""


def _open_paren(text: str, offset: int) -> int:
    """The index of the ``(`` that the position ``offset`` is inside of, or -1."""
    depth = 0
    for index in range(offset - 1, -1, -1):
        char = text[index]
        if char in ")]}":
            depth += 1
        elif char in "([{" and depth:
            depth -= 1
        elif char == "(":
            return index
    return -1


def member_word(code: str, line: int, column: int, name: str) -> str:
    """"method" when ``name`` at that place is called, else "property"."""
    lines = code.splitlines()
    if not 1 <= line <= len(lines):
        return "property"
    after = lines[line - 1][column - 1 + len(name):]
    return "method" if after.lstrip().startswith(("(", "?.(")) else "property"


def finding(item: Pending, result: dict, code: str, node_v: str,
            notes: list[str]) -> Finding | None:
    """The learner's finding for ``item`` given Node's answer ``result`` (``{}``: not
    checkable), or None when Node has the name after all (a note says so)."""
    diag, name = item.diag, item.name
    resolved = bool(result.get("resolved"))
    library = str(result.get("library") or "node") if resolved else _library(item)
    version = str(result.get("version") or "") if resolved else ""
    version = version or (node_v if library == "node" else "")
    where = f"Node {version}" if library == "node" else f"{library} {version}".strip()
    owner = str(result.get("owner") or item.owner) if resolved else item.owner
    if resolved and result.get("has"):
        notes.append(f"'{name}' ({owner}) exists in {where} though TypeScript's types lack "
                     "it: not reported")
        return None
    guess = match["name"] if (match := DID_YOU_MEAN.search(diag.text)) else ""
    names = [str(n) for n in result.get("names") or []]
    suggestions = suggest(name, names, guess) if resolved else tuple(filter(None, [guess]))
    mean = f"; did you mean '{suggestions[0]}'?" if suggestions else ""
    kind, message = _message(item, result, code, where, mean)
    if item.group == "arity":
        name, suggestions = callee_at(code, diag.line, diag.column) or "(call)", ()
    return Finding(kind=kind, line=diag.line, column=diag.column, message=message, name=name,
                   owner=owner, library=library, version=version, suggestions=suggestions,
                   confirmed=True if resolved else None, tool="typescript",
                   code=f"TS{diag.code}")


def _library(item: Pending) -> str:
    """The library a finding that Node could not check is about: ``node`` unless the type
    text or module names an installed package."""
    spec = item.owner.removeprefix("typeof import(\"").rstrip('")')
    if item.group not in ("export", "module") and not item.owner.startswith("typeof import("):
        return "node"
    if spec.startswith("node:"):
        return "node"
    return "/".join(spec.split("/")[:2]) if spec.startswith("@") else spec.split("/")[0]


def _message(item: Pending, result: dict, code: str, where: str, mean: str) -> tuple[str, str]:
    """(finding kind, sentence) for ``item``; ``where`` is "Node 20.20.2" or "pkg 1.2.3"."""
    diag, name, resolved = item.diag, item.name, bool(result.get("resolved"))
    per = f"in {where}" if resolved else "per the checker's types (not checkable in Node)"
    if item.group == "option":
        call = callee_at(code, diag.line, diag.column)
        who = f"{call}()'s options ({item.owner})" if call else f"the options ({item.owner})"
        ignored = ": it is silently ignored" if resolved else ""
        return "bad-call", f"{who} have no '{name}' {per}{ignored}{mean}"
    if item.group == "arity":
        call = callee_at(code, diag.line, diag.column) or "this call"
        counts = ARITY.search(diag.text)
        expected, got = (counts["expected"], counts["got"]) if counts else ("other", "?")
        return "bad-call", (f"{call}() takes {expected} arguments, but got {got} (the types of "
                            f"{where})")
    if item.group == "module":
        if item.item is None:
            return "not-installed", f"module '{name}' is not installed here"
        return "missing-name", f"there is no built-in module '{name}' {per}{mean}"
    owner = str(result.get("owner") or item.owner) if resolved else item.owner
    module = item.group == "export" or item.owner.startswith("typeof import(")
    if module:
        spec = owner.removeprefix("typeof import(\"").rstrip('")')
        return "missing-name", f"module '{spec}' has no export '{name}' {per}{mean}"
    if diag.code == 2550:
        lib = hint["lib"] if (hint := LIB_HINT.search(diag.text)) else "a later ECMAScript"
        return "missing-name", (f"{owner}.{name} does not exist {per} (added in a later "
                                f"ECMAScript/Node: the checker's lib hint says {lib})")
    word = member_word(code, diag.line, diag.column, name)
    inner = result.get("inner") or {}
    if inner.get("has"):
        return "missing-name", (f"{owner} has no {word} '{name}' {per}, the {inner['owner']} it "
                                "resolves to has; did you forget 'await'?")
    return "missing-name", f"{owner} has no {word} '{name}' {per}{mean}"
