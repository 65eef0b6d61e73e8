"""LUT tensor core and MAC baseline (hw/lut_*.py) in Amaranth's Python simulator.

Every GEMM output is compared bit for bit with ``golden.gemm`` AND with an oracle written
here (two's complement / bin1 decoding by hand, fp4_e2m1 values from ``ml_dtypes``, an
exact int64 matmul, converted once to float32); the measured cycles (start to done) must
EQUAL the cycle model of ``models/cycle_lut.py``. The buffers are modelled by
``verif.lut_jobs.run_amaranth`` (synchronous read, latency 1).
"""

from __future__ import annotations

import gc
import warnings

import ml_dtypes
import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from golden.codec import QTensor
from golden.dot import gemm
from golden.formats import get_format
from hw.lut.baseline import LutMacBaseline
from hw.lut.core import LutCore
from hw.lut.table import LutPrecompute, lut_lookup
from hw.lut.weights import WeightToInt, weight_int
from verif.lut_jobs import LutJob, lut_job, run_amaranth

WEIGHTS = ["bin1", "ternary", "int2", "int4", "fp4_e2m1"]
ENGINES = {"lut": LutCore, "lut_mac": LutMacBaseline}


# ----- independent oracle ---------------------------------------------------------------------

def _weight_values(codes: np.ndarray, name: str) -> np.ndarray:
    """Exact weight values as float64, decoded here (not by golden or hw)."""
    c = codes.astype(np.int64)
    if name == "bin1":
        return np.where(c == 1, 1.0, -1.0)
    spec = get_format(name)
    if spec.kind == "float":
        dt = np.dtype(getattr(ml_dtypes, spec.ml_dtypes_name))
        return c.astype(np.uint8).view(dt).astype(np.float64)
    bits = get_format(name).bits
    return np.where(c >= 1 << (bits - 1), c - (1 << bits), c).astype(np.float64)


