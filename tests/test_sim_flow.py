"""Tests of the RTL flow itself (sim/ and verif/), with a tiny adder of our own.

Covers: the build cache (second build is a hit), the per-key lock (two processes, one
compile), killed-build safety (a killed build leaves nothing that looks valid), a toy unit
added by one registry entry and run through ``lowbit sim`` (JUnit XML, FST, a mismatch
reported with inputs in hex, expected, got, seed and replay command, the request file of a
failing run), the run protocol (JSON round trip, stable keys, job files without pickle, a
replay from the request file in a fresh process, bit for bit), no process-wide state left
changed by a run, and the CLI's exit codes and one-line errors. The Verilator tests carry
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
from sim import cli
from sim.build import _MARKER, build, cache_root
from sim.protocol import RunRequest
from sim.run import run
from sim.units import Unit, register, unregister
from verif.jobfile import load_job, save_job
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
               checks={"sum": Check.integers(s, width=width)})


TOY = Unit(name="toy_add", family="test", summary="16-bit adder, latency 2 (a test's unit)",
           takes=lambda s: s.kind == "int", vectors="1,000 random pairs",
           component=lambda req: RegAdd(bug=req.mutation == "plus_one"),
           job=lambda req: _adder_job(req.vectors or 1000, req.seed),
           mutations=lambda s: ("plus_one",))


@pytest.fixture
def toy_unit() -> Unit:
    """The toy unit, registered by its one entry for the test's duration."""
    register(TOY)
    yield TOY
    unregister(TOY.name)


@pytest.fixture
def cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, private build cache (``LOWBIT_CACHE``) for the test's duration only: the
    toy builds stay out of the suite's cache, and tests without this fixture (the int8 MAC
    replay) keep sharing the suite's cache with ``test_rtl_units``."""
    root = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("LOWBIT_CACHE", str(root))
    return root


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


