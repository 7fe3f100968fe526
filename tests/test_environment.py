"""environment.yml (conda) and pyproject.toml (pip) list the same packages and versions."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_conda_and_pip_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    conda.pop("pip")
    assert conda.pop("python") == project["requires-python"]
    assert conda == pip


def test_pins_that_matter():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = dict(_split(r) for r in project["dependencies"])
    assert deps["nbgrader"] == "==0.9.6"
    assert deps["jupyterlab"].endswith("<5")
    assert "<" in deps["numpy"] and "<" in deps["numba"]