def oracle(job: LutJob) -> np.ndarray:
    """uint32 bit patterns of A @ W: int32 for integer weights, fp32 for fp4_e2m1."""
    a = job.a_codes.astype(np.int64)
    a = np.where(a >= 128, a - 256, a)
    w = _weight_values(job.w_codes, job.fmt_w.name)
    if job.fmt_w.kind == "float":  # fp4/fp6 values are multiples of 2^-4: 64 * dot is exact
        exact = a @ (64 * w).astype(np.int64)
        assert np.abs(exact).max(initial=0) < 1 << 24, "oracle: fp32 not exact here"
        return (exact.astype(np.float32) / np.float32(64)).view(np.uint32)
    y = (a @ w.astype(np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)
    return y.astype(np.int32).view(np.uint32)


def check_gemm(unit: str, fmt: str, M: int, K: int, N: int, R: int, C: int, g: int = 4,
               seed: int = 1, corners: bool = False) -> None:
    job = lut_job(fmt, M, K, N, R=R, C=C, g=g, seed=seed, unit=unit, corners=corners)
    ref = oracle(job)
    bad = np.argwhere(ref != job.expected)
    if len(bad):
        i = tuple(bad[0])
        raise AssertionError(f"golden.gemm disagrees with the oracle at {bad[:3].tolist()} "
                             f"(seed {seed}): golden {job.expected[i]:#x}, oracle {ref[i]:#x}")
    eng = ENGINES[unit](fmt_w=fmt, rows=R, cols=C, g=g, max_m=max(M, 8), max_k=max(K, 8),
                        max_n=max(N, 8))
    got, cycles = run_amaranth(eng, job)
    assert not (got != job.expected).any(), "\n".join(job.mismatches(got))
    assert cycles == job.predicted_cycles, (
        f"{unit} {fmt} M,K,N={M},{K},{N} R,C,g={R},{C},{g}: measured {cycles} cycles, "
        f"model predicts {job.predicted_cycles}")


# (fmt, M, K, N, R, C, g, corners): every weight format; M, N not multiples of the array;
# K not a multiple of g, K < g, K = 1, K = g; one tile; tiles shorter than the drain
# (bubbles) and exactly as long (period == R); 1-row / 1-column arrays; g = 2, 3, 5.
LUT_CASES = [
    ("bin1", 5, 9, 7, 2, 3, 4, False),
    ("bin1", 3, 2, 2, 4, 2, 4, False),      # K < g, bubbles (KG*P = 1 < R)
    ("bin1", 4, 16, 4, 4, 4, 4, True),
    ("ternary", 6, 11, 5, 4, 2, 4, False),
    ("ternary", 2, 1, 3, 2, 2, 4, False),   # K = 1
    ("int2", 7, 13, 3, 3, 2, 4, False),
    ("int2", 3, 8, 5, 4, 4, 2, False),      # g = 2, period == R
    ("int2", 4, 12, 4, 2, 2, 4, True),
    ("int4", 5, 9, 6, 2, 3, 4, False),
    ("int4", 1, 4, 1, 1, 1, 4, False),      # K = g, 1 x 1 array
    ("int4", 9, 3, 4, 4, 1, 4, False),      # K < g, 1 column
    ("int4", 3, 10, 7, 1, 4, 3, False),     # g = 3, 1 row
    ("int4", 6, 20, 5, 3, 3, 4, True),
    ("fp4_e2m1", 5, 10, 4, 2, 2, 4, False),
    ("fp4_e2m1", 3, 3, 6, 2, 4, 4, False),  # K < g
    ("fp4_e2m1", 4, 17, 3, 4, 3, 5, False),  # g = 5
    ("fp4_e2m1", 4, 24, 4, 2, 2, 4, True),
    ("int4", 4, 5, 4, 8, 2, 4, False),      # M < R, bubbles
    ("int8", 3, 9, 3, 2, 2, 4, False),      # 8 planes
    ("fp6_e2m3", 3, 9, 3, 2, 2, 4, True),   # vw = 8w, 7 planes
]

MAC_CASES = [
    ("bin1", 5, 9, 7, 2, 3, 4, False),
    ("ternary", 4, 3, 5, 2, 2, 4, False),
    ("int2", 6, 11, 3, 3, 2, 4, True),
    ("int4", 7, 13, 5, 2, 4, 4, False),
    ("int4", 8, 40, 2, 2, 2, 4, False),     # steady (10) > R: no bubbles
    ("fp4_e2m1", 5, 10, 4, 2, 2, 4, False),
    ("fp4_e2m1", 3, 12, 3, 2, 2, 3, True),
    ("fp6_e3m2", 3, 9, 3, 2, 2, 4, False),
]


@pytest.mark.parametrize("case", LUT_CASES, ids=lambda c: "-".join(map(str, c[:7])))
def test_lut_core_gemm(case):
    fmt, M, K, N, R, C, g, corners = case
    check_gemm("lut", fmt, M, K, N, R, C, g, seed=100 + LUT_CASES.index(case), corners=corners)


@pytest.mark.parametrize("case", MAC_CASES, ids=lambda c: "-".join(map(str, c[:7])))
def test_mac_baseline_gemm(case):
    fmt, M, K, N, R, C, g, corners = case
    check_gemm("lut_mac", fmt, M, K, N, R, C, g, seed=200 + MAC_CASES.index(case), corners=corners)


def test_two_gemms_back_to_back():
    """A second start after done runs a fresh GEMM (no state left from the first)."""
    eng = LutCore(fmt_w="int4", rows=2, cols=2, max_m=8, max_k=8, max_n=8)
    for seed in (11, 12):
        job = lut_job("int4", 3, 7, 3, R=2, C=2, seed=seed)
        got, cycles = run_amaranth(eng, job)
        assert not (got != job.expected).any(), "\n".join(job.mismatches(got))
        assert cycles == job.predicted_cycles


# ----- units ----------------------------------------------------------------------------------

def _comb_run(top: Module, body) -> None:
    sim = Simulator(top)

    async def bench(ctx):
        body(ctx)

    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("fmt", WEIGHTS)
def test_weight_to_int_every_code(fmt):
    """vw = value * 2**-lsb for every code, against the oracle's decoding."""
    dut = WeightToInt(fmt=fmt)
    wi = weight_int(fmt)
    codes = np.arange(1 << wi.spec.bits)
    if fmt == "ternary":
        codes = codes[codes != 2]  # 0b10 is not a ternary code
    want = _weight_values(codes, fmt) * 2.0 ** -wi.lsb

    def body(ctx):
        for code, v in zip(codes.tolist(), want.tolist(), strict=True):
            ctx.set(dut.code, code)
            got = ctx.get(dut.vw)
            assert got == v, f"{fmt} code {code:#x}: expected vw {v}, got {got}"
    _comb_run(dut, body)


@pytest.mark.parametrize("g", [2, 4])
def test_precompute_and_symmetric_lookup(g):
    """Every sign pattern of a group equals sum s_i a_i (extremes and seeded random a)."""
    act = get_format("int8")
    m = Module()
    m.submodules.pre = pre = LutPrecompute(act=act, g=g)
    idx = Signal(g)
    val = lut_lookup(m, pre.table, idx, g, pre.width, name="lk")
    rng = np.random.default_rng(5 + g)
    groups = [[-128] * g, [127] * g, [-128, 127] * (g // 2)]
    groups += rng.integers(-128, 128, size=(20, g)).tolist()

    def body(ctx):
        for grp in groups:
            ctx.set(pre.a, sum((x & 0xFF) << (8 * i) for i, x in enumerate(grp)))
            assert ctx.get(pre.total) == sum(grp), f"S of {grp}"
            for j in range(1 << g):
                ctx.set(idx, j)
                want = sum(x if (j >> i) & 1 else -x for i, x in enumerate(grp))
                got = ctx.get(val)
                assert got == want, f"a={grp} index {j:#x}: expected {want}, got {got}"
    _comb_run(m, body)


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"fmt_w": "fp8_e4m3"}, ValueError, "fp8_e4m3"),
    ({"fmt_w": "mxfp4"}, ValueError, "mxfp4"),
    ({"fmt_w": 3}, TypeError, "int"),
    ({"fmt_w": "int4", "fmt_a": "fp16"}, ValueError, "fp16"),
    ({"fmt_w": "int4", "g": 1}, ValueError, "g"),
    ({"fmt_w": "int4", "g": 7}, ValueError, "g"),
    ({"fmt_w": "int4", "rows": 0}, ValueError, "rows"),
    ({"fmt_w": "int4", "cols": 65}, ValueError, "cols"),
    ({"fmt_w": "int4", "max_k": 0}, ValueError, "max_k"),
    ({"fmt_w": "fp6_e2m3", "max_k": 1 << 20}, ValueError, "max_k"),
])
@pytest.mark.parametrize("cls", [LutCore, LutMacBaseline])
def test_bad_parameters(cls, kwargs, exc, match):
    with warnings.catch_warnings():
        # the half-built component is garbage: no "created but never used" warning for it
        warnings.filterwarnings("ignore", message=".*created but never used")
        with pytest.raises(exc, match=match):
            cls(**kwargs)
        gc.collect()


