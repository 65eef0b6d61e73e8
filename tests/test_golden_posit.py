"""posit<n, es> codec and quire against independent oracles.

Oracles: softposit (posit_2 = posit<n, 2>, legacy posit8 es 0 / posit16 es 1 and their
quires), and an exact reference written here from the Posit Standard 2022 definitions:
the value ``(-1)^s * useed^k * 2^e * (1 + f)`` read off the bit string, and the standard's
rounding rule (round to the neighbour on the side of the (n+1)-bit midpoint pattern
``U followed by 1``; a tie goes to the even pattern; never to 0 or NaR).
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import softposit as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from golden.formats import FormatSpec, get_format, posit
from golden.posit import (
    posit_decode,
    posit_encode,
    posit_fields,
    posit_gemm,
    quire_bits,
    quire_dot,
)

SMALL = [(n, es) for n in range(2, 13) for es in range(5)]


# ----- the reference, straight from the standard ------------------------------------------
def ref_decode(code: int, n: int, es: int) -> Fraction | None:
    """Exact value of an n-bit posit code read off its bit string; None for NaR."""
    if code == 0:
        return Fraction(0)
    if code == 1 << (n - 1):
        return None
    neg = code >> (n - 1)
    if neg:
        code = (1 << n) - code
    bits = format(code, f"0{n}b")[1:]
    run = len(bits) - len(bits.lstrip(bits[0]))
    k = run - 1 if bits[0] == "1" else -run
    rest = bits[run + 1:]
    e = int(rest[:es].ljust(es, "0"), 2) if es else 0
    fbits = rest[es:]
    f = Fraction(int(fbits, 2), 2 ** len(fbits)) if fbits else Fraction(0)
    v = Fraction(2 ** (2**es)) ** k * Fraction(2) ** e * (1 + f)
    return -v if neg else v


@cache
def ref_table(n: int, es: int) -> tuple[list[Fraction], list[int]]:
    """Positive posit values in increasing order and their codes (1 .. maxpos code)."""
    codes = list(range(1, 1 << (n - 1)))
    vals = [ref_decode(c, n, es) for c in codes]
    assert vals == sorted(vals)
    return vals, codes


def ref_encode(x: Fraction, n: int, es: int) -> int:
    """The standard's rounding of an exact value x to an n-bit posit code."""
    if x == 0:
        return 0
    vals, codes = ref_table(n, es)
    a = abs(x)
    if a >= vals[-1]:
        c = codes[-1]
    elif a <= vals[0]:
        c = codes[0]
    else:
        i = bisect.bisect_right(vals, a) - 1
        if vals[i] == a:
            c = codes[i]
        else:
            mid = ref_decode(2 * codes[i] + 1, n + 1, es)
            assert vals[i] < mid < vals[i + 1]
            if a != mid:
                c = codes[i] if a < mid else codes[i + 1]
            else:
                c = codes[i] if codes[i] % 2 == 0 else codes[i + 1]
    return (1 << n) - c if x < 0 else c


def _same_f64(got: np.ndarray, exp: np.ndarray) -> np.ndarray:
    return got.astype(np.float64).view(np.uint64) == exp.astype(np.float64).view(np.uint64)


def _report(what: str, inputs: np.ndarray, exp: np.ndarray, got: np.ndarray,
            bad: np.ndarray, seed: object = None) -> str:
    i = np.flatnonzero(bad)[:8]
    rows = []
    for j in i:
        x = inputs.ravel()[j]
        xs = x.hex() if isinstance(x, float) else hex(int(x))
        rows.append(f"in={xs} expected={_hx(exp.ravel()[j])} got={_hx(got.ravel()[j])}")
    return f"{what}: {int(bad.sum())} mismatches (seed {seed}): " + "; ".join(rows)


def _hx(v: object) -> str:
    return float(v).hex() if isinstance(v, float | np.floating) else hex(int(v))


