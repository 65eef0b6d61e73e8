"""Dot products and GEMM (golden.dot, golden.fp32) against exact rational references.

Every reference here is written from the contract (docs/numerics.md "Products and
accumulation", docs/numerics.md "Dot products and GEMM"): element values come from
ml_dtypes (or from the two's complement bits for integers), sums and products are exact
``fractions.Fraction`` arithmetic, and each rounding to fp32 is done by ``ref_fp32`` below,
written from IEEE 754 (exponent, quantum, round half to even, subnormals, overflow to Inf).
fp32 accumulation (one rounding per addition) is NumPy float32 addition, the contract's
oracle. Nothing here calls golden.fp32 or golden's codec to build an expected value.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
import softposit as sp

from golden.block import BlockTensor, quantize
from golden.codec import QTensor
from golden.dot import block_dot, gemm
from golden.formats import get_format
from golden.fp32 import fp32_add, fp32_fma, round_exact_sum_to_fp32, round_exact_to_fp32

MX_NAMES = ["mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8"]
SMALL_FLOATS = ["fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2"]
INTS = ["int8", "int4", "int2", "ternary", "bin1"]
F32_MAX = Fraction(2) ** 128 - Fraction(2) ** 104


# ----- the fp32 rounding reference (IEEE 754 binary32, RNE) ----------------------------------

def _floor_log2(a: Fraction) -> int:
    e = a.numerator.bit_length() - a.denominator.bit_length()
    return e - 1 if Fraction(2) ** e > a else e


def ref_fp32(x: Fraction) -> np.float32:
    """RNE of an exact rational to binary32: subnormals kept, overflow to +-Inf, 0 -> +0."""
    if x == 0:
        return np.float32(0.0)
    sign = -1.0 if x < 0 else 1.0
    a = abs(x)
    q = Fraction(2) ** (max(_floor_log2(a), -126) - 23)  # quantum of a's binade
    n = a / q
    m = n.numerator // n.denominator
    rest = n - m
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and m % 2 == 1):
        m += 1
    v = m * q
    if v > F32_MAX:
        return np.float32(sign * np.inf)
    return np.float32(sign * float(v))  # exact: 24 significant bits inside fp32's range


def _bits(x) -> np.ndarray:
    x = np.asarray(x)
    return x.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[x.dtype.itemsize])


def _hex(x) -> str:
    return " ".join(f"{int(v):#x}" for v in np.ravel(_bits(np.asarray(x))))


def assert_same(got, exp, what: str) -> None:
    """Bit equality of float arrays; NaN matches any NaN (the NaN class)."""
    got, exp = np.asarray(got), np.asarray(exp)
    assert got.dtype == exp.dtype and got.shape == exp.shape, (
        f"{what}: dtype/shape {got.dtype}{got.shape} != {exp.dtype}{exp.shape}")
    ok = (_bits(got) == _bits(exp)) | (np.isnan(got) & np.isnan(exp))
    if not ok.all():
        i = tuple(np.argwhere(~ok)[0])
        raise AssertionError(f"{what}: at {i} expected {_hex(exp[i])} ({exp[i]!r}) "
                             f"got {_hex(got[i])} ({got[i]!r}); {int((~ok).sum())} mismatches")


# ----- independent element values -------------------------------------------------------------

def ref_values(codes: np.ndarray, spec) -> np.ndarray:
    """Exact float64 values of codes, from ml_dtypes or from two's complement bits."""
    codes = np.asarray(codes).astype(np.int64)
    if spec.kind == "bin1":
        return (2 * codes - 1).astype(np.float64)
    if spec.kind == "int":
        signed = np.where(codes >= 1 << (spec.bits - 1), codes - (1 << spec.bits), codes)
        return np.ldexp(signed.astype(np.float64), spec.scale_exp)
    name = spec.ml_dtypes_name
    dt = np.dtype(getattr(ml_dtypes, name)) if hasattr(ml_dtypes, name) else np.dtype(name)
    u = {1: np.uint8, 2: np.uint16, 4: np.uint32}[dt.itemsize]
    return codes.astype(u).view(dt).astype(np.float64)


def finite_codes(spec) -> np.ndarray:
    codes = np.arange(1 << min(spec.bits, 16), dtype=np.int64)
    vals = ref_values(codes, spec)
    keep = np.isfinite(vals)
    if spec.kind == "int":  # ternary's 0b10 and mxint8's -128 are not codes
        ints = np.ldexp(vals, -spec.scale_exp)
        keep &= (ints >= spec.int_min) & (ints <= spec.int_max)
    return codes[keep]


def rand_codes(rng, spec, shape) -> np.ndarray:
    if spec.bits > 16:  # fp32: random finite bit patterns
        v = rng.integers(0, 1 << 32, size=shape, dtype=np.uint64).astype(np.uint32)
        exp_all_ones = (v >> 23) & 0xFF == 0xFF
        return np.where(exp_all_ones, v & 0x807FFFFF, v)
    return rng.choice(finite_codes(spec), size=shape).astype(spec.code_dtype)


