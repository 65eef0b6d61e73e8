"""Tests of the RTL flow itself (sim/ and verif/), with a tiny registered adder of our own.

Covers: the build cache (second build is a hit), the per-key lock (two processes, one
compile), killed-build safety (a killed build leaves nothing that looks valid), JUnit XML
and FST outputs, the scoreboard reporting a mismatch (inputs in hex, expected, got, seed,
replay command), and the CLI's exit codes and one-line errors. The Verilator tests carry
the ``rtl`` marker; the rest are plain and fast.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.common.packing import pack_lanes
from sim.build import _MARKER, build, cache_root
from sim.run import simulate
from verif.jobs import Job
from verif.scoreboard import Check, Scoreboard

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


class RegAdd(wiring.Component):
    """``sum = a + b`` (mod 2^width), ``latency`` register stages, valid-only stream."""

    def __init__(self, *, width: int = 16, latency: int = 2, bug: bool = False) -> None:
        self.width, self.latency, self.bug = width, latency, bug
        super().__init__({"i_valid": In(1), "a": In(width), "b": In(width),
                          "o_valid": Out(1), "sum": Out(width)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        v, s = self.i_valid, (self.a + self.b + int(self.bug))[:self.width]
        for i in range(self.latency):
            nv, ns = Signal(name=f"v{i}"), Signal(self.width, name=f"s{i}")
            m.d.sync += [nv.eq(v), ns.eq(s)]
            v, s = nv, ns
        m.d.comb += [self.sum.eq(s), self.o_valid.eq(v)]
        return m


def _adder_job(n: int, seed: int, width: int = 16) -> Job:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << width, n, dtype=np.uint64)
    b = rng.integers(0, 1 << width, n, dtype=np.uint64)
    s = (a + b) & ((1 << width) - 1)  # the oracle: plain integer addition
    return Job(inputs={"a": a.tolist(), "b": b.tolist()},
               checks={"sum": Check(bits=s, nan_class=np.zeros(n, bool), width=width,
                                    exp_bits=0, man_bits=0)})


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cache")
    old = os.environ.get("LOWBIT_CACHE")
    os.environ["LOWBIT_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("LOWBIT_CACHE", None)
    else:
        os.environ["LOWBIT_CACHE"] = old


# ----- fast tests (no Verilator) ------------------------------------------------------------

def test_scoreboard_nan_class_and_report() -> None:
    exp = np.array([0x3F800000, 0x7FC00000, 0x00000000], dtype=np.uint64)
    chk = Check(bits=exp, nan_class=np.array([False, True, False]))
    sb = Scoreboard(inputs={"a": [1, 2, 3]}, checks={"acc": chk}, seed=7,
                    replay="lowbit sim --format fp8_e4m3 --seed 7")
    # any NaN passes where golden is NaN; -0 is not +0
    assert sb.compare("acc", [0x3F800000, 0xFFC00001, 0x80000000]) == 1
    assert sb.vectors == 3 and sb.mismatches == 1
    line = sb.summary()["reports"][0]
    for part in ("vector 2", "a=0x3", "expected 0x00000000", "got 0x80000000", "seed 7",
                 "lowbit sim --format fp8_e4m3 --seed 7"):
        assert part in line, line


def test_scoreboard_counts_missing_outputs() -> None:
    chk = Check(bits=np.array([1, 2, 3], np.uint64), nan_class=np.zeros(3, bool),
                exp_bits=0, man_bits=0)
    sb = Scoreboard(inputs={"a": [0, 0, 0]}, checks={"x": chk}, seed=1, replay="r")
    assert sb.compare("x", [1]) == 2
    assert "no o_valid" in sb.summary()["reports"][0]


def test_scoreboard_nan_where_golden_is_not() -> None:
    chk = Check(bits=np.array([0x7F800000], np.uint64), nan_class=np.array([False]))
    sb = Scoreboard(inputs={"a": [0]}, checks={"x": chk}, seed=1, replay="r")
    assert sb.compare("x", [0x7FC00000]) == 1  # Inf expected, NaN got


@pytest.mark.parametrize("width,lanes", [(4, 16), (6, 32), (8, 3), (1, 5), (32, 2)])
def test_pack_lanes(width: int, lanes: int) -> None:
    rng = np.random.default_rng(width * 100 + lanes)
    codes = rng.integers(0, 1 << width, size=(50, lanes), dtype=np.uint64)
    got = pack_lanes(codes, width)
    for row, g in zip(codes, got, strict=True):
        want = sum(int(c) << (i * width) for i, c in enumerate(row))
        assert g == want, f"lanes {[hex(int(c)) for c in row]}: expected {want:#x}, got {g:#x}"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "sim", *args], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_cli_unknown_format_one_line_exit_2() -> None:
    p = _cli("sim", "--format", "fp9_e9m9")
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "fp9_e9m9" in lines[0] and "mxfp4" in lines[0] and "nvfp4" in lines[0]
    assert "Traceback" not in p.stderr


def test_cli_unknown_unit_one_line_exit_2() -> None:
    p = _cli("sim", "--format", "mxfp4", "--unit", "mac")
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "dot" in lines[0], p.stderr


def test_cli_bad_argument_exit_2() -> None:
    p = _cli("sim", "--format", "mxfp4", "--vectors", "many")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr


# ----- Verilator tests -----------------------------------------------------------------------

@pytest.mark.rtl
def test_build_cache_hit(cache: Path) -> None:
    first = build(RegAdd(), "regadd")
    assert (first.build_dir / _MARKER).is_file()
    second = build(RegAdd(), "regadd")
    assert second.cached and second.build_dir == first.build_dir
    assert second.seconds < 5, f"cache hit took {second.seconds:.1f} s"
    other = build(RegAdd(latency=3), "regadd")  # different Verilog -> different entry
    assert other.key != first.key


@pytest.mark.rtl
def test_stream_and_outputs(cache: Path, tmp_path: Path) -> None:
    job = _adder_job(3000, seed=11)
    res, _b, junit, fst = simulate(RegAdd(), "regadd", "verif.tb_job", job=job, waves=True,
                                  env={"LOWBIT_SEED": "11"}, run_dir=tmp_path / "run")
    assert res["vectors"] == 3000 and res["mismatches"] == 0, res
    suites = ET.parse(junit).getroot()
    cases = list(suites.iter("testcase"))
    assert len(cases) == 1 and not list(cases[0].iter("failure")), ET.tostring(suites)
    assert fst is not None and fst.is_file() and fst.stat().st_size > 100
    assert fst.read_bytes()[:1] == b"\x00"  # FST header block type 0


@pytest.mark.rtl
def test_mismatch_is_reported(cache: Path, tmp_path: Path) -> None:
    job = _adder_job(200, seed=5)
    res, *_ = simulate(RegAdd(bug=True), "regadd_bug", "verif.tb_job", job=job,
                       env={"LOWBIT_SEED": "5", "LOWBIT_REPLAY": "lowbit sim --seed 5"},
                       run_dir=tmp_path / "run")
    assert res["mismatches"] == 200 and res["vectors"] == 200
    rep = res["reports"][0]
    assert "inputs a=0x" in rep and "expected 0x" in rep and "seed 5" in rep
    assert "lowbit sim --seed 5" in rep


_BUILD_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {tests!r})
    from test_sim_flow import RegAdd
    from sim.build import build
    r = build(RegAdd(width={width}), "regadd_lock")
    print(json.dumps({{"cached": r.cached, "dir": str(r.build_dir)}}))
""")