# ----- decode ----------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "es"), SMALL)
def test_decode_exhaustive_vs_reference(n: int, es: int) -> None:
    codes = np.arange(1 << n)
    got = posit_decode(codes, posit(n, es))
    assert got.dtype == np.float64
    ref = [ref_decode(int(c), n, es) for c in codes]
    exp = np.array([np.nan if r is None else float(r) for r in ref])
    assert all(r is None or Fraction(float(r)) == r for r in ref)
    bad = ~(_same_f64(got, exp) | (np.isnan(got) & np.isnan(exp)))
    assert not bad.any(), _report(f"decode posit<{n},{es}>", codes, exp, got, bad)


@pytest.mark.parametrize(("n", "es"), [(13, 0), (16, 3), (20, 1), (24, 4), (31, 2), (32, 0),
                                       (32, 1), (32, 2), (32, 3), (32, 4)])
def test_decode_random_wide_vs_reference(n: int, es: int) -> None:
    seed = 1000 * n + es
    codes = np.random.default_rng(seed).integers(0, 1 << n, 3000, dtype=np.uint64)
    codes = np.concatenate([codes, [0, 1, 2, 3, (1 << (n - 1)) - 1, 1 << (n - 1),
                                    (1 << n) - 1, 1 << (n - 2)]]).astype(np.uint64)
    got = posit_decode(codes, posit(n, es))
    exp = np.array([np.nan if (r := ref_decode(int(c), n, es)) is None else float(r)
                    for c in codes])
    bad = ~(_same_f64(got, exp) | (np.isnan(got) & np.isnan(exp)))
    assert not bad.any(), _report(f"decode posit<{n},{es}>", codes, exp, got, bad, seed)


def _sp_decode(codes: np.ndarray, which: str, n: int) -> np.ndarray:
    out = np.empty(codes.size)
    if which == "x2":
        t = sp.posit_2_t()
        for i, c in enumerate(codes):
            t.v = int(c) << (32 - n)
            out[i] = sp.convertPX2ToDouble(t)
    else:
        t, conv = {"p8": (sp.posit8_t(), sp.convertP8ToDouble),
                   "p16": (sp.posit16_t(), sp.convertP16ToDouble),
                   "p32": (sp.posit32_t(), sp.convertP32ToDouble)}[which]
        for i, c in enumerate(codes):
            t.v = int(c)
            out[i] = conv(t)
    return out


SOFTPOSIT_DECODE = [("posit8", "x2"), ("posit16", "x2"), ("posit8_es0", "p8"),
                    ("posit16_es1", "p16")]


@pytest.mark.parametrize(("name", "which"), SOFTPOSIT_DECODE)
def test_decode_exhaustive_vs_softposit(name: str, which: str) -> None:
    spec = get_format(name)
    n = spec.bits
    codes = np.arange(1 << n, dtype=np.uint64)
    got = posit_decode(codes, spec)
    exp = _sp_decode(codes, which, n)
    nar = codes == 1 << (n - 1)
    assert np.isnan(got[nar]).all()
    bad = ~_same_f64(got, exp) & ~nar
    assert not bad.any(), _report(f"decode {name} vs softposit", codes, exp, got, bad)


def test_decode_posit32_random_vs_softposit() -> None:
    seed = 32
    codes = np.random.default_rng(seed).integers(0, 1 << 32, 20000, dtype=np.uint64)
    codes = codes[codes != 1 << 31]
    got = posit_decode(codes, "posit32")
    exp = _sp_decode(codes, "p32", 32)
    bad = ~_same_f64(got, exp)
    assert not bad.any(), _report("decode posit32 vs softposit", codes, exp, got, bad, seed)