def narrow_codes(rng, spec, shape) -> np.ndarray:
    """Codes of wide floats with exponents near 1 (sums interact), 10% subnormal; else random."""
    if spec.kind != "float" or spec.bits < 16:
        return rand_codes(rng, spec, shape)
    e = rng.integers(spec.bias - 6, spec.bias + 7, size=shape)
    e = np.where(rng.random(shape) < 0.1, rng.integers(0, 2, size=shape), e)
    m = rng.integers(0, 1 << spec.man_bits, size=shape)
    sign = rng.integers(0, 2, size=shape)
    return ((sign << (spec.bits - 1)) | (e << spec.man_bits) | m).astype(spec.code_dtype)


def scale_value(code: int, spec) -> Fraction | None:
    v = float(ref_values(np.array([code]), spec)[0])
    return None if np.isnan(v) else Fraction(v)


# ----- reference dot products ------------------------------------------------------------------

def ref_block_dot(ea, sa, eb, sb, fa, fb, c=None, ts=None) -> np.float32:
    """One block dot product: exact block sums rounded once, float32 accumulation."""
    bs = fa.block_size
    va = [Fraction(v) for v in ref_values(ea, fa.element)]
    vb = [Fraction(v) for v in ref_values(eb, fb.element)]
    acc = np.float32(0.0) if c is None or ts is not None else np.float32(c)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(len(sa)):
            xa, xb = scale_value(int(sa[j]), fa.scale), scale_value(int(sb[j]), fb.scale)
            if xa is None or xb is None:
                d = np.float32(np.nan)
            else:
                s = sum(va[i] * vb[i] for i in range(j * bs, (j + 1) * bs))
                d = ref_fp32(s * xa * xb)
            acc = np.float32(acc + d)
        if ts is not None:
            acc = np.float32(acc * np.float32(np.float32(ts[0]) * np.float32(ts[1])))
            if c is not None:
                acc = np.float32(acc + np.float32(c))
    return acc


def ref_fused(a: np.ndarray, b: np.ndarray, c=None) -> np.float32:
    """acc = RNE_fp32(acc + a_k * b_k) exactly, k increasing (IEEE signed zeros)."""
    acc = np.float32(0.0) if c is None else np.float32(c)
    for x, y in zip(a, b, strict=True):
        p = Fraction(float(x)) * Fraction(float(y))
        s = Fraction(float(acc)) + p
        neg_zero = s == 0 and np.signbit(acc) and np.signbit(x) != np.signbit(y)
        acc = np.float32(-0.0) if neg_zero else ref_fp32(s)
    return acc


