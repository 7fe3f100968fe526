"""grader.apicheck for Python: basedpyright's findings, confirmed against the installed
modules (check_python), and the strict type check with its silencers (type_check).

Each check is one basedpyright run (~1.5-2.5 s here), so the snippets with several mistakes
are checked once per module and the tests read the one report.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
import types

import pytest
import requests

from grader.apicheck import api_check
from grader.apicheck.pyconfirm import close_names, lookup, safe_import
from grader.apicheck.pysig import check_call
from grader.apicheck.python import check_python
from grader.apicheck.pytypes import code_silencers, comment_silencers, type_check

ARTICLE = """\
import requests

def fetch(url):
    return requests.get(url, timeout=5).json_or_raise()
"""

HALLUCINATED = """\
import json
import numpy as np
import requests

x = np.asarray([1.0, 2.0, 3.0])
a = np.float_(3)
s = "\U0001d465"; b = np.trapz(x)  # type: ignore
c = np.percentile(x, 95, interpolation="nearest")
d = json.loads("{}", encoding="utf-8")
e = requests.get("https://example.org", timout=5)
"""

CLEAN = """\
import json

import numpy as np
import requests
from requests.exceptions import HTTPError

url = "https://example.org/api"
resp = requests.get(url, timeout=(3.05, 10), headers={"Accept": "application/json"})
resp.raise_for_status()
payload = resp.json()
print(resp.status_code, resp.headers.get("content-type"), resp.text[:10], resp.ok)
session = requests.Session()
reply = session.post(url, json={"a": 1}, timeout=5)
x = np.asarray([1.0, 2.0, 3.0])
p95 = np.percentile(x, 95, method="nearest")
area = np.trapezoid(x)
y = np.float64(3.0)
s = json.loads('{"a": 1}')
t = json.dumps(s, indent=2, sort_keys=True)
values = np.random.default_rng(0).integers(0, 10, size=5)
try:
    resp.raise_for_status()
except HTTPError as exc:
    print(exc.response)