@pytest.mark.parametrize(("n", "es"), [(5, 0), (8, 2), (12, 3), (16, 1)])
def test_fields_vs_bit_string(n: int, es: int) -> None:
    codes = np.arange(1 << n)
    f = posit_fields(codes, posit(n, es))
    for c in range(1 << n):
        got = (int(f.sign[c]), int(f.regime[c]), int(f.exponent[c]), int(f.fraction[c]),
               int(f.fraction_bits[c]))
        if c in (0, 1 << (n - 1)):
            assert got == (c >> (n - 1), 0, 0, 0, 0), hex(c)
            continue
        s = c >> (n - 1)
        bits = format((1 << n) - c if s else c, f"0{n}b")[1:]
        run = len(bits) - len(bits.lstrip(bits[0]))
        rest = bits[run + 1:]
        k = run - 1 if bits[0] == "1" else -run
        e = int(rest[:es].ljust(es, "0"), 2) if es else 0
        fb = rest[es:]
        exp = (s, k, e, int(fb, 2) if fb else 0, len(fb))
        assert got == exp, f"posit<{n},{es}> code {c:#x}: expected {exp}, got {got}"


# ----- encode ----------------------------------------------------------------------------
def _probe_values(n: int, es: int) -> tuple[np.ndarray, np.ndarray]:
    """Posits, midpoints and their float64 neighbours with the expected codes (by the rule).

    Between codes c and c + 1 the midpoint is the (n+1)-bit pattern 2c + 1: below it rounds
    to c, above to c + 1, on it to the even one; negatives are the two's complements.
    """
    vals, codes = ref_table(n, es)
    xs, exp = [], []
    for i, (v, c) in enumerate(zip(vals, codes, strict=True)):
        fv = float(v)
        xs += [fv, np.nextafter(fv, np.inf), np.nextafter(fv, 0)]
        exp += [c, c, c]  # just below minpos still gives minpos
        if i + 1 < len(vals):
            m = ref_decode(2 * c + 1, n + 1, es)
            fm = float(m)
            assert Fraction(fm) == m
            xs += [fm, np.nextafter(fm, np.inf), np.nextafter(fm, 0)]
            exp += [c if c % 2 == 0 else c + 1, c + 1, c]
    maxc = codes[-1]
    xs += [float(vals[-1]) * 2**40, 1e300, np.inf, 5e-324, 1e-300, 0.0, -0.0, np.nan, -np.inf]
    exp += [maxc, maxc, 1 << (n - 1), 1, 1, 0, 0, 1 << (n - 1), 1 << (n - 1)]
    x = np.array(xs)
    e = np.array(exp, dtype=np.int64)
    neg = np.isfinite(x) & (x != 0)
    x = np.concatenate([x, -x[neg]])
    e = np.concatenate([e, ((1 << n) - e[neg]) % (1 << n)])
    return x, e


@pytest.mark.parametrize(("n", "es"), SMALL)
def test_encode_midpoints_by_rule(n: int, es: int) -> None:
    x, exp = _probe_values(n, es)
    got = posit_encode(x, posit(n, es))
    assert got.dtype == np.dtype(np.uint8 if n <= 8 else np.uint16)
    bad = got.astype(np.int64) != exp
    assert not bad.any(), _report(f"encode posit<{n},{es}>", x, exp, got, bad)


@pytest.mark.parametrize(("n", "es"), [(3, 0), (6, 1), (8, 2), (9, 4), (11, 3), (12, 0)])
def test_encode_random_vs_reference(n: int, es: int) -> None:
    seed = 7 * n + es
    rng = np.random.default_rng(seed)
    s = (1 << es) * (n - 2)
    x = rng.uniform(1, 2, 2000) * np.exp2(rng.integers(-s - 3, s + 4, 2000))
    x *= rng.choice([-1.0, 1.0], 2000)
    got = posit_encode(x, posit(n, es))
    exp = np.array([ref_encode(Fraction(v), n, es) for v in x])
    bad = got.astype(np.int64) != exp
    assert not bad.any(), _report(f"encode posit<{n},{es}>", x, exp, got, bad, seed)


def _sp_encode(x: np.ndarray, name: str) -> np.ndarray:
    spec = get_format(name)
    n = spec.bits
    if spec.es == 2 and n < 32:
        return np.array([sp.convertDoubleToPX2(float(v), n).v >> (32 - n) for v in x])
    conv = {8: sp.convertDoubleToP8, 16: sp.convertDoubleToP16, 32: sp.convertDoubleToP32}[n]
    return np.array([conv(float(v)).v for v in x])