def _spawn_build(root: Path, width: int) -> subprocess.Popen:
    env = dict(os.environ, LOWBIT_CACHE=str(root))
    code = _BUILD_SCRIPT.format(tests=str(Path(__file__).parent), width=width)
    return subprocess.Popen([PY, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)


@pytest.mark.rtl
def test_two_builds_at_once_compile_once(tmp_path: Path) -> None:
    procs = [_spawn_build(tmp_path, 12) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in procs]
    assert sorted(o["cached"] for o in outs) == [False, True], outs
    assert outs[0]["dir"] == outs[1]["dir"]


@pytest.mark.rtl
def test_killed_build_leaves_no_valid_entry(tmp_path: Path) -> None:
    proc = _spawn_build(tmp_path, 10)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".tmp-regadd_lock-*/Vtop.mk")):
        time.sleep(0.2)
    assert list(tmp_path.glob(".tmp-regadd_lock-*")), "the build never started compiling"
    os.killpg(proc.pid, signal.SIGKILL)  # the build and its compiler children
    proc.wait(timeout=60)
    entries = [p for p in tmp_path.glob("regadd_lock-*") if p.is_dir()]
    assert entries == [], f"a killed build left {entries}"
    # an entry without its marker is never trusted
    fresh = _spawn_build(tmp_path, 10)
    out = json.loads(fresh.communicate(timeout=600)[0].strip().splitlines()[-1])
    assert out["cached"] is False
    assert (Path(out["dir"]) / _MARKER).is_file()
    assert not list(tmp_path.glob(".tmp-regadd_lock-*")), "stale temp dir not cleaned"


def test_cache_root_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOWBIT_CACHE", str(tmp_path))
    assert cache_root() == tmp_path.resolve()
    monkeypatch.delenv("LOWBIT_CACHE")
    assert cache_root() == REPO / "sim_build"


def test_cli_unknown_mutation_exit_2() -> None:
    p = _cli("sim", "--format", "fp32", "--unit", "add", "--mutation", "nonsense")
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "nonsense" in lines[0] and "truncate" in lines[0], p.stderr


def test_cli_lanes_only_for_dot() -> None:
    p = _cli("sim", "--format", "int8", "--lanes", "4")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