"""


@pytest.fixture(scope="module")
def article():
    return check_python(ARTICLE)


@pytest.fixture(scope="module")
def hallucinated():
    return check_python(HALLUCINATED)


def _on_line(report, line: int):
    found = [f for f in report.findings if f.line == line]
    assert len(found) == 1, report
    return found[0]


# ---- check_python ---------------------------------------------------------------------------


def test_the_articles_json_or_raise_is_one_confirmed_missing_name(article) -> None:
    assert len(article.findings) == 1, article
    f = article.findings[0]
    assert (f.kind, f.name, f.line, f.column) == ("missing-name", "json_or_raise", 4, 41)
    assert "Response" in f.owner and f.owner == "requests.Response"
    assert f.library == "requests"
    assert f.version == importlib.metadata.version("requests") == requests.__version__
    assert "json" in f.suggestions and f.confirmed is True
    assert f.tool == "basedpyright" and f.code == "reportAttributeAccessIssue"
    assert f.message == (f"Response has no attribute 'json_or_raise' (requests "
                         f"{requests.__version__}); did you mean 'json'?")
    assert article.tool == "basedpyright 1.40.2" and article.language == "python"


def test_names_removed_from_numpy_2_are_missing(hallucinated) -> None:
    np = pytest.importorskip("numpy")
    assert not hasattr(np, "float_") and not hasattr(np, "trapz")   # the installed numpy
    float_ = _on_line(hallucinated, 6)
    assert (float_.kind, float_.name, float_.owner, float_.confirmed) == (
        "missing-name", "float_", "numpy", True)
    assert float_.version == np.__version__ and "float64" in float_.suggestions
    assert "np.float64" in float_.message       # numpy's own advice is passed on
    trapz = _on_line(hallucinated, 7)
    assert (trapz.name, trapz.confirmed, trapz.suggestions[0]) == ("trapz", True, "trapezoid")
    # `# type: ignore` hides nothing (the call fails all the same); columns count characters:
    # the astral "𝑥" before it is 2 UTF-16 units, 4 UTF-8 bytes.
    assert trapz.column == HALLUCINATED.splitlines()[6].index("trapz") + 1


def test_a_keyword_numpy_removed_is_a_bad_call(hallucinated) -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError):
        np.percentile([1.0], 95, interpolation="nearest")   # what the learner would hit
    f = _on_line(hallucinated, 8)
    assert (f.kind, f.name, f.owner, f.confirmed) == ("bad-call", "interpolation", "numpy", True)
    assert "'interpolation'" in f.message and "method" in f.message


def test_json_loads_encoding_is_a_bad_call_though_its_stub_takes_any_keyword(hallucinated):
    f = _on_line(hallucinated, 9)
    assert (f.kind, f.name, f.owner, f.confirmed) == ("bad-call", "encoding", "json", True)
    assert f.library == "Python" and f.version.startswith("3.")
    assert "'encoding'" in f.message and f.tool == "inspect"


def test_a_misspelt_keyword_of_requests_get_is_a_bad_call(hallucinated) -> None:
    f = _on_line(hallucinated, 10)
    assert (f.kind, f.name, f.owner, f.confirmed) == ("bad-call", "timout", "requests", True)
    assert f.suggestions == ("timeout",) and f.code == "reportCallIssue"
    assert len(hallucinated.findings) == 5, hallucinated


def test_correct_requests_numpy_and_json_code_has_no_finding() -> None:
    report = check_python(CLEAN)
    assert report.ok, report
    assert report.findings == [] and report.notes == []


def test_a_library_that_is_not_installed_is_one_not_installed_finding() -> None:
    report = check_python("import not_a_real_lib_xyz\nnot_a_real_lib_xyz.foo()\n")
    assert [f.kind for f in report.findings] == ["not-installed"], report
    f = report.findings[0]
    assert f.name == "not_a_real_lib_xyz" and (f.line, f.column) == (1, 8)
    assert f.message == ("library 'not_a_real_lib_xyz' is not installed here "
                         "(no module named 'not_a_real_lib_xyz')")


def test_code_that_does_not_parse_is_one_syntax_finding() -> None:
    report = check_python("import requests\nrequests.get(url, timeout=5\n")
    assert len(report.findings) == 1, report
    f = report.findings[0]
    assert f.kind == "syntax" and f.line == 2 and f.column == 13
    assert "never closed" in f.message


def test_a_name_the_stubs_lack_but_the_runtime_has_is_dropped_with_a_note() -> None:
    # typeshed has no re.Scanner, Python 3.11's re module does.
    report = check_python("import re\nscanner = re.Scanner([])\n")
    assert report.ok, report
    assert any("lag" in n and "'Scanner'" in n for n in report.notes), report.notes


def test_the_confirmation_trusts_the_runtime_object_over_the_stub() -> None:
    module = types.ModuleType("newer_lib")
    module.added_in_2_0 = lambda: None  # pyright: ignore[reportAttributeAccessIssue]
    assert lookup(module, "added_in_2_0").present is True
    assert lookup(module, "never_added").present is False
    assert lookup(requests.Response, "status_code").present is True   # set in __init__
    assert lookup(requests.Response, "json_or_raise").present is False


def test_the_checker_never_imports_a_module_from_the_codes_folder(tmp_path, monkeypatch):
    marker = tmp_path / "imported.marker"
    (tmp_path / "evil.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef x():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))      # as in a notebook: '' is on sys.path
    report = check_python("import evil\nevil.x()\n")
    assert not marker.exists() and "evil" not in sys.modules
    assert [f.kind for f in report.findings] == ["not-installed"], report
    assert safe_import("evil") is None and not marker.exists()


def test_signatures_follow_kwargs_to_where_they_go() -> None:
    assert check_call(requests.get, 1, ["timeout"]).fits is True
    assert check_call(requests.get, 1, ["retries"]).fits is False
    assert check_call(requests.get, 0, []).fits is False          # url is required
    assert check_call(json.loads, 1, ["encoding"]).bad_keywords == ("encoding",)

    def swallow(**kwargs: object) -> dict[str, object]:
        return kwargs                               # any keyword works: cannot confirm

    assert check_call(swallow, 0, ["anything"]).fits is None
    assert check_call(len, 1, []).fits in (True, None)


def test_suggestions_are_the_closest_public_names() -> None:
    assert "json" in close_names("json_or_raise", dir(requests.Response))
    assert close_names("timout", ["timeout", "verify"]) == ("timeout",)
    assert close_names("interpolation", ["method", "axis"]) == ()


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="string"):
        api_check(123)  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="cobol"):
        api_check("x", language="cobol")
    with pytest.raises(ValueError, match="timeout"):
        check_python("x = 1", timeout=0)
    with pytest.raises(TypeError):
        type_check(None)  # pyright: ignore[reportArgumentType]
    with pytest.raises(TimeoutError, match="longer than"):
        check_python("import requests\n", timeout=0.05)


def test_a_missing_basedpyright_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="make install"):
        check_python("x = 1\n")


def test_time_per_snippet(article, hallucinated) -> None:
    warm = check_python(ARTICLE)
    for name, report in (("article (cold)", article), ("article (warm)", warm),
                         ("hallucinated", hallucinated)):
        print(f"check_python {name}: {report.seconds:.2f} s")
    assert warm.findings == article.findings


# ---- type_check -----------------------------------------------------------------------------

DRIFTED = """\
def user_id(uid: int) -> int:
    return str(uid)
