"""The GEMM engine (PE array + controller + buffers) in Amaranth's simulator.

Every C element is compared bit for bit with ``golden.gemm`` (NaN as a class), golden is
cross-checked against an independent NumPy oracle for element formats (ml_dtypes values,
float32 sequential accumulation / int64 sums wrapped to int32), and the measured cycles
from ``start`` to ``done`` must EQUAL the analytic cycle model (``models/cycle_array.py``).
The array shape is a hardware parameter and M, K, N are runtime registers, so each build
runs several GEMMs back to back.
"""

from __future__ import annotations

from dataclasses import replace

import ml_dtypes  # noqa: F401  (registers the dtypes used by the oracle)
import numpy as np
import pytest
from amaranth.sim import Simulator

from golden.block import quantize
from golden.codec import QTensor
from golden.dot import gemm
from golden.formats import get_format
from hw.array.engine import ArrayEngine, gemm_buffers, unpack_c
from hw.array.pe import ProcessingElement
from hw.array.pe_array import PeArray
from models.cycle_model import cycle_model

# ----- simulation driver ---------------------------------------------------------------------


def run_gemms(eng: ArrayEngine, jobs: list) -> list[tuple[int, np.ndarray]]:
    """Load each job's buffers, pulse start, count cycles to done, read C: (cycles, C bits)."""
    out: list[tuple[int, np.ndarray]] = []

    async def bench(ctx):
        for bufs in jobs:
            n = max(len(bufs.a_words), len(bufs.b_words))
            for i in range(n):  # A and B through their two write ports in parallel
                ctx.set(eng.a_we, i < len(bufs.a_words))
                ctx.set(eng.b_we, i < len(bufs.b_words))
                if i < len(bufs.a_words):
                    ctx.set(eng.a_waddr, i)
                    ctx.set(eng.a_wdata, bufs.a_words[i])
                if i < len(bufs.b_words):
                    ctx.set(eng.b_waddr, i)
                    ctx.set(eng.b_wdata, bufs.b_words[i])
                await ctx.tick()
            ctx.set(eng.a_we, 0)
            ctx.set(eng.b_we, 0)
            ctx.set(eng.m_tiles, bufs.m_tiles)
            ctx.set(eng.n_tiles, bufs.n_tiles)
            ctx.set(eng.k_steps, bufs.k_steps)
            if eng.tensor_scale:
                ctx.set(eng.ta, bufs.ta)
                ctx.set(eng.tb, bufs.tb)
            ctx.set(eng.start, 1)
            await ctx.tick()
            ctx.set(eng.start, 0)
            cycles = 1
            while not ctx.get(eng.done):
                await ctx.tick()
                cycles += 1
                assert cycles < 200_000, "engine never raised done"
            words = []
            for i in range(bufs.m_tiles * bufs.n_tiles * eng.rows):
                ctx.set(eng.c_raddr, i)
                words.append(ctx.get(eng.c_rdata))
            out.append((cycles, unpack_c(words, bufs, rows=eng.rows, cols=eng.cols)))

    sim = Simulator(eng)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return out


# ----- operands and oracles ------------------------------------------------------------------

def element_operands(spec, M: int, K: int, N: int, rng) -> tuple[QTensor, QTensor]:
    """Random codes of every valid code of the format (NaN/Inf codes included)."""
    codes = np.arange(spec.n_codes)
    if spec.kind == "int":
        vals = np.where(codes >= 1 << (spec.bits - 1), codes - (1 << spec.bits), codes)
        codes = codes[(vals >= spec.int_min) & (vals <= spec.int_max)]
    return (QTensor(rng.choice(codes, (M, K)), spec), QTensor(rng.choice(codes, (K, N)), spec))