@pytest.mark.parametrize("name", ["posit8", "posit16", "posit8_es0", "posit16_es1"])
def test_encode_midpoints_vs_softposit(name: str) -> None:
    spec = get_format(name)
    x, _ = _probe_values(spec.bits, spec.es)
    x = x[np.isfinite(x) & (np.abs(x) < 1e300) & (np.abs(x) > 1e-300)]
    got = posit_encode(x, spec)
    exp = _sp_encode(x, name)
    bad = got.astype(np.int64) != exp
    assert not bad.any(), _report(f"encode {name} vs softposit", x, exp, got, bad)


@pytest.mark.parametrize("name", ["posit8", "posit16", "posit32", "posit8_es0", "posit16_es1",
                                  "posit12", "posit24"])
def test_encode_random_fp32_vs_softposit(name: str) -> None:
    seed = sum(map(ord, name))
    bits = np.random.default_rng(seed).integers(0, 1 << 32, 20000, dtype=np.uint64)
    x = bits.astype(np.uint32).view(np.float32)
    x = x[np.isfinite(x) & (x != 0) & (np.abs(x) > 1e-37)].astype(np.float64)
    got = posit_encode(x, name)
    exp = _sp_encode(x, name)
    bad = got.astype(np.int64) != exp
    assert not bad.any(), _report(f"encode {name} vs softposit", x, exp, got, bad, seed)


def _first_code_at_least(v: Fraction, n: int) -> int:
    """Smallest positive posit<n,2> code with reference value >= v (2^(n-1) if none)."""
    lo, hi = 1, 1 << (n - 1)
    while lo < hi:
        mid = (lo + hi) // 2
        if ref_decode(mid, n, 2) >= v:
            hi = mid
        else:
            lo = mid + 1
    return lo


@pytest.mark.parametrize("n", [8, 16, 32])
def test_encode_int64_vs_softposit(n: int) -> None:
    """64-bit integers are taken exactly (no double rounding through float64)."""
    seed = 64 + n
    rng = np.random.default_rng(seed)
    vals = [int(v) for v in rng.integers(-(2**63), 2**63 - 1, 3000, dtype=np.int64)]
    # codes with values in [2^53, 2^62) (binary search on the monotone reference decode)
    lo_c, hi_c = (_first_code_at_least(Fraction(2) ** p, n) for p in (53, 62))
    codes = rng.integers(lo_c, hi_c, 3000) if lo_c < hi_c else []
    for c in codes:
        m = ref_decode(2 * int(c) + 1, n + 1, 2)  # midpoint between c and c + 1, +-1
        if m.denominator == 1:
            vals += [int(m), int(m) + 1, int(m) - 1, -int(m) - 1]
    vals += [2**63 - 1, 0, 1, -1, 2**53 + 1]
    vals = [v for v in vals if v != -(2**63)]  # softposit reads INT64_MIN as NaR
    x = np.array(vals, dtype=np.int64)
    got = posit_encode(x, posit(n, 2))
    exp = np.array([(sp.i64_to_p32(v).v if n == 32 else sp.i64_to_pX2(v, n).v >> (32 - n))
                    for v in vals])
    bad = got.astype(np.int64) != exp
    assert not bad.any(), _report(f"encode int64 posit<{n},2>", x, exp, got, bad, seed)
    # -2^63 is an ordinary value: the negation of 2^63 (exact as a float64)
    lo = int(posit_encode(np.array([-(2**63)], dtype=np.int64), posit(n, 2))[0])
    hi = int(posit_encode(np.array([2.0**63]), posit(n, 2))[0])
    assert lo == (1 << n) - hi, (hex(lo), hex(hi))


def _signed(codes: np.ndarray, n: int) -> np.ndarray:
    c = codes.astype(np.int64)
    return np.where(c >= 1 << (n - 1), c - (1 << n), c)


