"""Build a PyO3 extension crate with maturin and import it into the running interpreter.

* :func:`build_crate` runs ``maturin build --release --locked`` for one crate, with every cargo
  cache inside the project's ignored ``.cache/cargo`` folder (``CARGO_HOME`` and a
  per-crate ``CARGO_TARGET_DIR``), and returns a :class:`BuiltExtension` pointing at a
  content-addressed copy of the compiled module.
* :func:`import_fresh` loads that module, even when an older build of the same crate is
  already loaded in this process.
* A crate that does not compile raises :class:`RustBuildError`, whose message holds the first
  few rustc errors as ``file:line:col: error[E0382]: message`` plus rustc's snippet, never the
  whole build log.

``--locked`` makes the committed ``Cargo.lock`` authoritative: a build never resolves new
versions, so once the registry cache under ``.cache/cargo/home`` is filled it works offline.

Where the files go when these are set (the autograder's sandbox sets all three, see
grader.native.sandboxing, and then the project root is never looked up; unset, everything
stays in the project as above):

* ``GRADER_CARGO_CACHE``: instead of ``<project>/.cache/cargo`` for everything the grader
  writes (build index, compiled modules, wheels, locks, speed shims);
* ``GRADER_CARGO_HOME``: cargo's ``CARGO_HOME`` (default ``<cargo cache>/home``);
* ``GRADER_NATIVE_TARGET_DIR``: the folder of the per-crate target dirs (default
  ``<cargo cache>/target``; crate ``users`` builds in ``<that>/users``).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from grader.native.cargo_errors import (
    Diagnostic,
    format_diagnostics,
    parse_cargo_json,
    strip_ansi,
    tail,
)
from grader.paths import file_lock

BUILD_TIMEOUT_S = 1800.0
CACHE_ENV = "GRADER_CARGO_CACHE"
CARGO_HOME_ENV = "GRADER_CARGO_HOME"
TARGET_DIR_ENV = "GRADER_NATIVE_TARGET_DIR"
EXT_SUFFIX: str = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


class RustBuildError(RuntimeError):
    """A crate failed to build. ``str(error)`` is short and readable; details are attributes."""

    def __init__(self, crate: str, summary: str, diagnostics: list[Diagnostic] | None = None):
        self.crate = crate
        self.summary = summary
        self.diagnostics = list(diagnostics or [])
        super().__init__(f"Rust build of crate '{crate}' failed:\n{summary}")


@dataclass(frozen=True)
class CrateInfo:
    """What ``Cargo.toml`` says about an extension crate."""

    crate_dir: Path
    package: str
    module_name: str


@dataclass(frozen=True)
class BuiltExtension:
    """A compiled extension module, stored under a name derived from its content."""

    crate_dir: Path
    module_name: str
    library: Path
    sha256: str
    seconds: float


def project_root(start: Path | None = None) -> Path:
    """The nearest folder above ``start`` (default: this file) that holds ``pyproject.toml``."""
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    raise FileNotFoundError(f"no pyproject.toml in {here} or any folder above it")


def cargo_cache(root: Path | None = None) -> Path:
    """``$GRADER_CARGO_CACHE``, else ``<root>/.cache/cargo`` (root: :func:`project_root`)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    return (root or project_root()) / ".cache" / "cargo"


def read_crate(crate_dir: Path) -> CrateInfo:
    """Package name and Python module name (``[lib] name``, else the package name)."""
    manifest = crate_dir / "Cargo.toml"
    if not manifest.is_file():
        raise FileNotFoundError(f"no Cargo.toml in {crate_dir}")
    data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    package = data["package"]["name"]
    module_name = data.get("lib", {}).get("name", package).replace("-", "_")
    return CrateInfo(crate_dir.resolve(), package, module_name)