def test_planes_per_format():
    assert {f: weight_int(f).planes for f in WEIGHTS} == {
        "bin1": 1, "ternary": 2, "int2": 2, "int4": 4, "fp4_e2m1": 5}


@pytest.mark.parametrize("K", [10922, 777])
def test_fp4_exact_then_round_equals_golden(K):
    """docs/numerics.md: exact integer sum + one RNE == golden's fp32 accumulation, K <= 10922.

    Rows of A: all -128 (partial sums reach 768 * K, the bound), all 127, and seeded random;
    columns of W: all 6, alternating +-6, and seeded random codes.
    """
    rng = np.random.default_rng(K)
    fp4 = get_format("fp4_e2m1")
    a = np.stack([np.full(K, 0x80), np.full(K, 0x7F), rng.integers(0, 256, K)]).astype(np.uint8)
    six, msix = 0x7, 0xF  # +6.0, -6.0
    w = np.stack([np.full(K, six), np.where(np.arange(K) % 2 == 0, six, msix),
                  rng.integers(0, 16, K)], axis=1).astype(np.uint8)
    av = np.where(a >= 128, a.astype(np.int64) - 256, a.astype(np.int64))
    wv = _weight_values(w, "fp4_e2m1")
    exact4 = av @ (4 * wv).astype(np.int64)  # what the 33-bit accumulator holds
    hw_like = (exact4.astype(np.float32) * np.float32(0.25)).view(np.uint32)  # one RNE
    want = gemm(QTensor(a, "int8"), QTensor(w, fp4), "int8", fp4).view(np.uint32)
    bad = np.argwhere(hw_like != want)
    assert not len(bad), (f"K={K} seed={K}: at {bad[0].tolist()} golden "
                          f"{want[tuple(bad[0])]:#x}, exact-then-round {hw_like[tuple(bad[0])]:#x}")
