"""Buffer traffic (models/traffic.py) against the buffer-port events of Verilator runs.

The RTL tests run several GEMMs per design through ``tests/traffic_tb.py`` and compare
every count with :func:`models.traffic.engine_traffic`:

- the PE array (``ArrayEngine``, 2 x 2, int8 and mxfp4 with 4 lanes): the reads the
  controller issues (its ``step`` signal) and the address each one read (the testbench
  tags every buffer word with its address and reads the tag the array receives), the C
  write-port enables and addresses, and the words loaded and read back. Shapes give
  several m- and n-tiles, M and N not multiples of the array, K not a multiple of the
  lanes, and ``ii`` both above ``S`` (stall cycles) and equal to it;
- the LUT tensor core (int2 weights: two bit-planes per k-group) on a 4 x 2 array and its
  MAC baseline on 2 x 2: the ``a_rd``/``w_rd`` enables with their addresses and the
  ``o_valid`` writes; K below and above ``g``, tiles with and without bubbles. Its outputs
  are scored against golden too.

So that agreement is not vacuous, each run also checks the counts the obvious wrong
schedules give differ: reading each A word once (no re-reads across n-tiles), reading
once per bit-plane, or reading every cycle of the run (the array's input word must hold on
every cycle without a step: its memories' read enable is the step).
"""

from __future__ import annotations

import gc
import json
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from models.traffic import (
    KEYS,
    a_word_bits,
    b_word_bits,
    c_word_bits,
    engine_traffic,
    word_bits,
)


def _simulate(component: object, toplevel: str, spec: dict, run_dir: Path,
              probes: tuple[str, ...] = ()) -> list[dict]:
    """Build (cached; ``probes``: internal signals made visible) and run traffic_tb."""
    from sim.build import build
    from sim.run import simulate

    built = build(component, toplevel, public_signals=probes)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "traffic.json").write_text(json.dumps(spec))
    res, _, _ = simulate(built, "traffic_tb", run_dir, quiet=True)
    return res["gemms"]


def _model(engine: str, shape: tuple[int, int, int], rows: int, cols: int,
           **kw: int) -> dict[str, int]:
    return {k: int(v) for k, v in engine_traffic(engine, *shape, rows, cols, **kw).items()}


# ----- the PE array ------------------------------------------------------------------------

ARRAY_PROBES = ("step", "a_in", "b_in", "c_wr__en", "c_wr__addr")
"""The engine's internal signals the testbench reads: the controller's read issue, the
memories' read data (the PE array's inputs) and the C write port."""
ARRAY_CASES = {  # format, lanes: (M, K, N) on 2 x 2
    ("int8", 1): [(3, 5, 3), (2, 2, 5), (5, 3, 2), (1, 1, 1)],
    ("mxfp4", 4): [(3, 10, 3), (2, 17, 5), (1, 4, 1)],
}