"""

ANNOTATED = """\
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    uid: int
    name: str


def user_id(user: User) -> int:
    return user.uid


def names(users: list[User]) -> list[str]:
    return [u.name for u in users]


print(user_id(User(1, "a")), names([]))  # pyright: ignore
"""


def test_unannotated_code_fails_strict() -> None:
    report = type_check("def total(xs):\n    return sum(xs)\n")
    assert not report.ok and report.silencers == []
    assert "reportMissingParameterType" in {e.rule for e in report.errors}, report


def test_drifted_code_fails_with_the_return_type_error() -> None:
    report = type_check(DRIFTED)
    assert [(e.line, e.rule) for e in report.errors] == [(2, "reportReturnType")], report
    assert '"str" is not assignable' in report.errors[0].message
    assert "line 2:12  reportReturnType" in str(report)


def test_properly_annotated_code_passes_and_a_silencer_fails_it() -> None:
    good = ANNOTATED.replace("  # pyright: ignore", "")
    report = type_check(good)
    assert report.ok and report.errors == [], report
    assert "0 errors" in str(report) and "✔" in report._repr_html_()
    silenced = type_check(ANNOTATED)
    assert silenced.errors == [] and not silenced.ok
    assert [s.rule for s in silenced.silencers] == ["pyright-comment"]


def test_type_ignore_silences_nothing() -> None:
    report = type_check('x: int = "a"  # type: ignore\n')
    assert [e.rule for e in report.errors] == ["reportAssignmentType"], report
    assert [s.rule for s in report.silencers] == ["type-ignore"]
    assert "hides an error instead of fixing it" in report.silencers[0].message


def test_every_silencer_kind_is_caught_however_imported() -> None:
    comments = comment_silencers(
        "# pyright: basic\nx = 1  # type: ignore[assignment]\ny = 2  # basedpyright: ignore\n"
        "s = '# type: ignore'  # a string is not a comment\n")
    assert [(c.line, c.rule) for c in comments] == [
        (1, "pyright-comment"), (2, "type-ignore"), (3, "pyright-comment")]
    code = ("import typing as t\nimport typing_extensions\nfrom typing import Any as A, cast as c\n"
            "a = c(int, '1')\nb = t.cast(int, '2')\nd = typing_extensions.cast(int, '3')\n"
            "e: A = 1\nf: t.Any = 2\ng: list[typing_extensions.Any] = []\n")
    found = [(s.line, s.rule) for s in code_silencers(code)]
    assert sorted(found) == [(4, "cast"), (5, "cast"), (6, "cast"), (7, "Any"), (8, "Any"),
                             (9, "Any")]


def test_type_check_of_code_that_does_not_parse_is_one_error() -> None:
    report = type_check("def f(:\n")
    assert [(e.line, e.rule) for e in report.errors] == [(1, "syntax")]


def test_a_submodule_the_code_imports_is_not_a_missing_name():
    """`import urllib.request` makes `urllib.request` usable anywhere in the module; only
    `import urllib` alone leaves it missing (a fresh interpreter's `import urllib` does not
    load it)."""
    imported = api_check("import urllib.error\nimport urllib.request\n\n\ndef get(url):\n"
                         "    try:\n        return urllib.request.urlopen(url)\n"
                         "    except urllib.error.HTTPError:\n        return None\n")
    assert not imported.findings, imported
    bare = api_check("import urllib\n\n\ndef get(url):\n    return urllib.request.urlopen(url)\n")
    assert [f.name for f in bare.findings] == ["request"], bare