def _rustup_home() -> str | None:
    """Where rustup keeps its toolchains: left where it is (only cargo's caches move)."""
    if "RUSTUP_HOME" in os.environ:
        return os.environ["RUSTUP_HOME"]
    default = Path.home() / ".rustup"
    return str(default) if default.is_dir() else None


def _cargo_bin_dir() -> Path:
    """The folder holding ``cargo`` (normally rustup's proxies in ``~/.cargo/bin``)."""
    found = shutil.which("cargo")
    if found:
        return Path(found).parent
    fallback = Path.home() / ".cargo" / "bin"
    if (fallback / "cargo").exists():
        return fallback
    raise FileNotFoundError("cargo not found on PATH or in ~/.cargo/bin: install Rust (rustup)")


def cargo_env(root: Path | None, package: str) -> dict[str, str]:
    """The environment for cargo and maturin: caches in ``<root>/.cache/cargo``, or where
    ``GRADER_CARGO_CACHE``, ``GRADER_CARGO_HOME`` and ``GRADER_NATIVE_TARGET_DIR`` say."""
    env = dict(os.environ)
    cache = cargo_cache(root)
    env["CARGO_HOME"] = os.environ.get(CARGO_HOME_ENV) or str(cache / "home")
    targets = os.environ.get(TARGET_DIR_ENV) or str(cache / "target")
    env["CARGO_TARGET_DIR"] = str(Path(targets) / package)
    rustup_home = _rustup_home()
    if rustup_home:
        env["RUSTUP_HOME"] = rustup_home
    env["PATH"] = os.pathsep.join([str(_cargo_bin_dir()), env.get("PATH", "")])
    env["CARGO_TERM_COLOR"] = "never"
    # The variables maturin (1.16) sets when it calls cargo. pyo3's build scripts rerun when any
    # of them changes, so the diagnostic re-run in _diagnose() must see the same values, or it
    # would recompile pyo3 and leave the target dir stale for the next maturin build.
    env["PYO3_PYTHON"] = sys.executable
    env["PYTHON_SYS_EXECUTABLE"] = sys.executable
    env["PYO3_BUILD_EXTENSION_MODULE"] = "1"
    env["PYO3_ENVIRONMENT_SIGNATURE"] = _environment_signature()
    return env


def _environment_signature() -> str:
    """maturin's ``PYO3_ENVIRONMENT_SIGNATURE``, e.g. ``cpython-3.11-64bit``."""
    bits = "64bit" if sys.maxsize > 2**32 else "32bit"
    version = sys.version_info
    return f"{sys.implementation.name}-{version.major}.{version.minor}-{bits}"


@contextmanager
def _crate_lock(cache: Path, package: str) -> Iterator[None]:
    """One build per target dir at a time, including the copy of the artifact after cargo."""
    with file_lock(cache / "locks" / f"{package}.lock"):
        yield