SPECS = st.tuples(st.integers(2, 32), st.integers(0, 4))
FLOATS = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(SPECS, st.data())
def test_roundtrip_decode_encode(ne: tuple[int, int], data: st.DataObject) -> None:
    n, es = ne
    spec = posit(n, es)
    c = np.array([data.draw(st.integers(0, (1 << n) - 1))], dtype=np.uint64)
    v = posit_decode(c, spec)
    again = posit_decode(posit_encode(v, spec), spec)
    assert _same_f64(again, v).all() or (np.isnan(v).all() and np.isnan(again).all()), hex(c[0])


@settings(max_examples=300, deadline=None)
@given(SPECS, FLOATS, FLOATS)
def test_encode_monotone_and_sign_symmetric(ne: tuple[int, int], x: float, y: float) -> None:
    n, es = ne
    spec = posit(n, es)
    lo, hi = min(x, y), max(x, y)
    cl, ch = posit_encode(np.array([lo, hi]), spec)
    assert _signed(np.array([cl]), n)[0] <= _signed(np.array([ch]), n)[0], (lo.hex(), hi.hex())
    pos, neg = posit_encode(np.array([x, -x]), spec)
    assert int(neg) == (-int(pos)) % (1 << n), (x.hex(), hex(pos), hex(neg))


# ----- quire -----------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "es"), [(2, 0), (4, 1), (5, 3), (6, 0), (8, 2), (7, 4)])
def test_quire_bits_from_products(n: int, es: int) -> None:
    """Width derived from the exhaustive value set: every product's bits + 30 guard + sign."""
    vals, _ = ref_table(n, es)
    prods = [a * b for a in vals for b in vals]
    lsb = min(Fraction(1, p.denominator) for p in prods)  # all powers of two here
    top = max(prods)
    frac_bits = lsb.denominator.bit_length() - 1
    int_bits = top.numerator.bit_length()  # top is an integer power of two
    assert quire_bits(posit(n, es)) == 1 + 30 + int_bits + frac_bits


@pytest.mark.parametrize("n", range(2, 33))
def test_quire_bits_es2_is_16n(n: int) -> None:
    assert quire_bits(posit(n, 2)) == 16 * n


@cache
def _ref_value(code: int, n: int, es: int) -> Fraction | None:
    return ref_decode(code, n, es)


def _ref_dot(a: np.ndarray, b: np.ndarray, n: int, es: int, c: int | None = None) -> int:
    """Exact sum of exact products (plus c), rounded once by the reference rule."""
    va = [_ref_value(int(x), n, es) for x in a]
    vb = [_ref_value(int(x), n, es) for x in b]
    vc = [] if c is None else [_ref_value(int(c), n, es)]
    if any(v is None for v in va + vb + vc):
        return 1 << (n - 1)
    return ref_encode(sum((p * q for p, q in zip(va, vb, strict=True)), Fraction(0))
                      + sum(vc, Fraction(0)), n, es)


def test_quire_posit16_random_lengths_vs_exact() -> None:
    seed = 16
    rng = np.random.default_rng(seed)
    n = 16
    for length in range(1, 257):
        # moderate magnitudes with random signs; odd lengths also nearly cancel pairwise
        mags = rng.integers(0x2000, 0x6000, (2, length))
        a, b = (np.where(rng.random(length) < 0.5, m, (1 << n) - m).astype(np.uint64)
                for m in mags)
        if length % 2 and length > 1:
            h = length // 2
            a[h:2 * h] = a[:h]
            b[h:2 * h] = (1 << n) - b[:h]
            b[-1] = rng.integers(0, 1 << n)
            b[-1] = 0 if b[-1] == 0x8000 else b[-1]
        got = int(quire_dot(a, b, "posit16"))
        exp = _ref_dot(a, b, n, 2)
        assert got == exp, (f"posit16 dot length {length} seed {seed}: a={[hex(x) for x in a]} "
                            f"b={[hex(x) for x in b]} expected {exp:#x} got {got:#x}")


