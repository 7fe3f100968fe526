"""Compile a ``.mojo`` file into a Python extension module and import it into this process.

* :func:`build` runs ``mojo build --emit shared-lib`` (what ``mojo.importer`` runs) and keeps
  the result at ``.cache/mojo/build/<hash>/<module>.so``. The hash covers the file, the local
  ``.mojo`` modules it imports (``from helper import f`` with ``helper.mojo`` beside it, or a
  package folder), the module name and the Mojo version, so an unchanged file is never
  compiled twice (one build takes 10-30 s), and editing one file beside it does not rebuild
  the others.
* :func:`build_and_import` loads that library. Each build lives at its own path, so a rebuilt
  file loads as a separate library even when an older build is loaded in this process (a plain
  ``import`` or ``importlib.reload`` would hand back the old code). Modules are loaded under
  their own name, kept out of ``sys.modules``, and cached per library path.
* A file that does not compile raises :class:`MojoBuildError` holding the compiler's own
  ``file:line:col: error: ...`` lines with their source snippet, never a Python traceback.
* Without Mojo, everything raises :class:`MojoNotInstalled` saying how to install it.
  ``GRADER_MOJO_DISABLE=1`` makes an installed Mojo count as missing (to test that path).
* :func:`prebuild` compiles trusted course files (a baseline a speed cell races against) into
  a store, ``.cache/mojo/store/<hash>/<module>.so``, by the grader, outside any sandbox. A
  sandbox is shown the store read-only and names it in ``GRADER_MOJO_STORE`` (a list of
  folders, like PATH; grader/native/learner_builds.py adds the learner's own modules,
  compiled once per grading), where :func:`build` looks first: every grading of chapter 04
  used to compile the same baseline again in its own empty build folder (9-14 s each).
  Only files the course declares go in (``prebuilt`` in assignment.toml): whatever learner
  code can read in the store is the compiled form of a file the same sandbox shows it.

Everything Mojo writes stays under ``.cache/mojo`` (override: ``GRADER_MOJO_CACHE``):
``MODULAR_HOME`` is ``.cache/mojo/home`` (the compiler cache ends up in
``home/cache/.mojo_cache``), and ``MODULAR_TELEMETRY_ENABLED=0`` stops it writing an
install id to ``~/.local/state/modular`` (and the "Failed to initialize Crashpad" line).
Both are defaults: values already in the environment win.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from grader.paths import file_lock

BUILD_TIMEOUT_S = 900.0
RUN_TIMEOUT_S = 300.0
MAX_ERRORS = 5
MAX_SNIPPET_LINES = 3
MAX_TAIL_LINES = 15
INSTALL_HINT = (
    "Mojo is not installed in this Python environment ({prefix}). Install it with "
    "`make mojo` (or `pip install mojo` in this environment, about 700 MB), "
    "then restart the kernel."
)

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# "path:line:col: error: message"; the driver's own "path: error: ..." has no line number.
_LOCATED = re.compile(r"^(?P<where>.+?):(?P<line>\d+):(?P<col>\d+): (?P<kind>error|warning|note): ")
_ANY_HEADER = re.compile(r"^\S.*?: (error|warning|note): |^Imported from ")
_LOADED: dict[Path, ModuleType] = {}
# `from helper import f`, `import helper`, `from pkg.mod import f`: the first name is local
# when helper.mojo (or a package folder pkg/) sits beside the importing file.
_IMPORT = re.compile(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", re.MULTILINE)
DISABLE_VARIABLE = "GRADER_MOJO_DISABLE"
STORE_VARIABLE = "GRADER_MOJO_STORE"


class MojoNotInstalled(RuntimeError):
    """The ``mojo`` package (compiler and ``mojo`` command) is not in this environment."""

    def __init__(self) -> None:
        super().__init__(INSTALL_HINT.format(prefix=sys.prefix))


class MojoBuildError(RuntimeError):
    """A ``.mojo`` file did not compile or load. ``str(error)`` is the trimmed compiler output.

    ``stderr`` keeps the compiler's complete output, for debugging.
    """

    def __init__(self, mojo_file: Path, summary: str, stderr: str = "") -> None:
        self.mojo_file = mojo_file
        self.summary = summary
        self.stderr = stderr
        super().__init__(f"Mojo build of {mojo_file.name} failed:\n{summary}")


def mojo_version() -> str | None:
    """The installed Mojo compiler's version (``"1.2.0"``), or None when it is missing.

    The compiler, the ``mojo`` command and ``mojo.importer`` come in the ``mojo-compiler``
    package; ``pip install mojo`` adds the LSP server, REPL and debugger on top of it.
    None as well when ``GRADER_MOJO_DISABLE`` is set to anything but "" or "0".
    """
    if os.environ.get(DISABLE_VARIABLE, "") not in ("", "0"):
        return None
    for distribution in ("mojo-compiler", "mojo"):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _driver() -> Path | None:
    """The ``mojo`` command of this interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).with_name("mojo")
    if beside.is_file():
        return beside
    found = shutil.which("mojo")
    return Path(found) if found else None


