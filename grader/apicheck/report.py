"""What ``api_check`` found: one `Finding` per call that does not fit the installed library.

Shared by the three checkers (python.py: basedpyright, javascript.py: TypeScript in checkJs
mode, rust.py: cargo check); each turns its tool's diagnostics into these records, and the
report renders them as a table (text in a terminal, HTML in a notebook).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

# What a finding is about. Only these kinds are reported: a type checker's other opinions
# (missing annotations, implicit any) are not hallucinations and stay out of the report.
KINDS = (
    "missing-name",   # an attribute, method, function or module member that does not exist
    "bad-call",       # a call whose arguments do not fit the signature (unknown keyword...)
    "not-installed",  # an import of a library that is not installed: never "no such method"
    "syntax",         # the code does not parse: the parser's message, line and column
)


@dataclass(frozen=True)
class Finding:
    """One problem at ``line``:``column`` (1-based) of the checked code."""

    kind: str                 # one of KINDS
    line: int
    column: int
    message: str              # the sentence shown to the learner, e.g.
    #   "Response has no attribute 'json_or_raise' (requests 2.34.2); did you mean 'json'?"
    name: str = ""            # the name that does not exist: an attribute, or the keyword
    #   or option a call passes that its callee lacks; else the call that does not fit
    owner: str = ""           # what it was looked up on: "requests.Response", "numpy"
    library: str = ""         # the installed distribution: "requests", "numpy", "node"
    version: str = ""         # its installed version: "2.34.2"
    suggestions: tuple[str, ...] = ()   # the closest real names, best first
    confirmed: bool | None = None  # True: the installed module at runtime agrees; False:
    #   it does not (never reported: stubs lag); None: not checkable at runtime
    tool: str = ""            # "basedpyright", "typescript", "cargo"
    code: str = ""            # the tool's own rule or code: reportAttributeAccessIssue,
    #   TS2339, E0599

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}; expected one of {KINDS}")


@dataclass
class ApiReport:
    """Everything ``api_check`` found in one piece of code; falsy findings list = clean."""

    language: str
    findings: list[Finding] = field(default_factory=list)
    tool: str = ""            # the checker and its version: "basedpyright 1.40.2"
    seconds: float = 0.0      # wall time of the check
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def names(self) -> list[str]:
        """The names of the findings, in order (what a grade cell compares)."""
        return [f.name for f in self.findings]

    def __str__(self) -> str:
        head = f"api_check ({self.language}, {self.tool}, {self.seconds:.2f} s): "
        if self.ok:
            lines = [head + "no call that the installed libraries lack"]
        else:
            lines = [head + f"{len(self.findings)} finding(s)"]
            lines += [f"  line {f.line}:{f.column}  {f.message}" for f in self.findings]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        title = html.escape(f"api_check ({self.language}, {self.tool}, {self.seconds:.2f} s)")
        if self.ok:
            body = "<p>✔ no call that the installed libraries lack</p>"
        else:
            rows = "".join(
                f"<tr><td>{f.line}:{f.column}</td><td><code>{html.escape(f.name)}</code></td>"
                f"<td>{html.escape(f.message)}</td>"
                f"<td>{html.escape(f.code)}</td></tr>" for f in self.findings)
            body = ("<table><thead><tr><th>where</th><th>name</th><th>problem</th>"
                    f"<th>rule</th></tr></thead><tbody>{rows}</tbody></table>")
        notes = "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes)
        return f"<div><b>{title}</b>{body}{notes}</div>"