@pytest.mark.parametrize(("n", "es"), [(3, 1), (4, 0), (4, 2), (5, 4)])
def test_quire_fma_exhaustive_vs_exact(n: int, es: int) -> None:
    """a*b + c for every code triple (c through c_codes), one rounding."""
    codes = np.arange(1 << n, dtype=np.uint64)
    a, b, c = (g.ravel() for g in np.meshgrid(codes, codes, codes, indexing="ij"))
    got = quire_dot(a[:, None], b[:, None], posit(n, es), c_codes=c)
    exp = np.array([_ref_dot([x], [y], n, es, z) for x, y, z in zip(a, b, c, strict=True)])
    bad = got.astype(np.int64) != exp
    i = np.flatnonzero(bad)[:5]
    assert not bad.any(), f"posit<{n},{es}> fma mismatches a,b,c,exp,got: " + str(
        [(hex(a[j]), hex(b[j]), hex(c[j]), hex(exp[j]), hex(got[j])) for j in i])


def _sp_quire_dot(a: np.ndarray, b: np.ndarray, name: str) -> int:
    spec = get_format(name)
    n = spec.bits
    if spec.es == 2:
        q = sp.qX2Clr()
        pa, pb = sp.posit_2_t(), sp.posit_2_t()
        for x, y in zip(a, b, strict=True):
            pa.v, pb.v = int(x) << (32 - n), int(y) << (32 - n)
            q = sp.qX2_fdp_add(q, pa, pb)
        return sp.qX2_to_pX2(q, n).v >> (32 - n)
    t, clr, add, out = {8: (sp.posit8_t, sp.q8Clr, sp.q8_fdp_add, sp.q8_to_p8),
                        16: (sp.posit16_t, sp.q16Clr, sp.q16_fdp_add, sp.q16_to_p16)}[n]
    q = clr()
    pa, pb = t(), t()
    for x, y in zip(a, b, strict=True):
        pa.v, pb.v = int(x), int(y)
        q = add(q, pa, pb)
    return out(q).v


@pytest.mark.parametrize("name", ["posit8", "posit16", "posit32", "posit8_es0", "posit16_es1"])
def test_quire_dot_vs_softposit_quire(name: str) -> None:
    seed = 100 + sum(map(ord, name))
    rng = np.random.default_rng(seed)
    n = get_format(name).bits
    # legacy quire8 is 32 bits wide: keep posit8_es0 sums within it (no overflow)
    hi = (1 << n) if name != "posit8_es0" else None
    for trial in range(150):
        length = int(rng.integers(1, 48))
        if hi is None:
            mags = rng.integers(0, 0x60, (2, length))
            a, b = (np.where(rng.random(length) < 0.5, m, (256 - m) % 256) for m in mags)
        else:
            a, b = rng.integers(0, hi, (2, length))
        a = np.where(a == 1 << (n - 1), 0, a).astype(np.uint64)
        b = np.where(b == 1 << (n - 1), 0, b).astype(np.uint64)
        got = int(quire_dot(a, b, name))
        exp = _sp_quire_dot(a, b, name)
        assert got == exp, (f"{name} dot trial {trial} seed {seed}: a={[hex(x) for x in a]} "
                            f"b={[hex(x) for x in b]} expected {exp:#x} got {got:#x}")