def mojo_available() -> bool:
    """True when the ``mojo`` package and its ``mojo`` command are both installed."""
    return mojo_version() is not None and _driver() is not None


def _project_root() -> Path:
    here = Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    return Path.cwd()


def cache_root() -> Path:
    """``$GRADER_MOJO_CACHE``, else ``<project>/.cache/mojo``."""
    override = os.environ.get("GRADER_MOJO_CACHE")
    return Path(override) if override else _project_root() / ".cache" / "mojo"


def mojo_env() -> dict[str, str]:
    """This process's environment plus the defaults that keep Mojo's files in the cache."""
    env = dict(os.environ)
    env.setdefault("MODULAR_HOME", str(cache_root() / "home"))
    env.setdefault("MODULAR_TELEMETRY_ENABLED", "0")
    return env


def _mojo(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    driver = _driver()
    if mojo_version() is None or driver is None:
        raise MojoNotInstalled()
    return subprocess.run(
        [str(driver), *args], env=mojo_env(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def _blocks(stderr: str) -> list[list[str]]:
    """Compiler output split into diagnostics: a header line plus its snippet lines."""
    blocks: list[list[str]] = []
    for line in _ANSI.sub("", stderr).splitlines():
        if _ANY_HEADER.match(line) or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def _tail(text: str, lines: int = MAX_TAIL_LINES) -> str:
    kept = [line for line in _ANSI.sub("", text).splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def trim_diagnostics(stderr: str, limit: int = MAX_ERRORS, base: Path | None = None) -> str:
    """The first ``limit`` located errors of Mojo's output, each with its source snippet.

    Warnings, notes and the driver's closing "failed to parse" line are left out. Output
    with no located error (a crash, a linker failure) gives its last lines instead. With
    ``base`` (a folder), paths inside it are shown relative to it: ``sum.mojo:3:1: error``
    instead of a long temporary path.
    """
    if base is not None:
        stderr = stderr.replace(f"{Path(base).resolve()}{os.sep}", "")
    errors = [
        "\n".join(block[: 1 + MAX_SNIPPET_LINES]).rstrip()
        for block in _blocks(stderr)
        if (match := _LOCATED.match(block[0])) and match["kind"] == "error"
    ]
    if not errors:
        return _tail(stderr) or "mojo exited with an error and printed nothing"
    hidden = len(errors) - limit
    more = [f"... and {hidden} more error{'s' if hidden > 1 else ''}"] if hidden > 0 else []
    return "\n".join(errors[:limit] + more)


def _module_name(mojo_file: Path, module_name: str | None) -> str:
    name = module_name or mojo_file.stem
    if not name.isidentifier():
        raise ValueError(f"module name {name!r} is not a Python identifier: pass module_name=")
    return name


def local_imports(source: Path) -> list[Path]:
    """``source`` and the local ``.mojo`` files it imports, directly or through them.

    Local means ``<name>.mojo`` beside the importing file, or every ``.mojo`` file of a
    package folder ``<name>/`` there; ``std`` and other installed modules are not files
    here and are skipped. Sorted, each file once (import cycles are fine).
    """
    seen: set[Path] = set()
    todo = [source.resolve()]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in dict.fromkeys(_IMPORT.findall(text)):
            module, package = path.parent / f"{name}.mojo", path.parent / name
            if module.is_file():
                todo.append(module.resolve())
            elif package.is_dir():
                todo.extend(p.resolve() for p in package.rglob("*.mojo"))
    return sorted(seen)


def _digest(source: Path, name: str) -> str:
    """SHA-256 of the Mojo version, module name, ``source`` and the local files it imports.

    Files are keyed by their path relative to ``source``'s folder, not their absolute path,
    so the same sources in another folder (a grading copy) reuse the build.
    """
    hasher = hashlib.sha256(f"{mojo_version()}\0{name}\0{source.name}\0".encode())
    for path in local_imports(source):
        where = os.path.relpath(path, source.parent)
        hasher.update(where.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()[:16]


def _checked_source(mojo_file: Path) -> Path:
    source = Path(mojo_file).resolve()
    if source.suffix != ".mojo":
        raise ValueError(f"{mojo_file} is not a .mojo file")
    if not source.is_file():
        raise FileNotFoundError(f"no such Mojo file: {mojo_file}")
    return source


def build(mojo_file: Path, module_name: str | None = None) -> Path:
    """Compile ``mojo_file`` to a shared library (cached by content) and return its path.

    A missing file raises FileNotFoundError, a non-``.mojo`` path or a name that is not an
    identifier ValueError, a compile error (or a timeout) :class:`MojoBuildError`.
    """
    from grader.native.rust import refuse_in_verifier

    refuse_in_verifier(mojo_file)
    source = _checked_source(mojo_file)
    name = _module_name(source, module_name)
    if not mojo_available():
        raise MojoNotInstalled()
    digest, file_name = build_key(source, name)
    for store in os.environ.get(STORE_VARIABLE, "").split(os.pathsep):
        if store and (Path(store) / digest / file_name).is_file():
            return Path(store) / digest / file_name  # the same sources, compiled before
    library = cache_root() / "build" / digest / file_name
    if not library.is_file():
        _compile(source, library)
    return library


def build_key(mojo_file: Path, module_name: str | None = None) -> tuple[str, str]:
    """(hash folder, library file name) under which :func:`build` keeps ``mojo_file``'s
    library. Raises as :func:`build` does for a bad path or name."""
    source = _checked_source(mojo_file)
    name = _module_name(source, module_name)
    return _digest(source, name), f"{name}.so"


def store_root() -> Path:
    """Where :func:`prebuild` keeps trusted builds: ``<cache_root>/store``."""
    return cache_root() / "store"


def prebuild(mojo_files: list[Path], store: Path | None = None) -> Path:
    """Compile trusted course ``mojo_files`` into ``store`` (default :func:`store_root`),
    each once per content, and return the store. Call it as the grader, never in a sandbox,
    and only on course files: a sandbox trusts what it finds there (``GRADER_MOJO_STORE``).
    Processes and threads may call it at once: one compiles, the others wait for it. Bad
    input raises as :func:`build` does (a course file that does not compile: MojoBuildError).
    """
    root = Path(store) if store is not None else store_root()
    if not mojo_available():
        raise MojoNotInstalled()
    for mojo_file in mojo_files:
        source = _checked_source(mojo_file)
        digest, file_name = build_key(source)
        library = root / digest / file_name
        if library.is_file():
            continue
        with file_lock(root / f".{digest}.lock"):
            if not library.is_file():
                _compile(source, library)
        for path in (root, library.parent, library):  # the sandbox's uid reads it
            path.chmod(0o755)
    return root


def _compile(source: Path, library: Path) -> None:
    """``mojo build`` into a temporary folder beside ``library``, then move the result in.

    The move is atomic, so a concurrent build of the same source never sees half a file.
    """
    library.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=library.parent, prefix=".building-") as tmp:
            staged = Path(tmp) / library.name
            args = ["build", str(source), "--emit", "shared-lib", "-o", str(staged)]
            result = _mojo(args, BUILD_TIMEOUT_S)
            if result.returncode == 0 and staged.is_file():
                os.replace(staged, library)
                return
    except subprocess.TimeoutExpired as error:
        summary = f"mojo build timed out after {error.timeout:.0f} s"
        raise MojoBuildError(source, summary) from None
    finally:
        _remove_if_empty(library.parent)
    raise MojoBuildError(source, trim_diagnostics(result.stderr, base=source.parent),
                         result.stderr)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty: the build succeeded, or another process built it meanwhile


def load_library(library: Path, module_name: str, mojo_file: Path) -> ModuleType:
    """Load a built library as module ``module_name`` (once per library path).

    A library that does not export ``PyInit_<module_name>`` raises :class:`MojoBuildError`.
    """
    library = library.resolve()
    if library in _LOADED:
        return _LOADED[library]
    loader = importlib.machinery.ExtensionFileLoader(module_name, str(library))
    spec = importlib.util.spec_from_file_location(module_name, library, loader=loader)
    if spec is None:
        raise MojoBuildError(mojo_file, f"cannot make an import spec for {library}")
    try:
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except ImportError as error:
        hint = (
            f'{error}\nThe file must define `@export def PyInit_{module_name}() abi("C") '
            f'-> PythonObject` returning PythonModuleBuilder("{module_name}")...finalize().'
        )
        raise MojoBuildError(mojo_file, hint) from None
    _LOADED[library] = module
    return module


def build_and_import(mojo_file: Path, module_name: str | None = None) -> ModuleType:
    """Compile ``mojo_file`` (unless this exact source was built before) and import it.

    ``module_name`` defaults to the file's stem and must match the ``PyInit_<name>`` the file
    exports. Bad input raises as :func:`build` and :func:`load_library` describe.
    """
    if os.environ.get("GRADER_VERIFIER"):  # the class autograder's verifier never compiles:
        from grader.classgrade.remote import remote_build  # built in the sandboxed worker

        return remote_build("mojo", mojo_file, module_name)  # type: ignore[return-value]
    source = _checked_source(mojo_file)
    name = _module_name(source, module_name)
    return load_library(build(source, name), name, source)


def run_file(mojo_file: Path, timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """``mojo run mojo_file`` with the cache environment; output captured as text.

    A missing file raises FileNotFoundError; a compile error is a non-zero ``returncode``
    (pass ``stderr`` to :func:`trim_diagnostics`); a hang raises subprocess.TimeoutExpired.
    """
    source = _checked_source(mojo_file)
    return _mojo(["run", str(source)], timeout)
