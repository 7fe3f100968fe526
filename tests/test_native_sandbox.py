"""grader.native.sandboxing: building and loading native code inside grader.sandbox, offline.

The sandbox tests run under bubblewrap (GRADER_SANDBOX_KIND=bubblewrap: they fail rather
than degrade) with only the grader package readable, as the class autograder runs a
submission, plus what ``native_sandbox`` adds. The project root is not visible there, so
they also prove that grader.native finds every cache through the GRADER_* variables.

The slow Rust test builds the store of compiled dependencies on first use (a few minutes on
two cores, once per toolchain and lock file; later runs reuse ``.cache/cargo/sandbox-deps``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

import grader
from grader.native import mojo, rust, sandboxing
from grader.native.sandboxing import NativeToolchainMissing, native_sandbox
from grader.sandbox import GiB, Limits, MiB, probe_bwrap, run_sandboxed

ROOT = Path(__file__).resolve().parents[1]
CRATES = ROOT / "solutions" / "05_rust_clones" / "crates"
MOJO_SOLUTION = ROOT / "solutions" / "04_simd" / "sum_array.mojo"
PACKAGE_DIR = Path(grader.__file__).resolve().parent
# As grader/classgrade/job.py's JobSpec, with room for rustc's threads.
LIMITS = Limits(cpu_seconds=900, memory_bytes=4 * GiB, max_file_bytes=64 * MiB)


def _rust_missing() -> str | None:
    if importlib.util.find_spec("maturin") is None:
        return "maturin is not installed"
    try:
        sandboxing.rust_toolchain()
    except FileNotFoundError as exc:
        return f"no Rust toolchain: {exc}"
    if not (sandboxing.shared_cargo_home() / "registry").is_dir():
        return "the cargo registry cache is empty: build a crate once (it needs the network)"
    return None


needs_bwrap = pytest.mark.skipif(not probe_bwrap().ok, reason=probe_bwrap().detail)
needs_rust = pytest.mark.skipif(_rust_missing() is not None, reason=str(_rust_missing()))
needs_mojo = pytest.mark.skipif(not mojo.mojo_available(), reason="Mojo is not installed")


@pytest.fixture
def bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SANDBOX_KIND", "bubblewrap")


def _sandboxed(script: str, work: Path, native: sandboxing.NativeSandbox,
               timeout: float = 600) -> dict:
    """Run ``script`` in the sandbox; it prints one JSON line last, which is returned."""
    result = run_sandboxed(
        [sys.executable, "-c", textwrap.dedent(script)], workdir=work,
        readable=[PACKAGE_DIR, *native.readable], writable=[work, *native.writable],
        limits=LIMITS, env=native.env, timeout=timeout)
    assert result.sandbox_kind == "bubblewrap"
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(folder)}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# ----------------------------------------------------------------------------- fast tests


def test_overrides_need_no_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_root(start: Path | None = None) -> Path:
        raise FileNotFoundError("no pyproject.toml")

    monkeypatch.setattr(rust, "project_root", no_root)
    monkeypatch.setenv(rust.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(rust.CARGO_HOME_ENV, str(tmp_path / "home"))
    monkeypatch.setenv(rust.TARGET_DIR_ENV, str(tmp_path / "targets"))
    assert rust.cargo_cache() == tmp_path / "cache"
    env = rust.cargo_env(None, "users")
    assert env["CARGO_HOME"] == str(tmp_path / "home")
    assert env["CARGO_TARGET_DIR"] == str(tmp_path / "targets" / "users")


def test_defaults_stay_in_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (rust.CACHE_ENV, rust.CARGO_HOME_ENV, rust.TARGET_DIR_ENV):
        monkeypatch.delenv(name, raising=False)
    assert rust.cargo_cache() == ROOT / ".cache" / "cargo"
    assert rust.cargo_env(None, "stats")["CARGO_TARGET_DIR"] == str(
        ROOT / ".cache" / "cargo" / "target" / "stats")


def test_unsupported_toolchain_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fortran"):
        native_sandbox(["fortran"], tmp_path / "scratch")


def test_go_gets_its_toolchain_and_a_read_only_build_cache(tmp_path: Path) -> None:
    from grader.golang.toolchain import BUILD_CACHE_ENV_VAR, CACHE_ENV_VAR, toolchain

    native = native_sandbox(["go"], tmp_path / "scratch")
    assert toolchain().goroot in native.readable
    build_cache = Path(native.env[BUILD_CACHE_ENV_VAR])
    assert build_cache in native.readable and build_cache not in native.writable
    assert Path(native.env[CACHE_ENV_VAR]).is_relative_to(tmp_path / "scratch")


def test_declared_mojo_must_be_installed(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(mojo.DISABLE_VARIABLE, "1")
    with pytest.raises(NativeToolchainMissing, match="Mojo is not installed"):
        native_sandbox(["mojo"], tmp_path / "scratch")
    plain = native_sandbox([], tmp_path / "scratch")  # optional Mojo: nothing to set up
    assert "MODULAR_HOME" not in plain.env and plain.writable == [tmp_path / "scratch"]


@needs_mojo
def test_mojo_caches_go_to_scratch(tmp_path: Path) -> None:
    native = native_sandbox([], tmp_path / "scratch")  # set up even when not declared
    assert native.env["MODULAR_HOME"] == str(tmp_path / "scratch" / "mojo" / "home")
    assert native.env["GRADER_MOJO_CACHE"] == str(tmp_path / "scratch" / "mojo")
    assert native.env["MODULAR_TELEMETRY_ENABLED"] == "0"
    assert native.readable == []


@needs_rust
def test_rust_shows_the_toolchain_and_the_registry_only(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    native = native_sandbox(["rust"], scratch)
    sysroot = sandboxing.rust_toolchain()
    home = sandboxing.shared_cargo_home()
    assert sysroot / "bin" in native.readable and sysroot / "lib" in native.readable
    assert home / "registry" in native.readable
    assert home not in native.readable  # config.toml, credentials.toml stay hidden
    assert not any(p in (Path.home(), Path.home() / ".cargo", Path.home() / ".rustup")
                   for p in native.readable)
    assert native.writable == [scratch]
    assert native.env["PATH"].split(":")[0] == str(sysroot / "bin")
    assert native.env["CARGO_NET_OFFLINE"] == "true"
    assert native.env[rust.CARGO_HOME_ENV] == str(home)
    for name in (rust.CACHE_ENV, rust.TARGET_DIR_ENV):
        assert Path(native.env[name]).is_relative_to(scratch)
    assert any("from scratch" in note for note in native.notes)


@needs_rust
def test_dependency_store_needs_only_the_manifests(tmp_path: Path) -> None:
    """A source folder without the files learners edit gives the same store, built from
    copies with an empty library: no model solution is ever compiled into it."""
    partial = tmp_path / "crates"
    shutil.copytree(CRATES, partial, ignore=shutil.ignore_patterns("target"))
    for crate in ("users", "report", "stats"):
        (partial / crate / "src" / "lib.rs").unlink()
    full, cut = (sandboxing._extension_crates([folder]) for folder in (CRATES, partial))
    assert [c.name for c in cut] == ["report", "stats", "users"]  # not alloc_counter
    toolchain, home = sandboxing.rust_toolchain(), sandboxing.shared_cargo_home()
    assert sandboxing._store_key(full, toolchain, home) == \
        sandboxing._store_key(cut, toolchain, home)
    copies = sandboxing._stubbed_copies(cut, tmp_path / "copies")
    for copy in copies:
        assert (copy / "src" / "module.rs").read_text().startswith("// grader.native")
        assert (copy / "Cargo.lock").read_bytes() == (CRATES / copy.name / "Cargo.lock"
                                                      ).read_bytes()
    alloc_counter = copies[0].parent / "alloc_counter" / "src" / "lib.rs"  # a path dependency
    assert alloc_counter.read_bytes() == (CRATES / "alloc_counter" / "src" / "lib.rs"
                                          ).read_bytes()


@needs_bwrap
@needs_rust
def test_shared_registry_is_read_only_inside(tmp_path: Path, bubblewrap: None) -> None:
    work = tmp_path / "work"
    work.mkdir()
    native = native_sandbox(["rust"], tmp_path / "scratch")
    home = sandboxing.shared_cargo_home()
    sysroot = sandboxing.rust_toolchain()
    sources = next((home / "registry" / "src").iterdir())
    crate = next(p for p in sources.iterdir() if p.is_dir())
    some_file = next(p for p in crate.rglob("*.rs"))
    before = some_file.read_bytes()
    found = _sandboxed(f"""
        import json, os, shutil
        home, crate, some_file = {str(home)!r}, {str(crate)!r}, {str(some_file)!r}
        attempts = {{
            "new file in the sources": lambda: open(os.path.join(crate, "planted.rs"), "w"),
            "overwrite a source file": lambda: open(some_file, "r+b").write(b"poison"),
            "remove a source file": lambda: os.remove(some_file),
            "rename the crate": lambda: os.rename(crate, crate + ".old"),
            "plant a cargo config": lambda: open(os.path.join(home, "config.toml"), "w"),
            "replace the registry": lambda: shutil.rmtree(os.path.join(home, "registry")),
        }}
        refused = {{}}
        for what, attempt in attempts.items():
            try:
                attempt()
                refused[what] = False
            except OSError:
                refused[what] = True
        print(json.dumps({{"refused": refused, "home": sorted(os.listdir(home)),
                          "project": os.path.exists({str(ROOT / "pyproject.toml")!r}),
                          "toolchains": os.listdir({str(sysroot.parent)!r}),
                          "sysroot": sorted(os.listdir({str(sysroot)!r})),
                          "rustup": os.path.exists({str(Path.home() / ".cargo" / "bin")!r})}}))
    """, work, native)
    assert all(found["refused"].values()), found["refused"]
    assert set(found["home"]) <= set(sandboxing.CARGO_HOME_PARTS)
    assert not found["project"] and not found["rustup"]
    assert found["toolchains"] == [sysroot.name] and found["sysroot"] == ["bin", "lib"]
    assert some_file.read_bytes() == before


# ----------------------------------------------------------------------------- slow tests


@pytest.mark.slow
@needs_bwrap
@needs_rust
def test_sandboxed_build_reuses_dependencies_without_sharing_them(
        tmp_path: Path, bubblewrap: None) -> None:
    work = tmp_path / "work"
    for crate in ("users", "alloc_counter"):
        shutil.copytree(CRATES / crate, work / "crates" / crate,
                        ignore=shutil.ignore_patterns("target"))
    store = sandboxing.prebuild_dependencies([CRATES])
    assert not list(store.rglob("libusers*")), "the model's own library must not be shared"
    stored = _tree_digest(store / "users")
    scratch = tmp_path / "scratch"
    native = native_sandbox(["rust"], scratch, crates=[CRATES])
    found = _sandboxed("""
        import glob, json, os
        from grader.native import build
        users = build("users", raise_error=True, quiet=True)
        table = users.UserTable([(1, "ann"), (2, "bob"), (2, "eve")])
        deps = os.path.join(os.environ["GRADER_NATIVE_TARGET_DIR"], "users", "release", "deps")
        pyo3 = {os.path.basename(p): os.stat(p).st_mtime_ns
                for p in glob.glob(os.path.join(deps, "libpyo3-*.rlib"))}
        poisoned = 0
        for folder, _, files in os.walk(os.path.dirname(deps)):
            for name in files:
                with open(os.path.join(folder, name), "r+b") as handle:
                    handle.write(b"poison")
                    poisoned += 1
        print(json.dumps({"name": users.get_user_name(table, 2),
                          "missing": users.get_user_name(table, 3),
                          "library": users.__file__, "pyo3": pyo3, "poisoned": poisoned}))
    """, work, native)
    assert found["name"] == "bob" and found["missing"] is None
    assert Path(found["library"]).is_relative_to(scratch)  # the build cache is per run
    # pyo3 came from the store: cargo found it fresh and never compiled it again.
    assert found["pyo3"]
    for name, mtime in found["pyo3"].items():
        assert (store / "users" / "release" / "deps" / name).stat().st_mtime_ns == mtime
    # Writing through every file of its copy changed nothing in the store.
    assert found["poisoned"] > 100
    assert _tree_digest(store / "users") == stored


@pytest.mark.slow
@needs_bwrap
@needs_mojo
def test_mojo_builds_and_imports_in_the_sandbox(tmp_path: Path, bubblewrap: None) -> None:
    work = tmp_path / "work"
    work.mkdir()
    for source in MOJO_SOLUTION.parent.glob("*.mojo"):  # sum_array.mojo and its imports
        shutil.copy(source, work / source.name)
    scratch = tmp_path / "scratch"
    native = native_sandbox(["mojo"], scratch)
    found = _sandboxed(f"""
        import json, math
        import numpy as np
        from grader.native.mojo import build_and_import
        module = build_and_import({MOJO_SOLUTION.name!r})
        data = np.arange(1.0, 1001.0)
        print(json.dumps({{"sum": module.sum_array(data), "exact": math.fsum(data),
                          "library": module.__file__}}))
    """, work, native)
    assert found["sum"] == found["exact"]
    assert Path(found["library"]).is_relative_to(scratch / "mojo")
    assert not (work / ".cache").exists()  # nothing fell back to the working folder