@pytest.mark.parametrize("name", ["posit8", "posit16", "posit32_es4", "posit5_es0"])
def test_quire_nar_cancellation_and_extremes(name: str) -> None:
    spec = get_format(name)
    n = spec.bits
    nar, maxc, minc = 1 << (n - 1), (1 << (n - 1)) - 1, 1
    one = posit_encode(np.array([1.0]), spec)[0]
    neg = lambda c: ((1 << n) - int(c)) % (1 << n)  # noqa: E731
    x = int(posit_encode(np.array([0.75]), spec)[0])

    def dot(a: list[int], b: list[int], c: int | None = None) -> int:
        return int(quire_dot(np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64), spec,
                             c_codes=None if c is None else np.uint64(c)))

    assert dot([nar, maxc], [0, maxc]) == nar  # NaR * 0 is NaR
    assert dot([one], [one], nar) == nar
    assert dot([maxc, one], [maxc, nar]) == nar
    assert dot([], []) == 0
    assert dot([x, x], [one, neg(one)]) == 0  # exact cancellation
    assert dot([maxc] * 64 + [neg(maxc)] * 64, [maxc] * 128) == 0
    assert dot([maxc] * 1000, [maxc] * 1000) == maxc  # 1000 maxpos^2: saturates
    assert dot([minc], [minc]) == minc  # minpos^2 alone: never 0
    # maxpos^2 and minpos^2 held at once: maxpos^2 - maxpos^2 leaves exactly minpos^2
    assert dot([maxc, minc, maxc], [maxc, minc, neg(maxc)]) == minc
    assert dot([maxc, minc, maxc], [maxc, neg(minc), neg(maxc)]) == neg(minc)
    assert dot([maxc, minc], [maxc, minc], neg(maxc)) == maxc
    # 1 + minpos^2 - 1 == minpos^2 (both ends in one quire)
    assert dot([one, minc, one], [one, minc, neg(one)]) == minc
    # 1 + ulp/2 is a tie (to even: 1); minpos^2 far below decides it either way
    assert one == 1 << (n - 2) and ref_decode(int(one), n, spec.es) == 1
    half = (ref_decode(int(one) + 1, n, spec.es) - 1) / 2
    h = int(posit_encode(np.array([float(half)]), spec)[0])
    assert ref_decode(h, n, spec.es) == half
    assert dot([one, h], [one, one]) == int(one)
    assert dot([one, h, minc], [one, one, minc]) == int(one) + 1
    assert dot([one, h, minc], [one, one, neg(minc)]) == int(one)
    assert dot([one, h, minc, maxc], [neg(one), neg(one), neg(minc), 0]) == neg(int(one) + 1)


def test_quire_dot_axis_and_broadcast() -> None:
    seed = 5
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (3, 7, 5)).astype(np.uint8)
    b = rng.integers(0, 256, (7, 1)).astype(np.uint8)
    a[a == 0x80] = 0
    b[b == 0x80] = 1
    c = rng.integers(0, 256, (3, 5)).astype(np.uint8)
    c[c == 0x80] = 2
    got = quire_dot(a, b, "posit8", axis=1, c_codes=c)
    assert got.shape == (3, 5) and got.dtype == np.uint8
    for i in range(3):
        for j in range(5):
            exp = _ref_dot(a[i, :, j], b[:, 0], 8, 2, c[i, j])
            assert got[i, j] == exp, (i, j, hex(exp), hex(got[i, j]), seed)


@pytest.mark.parametrize("name", ["posit8", "posit16", "posit10_es1"])
def test_gemm_vs_exact(name: str) -> None:
    seed = 9
    spec = get_format(name)
    n = spec.bits
    rng = np.random.default_rng(seed)
    am = rng.integers(0, 1 << n, (6, 40))
    bm = rng.integers(0, 1 << n, (40, 5))
    nar = 1 << (n - 1)
    am[am == nar] = 0
    bm[bm == nar] = 0
    am[5, 3] = nar  # NaR row
    cc = rng.integers(0, 1 << n, (6, 5))
    cc[cc == nar] = 0
    cc[2, 1] = nar
    cm = posit_gemm(am, bm, spec)
    assert cm.shape == (6, 5) and cm.dtype == np.dtype(np.uint8 if n <= 8 else np.uint16)
    cm_c = posit_gemm(am, bm, spec, c_codes=cc)
    for i in range(6):
        for j in range(5):
            exp = _ref_dot(am[i], bm[:, j], n, spec.es)
            assert int(cm[i, j]) == exp, (name, i, j, hex(exp), hex(cm[i, j]), seed)
            exp = _ref_dot(am[i], bm[:, j], n, spec.es, cc[i, j])
            assert int(cm_c[i, j]) == exp, (name, i, j, hex(cc[i, j]), hex(exp),
                                            hex(cm_c[i, j]), seed)


