"""Build a learner's Go package together with the course's harness into one binary.

The learner's folder is never built where it is: only its ``*.go`` files that are not
``_test.go`` are copied into a fresh temporary module::

    go.mod                    module gradeharness / go 1.26 (the toolchain's version)
    main.go ...               the harness's files (package main, trusted)
    gradeproto/gradeproto.go  the protocol package (grader/golang/gradeproto)
    <name>/*.go               the learner's files, imported as "gradeharness/<name>"

``<name>`` is the one ``gradeharness/...`` package (besides gradeproto) the harness
imports.  Before compiling, ``go list`` checks the learner's package: its package clause
says ``<name>``, it has no cgo, and it imports only allowed standard packages, so it can
reach neither the response pipe (fd 3, written by gradeproto through ``os``) nor anything
else the allow-list leaves out.  A go build runs no learner code (Go has no build
scripts; cgo, the only way in, is refused), so checking before building suffices.

Binaries are content-addressed under ``.cache/go/bin/``: the key hashes the learner's
files, the harness, gradeproto, the toolchain, the flags and the allow-list, so a repeated
check of the same code returns at once and an edit builds anew.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import signal
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from grader.golang.errors import GoBuildError, GoImportRefused, Layout, compile_summary, strip_paths
from grader.golang.toolchain import Toolchain, cache_root, go_env, prepare

DEFAULT_ALLOWED: frozenset[str] = frozenset({
    "bytes", "context", "errors", "fmt", "io", "net", "net/http", "net/url", "strconv",
    "strings", "sync", "sync/atomic", "time", "encoding/json", "math", "sort", "slices",
    "maps", "unicode", "unicode/utf8", "log", "bufio", "mime",
})  # fmt: skip
# Never allowed, whatever the caller's list says: each one reaches the process itself
# (its file descriptors, memory or other programs) or makes the build run foreign code.
NEVER_ALLOWED = frozenset({
    "C", "os", "os/exec", "os/signal", "syscall", "unsafe", "runtime", "runtime/debug",
    "reflect", "plugin", "embed", "gradeharness", "gradeharness/gradeproto",
})  # fmt: skip
# Files go would compile or link besides Go code: refused instead of silently skipped.
FOREIGN_SUFFIXES = (
    ".s", ".S", ".sx", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx",
    ".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx",
)  # fmt: skip
BUILD_TIMEOUT_S = 900.0
MAX_FILE_BYTES = 1 << 20
MAX_PACKAGE_BYTES = 4 << 20
CACHE_SCHEMA = "1"  # bump to invalidate every cached binary
GRADEPROTO = Path(__file__).with_name("gradeproto") / "gradeproto.go"
_HARNESS_IMPORT = re.compile(r'"gradeharness/([A-Za-z_][A-Za-z0-9_]*)"')
_LIST_FIELDS = "Name,ImportPath,GoFiles,CgoFiles,Imports,IgnoredGoFiles,InvalidGoFiles,Error"


def _go_sources(folder: Path) -> dict[str, bytes]:
    """The ``*.go`` files of ``folder`` that go build would compile (not ``_test.go``)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(folder.iterdir())
        if p.name.endswith(".go") and not p.name.endswith("_test.go") and p.is_file()
    }


def learner_sources(package_dir: Path, package: str) -> dict[str, bytes]:
    """The learner's Go files by name, after the checks that need no compiler.

    A missing folder raises FileNotFoundError; no Go files, a symlink (a linked file or
    folder could build the course's solution, or make a compiler error quote a file the
    learner may not read), an oversized file, or assembly/C/.syso files raise
    GoBuildError / GoImportRefused naming the file.
    """
    if not package_dir.is_dir():
        raise FileNotFoundError(f"no folder {package_dir} (the learner's Go package)")
    if package_dir.is_symlink():  # e.g. a hand-in whose folder points at the solutions
        raise GoBuildError(package, f"{package_dir.name}/ is a symbolic link; hand in the folder")
    total = 0
    for path in sorted(package_dir.iterdir()):
        if path.name.endswith(FOREIGN_SUFFIXES):
            raise GoImportRefused(package, path.name, None, ())
        if not path.name.endswith(".go"):
            continue
        if path.is_symlink():
            raise GoBuildError(package, f"{path.name} is a symbolic link; hand in the file itself")
        size = path.stat().st_size
        total += size
        if size > MAX_FILE_BYTES or total > MAX_PACKAGE_BYTES:
            raise GoBuildError(package, f"{path.name} is too large ({size} bytes)")
    files = _go_sources(package_dir)
    if not files:
        raise GoBuildError(
            package, f"no .go files in {package_dir.name}/ (files ending _test.go do not count)"
        )
    return files


