"""Cycle model of the LUT tensor core and MAC baseline (models/cycle_lut.py).

The model's total must EQUAL the cycles measured in RTL simulation (amaranth.sim of
hw/lut/core.py and hw/lut/baseline.py, start to done) at the edges of the schedule: one
tile, many tiles, tiles shorter than, equal to and longer than the drain, 1-row and
1-column arrays, K = 1, K < g, K = g, K not a multiple of g (test_hw_lut.py checks the same
equality on its GEMM cases). The lambdified NumPy evaluation must equal sympy's exact
evaluation of the same expression.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from hw.lut.baseline import LutMacBaseline
from hw.lut.core import LutCore
from models.cycle_lut import lut_cycle_model, lut_terms
from models.cycle_model import cycle_model, sym
from verif.lut_jobs import lut_job, run_amaranth

ENGINES = {"lut": LutCore, "lut_mac": LutMacBaseline}

# (unit, fmt, M, K, N, R, C, g): KG*P vs R below, equal and above; T = 1 and T > 1.
RTL_EDGES = [
    ("lut", "int4", 1, 1, 1, 1, 1, 4),      # smallest GEMM
    ("lut", "int4", 2, 4, 2, 4, 4, 4),      # KG*P == R, one tile
    ("lut", "int2", 5, 6, 3, 4, 1, 4),      # KG*P == R, many tiles, 1 column
    ("lut", "int2", 9, 5, 2, 3, 2, 4),      # KG*P = 4 > R = 3
    ("lut", "bin1", 7, 9, 3, 4, 3, 4),      # KG*P = 3 = R - 1: bubbles
    ("lut", "bin1", 2, 30, 9, 1, 4, 4),     # 1 row, long K
    ("lut", "ternary", 4, 7, 4, 2, 2, 4),   # K not a multiple of g
    ("lut", "fp4_e2m1", 2, 2, 2, 1, 1, 4),  # K < g, 1 x 1
    ("lut", "fp4_e2m1", 6, 8, 5, 6, 2, 4),  # KG*P = 10 > R = 6, M = R
    ("lut_mac", "int4", 5, 4, 5, 2, 2, 4),      # KG = 1 < R: bubbles
    ("lut_mac", "bin1", 4, 7, 6, 4, 3, 2),      # KG = 4 == R
    ("lut_mac", "int2", 3, 21, 4, 3, 4, 4),     # KG = 6 > R
    ("lut_mac", "fp4_e2m1", 1, 1, 7, 1, 2, 4),  # K = 1, 1 row
]


@pytest.mark.parametrize("case", RTL_EDGES, ids=lambda c: "-".join(map(str, c)))
def test_model_equals_rtl_cycles(case):
    unit, fmt, M, K, N, R, C, g = case
    job = lut_job(fmt, M, K, N, R=R, C=C, g=g, seed=300 + RTL_EDGES.index(case), unit=unit)
    eng = ENGINES[unit](fmt_w=fmt, rows=R, cols=C, g=g, max_m=16, max_k=32, max_n=16)
    got, cycles = run_amaranth(eng, job)
    assert not (got != job.expected).any(), "\n".join(job.mismatches(got))
    model = lut_cycle_model(fmt, unit=unit, g=g)
    predicted = int(model.evaluate(M=M, K=K, N=N, R=R, C=C))
    assert cycles == predicted, f"{case}: RTL {cycles} cycles, model {predicted}"


def _exact(model, term: str, **v: int):
    return model.term(term).subs({sym(k): x for k, x in v.items()})


@pytest.mark.parametrize("unit", ["lut", "lut_mac"])
@pytest.mark.parametrize("fmt", ["bin1", "int4", "fp4_e2m1"])
def test_lambdified_equals_sympy(fmt, unit):
    """NumPy evaluation on broadcast arrays == exact sympy substitution, term by term."""
    model = lut_cycle_model(fmt, unit=unit)
    rng = np.random.default_rng(7)
    dims = {k: rng.integers(1, 300, size=40) for k in "MKN"}
    dims["R"] = rng.integers(1, 33, size=40)
    dims["C"] = rng.integers(1, 33, size=40)
    for term in ("total", "steady", "bubbles", "tiles", "load"):
        got = model.evaluate(term, **dims)
        for i in range(40):
            v = {k: int(a[i]) for k, a in dims.items()}
            want = _exact(model, term, **v)
            assert got[i] == want, f"{fmt} {unit} {term} at {v}: numpy {got[i]}, sympy {want}"


def test_total_is_sum_of_parts_and_utilization_bounded():
    model = lut_cycle_model("int4")
    parts = sum(model.term(t) for t in ("fill", "steady", "bubbles", "drain"))
    rng = np.random.default_rng(3)
    for _ in range(50):
        v = {k: int(rng.integers(1, 200)) for k in "MKN"} | {
            "R": int(rng.integers(1, 17)), "C": int(rng.integers(1, 17))}
        assert _exact(model, "total", **v) == parts.subs({sym(k): x for k, x in v.items()})
        u = _exact(model, "utilization", **v)
        assert 0 < u <= 1, f"utilization {u} at {v}"
    # aligned shapes with a long K approach the peak R * C * g / P MACs per cycle
    u = _exact(model, "utilization", M=64, K=4096, N=64, R=8, C=8)
    assert u > sp.Rational(99, 100)


def test_bitplanes_and_baseline():
    """The LUT core's steady state scales with the weight bit-planes; the baseline's not."""
    v = {"M": 8, "K": 64, "N": 8, "R": 4, "C": 4}
    steady = {f: _exact(lut_cycle_model(f), "steady", **v)
              for f in ("bin1", "ternary", "int2", "int4", "fp4_e2m1")}
    base = _exact(lut_cycle_model("bin1", unit="lut_mac"), "steady", **v)
    assert base == 4 * 16  # 4 tiles x 16 k-groups
    assert steady == {"bin1": base, "ternary": 2 * base, "int2": 2 * base, "int4": 4 * base,
                      "fp4_e2m1": 5 * base}


def test_registry_and_symbols():
    model = cycle_model("lut", "int4", dataflow="os", g=4)
    assert [s.name for s in model.symbols] == ["C", "K", "M", "N", "R"]
    general = lut_terms()["total"]
    assert {s.name for s in general.free_symbols} == {"C", "K", "M", "N", "R", "P", "g"}
    r, c, cyc = model.best_shape(16, 64, 16, 16)
    assert r * c <= 16 and cyc == model.evaluate(M=16, K=64, N=16, R=r, C=c)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"dataflow": "ws"}, "dataflow"),
    ({"unit": "systolic"}, "unit"),
    ({"g": 9}, "g"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lut_cycle_model("int4", **kwargs)
    with pytest.raises(ValueError, match="fp8_e5m2"):
        lut_cycle_model("fp8_e5m2")
