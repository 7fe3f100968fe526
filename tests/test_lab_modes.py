"""`make lab` (learner) and `make instructor`: what each serves, and a quiet terminal.

Unit tests check each mode's Jupyter config; the slow ones start each mode's server once
(`make` with LAB_OPTS and JUPYTER_TOKEN, as a learner or the browser tests would) and ask it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.cli import main
from grader.lab import config
from grader.lab.quiet import QuietFilter
from tests.conftest import ROOT

COURSE_ID = "ai-to-production"
ASSIGNMENTS = sorted(p.parent.name for p in (ROOT / "solutions").glob("*/assignment.toml"))
# Lines a learner must never see in the lab's terminal: Jupyter's level letters ([E ...],
# [C ...]), other apps' level words (a kernel's "[IPKernelApp] ERROR | ..."), and each
# message `make lab` printed before.
NOISE = re.compile(r"^\[[EC] |\bERROR\b|\bCRITICAL\b|Traceback|not trusted|without encryption|"
                   r"Skipped non-installed|Unwritable directory|ExchangeError|ping_timeout",
                   re.MULTILINE)


# --- each mode's config, without a server --------------------------------------------------

def test_learner_config_leaves_nbgrader_and_lsp_out():
    server = config.server_config(ROOT, "learner")
    extensions = server["ServerApp"]["jpserver_extensions"]
    assert set(config.NBGRADER_SERVER_EXTENSIONS) <= set(extensions)
    assert not any(extensions.values())
    assert server["LabApp"]["default_url"] == "/lab/tree/course/01_vectorization.ipynb"
    assert "*.egg-info" in server["ContentsManager"]["hide_globs"]
    assert "__pycache__" in server["ContentsManager"]["hide_globs"]  # the defaults stay
    disabled = config.page_config("learner")["disabledExtensions"]
    assert all(disabled[p] for p in config.NBGRADER_LAB_PLUGINS)
    assert disabled[config.NEWS_PLUGIN]  # the news toast, in both modes


def test_instructor_config_turns_nbgrader_on_with_a_local_exchange():
    extensions = config.server_config(ROOT, "instructor")["ServerApp"]["jpserver_extensions"]
    assert all(extensions[name] for name in config.NBGRADER_SERVER_EXTENSIONS)
    assert extensions[config.LSP_SERVER_EXTENSION] is False
    assert extensions[config.NBGRADER_PACKAGE_EXTENSION] is False  # would load them twice
    disabled = config.page_config("instructor")["disabledExtensions"]
    assert [name for name, off in disabled.items() if off] == [config.NEWS_PLUGIN]
    exchange = Path(config.nbgrader_config(ROOT)["Exchange"]["root"])
    assert exchange.is_relative_to(ROOT / ".cache")


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown lab mode"):
        config.mode_dir(ROOT, "student")


def test_cli_hands_unknown_arguments_to_jupyter_lab(monkeypatch):
    calls = []
    monkeypatch.setattr("grader.lab.start_lab", lambda *a: calls.append(a) or 0)
    main(["lab", "--no-browser", "--instructor", "--port", "8899"])
    assert calls == [(ROOT, "instructor", ["--no-browser", "--port", "8899"])]
    with pytest.raises(SystemExit) as exc:
        main(["list", "--no-browser"])  # other subcommands still refuse unknown arguments
    assert exc.value.code == 2


def _filtered(level: int, msg: str) -> logging.LogRecord | None:
    record = logging.LogRecord("ServerApp", level, __file__, 1, msg, None, None)
    return record if QuietFilter().filter(record) else None


def test_quiet_filter_demotes_notices_and_drops_tornados_ping_warning():
    access = "\n".join(["\n", "To access the server, open this file in a browser:", "    x"])
    for msg in (access, "received signal %s, stopping", "Shutdown confirmed"):
        record = _filtered(logging.CRITICAL, msg)
        assert record and record.levelno == logging.INFO and record.levelname == "INFO"
    assert _filtered(logging.WARNING, "The websocket_ping_timeout (90000) cannot be longer "
                                      "than the websocket_ping_interval (30000).") is None
    # Anything else passes untouched, a real CRITICAL included.
    assert _filtered(logging.CRITICAL, "Unwritable directory").levelno == logging.CRITICAL
    assert _filtered(logging.WARNING, "WebSocket ping timeout after 95000 ms.")


# --- a running server per mode -------------------------------------------------------------

@dataclass
class Lab:
    url: str
    token: str
    log: Path

    def get(self, path: str, **params: str) -> tuple[int, bytes]:
        query = urllib.parse.urlencode({**params, "token": self.token})
        request = urllib.request.Request(f"{self.url}{path}?{query}")
        return _send(request)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}?token={self.token}", data=data,
                                         method=method)
        return _send(request)

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _send(request: urllib.request.Request) -> tuple[int, bytes]:
    # A redirect is an answer too (the lesson URL behind "/"): not followed.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(target: str, log: Path, *options: str) -> Iterator[Lab]:
    port, token = _free_port(), secrets.token_hex(8)
    env = dict(os.environ, JUPYTER_TOKEN=token, LAB_OPTS=" ".join(
        [f"--no-browser --port={port} --ServerApp.ip=127.0.0.1", *options]))
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if lab.get("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, f"make {target} exited:\n{lab.text()}"
            assert time.monotonic() < deadline, f"make {target} never answered:\n{lab.text()}"
            time.sleep(1)
        yield lab
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory) -> Iterator[Lab]:
    yield from _start("lab", tmp_path_factory.mktemp("lab") / "stderr.log")


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory) -> Iterator[Lab]:
    # The formgrader's gradebook in the test's folder, not the checkout's gradebook.db.
    folder = tmp_path_factory.mktemp("instructor")
    yield from _start("instructor", folder / "stderr.log",
                      f"--CourseDirectory.db_url=sqlite:///{folder}/gradebook.db")


def _page_config(lab: Lab) -> dict:
    status, body = lab.get("/lab")
    assert status == 200
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                      body, re.DOTALL)
    assert match
    return json.loads(match.group(1))


def _run_in_kernel(lab: Lab, kernel_id: str, code: str) -> list[dict]:
    """Execute ``code`` over the kernel's websocket, as JupyterLab does; its iopub messages."""
    import websocket

    session = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"{lab.url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels"
        f"?session_id={session}&token={lab.token}", timeout=120)
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": session, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False},
        }))
        replies = []
        while True:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            replies.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return replies
    finally:
        ws.close()


