"""RTL units through Verilator + cocotb, every output bit-exact against golden.

``make test`` runs a reduced set (small lane counts, a few formats, modest vector counts,
exhaustive MAC pairs where cheap). ``LOWBIT_REGRESS=1`` (``make regress``) runs the full
sweep: every element format's MAC over all code pairs (65,536 for 8-bit formats), every
MX format's dot unit at 32 lanes with >= 10,000 random blocks plus all corner blocks, NVFP4
at 16 lanes, mixed pairs, fp32 add/mul with 100,000 vectors. ``LOWBIT_SEED`` overrides the
fixed seeds. Each case builds (or reuses from the cache) its own design.
"""

from __future__ import annotations

import os

import pytest

from sim.run import SimResult, run_unit

REGRESS = os.environ.get("LOWBIT_REGRESS", "") not in ("", "0")
SEED = int(os.environ.get("LOWBIT_SEED", "20261123"))

# (format, unit, vectors, lanes, format_b)
QUICK = [
    ("fp32", "add", 20000, None, None),
    ("fp32", "mul", 20000, None, None),
    ("fp8_e4m3", "mac", None, None, None),   # all 65,536 pairs
    ("int8", "mac", None, None, None),       # all 65,536 pairs, int32 path
    ("fp4_e2m1", "mac", None, None, "int8"),  # mixed float x int, all 4,096 pairs
    ("mxfp4", "dot", 1000, 4, None),
    ("mxfp8_e5m2", "dot", 1000, 4, None),
    ("mxint8", "dot", 1000, 4, None),
    ("nvfp4", "dot", 1000, 4, None),
    ("posit8", "mac", None, None, None),      # all 65,536 pairs through the quire
]

FULL = [
    ("fp32", "add", 100000, None, None),
    ("fp32", "mul", 100000, None, None),
    *[(f, "mac", None, None, None) for f in
      ("fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2", "int8", "int4", "int2",
       "ternary", "bin1")],
    ("fp4_e2m1", "mac", None, None, "int8"),
    ("fp8_e5m2", "mac", None, None, "fp8_e4m3"),
    *[(f, "dot", 10000, None, None) for f in
      ("mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8", "nvfp4")],
    ("mxfp4", "dot", 10000, None, "mxfp8_e4m3"),
    *[(f, u, None, None, None) for f in
      ("posit8", "posit16", "posit4_es1", "posit8_es0", "posit16_es1")
      for u in ("mac", "codec", "round")],
]

CASES = FULL if REGRESS else QUICK


def _id(case: tuple) -> str:
    fmt, unit, _vectors, lanes, fmt_b = case
    return "-".join(str(x) for x in (unit, fmt, fmt_b, lanes and f"l{lanes}") if x)


def _check(res: SimResult, expected_vectors: int | None) -> None:
    detail = "\n".join(res.reports) + f"\nseed {res.seed}; replay: {res.replay}"
    assert res.mismatches == 0, f"{res.mismatches} mismatches of {res.vectors}:\n{detail}"
    assert res.vectors > 0, detail
    if expected_vectors is not None:
        assert res.vectors == expected_vectors, detail


@pytest.mark.rtl
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_unit_matches_golden(case: tuple) -> None:
    fmt, unit, vectors, lanes, fmt_b = case
    res = run_unit(fmt, unit, vectors=vectors, seed=SEED, lanes=lanes, fmt_b=fmt_b)
    expected = None
    if unit == "mac" and vectors is None and fmt == "posit8":
        expected = 1 << 16  # every pair of posit8 codes, NaR included
    elif unit == "mac" and vectors is None and not fmt.startswith("posit"):
        # exhaustive: every pair of valid codes
        from golden.formats import get_format
        from verif.vectors import valid_codes
        fa = get_format(fmt)
        fb = get_format(fmt_b) if fmt_b else fa
        expected = len(valid_codes(fa)) * len(valid_codes(fb))
    elif unit in ("add", "mul"):
        expected = vectors
    _check(res, expected)
    # one output per input, in order, exactly `latency` cycles after it
    assert res.cycles == res.vectors + res.latency, (res.cycles, res.vectors, res.latency)


# GEMM engines: (format, unit, lanes); every C element and the cycle count are checked.
ENGINES_QUICK = [("int8", "array", None), ("mxfp4", "array", 4)]
ENGINES_FULL = [
    *[(f, "array", None) for f in ("int8", "fp8_e4m3", "fp8_e5m2", "int4", "fp4_e2m1")],
    *[(f, "array", None) for f in ("mxfp4", "mxfp8_e4m3", "mxint8", "nvfp4")],
]  # the LUT core and its baseline: tests/test_hw_lut.py::test_rtl_default_gemm


@pytest.mark.rtl
@pytest.mark.parametrize("case", ENGINES_FULL if REGRESS else ENGINES_QUICK,
                         ids=lambda c: "-".join(str(x) for x in c if x))
def test_gemm_engine_matches_golden_and_cycle_model(case: tuple) -> None:
    fmt, unit, lanes = case
    res = run_unit(fmt, unit, seed=SEED, lanes=lanes)
    _check(res, None)
    assert res.predicted_cycles == res.cycles, (res.cycles, res.predicted_cycles)
    assert res.utilization is not None and 0 < res.utilization <= 1
