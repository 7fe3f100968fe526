"""Where api_check's JavaScript and Rust checkers live, and how ``make install`` warms them.

Everything stays inside the project's ignored ``.cache/`` (never ``$HOME``):

* ``.cache/node``: a copy of ``js/package.json`` and ``js/package-lock.json`` and the
  ``node_modules`` that ``npm ci`` installs from them (TypeScript and @types/node, pinned);
  npm's own cache is ``.cache/npm``. Each JavaScript check gets a private folder under
  ``.cache/node/checks`` so that the snippet resolves ``@types/node`` and installed packages
  the way Node would.
* Rust: cargo's home and target dirs come from :func:`grader.native.rust.cargo_env` (the
  registry in ``.cache/cargo/home``, compiled crates in ``.cache/cargo/target/apicheck``),
  and the snippet is compiled in one reusable copy of the ``rust/`` template under
  ``.cache/apicheck/rust``, one check at a time (:func:`rust_lock`).

``warm()`` (``python -m grader.apicheck warm``) installs and compiles all that once; a stamp
holding the hash of the lock files makes a second run return at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.paths import file_lock
from grader.speed.environment import project_root

HERE = Path(__file__).resolve().parent
JS_SOURCE = HERE / "js"
RUST_TEMPLATE = HERE / "rust"
JS_LOCK_FILES = ("package.json", "package-lock.json")
RUST_LOCK_FILES = ("Cargo.toml", "Cargo.lock")
STAMP = ".apicheck-warm"
INSTALL_HINT = "run `make install` (or `.venv/bin/python -m grader.apicheck warm`)"
WARM_TIMEOUT_S = 900.0


class ToolMissing(RuntimeError):
    """A tool api_check needs (node, npm, cargo, the installed tsc) is not there; the
    message says how to get it."""


def cache(*parts: str) -> Path:
    """``<project>/.cache/<parts>`` (not created here)."""
    return project_root().joinpath(".cache", *parts)


NODE_DIR_ENV = "GRADER_NODE_DIR"  # set by the grading sandbox, where the project is not seen


def node_dir() -> Path:
    """Where ``npm ci`` installs the checker: ``$GRADER_NODE_DIR``, else ``.cache/node``
    (``node_modules`` inside)."""
    override = os.environ.get(NODE_DIR_ENV)
    return Path(override) if override else cache("node")


@functools.cache
def node_flags(node: str) -> tuple[str, ...]:
    """Flags every Node process of the grader gets. ``--disable-wasm-trap-handler``: V8
    reserves a 10 GB address-space cage for WebAssembly, which fetch (undici's HTTP parser
    is wasm) needs; under the grading sandbox's RLIMIT_AS (4 GiB) that fails with "Out of
    memory: Cannot allocate Wasm memory". Node 20.15+ and 22.2+ know the flag; an older
    node gets none (and fetch fails only inside a sandbox)."""
    try:
        done = subprocess.run([node, "--disable-wasm-trap-handler", "-e", "0"],
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return ("--disable-wasm-trap-handler",) if done.returncode == 0 else ()


def npm_env() -> dict[str, str]:
    """Our environment with npm's cache in ``.cache/npm`` and no update or funding chatter."""
    env = dict(os.environ)
    env.update(npm_config_cache=str(cache("npm")), npm_config_update_notifier="false",
               npm_config_fund="false", npm_config_audit="false")
    return env


def venv_tool(name: str) -> str | None:
    """The command ``name`` next to this interpreter (the project's venv, where pip put it),
    else on PATH; None when there is neither."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else shutil.which(name)


def find_node() -> str:
    """The ``node`` binary, or RuntimeError saying how to get it."""
    found = shutil.which("node")
    if not found:
        raise ToolMissing("api_check needs Node.js (`node` on PATH) for JavaScript; install "
                           f"Node 20 or newer, then {INSTALL_HINT}")
    return found


def find_tsc() -> Path:
    """TypeScript's ``tsc`` installed by ``npm ci`` in ``.cache/node``, or RuntimeError."""
    tsc = node_dir() / "node_modules" / ".bin" / "tsc"
    if not tsc.exists():
        raise ToolMissing(f"TypeScript's checker is not installed in {node_dir()}: {INSTALL_HINT}")
    return tsc


def package_version(name: str) -> str:
    """The version of npm package ``name`` installed in ``.cache/node`` ("" when absent)."""
    meta = node_dir() / "node_modules" / name / "package.json"
    try:
        return str(json.loads(meta.read_text(encoding="utf-8")).get("version", ""))
    except (OSError, ValueError):
        return ""


def lock_hash(folder: Path, names: tuple[str, ...]) -> str:
    """A hash of the lock files ``names`` in ``folder`` (a missing one counts as empty)."""
    digest = hashlib.sha256()
    for name in names:
        file = folder / name
        digest.update(name.encode() + b"\0" + (file.read_bytes() if file.is_file() else b""))
    return digest.hexdigest()[:20]


