"""The shared cycle-model API (models/cycle_model.py) and the array model (models/cycle_array.py).

The array model's closed form is checked against an independent cycle-by-cycle walk of the
controller's schedule written here (issue slots, read, skew, pipeline, capture, drain), on
a seeded grid of shapes; its equality with the RTL is tested in ``test_hw_array.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from models.cycle_array import array_cycle_model, array_terms, pe_latency
from models.cycle_model import C, CycleModel, K, M, N, R, cycle_model, engines, register_engine


def schedule_cycles(M: int, K: int, N: int, R: int, C: int, L: int, lanes: int) -> int:
    """Walk the controller's schedule event by event; return the cycle ``done`` rises.

    Tile t's step s is read in cycle ``1 + t*ii + s`` where tile t issues when the previous
    tile's slot ends (slot: its S steps, then waiting until the previous tile's drain
    leaves room: the next tile's first capture must come after the drain's last write).
    """
    S = -(-K // lanes)
    tiles = -(-M // R) * -(-N // C)
    issue = 1
    last_write_prev = -10**9
    done = 0
    for _ in range(tiles):
        # earliest issue so PE(0,0)'s capture (issue + S + L, end of cycle) >= last write
        first_capture = issue + S + L  # cycle whose end captures PE(0,0)'s last step
        while first_capture < last_write_prev:
            issue += 1
            first_capture = issue + S + L
        read_last = issue + S - 1          # last step read from the buffers
        at_last_pe = read_last + 1 + (R - 1) + (C - 1)  # reaches PE(R-1, C-1)
        capture = at_last_pe + L           # its accumulator holds the tile's result
        writes = [capture + 1 + r for r in range(R)]
        last_write_prev = writes[-1]
        done = writes[-1] + 1
        issue += S
    return done


def test_array_closed_form_equals_schedule_walk() -> None:
    seed = 4242
    rng = np.random.default_rng(seed)
    model = CycleModel("array", array_terms())
    n = 400
    vals = {"M": rng.integers(1, 70, n), "K": rng.integers(1, 300, n),
            "N": rng.integers(1, 70, n), "R": rng.integers(1, 9, n),
            "C": rng.integers(1, 9, n), "L": rng.integers(1, 8, n),
            "lanes": rng.choice([1, 2, 4, 16, 32], n)}
    got = model.evaluate(**vals)
    for i in range(n):
        args = {k: int(v[i]) for k, v in vals.items()}
        want = schedule_cycles(**args)
        assert got[i] == want, f"seed={seed} {args}: closed form {got[i]} walk {want}"


def test_terms_add_up_and_print() -> None:
    t = array_terms()
    parts = t["start"] + t["steady"] + t["stall"] + t["fill"] + t["pipeline"] + t["drain"]
    assert sp.simplify(parts - t["total"]) == 0
    model = cycle_model("array", "int8")
    text = str(model)
    assert "total =" in text and "ceiling(K)" not in text
    assert model.expr.free_symbols == {M, K, N, R, C}


def test_subs_evaluate_and_utilization() -> None:
    L, lanes = pe_latency("mxfp4")
    assert lanes == 32
    m44 = cycle_model("array", "mxfp4", rows=4, cols=4)
    assert m44.expr.free_symbols == {M, K, N}
    # substituting numbers gives the number evaluate gives, and the hand formula
    ks = np.array([1, 32, 33, 1000, 4096])
    got = m44.evaluate(M=np.int64(10), K=ks, N=np.int64(7))
    for k, g in zip(ks, got, strict=True):
        S = -(-int(k) // 32)
        T = 3 * 2
        assert g == (T - 1) * max(S, 2 * 4 + 4 - 2) + S + 2 * 4 + 4 + L
        assert int(m44.expr.subs({M: 10, K: int(k), N: 7})) == g
    u = m44.utilization(M=np.int64(64), K=np.int64(4096), N=np.int64(64))
    total = int(m44.evaluate(M=np.int64(64), K=np.int64(4096), N=np.int64(64)))
    assert u == pytest.approx(64 * 4096 * 64 / (total * 16 * 32))
    assert 0.9 < u < 1.0


def test_best_shape_is_exhaustive_minimum() -> None:
    model = cycle_model("array", "fp8_e4m3")
    for (Mv, Kv, Nv, budget) in [(64, 256, 64, 16), (7, 3, 100, 12), (1, 1000, 1, 9)]:
        r, c, cyc = model.best_shape(Mv, Kv, Nv, budget)
        best = min(int(model.expr.subs({M: Mv, K: Kv, N: Nv, R: rr, C: cc}))
                   for rr in range(1, budget + 1) for cc in range(1, budget // rr + 1))
        assert cyc == best and r * c <= budget, (Mv, Kv, Nv, budget, r, c, cyc, best)


def test_solve_for_relaxed() -> None:
    model = cycle_model("array", "int8", rows=2, cols=2)
    sols = model.solve_for("K", 10_000)
    assert sols, "no solution"
    # with M = N = 2 (one tile) the relaxed total is K + 2R + C + L = K + 6 + L
    s = [x.subs({M: 2, N: 2}) for x in sols]
    L, _ = pe_latency("int8")
    assert any(sp.simplify(x - (10_000 - 6 - L)) == 0 for x in s if x != sp.nan), s


def test_errors() -> None:
    model = cycle_model("array", "int8")
    with pytest.raises(ValueError, match="needs values for"):
        model.evaluate(M=np.int64(1))
    with pytest.raises(ValueError, match="positive integers"):
        model.evaluate(M=np.int64(0), K=np.int64(1), N=np.int64(1), R=np.int64(1),
                       C=np.int64(1))
    with pytest.raises(ValueError, match="no term"):
        model.term("nope")
    with pytest.raises(ValueError, match="unknown engine"):
        cycle_model("tpu", "int8")
    with pytest.raises(ValueError, match="dataflow"):
        array_cycle_model("int8", dataflow="ws")
    with pytest.raises(ValueError, match="'total' term"):
        CycleModel("x", {"fill": R})
    with pytest.raises(ValueError, match="area_budget"):
        model.best_shape(4, 4, 4, 0)


def test_register_engine() -> None:
    register_engine("toy_test", lambda fmt, **kw: CycleModel("toy_test", {"total": M + K}))
    assert "toy_test" in engines()
    assert int(cycle_model("toy_test", "int8").evaluate(M=np.int64(2), K=np.int64(3))) == 5