def test_scoreboard_digest_names_the_outputs() -> None:
    chk = Check.integers([1, 2, 3])

    def digest(got: list[int], port: str = "x") -> str:
        sb = Scoreboard(inputs={"a": [0, 0, 0]}, checks={port: chk}, seed=1, replay="r")
        sb.compare(port, got)
        return sb.summary()["outputs_sha256"]

    assert digest([1, 2, 3]) == digest([1, 2, 3])
    assert len({digest([1, 2, 3]), digest([1, 2, 4]), digest([1, 2]), digest([1, 2, 3], "y"),
                digest([3, 2, 1])}) == 5


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
def test_toy_unit_runs_through_lowbit_sim(cache: Path, toy_unit: Unit, tmp_path: Path,
                                          capsys: pytest.CaptureFixture) -> None:
    before_env, before_path = dict(os.environ), list(sys.path)
    code = cli.main(["sim", "--format", "int8", "--unit", "toy_add", "--seed", "11",
                     "--vectors", "3000", "--waves", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert dict(os.environ) == before_env and sys.path == before_path  # nothing left changed
    assert "PASS" in out and "toy_add" in out
    run_dir = Path(out.split("request: ")[1].split()[0]).parent
    res = json.loads((run_dir / "result.json").read_text())
    assert res["vectors"] == 3000 and res["mismatches"] == 0, res
    assert res["cycles"] == 3000 + 2  # one output per input, latency 2
    suites = ET.parse(run_dir / "results.xml").getroot()
    cases = list(suites.iter("testcase"))
    assert len(cases) == 1 and not list(cases[0].iter("failure")), ET.tostring(suites)
    fst = run_dir / "waves.fst"
    assert fst.is_file() and fst.stat().st_size > 100
    assert fst.read_bytes()[:1] == b"\x00"  # FST header block type 0


@pytest.mark.rtl
def test_mismatch_is_reported_with_request_file(cache: Path, toy_unit: Unit, tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    code = cli.main(["sim", "--format", "int8", "--unit", "toy_add", "--seed", "5",
                     "--vectors", "200", "--mutation", "plus_one", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1 and "FAIL" in out, out
    rep = next(line for line in out.splitlines() if line.startswith("MISMATCH"))
    for part in ("inputs a=0x", "expected 0x", "got 0x", "seed 5",
                 "lowbit sim --format int8 --unit toy_add --seed 5 --vectors 200 "
                 "--mutation plus_one"):
        assert part in rep, rep
    request = Path(out.split("request: ")[1].split()[0])
    assert f"lowbit sim --request {request}" in out
    req = RunRequest.from_json(request.read_text())
    assert (req.unit, req.mutation, req.seed, req.vectors) == ("toy_add", "plus_one", 5, 200)
    res = json.loads((request.parent / "result.json").read_text())
    assert res["mismatches"] == 200 and res["vectors"] == 200


@pytest.mark.rtl
def test_replay_from_request_file_in_a_fresh_process(tmp_path: Path) -> None:
    # int8 MAC: the same design as the registry's quick case, so the build is shared
    first = run(RunRequest(unit="", format="int8", seed=9), out=tmp_path / "a")
    assert first.passed and first.request.unit == "mac"
    p = subprocess.run([PY, "-m", "sim", "sim", "--request", first.request_file, "--json",
                        "--out", str(tmp_path / "b")], cwd=REPO, capture_output=True,
                       text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stderr[-2000:]
    again = json.loads(p.stdout)
    assert again["request"] == first.request.to_dict()
    assert again["outputs_sha256"] == first.outputs_sha256  # every output, bit for bit
    for k in ("vectors", "mismatches", "cycles"):
        assert again[k] == getattr(first, k), k


_BUILD_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {tests!r})
    from test_sim_flow import RegAdd
    from sim.build import build
    r = build(RegAdd(width={width}), "regadd_lock")
    print(json.dumps({{"cached": r.cached, "dir": str(r.build_dir)}}))
""")


def _spawn_build(root: Path, width: int, *, compile_all: bool = False) -> subprocess.Popen:
    env = dict(os.environ, LOWBIT_CACHE=str(root))
    if compile_all:  # no runtime objects from the conftest's OBJCACHE: a full-length compile
        env.pop("OBJCACHE", None)
    code = _BUILD_SCRIPT.format(tests=str(Path(__file__).parent), width=width)
    return subprocess.Popen([PY, "-c", code], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)


def _build_out(proc: subprocess.Popen) -> dict:
    return json.loads(proc.communicate(timeout=600)[0].strip().splitlines()[-1])


@pytest.mark.rtl
def test_build_cache_kill_lock_and_hit(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The build cache's life in one fresh cache, two designs, two compiles (a compile is
    most of a test's time, so the steps share them): a build killed while compiling leaves
    no valid entry; two processes building the same design at once compile it once; a
    builder after the kill compiles (an entry without its marker is never trusted) and
    deletes the killed build's temp dir; a build of either design from this process is
    then a hit, and the two (same toplevel, different Verilog) are different entries."""
    # killed-build safety: the build and its compiler children killed mid-compile
    proc = _spawn_build(tmp_path, 10, compile_all=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob(".tmp-regadd_lock-*/Vtop.mk")):
        time.sleep(0.2)
    assert list(tmp_path.glob(".tmp-regadd_lock-*")), "the build never started compiling"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    entries = [p for p in tmp_path.glob("regadd_lock-*") if p.is_dir()]
    assert entries == [], f"a killed build left {entries}"

    # the per-key lock: two builders of another design at once, one compile
    outs = [_build_out(p) for p in [_spawn_build(tmp_path, 12) for _ in range(2)]]
    assert sorted(o["cached"] for o in outs) == [False, True], outs
    assert outs[0]["dir"] == outs[1]["dir"]
    assert (Path(outs[0]["dir"]) / _MARKER).is_file()

    # an entry without its marker is never trusted: the killed design is compiled afresh
    out = _build_out(_spawn_build(tmp_path, 10))
    assert out["cached"] is False
    assert (Path(out["dir"]) / _MARKER).is_file()
    assert not list(tmp_path.glob(".tmp-regadd_lock-*")), "stale temp dir not cleaned"

    # the build cache: a second build (here from another process) is a hit; different
    # Verilog under the same toplevel is a different entry
    monkeypatch.setenv("LOWBIT_CACHE", str(tmp_path))
    hit = build(RegAdd(width=12), "regadd_lock")
    assert hit.cached and str(hit.build_dir) == outs[0]["dir"], (hit, outs)
    other = build(RegAdd(width=10), "regadd_lock")
    assert other.cached and str(other.build_dir) == out["dir"], (other, out)
    assert other.key != hit.key and other.build_dir != hit.build_dir


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


# ----- run protocol, job files, lowbit units (fast) --------------------------------------------

def test_request_json_round_trip_and_stable_key() -> None:
    req = RunRequest(unit="dot", format="mxfp4", format_b="mxfp8_e4m3", seed=3, vectors=10,
                     lanes=4, array=None, mutation="truncate")
    again = RunRequest.from_json(req.to_json())
    assert again == req and again.key() == req.key()
    assert req.key().startswith("dot-mxfp4_x_mxfp8_e4m3-")
    assert req.with_(progress=500).key() == req.key()  # progress changes no result
    for change in ({"seed": 4}, {"vectors": 11}, {"lanes": 8}, {"mutation": None},
                   {"waves": True}, {"array": (2, 2)}, {"format_b": None}, {"level": "gate"}):
        assert req.with_(**change).key() != req.key(), change


@pytest.mark.parametrize("text", ['{"unit": "mac"}', '{"unit": "mac", "format": "int8", '
                                  '"speed": 3}', "[1, 2]", "not json",
                                  '{"unit": "mac", "format": "int8", "seed": "x"}',
                                  '{"unit": "mac", "format": "int8", "level": "spice"}'])
def test_bad_request_is_one_line_error(text: str) -> None:
    with pytest.raises(ValueError) as exc:
        RunRequest.from_json(text)
    assert len(str(exc.value).splitlines()) == 1


def test_job_file_round_trip_without_pickle(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    wide = [int(x) for x in rng.integers(0, 1 << 62, 40)]
    wide = [w << 200 | 0xABC for w in wide]  # 262-bit packed ports
    chk = Check(bits=rng.integers(0, 1 << 32, 40, dtype=np.uint64), nan_class=rng.random(40) < .5)
    job = Job(inputs={"a": wide, "i_first": [1, 0] * 20},
              checks={"acc": chk, "n": Check.integers(range(40), width=8)}, latency=6)
    back = load_job(save_job(job, tmp_path / "job.npz"))
    assert back.inputs == job.inputs and back.latency == 6
    for port, c in job.checks.items():
        b = back.checks[port]
        assert np.array_equal(b.bits, c.bits) and np.array_equal(b.nan_class, c.nan_class)
        assert (b.width, b.exp_bits, b.man_bits) == (c.width, c.exp_bits, c.man_bits)
    with np.load(tmp_path / "job.npz", allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)


def test_cli_units_json_and_markdown() -> None:
    p = _cli("units", "--json")
    assert p.returncode == 0, p.stderr
    rows = {r["unit"]: r for r in json.loads(p.stdout)}
    assert {"add", "mul", "mac", "dot", "codec", "round", "array", "lut", "lut_mac"} <= set(rows)
    assert "mxfp4" in rows["dot"]["formats"] and "nvfp4" in rows["dot"]["formats"]
    assert rows["array"]["cycle_model"] == "array" and rows["lut_mac"]["cycle_model"] == "lut_mac"
    assert "posit8" in rows["mac"]["formats"] and "fp8_e4m3" in rows["mac"]["formats"]


def test_readme_unit_table_is_the_registry() -> None:
    text = (REPO / "README.md").read_text()
    start = text.index("<!-- units:begin -->") + len("<!-- units:begin -->")
    table = text[start:text.index("<!-- units:end -->")].strip()
    assert table == cli.units_markdown(), "README's unit table differs from `lowbit units " \
                                          "--markdown`: paste its output between the markers"


def test_posit_of_any_size_has_units() -> None:
    from sim.units import resolve, units_for

    assert [u.name for u in units_for("posit12_es1")] == ["mac", "codec", "round"]
    unit, req = resolve(RunRequest(unit="", format="posit12_es1"))
    assert unit.name == "mac" and req.unit == "mac"
    assert units_for("posit32") == []


@pytest.mark.parametrize("args,words", [
    (("sim", "--request", "/nonexistent/request.json"), ["cannot read"]),
    (("sim", "--request", "README.md"), ["bad request file"]),
    (("sim", "--format", "int8", "--array", "4by4"), ["4x4"]),
    (("sim", "--format", "int8", "--unit", "mac", "--array", "2x2"), ["not an array"]),
    (("sim", "--format", "posit32"), ["no unit takes format"]),
    (("sim", "--format", "mxfp4", "--format-b", "int8"), ["cannot pair", "mxfp8_e4m3"]),
    (("sim",), ["--format"]),
])
def test_cli_bad_input_one_line_exit_2(args: tuple[str, ...], words: list[str]) -> None:
    p = _cli(*args)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    for w in words:
        assert w in lines[0], lines[0]