def _run(
    cmd: list[str], env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def _maturin_cmd(info: CrateInfo, out_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "maturin", "build",
        "--release", "--locked",
        "--manifest-path", str(info.crate_dir / "Cargo.toml"),
        "--interpreter", sys.executable,
        "--auditwheel", "skip",
        "--out", str(out_dir),
    ]  # fmt: skip


def _diagnose(
    info: CrateInfo, env: dict[str, str], maturin_log: str, timeout: float
) -> RustBuildError:
    """Re-run the failed compile through cargo to get JSON diagnostics, and summarise them.

    maturin has no ``--message-format`` option, so cargo is asked directly, with the command
    maturin uses (``cargo rustc --profile release --lib``), the same target dir and the same
    environment: dependencies compiled by maturin's run are reused and only the failing crate
    is compiled again (a few seconds).
    """
    cmd = [
        "cargo", "rustc", "--profile", "release", "--locked", "--lib", "--message-format=json",
        "--manifest-path", str(info.crate_dir / "Cargo.toml"),
    ]  # fmt: skip
    result = _run(cmd, env, info.crate_dir, timeout)
    diagnostics = parse_cargo_json(result.stdout.splitlines())
    if diagnostics:
        count = len(diagnostics)
        header = f"{count} error{'s' if count > 1 else ''} from rustc"
        summary = f"{header}\n\n{format_diagnostics(diagnostics)}"
        return RustBuildError(info.package, summary, diagnostics)
    # Not a compile error (lock file out of date, registry unreachable, maturin config...).
    return RustBuildError(info.package, tail(result.stderr or maturin_log))


def _extract_module(wheel: Path, module_name: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            base = name.rsplit("/", 1)[-1]
            if base.startswith(f"{module_name}.") and base.endswith((".so", ".pyd")):
                return archive.read(name)
    raise RustBuildError(module_name, f"{wheel.name} holds no compiled module '{module_name}'")


def _store_library(cache: Path, module_name: str, payload: bytes) -> tuple[Path, str]:
    """Write ``payload`` to ``<cargo cache>/ext/<module>/<sha256[:16]>/<module><EXT_SUFFIX>``.

    The folder is named after the content, the file keeps the module's own name, so the file
    is importable as usual and a changed build always lands at a new path.
    """
    digest = hashlib.sha256(payload).hexdigest()
    folder = cache / "ext" / module_name / digest[:16]
    library = folder / f"{module_name}{EXT_SUFFIX}"
    if not library.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{library.name}.{os.getpid()}.partial"
        partial.write_bytes(payload)
        os.replace(partial, library)
    return library, digest


def _claim_target_dir(info: CrateInfo, env: dict[str, str], timeout: float) -> None:
    """Make sure the shared target dir cannot hand back another copy's library.

    The target dir is keyed by package name, so a learner's copy of a crate, the solution and
    a test's scratch copy share the compiled dependencies (pyo3 and numpy take a minute or two
    to build cold). But a cdylib's file name carries no hash (``libusers.so``): after another
    copy was built there, cargo can judge this copy fresh and report the other copy's file.
    So when the last build came from another folder, the package's own artifacts are removed
    (``cargo clean -p``; dependencies stay) and only this crate is compiled again.
    """
    marker = Path(env["CARGO_TARGET_DIR"]) / ".built-from"
    source = str(info.crate_dir)
    if marker.is_file() and marker.read_text(encoding="utf-8") == source:
        return
    if marker.parent.is_dir():
        cmd = [
            "cargo", "clean", "--release", "-p", info.package,
            "--manifest-path", str(info.crate_dir / "Cargo.toml"),
        ]  # fmt: skip
        _run(cmd, env, info.crate_dir, timeout)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(source, encoding="utf-8")


def refuse_in_verifier(what: object) -> None:
    """The grading engine's verifier (grader/classgrade/verify.py) runs outside the sandbox
    and must never compile native code: its ``build()`` builds in the sandboxed worker
    (grader/classgrade/remote.py). A grade cell that reaches a lower-level build function
    there fails loudly, so that authoring mistake costs the model solution its points in the
    suite instead of silently grading the source's copy."""
    if os.environ.get("GRADER_VERIFIER"):
        raise RuntimeError(f"native code ({what}) is never built by the verifier, outside "
                           "the sandbox: build through grader.native.build() (built in the "
                           "sandboxed worker) or measure the cell (grader/TRUST.md)")


def build_crate(crate_dir: Path, *, timeout: float = BUILD_TIMEOUT_S) -> BuiltExtension:
    """Build ``crate_dir`` in release mode and return where its compiled module is.

    Raises :class:`RustBuildError` when the crate does not build, RuntimeError inside the
    class autograder's verifier (see ``refuse_in_verifier``).
    """
    refuse_in_verifier(crate_dir)
    info = read_crate(Path(crate_dir))
    cache = cargo_cache()
    env = cargo_env(None, info.package)
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with _crate_lock(cache, info.package), tempfile.TemporaryDirectory(dir=wheels) as out:
        _claim_target_dir(info, env, timeout)
        result = _run(_maturin_cmd(info, Path(out)), env, info.crate_dir, timeout)
        if result.returncode != 0:
            raise _diagnose(info, env, result.stderr + result.stdout, timeout)
        built = sorted(Path(out).glob("*.whl"))
        if not built:
            raise RustBuildError(info.package, "maturin reported success but wrote no wheel")
        payload = _extract_module(built[-1], info.module_name)
    library, digest = _store_library(cache, info.module_name, payload)
    seconds = time.perf_counter() - started
    return BuiltExtension(info.crate_dir, info.module_name, library, digest, seconds)


# Why not a plain `import` or `importlib.reload`: CPython never unloads an extension module.
# Importing the same name again returns the cached module, and even a reload dlopen()s the
# same path, which hands back the already-mapped library with the *old* code. PyO3 (>= 0.26)
# also refuses to initialise one compiled module twice in a process (ImportError).
#
# So every build is stored under a folder named after its SHA-256 (see _store_library): a new
# build is a new path, dlopen() maps it as a separate library, and its statics (PyO3's init
# flag, the allocation counters) start fresh. The init symbol is looked up from the module
# name, `PyInit_<name>`, so the file is loaded under the crate's declared module name with
# ExtensionFileLoader, but kept out of sys.modules so that it never shadows or replaces
# another build. Loading the same build twice returns the module object loaded first.
# (A fresh subprocess per build would also work, but then tests could not call the functions
# directly or share the interpreter's objects with them.)
_LOADED: dict[Path, ModuleType] = {}


def import_fresh(built: BuiltExtension) -> ModuleType:
    """The module compiled by ``built``, loaded into this process (cached per build)."""
    return load_library(built.library, built.module_name)


def load_library(library: Path, module_name: str) -> ModuleType:
    """Load the compiled extension file ``library`` as ``module_name`` (cached per file).

    This is how a process that did not build the crate (a speed-test worker) loads a build
    by its path. A missing file raises FileNotFoundError; a file whose ``PyInit_`` symbol does
    not match ``module_name`` raises ImportError saying so.
    """
    library = Path(library).resolve()
    if library in _LOADED:
        return _LOADED[library]
    if not library.is_file():
        raise FileNotFoundError(f"no compiled extension at {library}")
    loader = importlib.machinery.ExtensionFileLoader(module_name, str(library))
    spec = importlib.util.spec_from_file_location(module_name, library, loader=loader)
    if spec is None:
        raise ImportError(f"cannot make an import spec for {library}")
    try:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except ImportError as error:
        raise ImportError(
            f"{library.name} did not load as '{module_name}': {error}. The #[pymodule] "
            "function must have the same name as `[lib] name` in Cargo.toml."
        ) from error
    _LOADED[library] = module
    return module


def build_and_import(crate_dir: Path) -> ModuleType:
    """:func:`build_crate` then :func:`import_fresh`."""
    return import_fresh(build_crate(crate_dir))


def compile_snippet(source: str, *, timeout: float = 120.0) -> str:
    """Type-check ``source`` as a standalone Rust library file and return rustc's messages.

    An empty string means it compiles. For lessons that show what rustc says about a piece of
    code (its own wording, on the learner's machine). Raises FileNotFoundError when no Rust
    toolchain is installed and TypeError for a non-string ``source``.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str of Rust code, got {type(source).__name__}")
    rustc = _cargo_bin_dir() / "rustc"
    with tempfile.TemporaryDirectory(prefix="rust-snippet-") as tmp:
        path = Path(tmp) / "snippet.rs"
        path.write_text(source, encoding="utf-8")
        cmd = [
            str(rustc), "--edition", "2021", "--crate-type", "lib", "--emit=metadata",
            "--color", "never", "-o", str(Path(tmp) / "snippet.rmeta"), "snippet.rs",
        ]  # fmt: skip
        result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=timeout,
                                check=False)
    return strip_ansi(result.stderr).strip()