def oracle_element(A: QTensor, B: QTensor) -> np.ndarray:
    """Independent reference: ml_dtypes values, int64 sums wrapped to int32, or float32
    sequential accumulation in increasing k (each fp8/int8 product is exact in float32)."""
    def values(t: QTensor) -> np.ndarray:
        name = t.fmt.ml_dtypes_name
        return np.asarray(t.codes).astype(np.uint8).view(name).astype(np.float64)
    va, vb = values(A), values(B)
    if A.fmt.is_integer and B.fmt.is_integer:
        s = va.astype(np.int64) @ vb.astype(np.int64)
        return s.astype(np.uint64).astype(np.uint32)
    acc = np.zeros((va.shape[0], vb.shape[1]), np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(va.shape[1]):
            acc = acc + np.outer(va[:, k], vb[k, :]).astype(np.float32)
    return acc.view(np.uint32)


def block_operands(spec, M: int, K: int, N: int, rng):
    """Real data with per-row / per-column magnitudes spread over 2^-8..2^8, quantized."""
    a = rng.standard_normal((M, K)) * 2.0 ** rng.integers(-8, 9, (M, 1))
    b = rng.standard_normal((K, N)) * 2.0 ** rng.integers(-8, 9, (1, N))
    return quantize(a, spec, axis=1), quantize(b, spec, axis=0)


def bits_of(c: np.ndarray) -> np.ndarray:
    return np.asarray(c).view(np.uint32)


def assert_same(got: np.ndarray, want: np.ndarray, what: str, A, B) -> None:
    """Bit equality, NaN as a class; the message has the inputs in hex."""
    want_nan = np.isnan(want.view(np.float32)) if want.dtype == np.uint32 else None
    got_nan = np.isnan(got.view(np.float32))
    ok = (got == want) | (want_nan & got_nan)
    if not ok.all():
        i, j = map(int, np.argwhere(~ok)[0])
        def hexrow(x):
            return " ".join(f"{int(v):x}" for v in np.ravel(x))
        a_i = A.codes[i] if hasattr(A, "codes") else A.elements[i]
        b_j = B.codes[:, j] if hasattr(B, "codes") else B.elements[:, j]
        extra = ""
        if hasattr(A, "scales"):
            extra = f" scales A[{i}]={hexrow(A.scales[i])} B[:,{j}]={hexrow(B.scales[:, j])}"
        raise AssertionError(
            f"{what}: C[{i},{j}] expected 0x{int(want[i, j]):08x} got 0x{int(got[i, j]):08x}; "
            f"A[{i},:]={hexrow(a_i)} B[:,{j}]={hexrow(b_j)}{extra} "
            f"({int((~ok).sum())} mismatches)")


# ----- configurations ------------------------------------------------------------------------
# (format, lanes, rows, cols, [(M, K, N), ...]); K is in elements. Edges: K smaller than the
# array, M/N not multiples of R/C, a single block of K, a partial block, large K, 1x1 arrays.

ELEMENT_CASES = [
    ("int8", 1, 1, [(1, 1, 1), (3, 5, 2), (2, 64, 3)]),
    ("int8", 2, 3, [(3, 5, 4), (2, 1, 3), (4, 9, 7), (5, 2, 5), (1, 1, 1), (6, 40, 6)]),
    ("fp8_e4m3", 2, 2, [(3, 4, 5), (1, 1, 1), (4, 17, 3), (5, 3, 2), (2, 48, 2)]),
    ("fp8_e5m2", 1, 2, [(3, 6, 3), (2, 2, 4)]),
    ("int4", 3, 2, [(4, 7, 3), (3, 2, 2)]),
]

BLOCK_CASES = [
    ("mxfp4", 4, 2, 2, [(2, 4, 2), (3, 3, 5), (4, 9, 3), (3, 64, 2), (1, 1, 1)]),
    ("mxfp4", 4, 2, 3, [(5, 8, 4), (2, 12, 3)]),
    ("mxfp8_e4m3", 2, 1, 1, [(2, 5, 2), (1, 2, 3)]),
    ("nvfp4", 4, 2, 2, [(3, 8, 3), (2, 5, 1)]),
    ("mxfp4", 32, 1, 2, [(2, 32, 3), (1, 70, 2)]),
]


def _check_cycles(eng, fmt: str, lanes, shapes, measured: list[int]) -> None:
    model = cycle_model("array", fmt, lanes=lanes, rows=eng.rows, cols=eng.cols)
    ms, ks, ns = (np.array(v, dtype=np.int64) for v in zip(*shapes, strict=True))
    predicted = model.evaluate(M=ms, K=ks, N=ns)
    for shp, meas, pred in zip(shapes, measured, predicted, strict=True):
        assert meas == pred, (f"{fmt} {eng.rows}x{eng.cols} (M, K, N)={shp}: measured "
                              f"{meas} cycles, model {int(pred)}")


@pytest.mark.parametrize(("fmt", "rows", "cols", "shapes"), ELEMENT_CASES,
                         ids=[f"{c[0]}-{c[1]}x{c[2]}" for c in ELEMENT_CASES])
def test_gemm_element(fmt: str, rows: int, cols: int, shapes) -> None:
    seed = 7100 + rows * 10 + cols
    rng = np.random.default_rng(seed)
    spec = get_format(fmt)
    eng = ArrayEngine(fmt_a=spec, rows=rows, cols=cols, a_depth=256, b_depth=256, c_depth=64)
    ops = [element_operands(spec, M, K, N, rng) for (M, K, N) in shapes]
    res = run_gemms(eng, [gemm_buffers(A, B, rows=rows, cols=cols) for A, B in ops])
    for (A, B), shp, (_, got) in zip(ops, shapes, res, strict=True):
        with np.errstate(invalid="ignore", over="ignore"):
            want = bits_of(gemm(A, B, spec))
        what = f"{fmt} {rows}x{cols} (M,K,N)={shp} seed={seed}"
        assert_same(oracle_element(A, B), want, f"golden vs oracle {what}", A, B)
        assert_same(got, want, what, A, B)
    _check_cycles(eng, fmt, None, shapes, [c for c, _ in res])


@pytest.mark.parametrize(("fmt", "lanes", "rows", "cols", "shapes"), BLOCK_CASES,
                         ids=[f"{c[0]}-l{c[1]}-{c[2]}x{c[3]}" for c in BLOCK_CASES])
def test_gemm_block(fmt: str, lanes: int, rows: int, cols: int, shapes) -> None:
    seed = 7300 + lanes * 100 + rows * 10 + cols
    rng = np.random.default_rng(seed)
    spec = replace(get_format(fmt), block_size=lanes)  # golden blocks = the PE's lanes
    eng = ArrayEngine(fmt_a=fmt, rows=rows, cols=cols, lanes=lanes, a_depth=64, b_depth=64,
                     c_depth=64)
    ops = [block_operands(spec, M, K, N, rng) for (M, K, N) in shapes]
    res = run_gemms(eng, [gemm_buffers(A, B, rows=rows, cols=cols) for A, B in ops])
    for (A, B), shp, (_, got) in zip(ops, shapes, res, strict=True):
        with np.errstate(invalid="ignore", over="ignore"):
            want = bits_of(gemm(A, B, spec))
        assert_same(got, want, f"{fmt} lanes={lanes} {rows}x{cols} (M,K,N)={shp} "
                    f"seed={seed}", A, B)
    _check_cycles(eng, fmt, lanes, shapes, [c for c, _ in res])


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="rows must be an integer"):
        PeArray(fmt_a="int8", rows=0, cols=2)
    with pytest.raises(ValueError, match="posit"):
        ProcessingElement(fmt_a="posit8", fmt_b="fp8_e4m3")
    with pytest.raises(ValueError, match="two element formats or two block"):
        ProcessingElement(fmt_a="int8", fmt_b="mxfp4")
    with pytest.raises(ValueError, match="lanes must be"):
        ProcessingElement(fmt_a="mxfp4", lanes=33)
    with pytest.raises(ValueError, match="a_depth"):
        ArrayEngine(fmt_a="int8", rows=1, cols=1, a_depth=0)
    with pytest.raises(TypeError, match="format name or FormatSpec"):
        ProcessingElement(fmt_a=8)