@pytest.mark.slow
def test_learner_lab_opens_the_first_lesson(learner_lab):
    status, _ = learner_lab.get("/")
    assert status == 302
    assert learner_lab.get("/lab/tree/" + config.FIRST_LESSON)[0] == 200
    # The URL the server prints (the one a learner clicks) is the lesson's.
    printed = re.findall(r"http://127\.0\.0\.1:\d+/\S*", learner_lab.text())
    assert printed and all("/lab/tree/course/01_vectorization.ipynb" in u for u in printed)


@pytest.mark.slow
def test_learner_lab_leaves_out_the_instructor_tools(learner_lab):
    disabled = set(_page_config(learner_lab)["disabledExtensions"])
    assert set(config.NBGRADER_LAB_PLUGINS) <= disabled
    for path in ("/formgrader", "/formgrader/api/assignments", "/assignments", "/formgraders",
                 "/assignments/validate", "/lsp/status"):
        assert learner_lab.get(path)[0] == 404, path
    status, body = learner_lab.get("/api/contents")
    assert status == 200
    names = {item["name"] for item in json.loads(body)["content"]}
    assert {"course", "exercises"} <= names
    assert not any(name.endswith(".egg-info") for name in names)


@pytest.mark.slow
def test_learner_terminal_stays_quiet(learner_lab):
    lesson = ROOT / config.FIRST_LESSON
    before = hashlib.sha256(lesson.read_bytes()).hexdigest()
    status, body = learner_lab.get("/api/contents/" + config.FIRST_LESSON, content="1")
    assert status == 200 and json.loads(body)["type"] == "notebook"
    status, body = learner_lab.call("POST", "/api/kernels", {"name": "python3", "path": "course"})
    assert status == 201
    kernel_id = json.loads(body)["id"]
    replies = _run_in_kernel(learner_lab, kernel_id, "import numpy as np; print(np.arange(3))")
    assert any(m["msg_type"] == "stream" and "[0 1 2]" in m["content"]["text"] for m in replies)
    assert learner_lab.call("DELETE", f"/api/kernels/{kernel_id}")[0] == 204
    deadline = time.monotonic() + 10
    while "Kernel shutdown" not in learner_lab.text() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # and whatever the kernel printed on its way out
    log = learner_lab.text()
    assert "Kernel started" in log and "Kernel shutdown" in log
    assert not NOISE.findall(log), log
    assert hashlib.sha256(lesson.read_bytes()).hexdigest() == before


@pytest.mark.slow
def test_instructor_formgrader_lists_the_course(instructor_lab):
    assert instructor_lab.get("/formgrader/manage_assignments")[0] == 200
    status, body = instructor_lab.get("/formgrader/api/assignments")
    assert status == 200
    names = {a["name"] for a in json.loads(body)}
    assert set(ASSIGNMENTS) <= names
    disabled = set(_page_config(instructor_lab)["disabledExtensions"])
    assert not disabled & {config.NBGRADER_LAB_PACKAGE, *config.NBGRADER_LAB_PLUGINS}
    assert instructor_lab.text().count("Loading the formgrader") == 1


@pytest.mark.slow
def test_instructor_assignment_list_has_an_exchange(instructor_lab):
    status, body = instructor_lab.get("/assignments", course_id=COURSE_ID)
    assert status == 200
    answer = json.loads(body)
    assert answer["success"] is True, answer
    status, body = instructor_lab.get("/formgraders")
    assert status == 200 and json.loads(body)["success"] is True
    assert not NOISE.findall(instructor_lab.text()), instructor_lab.text()
