"""``check_python(code)``: calls of names the installed libraries lack, and calls that do not
fit their signature, found by basedpyright and confirmed against the installed modules.

One basedpyright run (standard mode, this interpreter's site-packages) gives the candidates;
only four of its rules are about a hallucinated API, the rest (missing annotations, a str where
an int is wanted...) stay out. Each candidate is then checked in this process against the
installed module (pyconfirm.py, pysig.py), because stubs lag: a name the runtime has is dropped
with a note, not reported. A last pass over the code finds what the stubs cannot say (a
``**kwds: Any`` in ``json.loads``'s stub hides that ``encoding=`` is gone since Python 3.9).
"""

from __future__ import annotations

import ast
import re
import time
from dataclasses import dataclass, field, replace
from types import ModuleType

from grader.apicheck import pyconfirm as rt
from grader.apicheck.pyrun import (
    Diagnostic,
    identifier_at,
    python_version,
    run_basedpyright,
    utf16_to_index,
)
from grader.apicheck.pysig import CallCheck, check_call
from grader.apicheck.pysource import Source, call_shape
from grader.apicheck.report import ApiReport, Finding

# reportArgumentType stays out on purpose: a str passed where an int is wanted is a bug, but
# not a hallucinated API (the name and the parameter exist), and stubs are often stricter than
# the runtime (numpy's ArrayLike), so it would drown the real findings.
RULES = {
    "reportAttributeAccessIssue": "missing-name",   # missing attribute / method / module member
    "reportCallIssue": "bad-call",                  # unknown keyword, argument count, missing
    "reportMissingImports": "not-installed",
    # Stubs found (basedpyright bundles typeshed's) but no code: still not installed here.
    "reportMissingModuleSource": "not-installed",
}
CONFIG = {
    "typeCheckingMode": "standard",
    "pythonVersion": python_version(),
    # AI-written code sprinkles `# type: ignore`: it does not stop the call failing at runtime.
    "enableTypeIgnoreComments": False,
    # A warning, not "none": for a library whose stubs ship with basedpyright (xmltodict,
    # PyYAML) this is the only sign that it is not installed.
    "reportMissingModuleSource": "warning",
}

_MODULE_MEMBER = re.compile(r'"(\w+)" is not a known attribute of module "([\w.]+)"')
_IMPORT_SYMBOL = re.compile(r'"(\w+)" is unknown import symbol')
_CLASS_MEMBER = re.compile(r'Cannot access attribute "(\w+)" for class "(.+)"\n\s*'
                           r'Attribute "\w+" is unknown')
_IMPORT = re.compile(r'Import "([\w.]+)" could not be resolved')
_NO_PARAMETER = re.compile(r'No parameter named "(\w+)"')
_NOT_CALLABLE = re.compile(r'Object of type "(.+?)" is not callable')


def check_python(code: str, *, timeout: float = 120.0) -> ApiReport:
    """Every call in ``code`` of a name the installed libraries lack, or whose arguments do
    not fit the installed signature, as an `ApiReport`; the code is read, never run.

    Bad input: ``code`` that is not a string raises TypeError; code that does not parse gives
    one ``syntax`` finding (the parser's message, line and column); a ``timeout`` that is not
    positive raises ValueError, a run longer than it TimeoutError; no basedpyright:
    RuntimeError saying to run ``make install``.
    """
    if not isinstance(code, str):
        raise TypeError(f"check_python takes the code as a string, got {type(code).__name__}")
    start = time.perf_counter()
    try:
        source = Source.parse(code)
    except SyntaxError as exc:
        return ApiReport("python", [_syntax_finding(exc)], "python ast",
                         time.perf_counter() - start)
    run = run_basedpyright(code, CONFIG, timeout=timeout)
    checker = _Checker(source, f"basedpyright {run.version}")
    for diagnostic in run.diagnostics:
        checker.diagnostic(diagnostic)
    checker.runtime_pass()
    findings = sorted(checker.findings, key=lambda f: (f.line, f.column))
    return ApiReport("python", findings, checker.tool, time.perf_counter() - start,
                     list(dict.fromkeys(checker.notes)))


