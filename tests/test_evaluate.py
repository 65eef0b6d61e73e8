"""Whole-network evaluation: Accelerator checks, memory blocking, evaluate() by hand, sweeps.

Expected values are written out from the models' definitions (the engine schedules in
``hw/array/engine.py`` and ``hw/lut/engine.py``, the blocking rules of
``models/memory.py``), not taken from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.accel import Accelerator, AcceleratorError
from models.evaluate import COLUMNS, EvaluationError, evaluate, evaluate_arrays
from models.memory import BufferOverflowError, bits_per_element, tensor_bits
from models.pe_costs import engine_formats, pe_cost
from models.sweep import pareto, sweep
from models.workload import Layer, Workload


def _wl(*shapes: tuple[int, int, int], repeat: int = 1) -> Workload:
    return Workload("toy", tuple(Layer(f"l{i}", "linear", m, k, n, True, repeat)
                                 for i, (m, k, n) in enumerate(shapes)))


@pytest.mark.parametrize(("fmt", "bits", "extra"), [
    ("mxfp4", 4.25, 0), ("nvfp4", 4.5, 32), ("mxint8", 8.25, 0), ("mxfp6_e2m3", 6.25, 0),
    ("posit8", 8.0, 0), ("int8", 8.0, 0), ("fp8_e4m3", 8.0, 0), ("ternary", 2.0, 0),
    ("bin1", 1.0, 0),
])
def test_bits_per_element(fmt: str, bits: float, extra: int) -> None:
    assert bits_per_element(fmt) == bits and tensor_bits(fmt) == extra


@pytest.mark.parametrize(("field", "value", "message"), [
    ("engine", "gpu", "engine must be one of array, lut"),
    ("rows", 0, "rows must be an integer in 1..1024"),
    ("cols", 2.5, "cols must be an integer"),
    ("a_buffer_bytes", -1, "a_buffer_bytes must be an integer"),
    ("dram_bytes_per_cycle", 0, "dram_bytes_per_cycle must be a number > 0"),
    ("clock_mhz", float("nan"), "clock_mhz must be a number > 0"),
    ("formats", ("fp12",), "fp12"),
    ("formats", ("fp16",), "no PE for format fp16"),
    ("tech", "/nonexistent.toml", "cannot read technology file"),
])
def test_accelerator_rejects_bad_fields(field: str, value: object, message: str) -> None:
    with pytest.raises(AcceleratorError, match=message) as exc:
        Accelerator(**{field: value})
    assert "\n" not in str(exc.value)


def test_lut_engine_takes_only_its_weights() -> None:
    with pytest.raises(AcceleratorError, match="lut engine has no PE for format mxfp4"):
        Accelerator(engine="lut", formats=("mxfp4",))
    assert Accelerator(engine="lut", formats=("int4",)).formats == ("int4",)
    assert set(engine_formats("lut")) == {"bin1", "ternary", "int2", "int4", "fp4_e2m1"}


def test_one_run_by_hand() -> None:
    """int8 on a 4x4 array, one GEMM that fits: every column from the engine's schedule."""
    M, K, N, R, C, L = 10, 20, 6, 4, 4, 2  # the int8 MAC has latency 2
    acc = Accelerator(rows=R, cols=C, dram_bytes_per_cycle=1e6)
    d = evaluate(_wl((M, K, N)), acc, "int8")
    assert list(d.columns) == list(COLUMNS)
    row = d.iloc[0]
    mt, nt = math.ceil(M / R), math.ceil(N / C)
    T, S = mt * nt, K
    ii = max(S, 2 * R + C - 2)
    assert row["compute_cycles"] == (T - 1) * ii + S + 2 * R + C + L
    assert row["runs"] == 1 and row["bound"] == "compute"
    assert row["macs"] == M * K * N
    assert row["dram_bytes"] == M * K + K * N + M * N  # int8 in and out
    # SRAM: every tile reads its S words of A (R bytes) and of B (C bytes) and writes R
    # words of C (C x 32 bits); loads write the padded A and B images; unloads read C
    reads = T * S * R * 8 + T * S * C * 8 + T * R * C * 32
    writes = mt * S * R * 8 + nt * S * C * 8 + T * R * C * 32
    assert row["sram_read_bits"] == reads and row["sram_write_bits"] == writes
    pe = pe_cost("array", "int8", acc.technology)
    assert row["pe_datapath_pj"] == pytest.approx(M * K * N * pe.dynamic_pj_per_mac)
    assert row["pe_clock_pj"] == pytest.approx(R * C * row["cycles"] * pe.clock_pj_per_cycle)
    assert row["dram_pj"] == pytest.approx(row["dram_bytes"] * 8 * 30.5)
    tot = d.attrs["totals"]
    assert tot["energy_pj"] == pytest.approx(sum(row[p] for p in (
        "pe_datapath_pj", "pe_clock_pj", "sram_pj", "dram_pj", "leakage_pj")))
    assert tot["area_um2"] == pytest.approx(R * C * pe.area_um2
                                            + 8 * (512 + 512 + 64) * 1024 * 0.58)