POSIT_CASES = [("posit8", 2, 2, [(3, 5, 2), (1, 1, 1), (2, 12, 3)])]


@pytest.mark.parametrize(("fmt", "rows", "cols", "shapes"), POSIT_CASES,
                         ids=[f"{c[0]}-{c[1]}x{c[2]}" for c in POSIT_CASES])
def test_gemm_posit(fmt: str, rows: int, cols: int, shapes) -> None:
    """Posits go through the same PE interface: each PE is a quire MAC read out once."""
    from golden.quire import posit_gemm

    seed = 7500 + rows * 10 + cols
    rng = np.random.default_rng(seed)
    spec = get_format(fmt)
    eng = ArrayEngine(fmt_a=spec, rows=rows, cols=cols, a_depth=64, b_depth=64, c_depth=64)
    ops = [(QTensor(rng.integers(0, spec.n_codes, (M, K)), spec),
            QTensor(rng.integers(0, spec.n_codes, (K, N)), spec)) for (M, K, N) in shapes]
    res = run_gemms(eng, [gemm_buffers(A, B, rows=rows, cols=cols) for A, B in ops])
    for (A, B), shp, (_, got) in zip(ops, shapes, res, strict=True):
        want = posit_gemm(A.codes, B.codes, spec).astype(np.uint32)
        assert_same(got, want, f"{fmt} {rows}x{cols} (M,K,N)={shp} seed={seed}", A, B)
    _check_cycles(eng, fmt, None, shapes, [c for c, _ in res])
