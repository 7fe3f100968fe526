"""``api_check(code, language=...)``: calls that the *installed* libraries do not have.

    from grader.apicheck import api_check
    api_check("import requests\nrequests.get(u, timeout=5).json_or_raise()")
    # line 2:28  Response has no attribute 'json_or_raise' (requests 2.34.2); did you mean 'json'?

Built on real resolution, not on patterns: Python through basedpyright with the installed
packages (python.py), each finding confirmed by importing and inspecting the installed module
because stubs can lag the code; JavaScript through TypeScript's checker in checkJs mode
against Node 20's types, confirmed in Node (javascript.py); Rust through ``cargo check`` on a
snippet against pinned crate versions (rust.py). The same function serves learners in their
notebook and the grading controller (never a process that ran learner code: the checkers read
the code, they do not run it).
"""

from __future__ import annotations

from grader.apicheck.report import KINDS, ApiReport, Finding

LANGUAGES = ("python", "javascript", "rust")


def api_check(code: str, language: str = "python", *, timeout: float = 120.0) -> ApiReport:
    """Every call in ``code`` of a name the installed library lacks, or whose arguments do
    not fit its signature, as an `ApiReport` (a table in a notebook, text in a terminal).

    Bad input: ``code`` that is not a string raises TypeError; an unknown ``language``
    raises ValueError naming the known ones; code that does not parse gives one ``syntax``
    finding with the parser's message, line and column; an import of a library that is not
    installed gives a ``not-installed`` finding, never "no such method". A checker that
    cannot run (its tool missing: run ``make install``) raises RuntimeError saying so.
    """
    if not isinstance(code, str):
        raise TypeError(f"api_check takes the code as a string, got {type(code).__name__}")
    if language in ("js", "javascript", "node"):
        from grader.apicheck.javascript import check_javascript

        return check_javascript(code, timeout=timeout)
    if language == "python":
        from grader.apicheck.python import check_python

        return check_python(code, timeout=timeout)
    if language == "rust":
        from grader.apicheck.rust import check_rust

        return check_rust(code, timeout=timeout)
    raise ValueError(f"api_check: unknown language {language!r}; expected one of {LANGUAGES}")


__all__ = ["KINDS", "LANGUAGES", "ApiReport", "Finding", "api_check"]
