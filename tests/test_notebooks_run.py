"""Lessons run top to bottom, and `make lab` serves JupyterLab (slow)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from grader.lessons import execute
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
LESSONS = sorted((ROOT / "course").glob("*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_top_to_bottom(lesson):
    nb = execute(lesson)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_workbook():
    port, token = _free_port(), secrets.token_hex(8)
    env = dict(os.environ, JUPYTER_TOKEN=token,
               LAB_OPTS=f"--no-browser --port={port} --ServerApp.ip=127.0.0.1")
    proc = subprocess.Popen(["make", "lab"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/lab?token={token}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(1)
        tree = f"http://127.0.0.1:{port}/api/contents/exercises/01_vectorization?token={token}"
        with urllib.request.urlopen(tree, timeout=10) as response:
            assert b"vectorization.ipynb" in response.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