def test_gemm_64x256x64_matches_quire_dot() -> None:
    """A 64 x 256 x 64 posit_gemm equals quire_dot of each row/column pair (same codes,
    NaR rows and columns included)."""
    rng = np.random.default_rng(3)
    for name in ("posit8", "posit16"):
        n = get_format(name).bits
        am = rng.integers(0, 1 << n, (64, 256))
        bm = rng.integers(0, 1 << n, (256, 64))
        nar = 1 << (n - 1)
        am[am == nar] = 0  # keep most outputs finite, then one NaR row and one NaR column
        bm[bm == nar] = 0
        am[7, 100] = nar
        bm[200, 11] = nar
        cm = posit_gemm(am, bm, name)
        assert cm.shape == (64, 64) and cm.dtype == get_format(name).code_dtype
        dm = quire_dot(am[:, None, :], bm.T[None, :, :], name)
        assert (cm == dm).all(), (name, np.argwhere(cm != dm)[:5])
        assert (cm[7] == nar).all() and (cm[:, 11] == nar).all()
        assert (np.delete(np.delete(cm, 7, 0), 11, 1) != nar).all()


# ----- bad input -------------------------------------------------------------------------
def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"33.*2\.\.32|2\.\.32.*33"):
        get_format("posit33")
    with pytest.raises(ValueError, match=r"2\.\.32.*40"):
        posit_decode([0], FormatSpec(name="p40", kind="posit", bits=40, es=2))
    with pytest.raises(ValueError, match=r"0\.\.4.*5"):
        posit_encode([1.0], FormatSpec(name="p8e5", kind="posit", bits=8, es=5))
    with pytest.raises(ValueError, match="not a posit"):
        posit_decode([0], "fp8_e4m3")
    with pytest.raises(ValueError, match=r"0x100.*0xff"):
        posit_decode([256], "posit8")
    with pytest.raises(ValueError, match="-0x1"):
        posit_fields(np.array([-1]), "posit8")
    with pytest.raises(TypeError, match="integer"):
        posit_decode(np.array([1.0]), "posit8")
    with pytest.raises(TypeError, match="real"):
        posit_encode(np.array(["1"]), "posit8")
    with pytest.raises(ValueError, match="0x10000"):
        quire_dot(np.array([0x10000]), np.array([1]), "posit16")
    with pytest.raises(ValueError, match="shapes"):
        posit_gemm(np.zeros((2, 3), np.uint8), np.zeros((4, 2), np.uint8), "posit8")


def test_batching_does_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny batch limits force many bincount batches and carry passes: same codes."""
    import golden.quire as gq

    seed = 21
    rng = np.random.default_rng(seed)
    am = rng.integers(0, 1 << 16, (7, 300)).astype(np.uint16)
    bm = rng.integers(0, 1 << 16, (300, 6)).astype(np.uint16)
    am[am == 0x8000] = 0
    bm[bm == 0x8000] = 0
    ref_gemm = posit_gemm(am, bm, "posit16")
    ref_dot = quire_dot(am[:, None, :], bm.T[None, :, :], "posit16")
    cc = rng.integers(0, 1 << 16, (7, 6)).astype(np.uint16)
    ref_c = quire_dot(am[:, None, :], bm.T[None, :, :], "posit16", c_codes=cc)
    monkeypatch.setattr(gq, "_BATCH", 50)
    monkeypatch.setattr(gq, "_K_BATCH", 7)
    for got, ref in ((posit_gemm(am, bm, "posit16"), ref_gemm),
                     (quire_dot(am[:, None, :], bm.T[None, :, :], "posit16"), ref_gemm),
                     (posit_gemm(am, bm, "posit16", c_codes=cc), ref_c)):
        bad = got != ref
        assert not bad.any(), (seed, np.argwhere(bad)[:5])
    assert (ref_dot == ref_gemm).all()
    i, j = 2, 4
    assert int(ref_gemm[i, j]) == _ref_dot(am[i], bm[:, j], 16, 2), seed