def make_bt(rng, fmt, lead, K, axis, scale_lo=110, scale_hi=145, specials=0.0):
    """A BlockTensor of random finite element codes and random scale codes."""
    spec = get_format(fmt)
    bs = spec.block_size
    nb = -(-K // bs)
    shape = list(lead)
    shape.insert(axis, K)
    eshape = list(shape)
    eshape[axis] = nb * bs
    sshape = list(shape)
    sshape[axis] = nb
    el = rand_codes(rng, spec.element, eshape)
    pad = np.moveaxis(el, axis, -1)
    pad[..., K:] = 0
    if spec.scale.man_bits == 0:  # e8m0: a range of exponents, a few extremes
        sc = rng.integers(scale_lo, scale_hi, size=sshape)
        extreme = rng.random(sshape) < specials
        sc = np.where(extreme, rng.choice([0, 1, 253, 254, 255], size=sshape), sc)
    else:  # fp8_e4m3 block scales: positive finite codes, a few NaN (0x7F)
        sc = rng.integers(0x08, 0x7F, size=sshape)
        sc = np.where(rng.random(sshape) < specials, 0x7F, sc)
    ts = np.float32(rng.uniform(0.01, 4.0)) if spec.tensor_scale else None
    return BlockTensor(spec, sc.astype(np.uint8), el, tuple(shape), axis, ts)


def _check_block_dot(a, b, c, what):
    got = block_dot(a, b, c)
    lead = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    exp = np.empty(lead, np.float32)
    ea = np.broadcast_to(a.elements, (*lead, a.elements.shape[-1]))
    eb = np.broadcast_to(b.elements, (*lead, b.elements.shape[-1]))
    sa = np.broadcast_to(a.scales, (*lead, a.scales.shape[-1]))
    sb = np.broadcast_to(b.scales, (*lead, b.scales.shape[-1]))
    cc = None if c is None else np.broadcast_to(np.float32(c), lead)
    ts = None if a.tensor_scale is None else (a.tensor_scale, b.tensor_scale)
    for i in np.ndindex(lead):
        exp[i] = ref_block_dot(ea[i], sa[i], eb[i], sb[i], a.fmt, b.fmt,
                               None if cc is None else cc[i], ts)
    assert_same(got, exp, what)


# ----- golden.fp32 ---------------------------------------------------------------------------

def _near_ties(rng, n):
    """float64 hi near fp32 ties (normal, subnormal, overflow edge) and tiny lo nudges."""
    e = rng.integers(-160, 129, size=n)
    m = rng.integers(1 << 23, 1 << 24, size=n).astype(np.float64)
    hi = np.ldexp(m + 0.5 * rng.integers(0, 2, size=n), e - 23)  # fp32 values or midpoints
    hi *= rng.choice([-1.0, 1.0], size=n)
    lo = np.ldexp(rng.choice([-1.0, 0.0, 1.0], size=n), e - 23 - rng.integers(30, 80, size=n))
    return hi, lo


def test_round_exact_to_fp32_vs_fraction():
    seed = 11
    rng = np.random.default_rng(seed)
    hi, lo = _near_ties(rng, 3000)
    hi2 = rng.standard_normal(1000) * np.ldexp(1.0, rng.integers(-150, 130, size=1000))
    lo2 = hi2 * rng.standard_normal(1000) * 2.0 ** -40
    hi = np.concatenate([hi, hi2, [F32_MAX + 2.0**103, -(F32_MAX + 2.0**103), 2.0**-150]])
    lo = np.concatenate([lo, lo2, [0.0, -(2.0**-300), 2.0**-200]])
    got = round_exact_to_fp32(hi, lo)
    exp = np.array([ref_fp32(Fraction(h) + Fraction(x)) for h, x in zip(hi, lo, strict=True)])
    assert_same(got, exp, f"round_exact_to_fp32 seed={seed}")
    assert _bits(round_exact_to_fp32(-0.0, -0.0)) == 0x80000000
    assert _bits(round_exact_to_fp32(1.0, -1.0)) == 0


def test_round_exact_sum_to_fp32_wide_frame():
    """70-bit fixed-point sums (the fp8_e5m2 block case) with exact cancellation."""
    seed = 12
    rng = np.random.default_rng(seed)
    n, lsb, top = 4, -32, 37
    ints = [rng.integers(-(1 << 62), 1 << 62, size=2000) >> rng.integers(0, 62, size=2000)
            for _ in range(n)]
    ints[1] = np.where(rng.random(2000) < 0.3, -ints[0] + rng.integers(-3, 4, 2000), ints[1])
    terms = [np.ldexp((t >> 11).astype(np.float64), lsb + 11) for t in ints]  # exact doubles
    scale_x = rng.integers(-140, 100, size=2000)
    got = round_exact_sum_to_fp32(terms, lsb, top, np.ldexp(1.0, scale_x))
    exp = [ref_fp32(sum(Fraction(float(t[i])) for t in terms) * Fraction(2) ** int(scale_x[i]))
           for i in range(2000)]
    assert_same(got, np.array(exp, np.float32), f"round_exact_sum_to_fp32 seed={seed}")
    z = round_exact_sum_to_fp32([np.array([-0.0]), np.array([0.0])], 0, 4, 1.0)
    assert _bits(z)[0] == 0, "an exact zero sum must be +0"
    with pytest.raises(ValueError, match="too wide"):
        round_exact_sum_to_fp32([np.zeros(1)], -100, 100)


def test_fp32_add_and_fma():
    seed = 13
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 1 << 32, size=(3, 4000), dtype=np.uint64).astype(np.uint32)
    bits[:, :500] &= 0x80FFFFFF  # subnormals and tiny normals
    bits[:, 500:1000] = bits[0, 500:1000] ^ np.uint32(0x80000000)  # x + (-x), x*(-x) + x*x
    a, b, c = bits.view(np.float32)
    fin = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
    with np.errstate(all="ignore"):
        assert_same(fp32_add(a, b), a + b, f"fp32_add vs numpy seed={seed}")
    a, b, c = a[fin][:1500], b[fin][:1500], c[fin][:1500]
    a, b, c = a.astype(np.float64), b.astype(np.float64), c.astype(np.float64)
    exp_add = [ref_fp32(Fraction(x) + Fraction(y)) for x, y in zip(a, b, strict=True)]
    a, b, c = a.astype(np.float32), b.astype(np.float32), c.astype(np.float32)
    assert_same(fp32_add(a, b), np.array(exp_add, np.float32), f"fp32_add seed={seed}")
    exp_fma = [ref_fp32(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
               for x, y, z in zip(a, b, c, strict=True)]
    assert_same(fp32_fma(a, b, c), np.array(exp_fma, np.float32), f"fp32_fma seed={seed}")
    with pytest.raises(ValueError, match="not exactly an fp32"):
        fp32_add(0.1, 1.0)


# ----- block_dot: MX ----------------------------------------------------------------------------

@pytest.mark.parametrize("fa,fb", list(itertools.product(MX_NAMES, repeat=2)))
def test_block_dot_mx_pairs(fa, fb):
    """Every pair of MX formats; broadcasting, padding (K=45), scales normal/tiny/huge."""
    seed = 100 + MX_NAMES.index(fa) * 10 + MX_NAMES.index(fb)
    rng = np.random.default_rng(seed)
    for K, lo, hi in ((64, 110, 145), (45, 40, 67), (96, 180, 196)):
        a = make_bt(rng, fa, (3, 1), K, 2, lo, hi, specials=0.05)
        b = make_bt(rng, fb, (1, 2), K, 2, lo, hi, specials=0.05)
        c = rng.standard_normal((3, 2)).astype(np.float32) if K == 64 else None
        _check_block_dot(a, b, c, f"block_dot {fa} x {fb} K={K} seed={seed}")


def _mx_row(fmt, values, scale_codes):
    """A (1, K) MX BlockTensor from exact element values (must be codes of the element)."""
    spec = get_format(fmt)
    codes = finite_codes(spec.element)
    table = dict(zip(ref_values(codes, spec.element).tolist(), codes.tolist(), strict=True))
    table[-0.0] = codes[ref_values(codes, spec.element) == 0][-1]
    el = np.array([[table[v] for v in values]], np.uint8)
    nb = len(scale_codes)
    el = np.concatenate([el, np.zeros((1, nb * 32 - el.shape[1]), np.uint8)], axis=1)
    return BlockTensor(spec, np.array([scale_codes], np.uint8), el, (1, len(values)), 1)


def test_block_dot_directed_corners():
    # cancellation to exactly zero gives +0, even from negative products
    a = _mx_row("mxfp8_e4m3", [448.0, 448.0, -0.0], [127])
    b = _mx_row("mxfp8_e4m3", [2.0 ** -9, -(2.0 ** -9), 5.0], [127])
    assert _bits(block_dot(a, b))[0] == 0
    for fmt in ("mxfp8_e4m3", "mxfp8_e5m2", "mxfp4"):  # with c = -0: D must be +0, not -0
        a = _mx_row(fmt, [-4.0, 4.0, -0.0, 0.0], [127])
        b = _mx_row(fmt, [4.0, 4.0, 1.0, -1.0], [127])
        assert _bits(block_dot(a, b, c=np.float32(-0.0)))[0] == 0, fmt
    # overflow to Inf and the largest finite just below the overflow threshold
    a = _mx_row("mxfp8_e4m3", [448.0] * 32, [254])
    assert np.isposinf(block_dot(a, a))[0]
    a = _mx_row("mxfp4", [1.5], [254])
    b = _mx_row("mxfp4", [-1.0], [254])
    assert np.isneginf(block_dot(a, b))[0]  # 1.5 * 2^254 overflows
    # (2 - 2^-24) * 2^127 is the tie between fp32 max and 2^128: to even, i.e. Inf;
    # a product 2^-18 below it rounds to fp32 max
    a = _mx_row("mxfp8_e4m3", [256.0, 256.0, -(2.0**-4)], [183])
    b = _mx_row("mxfp8_e4m3", [256.0, 256.0, 2.0**-4], [182])
    assert np.isposinf(block_dot(a, b))[0]
    a = _mx_row("mxfp8_e4m3", [256.0, 256.0, -(2.0**-4), -(2.0**-9)], [183])
    b = _mx_row("mxfp8_e4m3", [256.0, 256.0, 2.0**-4, 2.0**-9], [182])
    assert_same(block_dot(a, b), np.array([np.finfo(np.float32).max]), "below overflow")
    # fp32 subnormal results: 9.5 quanta ties to 10; underflow to zero keeps the sign
    a = _mx_row("mxfp8_e4m3", [1.5, -0.5], [54])
    b = _mx_row("mxfp8_e4m3", [0.875, 0.25], [54])
    exp = ref_fp32((Fraction(1.5 * 0.875) - Fraction(0.125)) * Fraction(2) ** -146)
    assert_same(block_dot(a, b), np.array([np.ldexp(10.0, -149)], np.float32), "subnormal")
    assert _bits(exp) == 10
    a = _mx_row("mxfp8_e4m3", [-1.0], [0])
    b = _mx_row("mxfp8_e4m3", [1.0], [0])
    assert _bits(block_dot(a, b))[0] == 0  # D = -0, then +0 + -0 = +0
    assert _bits(block_dot(a, b, c=np.float32(-0.0)))[0] == 0x80000000
    # NaN scale on either side gives NaN, whatever the other blocks hold
    a = _mx_row("mxfp6_e2m3", [1.0] * 40, [127, 255])
    b = _mx_row("mxfp6_e2m3", [1.0] * 40, [127, 127])
    assert np.isnan(block_dot(a, b)).all() and np.isnan(block_dot(b, a)).all()
    # element Inf/NaN codes: the block's sum follows IEEE
    inf_row = _mx_row("mxfp8_e5m2", [1.0, 2.0], [127])
    el = inf_row.elements.copy()
    el[0, 0] = 0x7C  # +Inf
    inf_row = BlockTensor(inf_row.fmt, inf_row.scales, el, inf_row.shape, 1)
    assert np.isposinf(block_dot(inf_row, _mx_row("mxfp8_e5m2", [1.0, 1.0], [127])))[0]
    assert np.isnan(block_dot(inf_row, _mx_row("mxfp8_e5m2", [0.0, 1.0], [127])))[0]


def test_block_dot_e5m2_extreme_products():
    """Products 2^-32 .. 2^31.6: sticky bits 63 binades below the leading one decide ties."""
    big, half_ulp, tiny = 2.0 ** 15, 2.0 ** 3, 2.0 ** -16
    for sign, exp_val in ((1.0, 2.0 ** 30 + 2.0 ** 7), (-1.0, 2.0 ** 30)):
        a = _mx_row("mxfp8_e5m2", [big, half_ulp, sign * tiny], [127])
        b = _mx_row("mxfp8_e5m2", [big, half_ulp, tiny], [127])
        assert_same(block_dot(a, b), np.array([exp_val], np.float32), f"e5m2 tie {sign}")
    # large products cancel exactly and leave only the tiny ones
    seed = 21
    rng = np.random.default_rng(seed)
    spec = get_format("mxfp8_e5m2")
    a = make_bt(rng, spec, (50,), 64, 1, 120, 135)
    b = make_bt(rng, spec, (50,), 64, 1, 120, 135)
    ea, eb = a.elements.copy(), b.elements.copy()
    for blk in range(2):
        s = slice(blk * 32, blk * 32 + 16)
        t = slice(blk * 32 + 16, blk * 32 + 32)
        ea[:, t] = ea[:, s] ^ 0x80
        eb[:, t] = eb[:, s]
        ea[:, blk * 32 + 16:blk * 32 + 20] = rng.choice(finite_codes(spec.element)[:24],
                                                        size=(50, 4))
    a = BlockTensor(spec, a.scales, ea, a.shape, 1)
    b = BlockTensor(spec, b.scales, eb, b.shape, 1)
    _check_block_dot(a, b, None, f"e5m2 cancellation seed={seed}")


def test_block_dot_accumulation_order():
    """D = [1, 2^-24, 2^-24]: increasing k gives 1.0; any other order gives 1 + 2^-23."""
    a = _mx_row("mxfp8_e4m3", [1.0] + [0.0] * 31 + [1.0] + [0.0] * 31 + [1.0], [127, 103, 103])
    b = _mx_row("mxfp8_e4m3", [1.0] + [0.0] * 31 + [1.0] + [0.0] * 31 + [1.0], [127, 127, 127])
    d = np.float32([1.0, 2.0**-24, 2.0**-24])
    other = np.float32(np.float32(d[2] + d[1]) + d[0])
    assert other != 1.0
    assert_same(block_dot(a, b), np.array([1.0], np.float32), "increasing-k order")
    assert_same(gemm(a, BlockTensor(b.fmt, b.scales.T.copy(), b.elements.T.copy(), (65, 1), 0),
                     "mxfp8_e4m3"), np.array([[1.0]], np.float32), "gemm order")


def test_block_dot_nvfp4():
    seed = 31
    rng = np.random.default_rng(seed)
    for K in (48, 37):
        a = make_bt(rng, "nvfp4", (4, 1), K, 2, specials=0.03)
        b = make_bt(rng, "nvfp4", (1, 3), K, 2, specials=0.03)
        c = rng.standard_normal((4, 3)).astype(np.float32) if K == 48 else None
        _check_block_dot(a, b, c, f"nvfp4 K={K} seed={seed}")


# ----- gemm: element floats ----------------------------------------------------------------------

def _np_float32_loop(va: np.ndarray, vb: np.ndarray, c=None) -> np.ndarray:
    """acc = float32(acc + a_k * b_k), products exact in float32 (the fp4..fp8 case)."""
    acc = np.zeros((va.shape[0], vb.shape[1]), np.float32) if c is None else c.copy()
    for k in range(va.shape[1]):
        p = va[:, k, None].astype(np.float32) * vb[None, k, :].astype(np.float32)
        acc = acc + p
    return acc


@pytest.mark.parametrize("fa,fb", [*itertools.product(SMALL_FLOATS, repeat=2),
                                   ("fp4_e2m1", "int8"), ("int4", "fp8_e5m2"),
                                   ("ternary", "fp6_e3m2"), ("fp8_e4m3", "bin1")])
def test_gemm_small_floats_equal_numpy_float32_loop(fa, fb):
    seed = 200 + len(fa) * 7 + len(fb)
    rng = np.random.default_rng(seed)
    sa, sb = get_format(fa), get_format(fb)
    ca, cb = rand_codes(rng, sa, (6, 70)), rand_codes(rng, sb, (70, 5))
    c = rng.standard_normal((6, 5)).astype(np.float32)
    va, vb = ref_values(ca, sa), ref_values(cb, sb)
    with np.errstate(all="ignore"):
        for cc in (None, c):
            got = gemm(QTensor(ca, sa), QTensor(cb, sb), fa, fb, c=cc)
            assert_same(got, _np_float32_loop(va, vb, cc), f"gemm {fa} x {fb} seed={seed} "
                         f"A={_hex(ca[0, :8])}.. B={_hex(cb[:8, 0])}..")


def test_gemm_fp4_exhaustive_k2():
    """Every fp4 (a0, a1) x (b0, b1) combination: 65536 two-term dot products."""
    codes = np.arange(16)
    ca = np.array(list(itertools.product(codes, codes)), np.uint8)  # (256, 2)
    cb = ca.T.copy()
    spec = get_format("fp4_e2m1")
    got = gemm(QTensor(ca, spec), QTensor(cb, spec), spec)
    assert_same(got, _np_float32_loop(ref_values(ca, spec), ref_values(cb, spec)), "fp4 K=2")


@pytest.mark.parametrize("fa,fb", [("fp32", "fp32"), ("bf16", "bf16"), ("fp16", "fp16"),
                                   ("fp32", "int8"), ("bf16", "fp8_e5m2"), ("fp16", "fp32")])
def test_gemm_fused_vs_fraction(fa, fb):
    """Products not exact in fp32 (fp32 x fp32, bf16 subnormal products): one rounding per step."""
    seed = 300 + len(fa) + 3 * len(fb)
    rng = np.random.default_rng(seed)
    sa, sb = get_format(fa), get_format(fb)
    ca, cb = narrow_codes(rng, sa, (3, 24)), narrow_codes(rng, sb, (24, 4))
    va, vb = ref_values(ca, sa), ref_values(cb, sb)
    c = np.float32([[0.0, -0.0, 1.5, -3e-39]])
    got = gemm(QTensor(ca, sa), QTensor(cb, sb), fa, fb, c=c)
    exp = np.empty((3, 4), np.float32)
    with np.errstate(all="ignore"):
        for i, j in np.ndindex(3, 4):
            exp[i, j] = ref_fused(va[i], vb[:, j], c[0, j])
    assert_same(got, exp, f"gemm {fa} x {fb} seed={seed}")


def test_gemm_fused_rounding_points():
    """fp32 x fp32: the fused step differs from product-then-add; order matters."""
    a = np.float32([[1 + 2.0**-12, 2.0**-24, 2.0**-24]])
    b = np.float32([[1 + 2.0**-12], [1.0], [1.0]])
    got = gemm(a, b, "fp32")
    # exact 1 + 2^-11 + 2^-24, then + 2^-24 twice: each a tie or below, to even
    exp = ref_fp32(Fraction(1) + Fraction(2) ** -11 + Fraction(2) ** -24)
    exp = ref_fp32(Fraction(float(exp)) + Fraction(2) ** -24)
    exp = ref_fp32(Fraction(float(exp)) + Fraction(2) ** -24)
    assert_same(got, np.array([[exp]]), "fused fp32")
    # ordering: fp8 products 64, 2^-18, 2^-18: increasing k keeps 64, others 64 + 2^-17
    a = np.array([[8.0, 2.0**-9, 2.0**-9]])
    got = gemm(a, a.T, "fp8_e4m3")
    assert_same(got, np.array([[64.0]], np.float32), "order")
    assert np.float32(np.float32(2.0**-18) + np.float32(2.0**-18)) + np.float32(64) != 64


def test_gemm_float_specials():
    """Inf/NaN codes of fp32 operands (passed as codes: encode saturates Inf by default)."""
    def q(x):
        return QTensor(np.float32(x).view(np.uint32), "fp32")

    a = q([[np.inf, 1.0], [np.inf, 0.0], [np.nan, 1.0], [3e38, 3e38]])
    b = q([[1.0, 0.0, -1.0], [1.0, 1.0, 1.0]])
    got = gemm(a, b, "fp32")
    assert np.isposinf(got[0, 0]) and np.isnan(got[0, 1]) and np.isneginf(got[0, 2])
    assert np.isnan(got[2]).all() and np.isposinf(got[3, 0])
    got = gemm(q([[np.inf, -np.inf]]), q([[1.0], [1.0]]), "fp32")
    assert np.isnan(got).all()


# ----- gemm: integers ------------------------------------------------------------------------

@pytest.mark.parametrize("fa,fb", list(itertools.product(INTS, repeat=2)))
def test_gemm_int_pairs(fa, fb):
    seed = 400 + INTS.index(fa) * 5 + INTS.index(fb)
    rng = np.random.default_rng(seed)
    sa, sb = get_format(fa), get_format(fb)
    ca, cb = rand_codes(rng, sa, (5, 33)), rand_codes(rng, sb, (33, 4))
    va = ref_values(ca, sa).astype(np.int64)
    vb = ref_values(cb, sb).astype(np.int64)
    c = rng.integers(-(2**31), 2**31, size=(5, 4)).astype(np.int32)
    got = gemm(QTensor(ca, sa), QTensor(cb, sb), fa, fb, c=c)
    exp = np.empty((5, 4), np.int64)
    for i, j in np.ndindex(5, 4):
        s = sum(int(x) * int(y) for x, y in zip(va[i], vb[:, j], strict=True)) + int(c[i, j])
        exp[i, j] = (s + 2**31) % 2**32 - 2**31
    assert got.dtype == np.int32
    assert np.array_equal(got, exp.astype(np.int32)), (
        f"gemm {fa} x {fb} seed={seed}: expected {_hex(exp.astype(np.int32))} got {_hex(got)}")
    # real-valued inputs are encoded first
    assert np.array_equal(gemm(va, vb, fa, fb), gemm(QTensor(ca, sa), QTensor(cb, sb), fa, fb))


def test_gemm_int32_wraparound():
    K = 140_000  # 140000 * 16384 > 2^31
    a = np.full((2, K), -128)
    got = gemm(a, a.T, "int8")
    exp = (K * 16384 + 2**31) % 2**32 - 2**31
    assert np.array_equal(got, np.full((2, 2), exp, np.int32)), f"expected {exp} got {got}"
    got = gemm(np.array([[1]]), np.array([[1]]), "int8", c=np.array([[2**31 - 1]]))
    assert got[0, 0] == -(2**31)


# ----- gemm: MX and NVFP4 ----------------------------------------------------------------------

@pytest.mark.parametrize("fa,fb", [("mxfp8_e4m3", "mxfp8_e4m3"), ("mxfp8_e5m2", "mxfp8_e5m2"),
                                   ("mxfp4", "mxfp8_e5m2"), ("mxint8", "mxfp6_e3m2"),
                                   ("nvfp4", "nvfp4")])
def test_gemm_block_vs_reference(fa, fb):
    seed = 500 + len(fa) * 3 + len(fb)
    rng = np.random.default_rng(seed)
    A = make_bt(rng, fa, (4,), 70, 1, 100, 150, specials=0.03)
    B = make_bt(rng, fb, (3,), 70, 0, 100, 150, specials=0.03)
    c = rng.standard_normal((4, 3)).astype(np.float32)
    got = gemm(A, B, fa, fb, c=c)
    ts = None if A.tensor_scale is None else (A.tensor_scale, B.tensor_scale)
    exp = np.empty((4, 3), np.float32)
    for i, j in np.ndindex(4, 3):
        exp[i, j] = ref_block_dot(A.elements[i], A.scales[i], B.elements[:, j], B.scales[:, j],
                                  A.fmt, B.fmt, c[i, j], ts)
    assert_same(got, exp, f"gemm {fa} x {fb} seed={seed}")


def test_gemm_block_quantizes_float_inputs():
    seed = 601
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((5, 100)).astype(np.float32)
    B = rng.standard_normal((100, 6)).astype(np.float32)
    for fmt in ("mxfp6_e2m3", "nvfp4"):
        got = gemm(A, B, fmt)
        exp = gemm(quantize(A, fmt, axis=1), quantize(B, fmt, axis=0), fmt)
        assert_same(got, exp, f"{fmt} float inputs seed={seed}")
        assert np.abs(got - A @ B).max() < 0.5 * np.abs(A @ B).max()


def test_gemm_mx_exhaustive_fp4_k2():
    """mxfp4 x mxfp4, every (a0, a1) x (b0, b1): 65536 block sums, random scales per row."""
    seed = 602
    rng = np.random.default_rng(seed)
    spec = get_format("mxfp4")
    pairs = np.array(list(itertools.product(range(16), range(16))), np.uint8)
    ea = np.concatenate([pairs, np.zeros((256, 30), np.uint8)], axis=1)
    sa = rng.choice([2, 60, 127, 200, 254], size=(256, 1)).astype(np.uint8)
    sb = rng.choice([1, 50, 127, 140], size=(1, 256)).astype(np.uint8)
    A = BlockTensor(spec, sa, ea, (256, 2), 1)
    B = BlockTensor(spec, sb, ea.T.copy(), (2, 256), 0)
    got = gemm(A, B, spec)
    vals = [Fraction(v) for v in ref_values(np.arange(16), spec.element)]
    prod = [[x * y for y in vals] for x in vals]
    cache: dict[tuple[Fraction, int], np.float32] = {}
    exp = np.empty((256, 256), np.float32)
    for i, j in np.ndindex(256, 256):
        key = (prod[pairs[i, 0]][pairs[j, 0]] + prod[pairs[i, 1]][pairs[j, 1]],
               int(sa[i, 0]) + int(sb[0, j]) - 254)
        if key not in cache:
            cache[key] = ref_fp32(key[0] * Fraction(2) ** key[1])
        exp[i, j] = cache[key]
    exp += np.float32(0.0)  # the accumulator starts at +0: -0 block results become +0
    assert_same(got, exp, f"mxfp4 exhaustive K=2 seed={seed}")


# ----- gemm: posits -------------------------------------------------------------------------

def _posit_value(code: int, n: int) -> Fraction | None:
    p = sp.posit_2(0.0, n)
    p.fromBits(int(code) << (32 - n))
    return None if p.isNaR() else Fraction(float(p))


def _posit_round(x: Fraction, n: int) -> Fraction:
    assert Fraction(float(x)) == x, "reference sum must be exact in float64"
    return Fraction(float(sp.posit_2(float(x), n)))


@pytest.mark.parametrize("n", [8, 16])
def test_gemm_posit_vs_fraction_quire(n):
    seed = 700 + n
    rng = np.random.default_rng(seed)
    spec = get_format(f"posit{n}")
    mid = 1 << (n - 2)  # codes around 1.0: magnitudes 2^-12 .. 2^12 for posit16
    ca = rng.integers(mid - mid // 2, mid + mid // 2, size=(3, 9))
    ca = np.where(rng.random((3, 9)) < 0.5, (1 << n) - ca, ca)  # negate: two's complement
    cb = rng.integers(mid - mid // 2, mid + mid // 2, size=(9, 2))
    ca[0, 0] = 0
    cc = rng.integers(mid - mid // 4, mid + mid // 4, size=(3, 2))
    for c in (None, cc):
        cq = None if c is None else QTensor(c.astype(spec.code_dtype), spec)
        got = gemm(QTensor(ca.astype(spec.code_dtype), spec),
                   QTensor(cb.astype(spec.code_dtype), spec), spec, c=cq)
        exp = np.empty((3, 2), np.float64)
        for i, j in np.ndindex(3, 2):
            s = sum(_posit_value(ca[i, k], n) * _posit_value(cb[k, j], n) for k in range(9))
            s += 0 if c is None else _posit_value(c[i, j], n)
            exp[i, j] = float(_posit_round(s, n))
        assert_same(np.asarray(got, np.float64), exp,
                    f"posit{n} gemm seed={seed} A={_hex(ca.astype(np.uint32))}")
    nar = ca.copy()
    nar[1, 3] = 1 << (n - 1)
    got = gemm(QTensor(nar.astype(spec.code_dtype), spec), QTensor(cb.astype(spec.code_dtype),
                                                                 spec), spec)
    assert np.isnan(got[1]).all() and not np.isnan(got[0]).any()


# ----- bad inputs ---------------------------------------------------------------------------

def test_bad_shapes_and_pairings():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        gemm(x, np.ones((4, 2)), "fp8_e4m3")
    with pytest.raises(ValueError, match=r"\(2, 3, 1\)"):
        gemm(np.ones((2, 3, 1)), np.ones((3, 2)), "int8")
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        gemm(x, np.ones((4, 2)), "mxfp4")
    for fa, fb in (("mxfp4", "nvfp4"), ("posit8", "fp8_e4m3"), ("posit8", "posit16"),
                   ("mxfp4", "fp4_e2m1"), ("int8", "mxint8"), ("e8m0", "posit8")):
        with pytest.raises(ValueError, match="allowed"):
            gemm(x, x.T, fa, fb)
    with pytest.raises(ValueError, match="unknown format"):
        gemm(x, x.T, "fp7")
    a = quantize(np.ones((2, 40)), "mxfp4")
    with pytest.raises(ValueError, match="same K"):
        block_dot(a, quantize(np.ones((2, 41)), "mxfp4"))
    with pytest.raises(ValueError, match="last axis"):
        block_dot(quantize(np.ones((40, 2)), "mxfp4", axis=0), a)
    with pytest.raises(ValueError, match="allowed"):
        block_dot(a, quantize(np.ones((2, 40)), "nvfp4"))
    with pytest.raises(TypeError, match="BlockTensor"):
        block_dot(np.ones((2, 40)), a)
    with pytest.raises(ValueError, match="axis"):
        gemm(quantize(np.ones((2, 40)), "mxfp4", axis=0), np.ones((40, 2)), "mxfp4")
    with pytest.raises(ValueError, match="QTensor of int8"):
        gemm(QTensor(np.zeros((2, 2), np.uint8), "int8"), np.ones((2, 2)), "int4")