def _stamped(folder: Path, key: str) -> bool:
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == key


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
    """Run an install step; RuntimeError with the tail of its output when it fails."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise RuntimeError(f"`{' '.join(cmd[:3])}` failed in {cwd}:\n{tail}")


def warm_js(timeout: float = WARM_TIMEOUT_S) -> str:
    """``npm ci`` from the committed lock file into ``.cache/node``, unless the stamp says it
    is done. Returns what happened; RuntimeError when npm fails (registry unreachable...)."""
    find_node()
    npm = shutil.which("npm")
    if npm is None:
        raise ToolMissing(f"npm not found on PATH (it comes with Node.js): {INSTALL_HINT}")
    target = node_dir()
    key = lock_hash(JS_SOURCE, JS_LOCK_FILES)
    with file_lock(cache("locks", "apicheck-node.lock")):
        if _stamped(target, key) and (target / "node_modules" / ".bin" / "tsc").exists():
            return f"warm (typescript {package_version('typescript')})"
        target.mkdir(parents=True, exist_ok=True)
        for name in JS_LOCK_FILES:
            shutil.copyfile(JS_SOURCE / name, target / name)
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], target, npm_env(),
             timeout)
        (target / STAMP).write_text(key + "\n", encoding="utf-8")
    return f"installed typescript {package_version('typescript')} in {target}"


# ---- Rust ---------------------------------------------------------------------------------

def rust_work_dir() -> Path:
    """The reusable copy of the template a snippet is compiled in."""
    return cache("apicheck", "rust")


@contextmanager
def rust_lock() -> Iterator[None]:
    """One check at a time in the work folder (the snippet is its src/main.rs)."""
    with file_lock(cache("locks", "apicheck-rust.lock")):
        yield


def cargo_environment() -> dict[str, str]:
    """cargo's environment: the project's cargo home, target dir ``target/apicheck``, and no
    network (checks run ``--offline``; only :func:`warm_rust` fetches). RuntimeError without
    cargo."""
    from grader.native.rust import cargo_env

    try:
        env = cargo_env(project_root(), "apicheck")
    except FileNotFoundError as exc:
        raise ToolMissing(f"api_check needs Rust for Rust code: {exc}; then {INSTALL_HINT}") \
            from exc
    env.pop("CARGO_NET_OFFLINE", None)
    return env


@functools.cache
def cargo_version() -> str:
    """``cargo 1.95.0`` (without the commit and date), or RuntimeError without cargo."""
    env = cargo_environment()
    done = subprocess.run(["cargo", "--version"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    match = re.match(r"cargo (\S+)", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"`cargo --version` failed: {done.stderr.strip()}; {INSTALL_HINT}")
    return f"cargo {match.group(1)}"


def prepare_rust_work_dir() -> Path:
    """The work folder with the template's Cargo.toml and Cargo.lock (copied anew when the
    committed ones changed). Call it under :func:`rust_lock`."""
    work = rust_work_dir()
    (work / "src").mkdir(parents=True, exist_ok=True)
    for name in RUST_LOCK_FILES:
        source, copy = RUST_TEMPLATE / name, work / name
        if not copy.is_file() or copy.read_bytes() != source.read_bytes():
            shutil.copyfile(source, copy)
    if not (work / "src" / "main.rs").is_file():  # cargo reads no manifest without a target
        shutil.copyfile(RUST_TEMPLATE / "src" / "main.rs", work / "src" / "main.rs")
    return work


def warm_rust(timeout: float = WARM_TIMEOUT_S) -> str:
    """``cargo fetch`` the template's locked crates into the project's cargo home (offline
    first: nothing is downloaded when they are there) and ``cargo check`` the template once,
    so the crates are compiled in the shared target dir. Returns what happened."""
    env = cargo_environment()
    key = lock_hash(RUST_TEMPLATE, RUST_LOCK_FILES) + ":" + cargo_version()
    with rust_lock():
        work = prepare_rust_work_dir()
        compiled = Path(env["CARGO_TARGET_DIR"]) / "debug" / ".fingerprint"
        if _stamped(work, key) and compiled.is_dir():  # a wiped target dir: compile again
            return f"warm ({cargo_version()})"
        shutil.copyfile(RUST_TEMPLATE / "src" / "main.rs", work / "src" / "main.rs")
        fetch = ["cargo", "fetch", "--locked"]
        try:
            _run([*fetch, "--offline"], work, env, timeout)
        except RuntimeError:
            _run(fetch, work, env, timeout)  # something is missing: the registry, once
        _run(["cargo", "check", "--offline", "--locked", "--quiet"], work, env, timeout)
        (work / STAMP).write_text(key + "\n", encoding="utf-8")
    return f"fetched and compiled the template's crates ({cargo_version()})"
