"""The testbench inputs and expected outputs (verif/vectors.py, verif/jobs.py), checked
against independent oracles: ml_dtypes for element values, and exact ``fractions.Fraction``
arithmetic rounded once by a directly written fp32 RNE routine for every expected result.
No Verilator here; these are fast.
"""

from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from oracles import fp32_rne

from golden.formats import get_format
from verif import vectors as vec
from verif.jobs import CHAIN, dot_job, fp32_job, mac_job

ELEMENTS = ["fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2"]


def _ml_value(name: str, code: int) -> float:
    dt = np.dtype(getattr(ml_dtypes, get_format(name).ml_dtypes_name))
    return float(np.array([code], dtype=np.uint8).view(dt)[0])


def _int_value(spec, code: int) -> Fraction:
    v = code - (1 << spec.bits) if code >> (spec.bits - 1) else code
    if spec.kind == "bin1":
        v = 1 if code else -1
    return Fraction(v) * Fraction(2) ** spec.scale_exp


def _value(spec, code: int) -> Fraction | float:
    """Exact element value (ml_dtypes for floats; NaN/Inf as float)."""
    if spec.kind == "float":
        if spec.bits == 8 and spec.exp_bits == 8:  # e8m0 scale
            return float("nan") if code == 0xFF else Fraction(2) ** (code - 127)
        v = _ml_value(spec.name, code)
        return v if not np.isfinite(v) else Fraction(v)
    return _int_value(spec, code)


def _f32(bits: int) -> Fraction | float:
    f = float(np.array([bits], np.uint32).view(np.float32)[0])
    return Fraction(f) if np.isfinite(f) else f


def _is_nan_bits(bits: int) -> bool:
    return (bits & 0x7F800000) == 0x7F800000 and (bits & 0x7FFFFF) != 0


# ----- generators ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTS)
def test_corner_codes_hit_the_format_corners(name: str) -> None:
    spec = get_format(name)
    vals = [_ml_value(name, int(c)) for c in vec.corner_codes(spec)]
    finite = [abs(v) for v in vals if np.isfinite(v)]
    assert max(finite) == spec.max_finite, (name, vals)
    assert min(v for v in finite if v > 0) == spec.min_positive, (name, vals)
    assert any(v == 0 and np.signbit(v) for v in vals), "no -0 corner"
    assert any(np.isnan(v) for v in vals) == spec.has_nan
    assert any(np.isinf(v) for v in vals) == spec.inf


def test_valid_codes_counts() -> None:
    counts = {n: len(vec.valid_codes(get_format(n))) for n in
              ("fp8_e4m3", "int8", "int4", "ternary", "bin1", "fp4_e2m1")}
    assert counts == {"fp8_e4m3": 256, "int8": 256, "int4": 16, "ternary": 3, "bin1": 2,
                      "fp4_e2m1": 16}
    mxint8_el = get_format("mxint8").element
    assert 0x80 not in vec.valid_codes(mxint8_el) and len(vec.valid_codes(mxint8_el)) == 255


def test_exhaustive_pairs_complete() -> None:
    spec = get_format("fp8_e5m2")
    a, b = vec.exhaustive_pairs(spec, spec)
    assert len(a) == 65536 and len(set(zip(a.tolist(), b.tolist(), strict=True))) == 65536
    with pytest.raises(ValueError, match="exhaustive limit"):
        vec.exhaustive_pairs(get_format("fp16"), get_format("fp16"))


# ----- expected results vs exact arithmetic -----------------------------------------------

@pytest.mark.parametrize("fmt,fmt_b", [("fp8_e4m3", None), ("fp8_e5m2", None),
                                       ("fp4_e2m1", "int8"), ("int8", None), ("ternary", "int4")])
def test_mac_expected_matches_exact(fmt: str, fmt_b: str | None) -> None:
    seed = 3
    job = mac_job(fmt, fmt_b, None, seed)
    fa, fb = get_format(fmt), get_format(fmt_b or fmt)
    chk = job.checks["acc"]
    rng = np.random.default_rng(seed)
    chains = np.arange(0, job.n - CHAIN + 1, CHAIN)
    starts = rng.choice(chains, size=min(300, len(chains)), replace=False)
    for s in starts:
        acc: Fraction | float = Fraction(0)  # the exact value of the fp32 (or int) acc
        for k in range(s, s + CHAIN):
            a, b = job.inputs["a"][k], job.inputs["b"][k]
            assert job.inputs["i_first"][k] == (k == s)
            va, vb = _value(fa, a), _value(fb, b)
            if fa.is_integer and fb.is_integer:
                acc = acc + va * vb
                want: int | None = int(acc) & 0xFFFFFFFF
            elif any(isinstance(v, float) for v in (va, vb, acc)):  # NaN/Inf: IEEE rules
                acc = float(acc) + float(va) * float(vb)
                want = None if np.isnan(acc) else (0x7F800000 if acc > 0 else 0xFF800000)
            else:  # exact sum, one rounding; acc starts at +0 so a zero sum is +0
                want = fp32_rne(acc + va * vb)
                acc = _f32(want) if (want & 0x7F800000) != 0x7F800000 else float(_f32(want))
            got = int(chk.bits[k])
            msg = (f"seed {seed} vector {k}: a=0x{a:x} b=0x{b:x} expected "
                   f"{'NaN' if want is None else hex(want)} got 0x{got:x}")
            if want is None:
                assert chk.nan_class[k] and _is_nan_bits(got), msg
            else:
                assert got == want, msg