def _syntax_finding(exc: SyntaxError) -> Finding:
    return Finding("syntax", exc.lineno or 1, exc.offset or 1, f"does not parse: {exc.msg}",
                   tool="python ast", code="SyntaxError", confirmed=True)


def _version_text(library: str, version: str) -> str:
    return f" ({library} {version})" if version else ""


def _did_you_mean(suggestions: tuple[str, ...]) -> str:
    if not suggestions:
        return ""
    quoted = [f"'{s}'" for s in suggestions]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"; did you mean {listed}?"


@dataclass
class _Checker:
    source: Source
    tool: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seen: set[tuple[int, int]] = field(default_factory=set)    # positions basedpyright flagged
    calls_seen: set[int] = field(default_factory=set)          # id() of calls it flagged

    # ---- basedpyright's diagnostics ---------------------------------------------------------

    def diagnostic(self, d: Diagnostic) -> None:
        kind = RULES.get(d.rule)
        if kind is None:
            return
        text = self.source.line_text(d.line + 1)
        index = utf16_to_index(text, d.character)
        line, column = d.line + 1, index + 1
        self.seen.add((line, column))
        base = Finding(kind, line, column, d.message, tool="basedpyright", code=d.rule)
        if kind == "not-installed":
            self._missing_import(base, d.message)
        elif kind == "bad-call":
            self._bad_call(base, d.message)
        else:
            self._missing_name(base, d.message, rt_name=identifier_at(text, index))

    def _missing_name(self, base: Finding, message: str, rt_name: str) -> None:
        if m := _MODULE_MEMBER.match(message):
            self._module_member(base, rt_name or m[1], m[2])
        elif m := _IMPORT_SYMBOL.match(message):
            module = self.source.import_from_at(base.line, m[1])
            if module is not None:
                self._module_member(base, m[1], module)
        elif m := _CLASS_MEMBER.match(message):
            self._class_member(base, rt_name or m[1], m[2])
        # anything else (assigning an unknown attribute...) is not a call of a missing name

    def _module_member(self, base: Finding, name: str, module_name: str) -> None:
        module = rt.safe_import(module_name)
        if module is None:
            self.findings.append(replace(base, name=name, owner=module_name, message=(
                f"module {module_name} has no attribute '{name}' (per its type stubs; "
                f"{module_name} cannot be imported here to confirm)")))
            return
        look = rt.lookup(module, name)
        library, version = rt.library_of(module)
        if look.present:
            self._stub_lag(module_name, name, library, version, base.line)
            return
        suggestions = rt.close_names(name, rt.member_names(module))
        if look.present is None:    # a submodule that `import pkg` alone does not load
            text = f"module {module_name} has no attribute '{name}' until `import " \
                   f"{module_name}.{name}` runs: add that import"
        else:
            text = (f"module {module_name} has no attribute '{name}'"
                    f"{_version_text(library, version)}{_did_you_mean(suggestions)}")
            text += f" ({library or module_name} says: {look.hint})" if look.hint else ""
        self.findings.append(replace(
            base, message=text, name=name, owner=module_name, library=library, version=version,
            suggestions=suggestions, confirmed=None if look.present is None else True))

    def _class_member(self, base: Finding, name: str, class_text: str) -> None:
        class_name = _class_name(class_text)
        # A class the code defines itself is not looked for in the libraries (a requests
        # Response is not the learner's Response).
        own = class_name in self.source.defined
        classes = rt.find_classes(class_name, self.source.packages) if class_name and not own \
            else []
        if not classes:
            why = "a class of this code" if own else "the class was not found at runtime"
            self.findings.append(replace(base, name=name, owner=class_name, message=(
                f"{class_name or class_text} has no attribute '{name}' (per basedpyright; "
                f"not confirmed: {why})")))
            return
        present = [rt.lookup(c, name).present for c in classes]
        library, version = rt.library_of(classes[0])
        if all(present):
            self._stub_lag(rt.public_path(classes[0]), name, library, version, base.line)
            return
        cls = classes[present.index(False)] if False in present else classes[0]
        library, version = rt.library_of(cls)
        suggestions = rt.close_names(name, rt.member_names(cls))
        confirmed = True if not any(p is not False for p in present) else None
        text = (f"{cls.__name__} has no attribute '{name}'{_version_text(library, version)}"
                f"{_did_you_mean(suggestions)}")
        self.findings.append(replace(
            base, message=text, name=name, owner=rt.public_path(cls), library=library,
            version=version, suggestions=suggestions, confirmed=confirmed))

    def _stub_lag(self, owner: str, name: str, library: str, version: str, line: int,
                  *, call: bool = False) -> None:
        has = f"its signature takes the call on line {line}" if call else \
            f"it has '{name}' (line {line} is fine)"
        self.notes.append(f"the type stubs for {owner} lag the installed version"
                          f"{_version_text(library, version)}: {has}")

    def _missing_import(self, base: Finding, message: str) -> None:
        m = _IMPORT.match(message)
        if m is None or m[1].startswith("."):
            return
        module, top = m[1], m[1].split(".")[0]
        if rt.safe_import(top) is None:
            spec_known = rt.spec_exists(top)
            self.findings.append(replace(
                base, name=top, library=top, confirmed=None if spec_known else True,
                message=f"library '{top}' is not installed here (no module named '{top}')"))
            return
        if rt.safe_import(module) is not None:   # installed, but basedpyright cannot read it
            self.notes.append(f"basedpyright cannot read {module} (compiled, without type "
                              "stubs): its names are checked only at runtime")
            return
        parent, name = module.rsplit(".", 1)
        owner = rt.safe_import(parent)
        library, version = rt.library_of(owner) if owner else ("", "")
        suggestions = rt.close_names(name, rt.submodule_names(owner)) if owner else ()
        self.findings.append(replace(
            base, kind="missing-name", name=name, owner=parent, library=library,
            version=version, suggestions=suggestions, confirmed=True if owner else None,
            message=(f"module {parent} has no submodule '{name}'"
                     f"{_version_text(library, version)}{_did_you_mean(suggestions)}")))

    def _bad_call(self, base: Finding, message: str) -> None:
        call = self.source.call_at(base.line, base.column)
        if call is None:
            self.findings.append(replace(base, message=message.split("\n")[0]))
            return
        self.calls_seen.add(id(call))
        what = _callee_name(call)
        if m := _NOT_CALLABLE.match(message):
            self.findings.append(replace(base, name=what, message=(
                f"{ast.unparse(call.func)} is not callable (its type is {m[1]}): drop the ()")))
            return
        verdict, callee, dotted = self._runtime_verdict(call)
        overloads = message.startswith("No overloads for")
        if verdict.fits is True or (overloads and verdict.fits is None):
            if verdict.fits is True:
                self._stub_lag(dotted or what, what, *rt.library_of(callee), base.line,
                               call=True)
            else:   # every overload failing is as often a type mismatch: not our question
                self.notes.append(f"line {base.line}: basedpyright finds no overload of "
                                  f"{what}() for these arguments (a type question, not "
                                  "checked here)")
            return
        if verdict.fits is False:
            self.findings.append(self._call_finding(base, call, verdict, callee, dotted))
            return
        keyword = m[1] if (m := _NO_PARAMETER.match(message)) else ""
        text = (f"{what}() got an unexpected keyword '{keyword}'" if keyword
                else f"{what}(): {message.split(chr(10))[0]}")
        self.findings.append(replace(base, name=keyword or what, owner=_owner(dotted), message=(
            text + " (per basedpyright; not confirmed at runtime)")))

    def _runtime_verdict(self, call: ast.Call) -> tuple[CallCheck, object, str | None]:
        dotted = self.source.dotted(call.func)
        callee = rt.resolve_dotted(dotted) if dotted else None
        shape = call_shape(call)
        if callee is None or not callable(callee) or shape is None:
            return CallCheck(None), callee, dotted
        return check_call(callee, *shape), callee, dotted

    def _call_finding(self, base: Finding, call: ast.Call, verdict: CallCheck, callee: object,
                      dotted: str | None) -> Finding:
        what = _callee_name(call)
        library, version = rt.library_of(callee)
        params = list(verdict.parameters)
        suggestions: tuple[str, ...] = ()
        where = (base.line, base.column)
        name = what  # a call that does not fit is named by its callee...
        if verdict.bad_keywords:
            bad = verdict.bad_keywords[0]
            name = bad  # ... unless a keyword is the name that does not exist
            suggestions = rt.close_names(bad, [p for p in params if not p.startswith("*")])
            text = f"{what}() got an unexpected keyword '{bad}'"
            where = next((self.source.where(k) for k in call.keywords if k.arg == bad), where)
        else:
            text = f"{what}() {verdict.problem}"
        text += (f"{_version_text(library, version)}; its parameters: {', '.join(params)}"
                 f"{_did_you_mean(suggestions)}")
        return replace(base, line=where[0], column=where[1], message=text, name=name,
                       owner=_owner(dotted), library=library, version=version,
                       suggestions=suggestions, confirmed=True)

    # ---- what the stubs cannot say: the code's own module paths, checked at runtime ---------

    def runtime_pass(self) -> None:
        """Calls of imported functions that would raise TypeError, and module members that do
        not exist, which basedpyright did not flag (a stub's ``**kwds: Any`` or ``__getattr__``
        hides them). Only plain Python callees: their signature is the truth."""
        for node in ast.walk(self.source.tree):
            if isinstance(node, ast.Call) and id(node) not in self.calls_seen:
                self._runtime_call(node)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                self._runtime_member(node)

    def _runtime_call(self, call: ast.Call) -> None:
        verdict, callee, dotted = self._runtime_verdict(call)
        if verdict.fits is False and rt.plain_python(callee):
            base = Finding("bad-call", *self.source.where(call), "", tool="inspect",
                           code="runtime-signature")
            self.findings.append(self._call_finding(base, call, verdict, callee, dotted))

    def _runtime_member(self, node: ast.Attribute) -> None:
        where = self.source.attr_where(node)
        parent = self.source.dotted(node.value)
        if where in self.seen or parent is None:
            return
        module = rt.resolve_dotted(parent)
        if not isinstance(module, ModuleType) or rt.lookup(module, node.attr).present is not False:
            return
        if f"{module.__name__}.{node.attr}" in self.source.imported:
            return  # a submodule the code imports itself (`import urllib.request`)
        self.seen.add(where)
        base = Finding("missing-name", *where, "", tool="inspect", code="runtime-lookup")
        self._module_member(base, node.attr, module.__name__)


def _class_name(text: str) -> str:
    """The runtime class name in basedpyright's type text: "Response", "type[ndarray[...]]" ->
    "ndarray", "Literal['x']" -> "str", "NDArray[Any]" -> "NDArray"."""
    text = text.strip()
    while text.startswith("type[") and text.endswith("]"):
        text = text[5:-1]
    if text.startswith("Literal[") and text.endswith("]"):
        try:
            value = ast.literal_eval(text[8:-1].split(",")[0].strip())
        except (ValueError, SyntaxError):
            return ""
        return type(value).__name__
    name = text.split("[")[0].split("@")[0].strip()
    return name if name.isidentifier() else ""


def _callee_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ast.unparse(func)


def _owner(dotted: str | None) -> str:
    return dotted.rsplit(".", 1)[0] if dotted and "." in dotted else ""