@pytest.mark.rtl
@pytest.mark.parametrize(("fmt", "lanes"), list(ARRAY_CASES), ids=lambda v: str(v))
def test_array_traffic_equals_rtl_ports(fmt: str, lanes: int, tmp_path: Path) -> None:
    from golden.formats import get_format
    from hw.array.engine import ArrayEngine
    from models.cycle_model import cycle_model
    from verif.array_jobs import array_job

    R = C = 2
    shapes = ARRAY_CASES[(fmt, lanes)]
    block = get_format(fmt).is_block
    eng = ArrayEngine(fmt_a=fmt, rows=R, cols=C, lanes=lanes if block else None,
                      a_depth=16, b_depth=16, c_depth=16)
    jobs = array_job(fmt, None, rows=R, cols=C, lanes=lanes if block else None, seed=1,
                     shapes=shapes)
    gemms = [{"m_tiles": j.bufs.m_tiles, "n_tiles": j.bufs.n_tiles, "k_steps": j.bufs.k_steps,
              "a_words": len(j.bufs.a_words), "b_words": len(j.bufs.b_words)} for j in jobs]
    got = _simulate(eng, f"traffic_array_{fmt}_l{lanes}_{R}x{C}",
                    {"engine": "array", "rows": R, "cols": C, "gemms": gemms}, tmp_path,
                    probes=ARRAY_PROBES)
    cyc = cycle_model("array", fmt, lanes=lanes if block else None, rows=R, cols=C)
    stalls = idle = 0
    for shape, g, job in zip(shapes, got, jobs, strict=True):
        want = _model("array", shape, R, C, lanes=lanes)
        M, K, N = shape
        S, MT, NT = -(-K // lanes), -(-M // R), -(-N // C)
        assert job.bufs.k_steps == S, shape
        measured = {"a_reads": len(g["a_read"]), "b_reads": len(g["b_read"]),
                    "c_writes": len(g["c_addr"]), "a_loads": g["a_loads"],
                    "b_loads": g["b_loads"], "c_unloads": g["c_unloads"]}
        assert measured == want, (shape, measured, want)
        assert g["steps"] == want["a_reads"], shape
        # the read addresses in issue order: tiles tm outer, tn inner, each its S words
        order = [(tm, tn, s) for tm in range(MT) for tn in range(NT) for s in range(S)]
        assert g["a_read"] == [tm * S + s for tm, _, s in order], shape
        assert g["b_read"] == [tn * S + s for _, tn, s in order], shape
        assert Counter(g["a_read"]) == dict.fromkeys(range(MT * S), NT)  # re-read NT times
        assert sorted(g["c_addr"]) == list(range(MT * NT * R)), shape  # each word once
        # the run's cycles: the cycle model's total
        assert g["cycles"] == int(cyc.evaluate(M=M, K=K, N=N)), shape
        stalls += g["cycles"] - g["steps"]
        idle += g["idle_reads"]
        # the wrong schedules give other counts
        if NT > 1:
            assert measured["a_reads"] != want["a_loads"], shape
        assert _model("array", (M, K, N + C), R, C, lanes=lanes) != want
    assert stalls > 0  # some shapes have ii > S: cycles without a step ...
    assert idle == 0  # ... in which the array's input word holds: no read happened


# ----- the LUT engines -----------------------------------------------------------------------

LUT_CASES = {  # unit, weight format, R, C: (M, K, N)
    ("lut", "int2", 4, 2): [(5, 3, 3), (9, 9, 5), (1, 1, 1)],
    ("lut_mac", "int4", 2, 2): [(3, 2, 5), (5, 13, 3)],
}


@pytest.mark.rtl
@pytest.mark.parametrize(("unit", "fmt", "R", "C"), list(LUT_CASES), ids=lambda v: str(v))
def test_lut_traffic_equals_rtl_ports(unit: str, fmt: str, R: int, C: int,
                                      tmp_path: Path) -> None:
    from hw.lut.baseline import LutMacBaseline
    from hw.lut.core import LutCore
    from verif.lut_jobs import lut_job, unpack_outputs

    g = 4
    shapes = LUT_CASES[(unit, fmt, R, C)]
    cls = LutCore if unit == "lut" else LutMacBaseline
    eng = cls(fmt_w=fmt, rows=R, cols=C, g=g, max_m=16, max_k=16, max_n=16)
    planes = eng.steps_per_group
    jobs = [lut_job(fmt, *s, R=R, C=C, g=g, seed=2, unit=unit) for s in shapes]
    gemms = [{"sizes": j.sizes, "a_mem": j.a_mem, "w_mem": j.w_mem} for j in jobs]
    got = _simulate(eng, f"traffic_{unit}_{fmt}_{R}x{C}", {"engine": unit, "gemms": gemms},
                    tmp_path)
    bubbles = 0
    for shape, rec, job in zip(shapes, got, jobs, strict=True):
        want = _model(unit, shape, R, C, g=g, planes=planes)
        M, K, N = shape
        KG, MT, NT = -(-K // g), -(-M // R), -(-N // C)
        writes = [(int(a), v) for a, vs in rec["c_words"].items() for v in vs]
        measured = {"a_reads": len(rec["a_read"]), "b_reads": len(rec["b_read"]),
                    "c_writes": len(writes), "a_loads": rec["a_loads"],
                    "b_loads": rec["b_loads"], "c_unloads": rec["c_unloads"]}
        assert measured == want, (shape, measured, want)
        order = [(mt, nt, k) for mt in range(MT) for nt in range(NT) for k in range(KG)]
        assert rec["a_read"] == [mt * KG + k for mt, _, k in order], shape
        assert rec["b_read"] == [nt * KG + k for _, nt, k in order], shape
        assert sorted(a for a, _ in writes) == list(range(MT * NT * R)), shape
        out = unpack_outputs(dict(writes), job.M, job.N, R, C)
        assert (out == job.expected).all(), job.mismatches(out)
        assert rec["cycles"] == job.predicted_cycles, shape
        if planes > 1:  # one read per k-group, not per bit-plane step
            assert measured["a_reads"] != want["a_reads"] * planes
        bubbles += (MT * NT - 1) * max(R - KG * planes, 0)
    assert bubbles > 0  # some tiles are padded to R issue cycles: those cycles read nothing


# ----- pure Python ----------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["array", "lut", "lut_mac"])
def test_vectorised_equals_scalar(engine: str) -> None:
    rng = np.random.default_rng(7)
    m, k, n = (rng.integers(1, 300, 64) for _ in range(3))
    kw = {"lanes": 32} if engine == "array" else {"g": 4, "planes": 2}
    vec = engine_traffic(engine, m, k, n, 4, 8, **kw)
    assert set(vec) == set(KEYS)
    for key in KEYS:
        assert vec[key].shape == (64,) and vec[key].dtype == np.int64
        scalar = [int(engine_traffic(engine, int(a), int(b), int(c), 4, 8, **kw)[key])
                  for a, b, c in zip(m, k, n, strict=True)]
        assert vec[key].tolist() == scalar, key
    grid = engine_traffic(engine, m[:, None], k[0], n[None, :5], 4, 8, **kw)
    assert grid["c_writes"].shape == (64, 5)
    assert grid["a_reads"][3, 2] == engine_traffic(engine, m[3], k[0], n[2], 4, 8,
                                                   **kw)["a_reads"]


def test_formulas_by_hand() -> None:
    # 10 x 70 x 9 on 4 x 4 with 32 lanes: MT=3, NT=3, S=3, T=9
    t = engine_traffic("array", 10, 70, 9, 4, 4, lanes=32)
    assert {k: int(v) for k, v in t.items()} == {
        "a_reads": 27, "b_reads": 27, "c_writes": 36, "a_loads": 9, "b_loads": 9,
        "c_unloads": 36}
    # LUT: KG = ceil(37/4) = 10, MT = 6, NT = 5 on 4 x 4; planes do not change reads
    a = engine_traffic("lut", 21, 37, 19, 4, 4, g=4, planes=4)
    b = engine_traffic("lut_mac", 21, 37, 19, 4, 4, g=4)
    assert all((a[k] == b[k]).all() for k in KEYS)
    assert int(a["a_reads"]) == 300 and int(a["a_loads"]) == 60 and int(a["b_loads"]) == 50
    with pytest.raises(ValueError, match="engine must be one of"):
        engine_traffic("tpu", 1, 1, 1, 2, 2)
    with pytest.raises(ValueError, match="k must be positive integers"):
        engine_traffic("array", 1, np.array([1, 0]), 1, 2, 2)
    with pytest.raises(ValueError, match="rows must be a positive integer"):
        engine_traffic("lut", 1, 1, 1, 0, 2)


def test_word_bits_equal_the_rtl_port_widths() -> None:
    from amaranth.hdl import UnusedElaboratable

    from hw.array.engine import ArrayEngine
    from hw.lut.baseline import LutMacBaseline
    from hw.lut.core import LutCore

    assert word_bits("mxfp4", 1) == 32 * 4 + 8 and word_bits("nvfp4", 2) == 2 * (16 * 4 + 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        for fmt, lanes in (("int8", None), ("fp8_e4m3", None), ("fp4_e2m1", None),
                           ("mxfp4", None), ("mxfp4", 4), ("mxint8", 8), ("nvfp4", None)):
            e = ArrayEngine(fmt_a=fmt, rows=3, cols=2, lanes=lanes)
            assert len(e.a_wdata) == a_word_bits(fmt, 3, lanes), fmt
            assert len(e.b_wdata) == b_word_bits(fmt, 2, lanes), fmt
            assert len(e.c_rdata) == c_word_bits(2)
        for cls, fmt in ((LutCore, "int4"), (LutCore, "bin1"), (LutMacBaseline, "ternary"),
                         (LutCore, "fp4_e2m1")):
            e = cls(fmt_w=fmt, rows=3, cols=2, g=4)
            assert len(e.a_data) == a_word_bits("int8", 3, 4), fmt
            assert len(e.w_data) == b_word_bits(fmt, 2, 4), fmt
            assert len(e.o_data) == c_word_bits(2)
        del e
        gc.collect()