def test_mac_signed_zero_sums() -> None:
    # a chain's first product -0 (e.g. -0 x 1) is added to +0.0: (+0) + (-0) = +0 (RNE)
    job = mac_job("fp8_e4m3", None, None, 1)
    dt = np.dtype(ml_dtypes.float8_e4m3fn)
    va = np.array(job.inputs["a"], np.uint8).view(dt).astype(np.float64)
    vb = np.array(job.inputs["b"], np.uint8).view(dt).astype(np.float64)
    p = va * vb
    first = np.array(job.inputs["i_first"]) == 1
    negzero = first & (p == 0) & np.signbit(p)
    assert negzero.sum() > 10
    assert (job.checks["acc"].bits[negzero] == 0).all()


@pytest.mark.parametrize("fmt,lanes", [("mxfp4", 4), ("mxfp8_e5m2", 32), ("mxint8", 8),
                                       ("mxfp6_e3m2", 32), ("nvfp4", 16), ("nvfp4", 4)])
def test_dot_expected_matches_exact(fmt: str, lanes: int) -> None:
    seed = 11
    spec = get_format(fmt)
    job = dot_job(fmt, None, 400, seed, lanes)
    el, sc = spec.element, spec.scale
    w = el.bits
    for k in range(job.n):
        pa, pb = job.inputs["a"][k], job.inputs["b"][k]
        ea = [(pa >> (i * w)) & ((1 << w) - 1) for i in range(lanes)]
        eb = [(pb >> (i * w)) & ((1 << w) - 1) for i in range(lanes)]
        xa, xb = job.inputs["sa"][k], job.inputs["sb"][k]
        va, vb = [_value(el, c) for c in ea], [_value(el, c) for c in eb]
        s_a, s_b = _value(sc, xa), _value(sc, xb)
        got = int(job.checks["d"].bits[k])
        msg = (f"seed {seed} block {k}: a=0x{pa:x} b=0x{pb:x} scales 0x{xa:x} 0x{xb:x} "
               f"got 0x{got:x}")
        vals = [*va, *vb, s_a, s_b]
        if any(isinstance(v, float) for v in vals):
            f = sum(float(x) * float(y) for x, y in zip(va, vb, strict=True))
            f = f * float(s_a) * float(s_b)
            if np.isnan(f):
                assert _is_nan_bits(got), msg
            elif np.isinf(f):
                assert got == (0x7F800000 if f > 0 else 0xFF800000), msg
            continue
        exact = sum(x * y for x, y in zip(va, vb, strict=True)) * s_a * s_b
        assert got == fp32_rne(exact), msg + f" expected 0x{fp32_rne(exact):08x}"


def test_fp32_expected_matches_exact() -> None:
    seed = 5
    for op in ("add", "mul"):
        job = fp32_job(op, 3000, seed)
        chk = job.checks["sum" if op == "add" else "prod"]
        for k in range(job.n):
            a, b = job.inputs["a"][k], job.inputs["b"][k]
            fa = float(np.array([a], np.uint32).view(np.float32)[0])
            fb = float(np.array([b], np.uint32).view(np.float32)[0])
            got = int(chk.bits[k])
            msg = f"seed {seed} {op} a=0x{a:08x} b=0x{b:08x} got 0x{got:08x}"
            r = fa + fb if op == "add" else fa * fb
            if not (np.isfinite(fa) and np.isfinite(fb)):
                if np.isnan(r):
                    assert _is_nan_bits(got), msg
                else:
                    assert got == int(np.array([r], np.float32).view(np.uint32)[0]), msg
                continue
            exact = Fraction(fa) + Fraction(fb) if op == "add" else Fraction(fa) * Fraction(fb)
            want = fp32_rne(exact)
            if exact == 0:  # IEEE signed-zero rules
                neg = (np.signbit(fa) and np.signbit(fb)) if op == "add" else (
                    np.signbit(fa) != np.signbit(fb))
                want = 0x80000000 if neg else 0
            assert got == want, msg + f" expected 0x{want:08x}"