def harness_sources(harness_dir: Path) -> tuple[dict[str, bytes], str]:
    """The harness's Go files and the name of the learner package it imports.

    The harness is the course's own code, so a problem here is a course bug: a missing
    folder raises FileNotFoundError, no Go files or not exactly one imported
    ``gradeharness/<name>`` package (besides gradeproto) raise ValueError.
    """
    if not harness_dir.is_dir():
        raise FileNotFoundError(f"no harness folder {harness_dir}")
    files = _go_sources(harness_dir)
    if not files:
        raise ValueError(f"no .go files in the harness folder {harness_dir}")
    names = {
        name
        for text in files.values()
        for name in _HARNESS_IMPORT.findall(text.decode("utf-8", "replace"))
        if name != "gradeproto"
    }
    if len(names) != 1:
        raise ValueError(
            f"the harness in {harness_dir} must import exactly one package "
            f'"gradeharness/<name>" besides gradeproto, found {sorted(names) or "none"}'
        )
    return files, names.pop()


def cache_key(
    chain: Toolchain, flags: list[str], allowed: Iterable[str], package: str,
    learner: dict[str, bytes], harness: dict[str, bytes],
) -> str:  # fmt: skip
    """sha256 over everything that decides the binary (and whether the checks pass)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("schema", CACHE_SCHEMA.encode())
    add("toolchain", f"{chain.version_text} {chain.goroot} {platform.machine()}".encode())
    add("flags", " ".join(flags).encode())
    add("allowed", " ".join(sorted(allowed)).encode())
    add("gradeproto", GRADEPROTO.read_bytes())
    add("package", package.encode())
    for kind, files in (("harness", harness), ("learner", learner)):
        for name, data in sorted(files.items()):
            add(f"{kind}/{name}", data)
    return digest.hexdigest()


def _go(
    chain: Toolchain, args: list[str], *, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run a go command in its own process group; past ``timeout`` kill the group
    (compilers and all) and re-raise subprocess.TimeoutExpired."""
    proc = subprocess.Popen(
        [str(chain.go), *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _find_import(learner: dict[str, bytes], import_path: str) -> str | None:
    """``file.go:line`` of the first line importing ``import_path`` (a line holding just
    the quoted path, maybe after ``import``, ``(`` or an alias, and before a comment or
    ``)``), else None.  ``"C",`` in a slice literal is not an import."""
    path = re.escape(import_path)
    quoted = re.compile(
        rf'^\s*(?:import\s*\(?\s*)?(?:[\w.]+\s+)?["`]{path}["`]\s*\)?\s*(?://.*|/\*.*)?$'
    )
    for name, data in learner.items():
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if quoted.match(line):
                return f"{name}:{number}"
    return None


def check_package(
    chain: Toolchain, layout: Layout, learner: dict[str, bytes], flags: list[str],
    env: dict[str, str], allowed: frozenset[str],
) -> None:  # fmt: skip
    """``go list`` the learner's package in the temporary module; raise on what it refuses.

    Checked with the build's own flags and environment, so a file only ``-race`` (or cgo)
    would compile is checked exactly when it would be compiled.
    """
    package, module = layout.package, Path(layout.module_dir)
    # A cgo file is left out of a CGO_ENABLED=0 build rather than listed in CgoFiles;
    # refuse it by name anyway, instead of a puzzling "undefined" or "no Go files".
    cgo_at = _find_import(learner, "C")
    if cgo_at:
        raise GoImportRefused(package, cgo_at, "C", allowed)
    try:
        listed = _go(
            chain, ["list", "-e", f"-json={_LIST_FIELDS}", *flags, f"./{package}"],
            cwd=module, env=env, timeout=300,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise GoBuildError(package, "go list took longer than 300 s") from None
    try:
        info = json.loads(listed.stdout)
    except json.JSONDecodeError:
        summary = strip_paths(listed.stderr.strip(), layout)
        raise GoBuildError(package, summary, log=listed.stderr) from None
    if info.get("CgoFiles"):
        raise GoImportRefused(package, info["CgoFiles"][0], "C", allowed)
    for import_path in info.get("Imports") or []:
        if import_path not in allowed:
            where = _find_import(learner, import_path) or ", ".join(learner)
            raise GoImportRefused(package, where, import_path, allowed)
    error = (info.get("Error") or {}).get("Err", "")
    if error and ("found packages" in error or not info.get("GoFiles")):
        # Two package names in one folder, or no file left to build: go build would say
        # the same less clearly (from the harness's side).
        raise GoBuildError(package, strip_paths(error, layout), log=error)
    name = info.get("Name")
    if name and name != package:
        raise GoBuildError(
            package,
            f"your files say `package {name}`; the course imports this folder as package "
            f"{package}: start every file with `package {package}`",
        )


def build(
    package_dir: str | os.PathLike[str],
    harness_dir: str | os.PathLike[str],
    *,
    race: bool = False,
    allowed_imports: Iterable[str] = DEFAULT_ALLOWED,
    timeout: float = BUILD_TIMEOUT_S,
) -> Path:
    """Build the learner's package in ``package_dir`` with the harness in ``harness_dir``.

    Returns the path of the cached executable (see the module docstring).  Raises
    GoNotFound without a toolchain, FileNotFoundError for a missing folder, ValueError
    for a harness that does not import exactly one learner package or an allow-list
    naming a package never allowed (os, syscall, ...), GoImportRefused for a refused
    import or file, and GoBuildError (first errors, the learner's file names) for code
    that does not compile or a build slower than ``timeout`` seconds.  ``race=True``
    builds with the race detector (cgo on for the runtime only, gcc needed).
    """
    if isinstance(allowed_imports, str):
        raise ValueError("allowed_imports must be a collection of import paths, not a string")
    allowed = frozenset(allowed_imports)
    if allowed & NEVER_ALLOWED:
        raise ValueError(f"allowed_imports may not include {sorted(allowed & NEVER_ALLOWED)}")
    harness, package = harness_sources(Path(harness_dir))
    learner = learner_sources(Path(package_dir), package)
    chain = prepare()
    flags = ["-trimpath", *(["-race"] if race else [])]
    key = cache_key(chain, flags, allowed, package, learner, harness)
    binary = cache_root() / "bin" / f"{package}-{key[:40]}{'-race' if race else ''}"
    if binary.is_file():
        return binary
    env = go_env(cgo=race)
    with tempfile.TemporaryDirectory(prefix="gradeharness-") as tmp:
        module = Path(tmp) / "gradeharness"
        (module / package).mkdir(parents=True)
        (module / "gradeproto").mkdir()
        (module / "go.mod").write_text(f"module gradeharness\n\ngo {chain.language_version}\n")
        (module / "gradeproto" / "gradeproto.go").write_bytes(GRADEPROTO.read_bytes())
        for name, data in harness.items():
            (module / name).write_bytes(data)
        for name, data in learner.items():
            (module / package / name).write_bytes(data)
        layout = Layout(
            module_dir=str(module), package=package, learner_files=tuple(learner),
            harness_sources={n: d.decode("utf-8", "replace") for n, d in harness.items()},
        )  # fmt: skip
        check_package(chain, layout, learner, flags, env, allowed)
        output = Path(tmp) / "harness"
        try:
            proc = _go(
                chain, ["build", *flags, "-o", str(output), "."], cwd=module, env=env,
                timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise GoBuildError(package, f"the build took longer than {timeout:g} s") from None
        if proc.returncode != 0 or not output.is_file():
            log = proc.stdout + proc.stderr
            raise GoBuildError(package, compile_summary(log, layout), log=log)
        # Same filesystem or not, os.replace from a sibling is what makes the entry atomic:
        # a concurrent reader sees no binary or a whole one.
        binary.parent.mkdir(parents=True, exist_ok=True)
        staging = binary.with_name(f".{binary.name}.{os.getpid()}")
        staging.write_bytes(output.read_bytes())
        staging.chmod(0o755)
        os.replace(staging, binary)
    return binary