def test_memory_bound_and_repeat() -> None:
    acc = Accelerator(rows=4, cols=4, dram_bytes_per_cycle=0.5)
    one = evaluate_arrays(_wl((8, 64, 8)), acc, "int8")
    three = evaluate_arrays(_wl((8, 64, 8), repeat=3), acc, "int8")
    dram = 8 * 64 + 64 * 8 + 8 * 8
    assert one["dram_cycles"][0] == dram / 0.5 and one["bound"][0] == "memory"
    assert one["cycles"][0] == one["dram_cycles"][0] > one["compute_cycles"][0]
    for key in ("cycles", "dram_bytes", "macs", "energy_pj", "compute_cycles"):
        assert three[key][0] == pytest.approx(3 * one[key][0])


def test_blocking_refetches_the_smaller_operand() -> None:
    """A (M x K int8) needs four 64-row blocks in a 2 KiB A buffer (half of it per block:
    64 rows x 16 B); B fits whole: m-blocks outer, A read once, B once."""
    M, K, N, R, C = 256, 16, 8, 4, 4
    acc = Accelerator(rows=R, cols=C, a_buffer_bytes=2048, dram_bytes_per_cycle=1e6)
    r = evaluate_arrays(_wl((M, K, N)), acc, "int8")
    assert r["runs"][0] == 4
    assert r["dram_bytes"][0] == M * K + K * N + M * N
    # four runs of (64, 16, 8): four times the cycles of one run
    ii = max(K, 2 * R + C - 2)
    one = (16 * 2 - 1) * ii + K + 2 * R + C + 2
    assert r["compute_cycles"][0] == 4 * one
    # now B is too big for its buffer as well: B is streamed once per m-block
    acc2 = acc.replace(b_buffer_bytes=2 * K * C)  # half holds one 4-column tile of B
    r2 = evaluate_arrays(_wl((M, K, N)), acc2, "int8")
    assert r2["runs"][0] == 4 * 2
    a_bytes, b_bytes = M * K, K * N
    assert r2["dram_bytes"][0] == min(a_bytes + 4 * b_bytes, 2 * a_bytes + b_bytes) + M * N


def test_layer_too_big_for_the_buffers() -> None:
    acc = Accelerator(rows=16, cols=16, a_buffer_bytes=1024)
    with pytest.raises(BufferOverflowError, match="l0 does not fit") as exc:
        evaluate(_wl((64, 4096, 64)), acc, "int8")
    assert "\n" not in str(exc.value)


def test_block_format_and_lut_engine() -> None:
    M, K, N, R, C = 20, 100, 12, 4, 4
    d = evaluate_arrays(_wl((M, K, N)), Accelerator(rows=R, cols=C), "mxfp4")
    S = math.ceil(K / 32)
    assert d["dram_bytes"][0] == (M * K * 4.25 + K * N * 4.25 + M * N * 4.25) / 8
    assert d["sram_read_bits"][0] == (3 * 5 * S * (R * (32 * 4 + 8) + C * (32 * 4 + 8))
                                      + 3 * 5 * R * C * 32)
    lut = evaluate_arrays(_wl((M, K, N)), Accelerator(engine="lut", rows=R, cols=C), "int4")
    kg, P, T = math.ceil(K / 4), 4, 5 * 3
    assert lut["compute_cycles"][0] == (T - 1) * max(kg * P, R) + kg * P + R + 3
    # activations int8, weights int4, outputs int8
    assert lut["dram_bytes"][0] == M * K + K * N / 2 + M * N


def test_precision_per_layer() -> None:
    wl = _wl((16, 32, 16), (16, 64, 16))
    acc = Accelerator(rows=4, cols=4)
    mixed = evaluate_arrays(wl, acc, {"l0": "int8", "l1": "mxfp4"})
    a = evaluate_arrays(wl, acc, "int8")
    b = evaluate_arrays(wl, acc, "mxfp4")
    for key in ("cycles", "energy_pj", "dram_bytes"):
        assert mixed[key][0] == a[key][0] and mixed[key][1] == b[key][1]
    with pytest.raises(EvaluationError, match="does not have"):
        evaluate(wl, acc, {"l0": "int8", "l1": "int8", "nope": "int8"})
    with pytest.raises(EvaluationError, match="no format for 1 layer"):
        evaluate(wl, acc, {"l0": "int8"})
    with pytest.raises(AcceleratorError, match="take int8, not mxfp4"):
        evaluate(wl, acc.replace(formats=("int8",)), "mxfp4")


def test_sweep_and_pareto() -> None:
    wl = _wl((64, 64, 64), (128, 256, 32))
    df = sweep(wl, ["int8", "mxfp4"], [(4, 4), (8, 8)], [16 * 1024, 64 * 1024])
    assert len(df) == 8 and set(df["format"]) == {"int8", "mxfp4"}
    one = evaluate_arrays(wl, Accelerator(rows=8, cols=8, a_buffer_bytes=65536,
                                          b_buffer_bytes=65536, c_buffer_bytes=16384), "int8")
    pt = df[(df["format"] == "int8") & (df["rows"] == 8) & (df["buffer_kib"] == 64)].iloc[0]
    assert pt["energy_pj"] == pytest.approx(one["energy_pj"].sum())
    assert pt["cycles"] == one["cycles"].sum()
    mask = pareto(df)
    t, e = df["time_us"].to_numpy(), df["energy_pj"].to_numpy()
    for i in range(len(df)):  # a front point is dominated by no other point
        dominated = np.any((t <= t[i]) & (e <= e[i]) & ((t < t[i]) | (e < e[i])))
        assert mask[i] == (not dominated)
