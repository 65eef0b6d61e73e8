"""Posit hardware (hw/posit_*.py) in Amaranth's Python simulator, bit for bit.

Oracle, written here from the Posit Standard 2022 definitions and independent of golden and
hw: a posit's exact value read off its bit string (checked against softposit), and the
standard's rounding as a table search: a positive value rounds to the neighbouring code on
its side of the midpoint, the value of the (n+1)-bit pattern ``2c + 1``; a tie goes to the
even code; beyond maxpos / below minpos it saturates (never 0 or NaR). Dot products are
exact ``Fraction`` sums rounded once. ``golden.posit`` / ``golden.quire`` are compared on
the same vectors. Every mismatch message prints the inputs in hex, expected, got and seed.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
import pytest
import softposit as sp
from amaranth.sim import Simulator

from golden.formats import FormatSpec, get_format, posit
from golden.posit import posit_decode, posit_encode, posit_fields
from golden.quire import quire_bits, quire_dot
from hw.posit.decode import PositDecoder
from hw.posit.encode import PositCodec, PositRound
from hw.posit.mac import MAC_MUTATIONS, PositMac, QuireRound
from hw.posit.mul import PositMul

FORMATS = ["posit8", "posit16", "posit4_es1", "posit8_es0", "posit16_es1"]


# ----- oracle --------------------------------------------------------------------------------

def ref_value(code: int, n: int, es: int) -> Fraction | None:
    """Exact value of a posit<n, es> code from its bit string; None for NaR."""
    code = int(code)
    if code == 0:
        return Fraction(0)
    if code == 1 << (n - 1):
        return None
    neg = code >> (n - 1)
    if neg:
        code = (-code) & ((1 << n) - 1)
    bits = format(code, f"0{n}b")[1:]
    run = len(bits) - len(bits.lstrip(bits[0]))
    k = run - 1 if bits[0] == "1" else -run
    rest = bits[run + 1:]
    e = int(rest[:es].ljust(es, "0"), 2) if es else 0
    fbits = rest[es:]
    f = Fraction(int(fbits, 2), 1 << len(fbits)) if fbits else Fraction(0)
    v = Fraction(2) ** (k * (1 << es) + e) * (1 + f)
    return -v if neg else v


@functools.cache
def _table(n: int, es: int) -> tuple[list[Fraction], list[Fraction]]:
    """(values of codes 1 .. maxpos, midpoints between code c and c + 1 for c = 1 ..)."""
    vals = [ref_value(c, n, es) for c in range(1, 1 << (n - 1))]
    mids = [ref_value(2 * c + 1, n + 1, es) for c in range(1, (1 << (n - 1)) - 1)]
    return vals, mids


def ref_round(x: Fraction | None, n: int, es: int) -> int:
    """posit<n, es> code of the exact value ``x`` (None: NaR) with the standard's rounding."""
    if x is None:
        return 1 << (n - 1)
    if x == 0:
        return 0
    vals, mids = _table(n, es)
    a = abs(x)
    i = bisect.bisect_right(vals, a) - 1  # vals[i] <= a < vals[i + 1]; code = i + 1
    if i < 0:
        c = 1
    elif i >= len(vals) - 1:
        c = len(vals)
    elif a == vals[i]:
        c = i + 1
    else:
        mid = mids[i]
        c = i + 1 if a < mid else i + 2 if a > mid else (i + 1 if (i + 1) % 2 == 0 else i + 2)
    return (-c) & ((1 << n) - 1) if x < 0 else c


def corner_codes(spec: FormatSpec) -> list[int]:
    """0, NaR, +-1, +-maxpos, +-minpos and their neighbours, +-useed."""
    n, es = spec.bits, spec.es
    top = 1 << (n - 1)
    pos = {1, 2, 3, top - 1, top - 2, top - 3, top >> 1, (top >> 1) + 1, (top >> 1) - 1,
           (top >> 1) + (top >> 2)}
    if es < n - 3:
        pos.add((top >> 1) | (top >> 2) >> 1)
    pos = {p for p in pos if 0 < p < top}
    return sorted({0, top} | pos | {(-p) & ((1 << n) - 1) for p in pos})


# ----- simulation ----------------------------------------------------------------------------

def run_stream(dut: object, inputs: dict[str, Sequence[int]], outputs: Sequence[str]
               ) -> dict[str, list[int]]:
    """Drive one input per cycle (i_valid = 1), collect ``outputs`` whenever o_valid is 1."""
    n = len(next(iter(inputs.values())))
    got: dict[str, list[int]] = {k: [] for k in outputs}

    async def tb(ctx) -> None:
        for i in range(n + dut.latency + 2):
            if i < n:
                for k, v in inputs.items():
                    ctx.set(getattr(dut, k), int(v[i]))
            ctx.set(dut.i_valid, int(i < n))
            await ctx.tick()
            if ctx.get(dut.o_valid):
                for k in outputs:
                    got[k].append(int(ctx.get(getattr(dut, k))))

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    return got


def run_comb(dut: object, inputs: dict[str, Sequence[int]], output: str) -> list[int]:
    """Apply each input vector to a combinational component and read ``output``."""
    n = len(next(iter(inputs.values())))
    got: list[int] = []

    async def tb(ctx) -> None:
        for i in range(n):
            for k, v in inputs.items():
                ctx.set(getattr(dut, k), int(v[i]))
            got.append(int(ctx.get(getattr(dut, output))))

    sim = Simulator(dut)
    sim.add_testbench(tb)
    sim.run()
    return got


def check(what: str, got: Sequence[int], exp: Sequence[int], inputs: dict[str, Sequence[int]],
          seed: object, width: int) -> None:
    """Assert equal codes; report the first mismatches with inputs in hex."""
    got_a, exp_a = np.asarray(got, dtype=np.int64), np.asarray(exp, dtype=np.int64)
    assert len(got_a) == len(exp_a), f"{what}: {len(got_a)} outputs for {len(exp_a)} inputs"
    bad = np.flatnonzero(got_a != exp_a)
    d = (width + 3) // 4
    lines = [f"{what}: {len(bad)} of {len(exp_a)} mismatch (seed {seed})"]
    for i in bad[:8]:
        ins = " ".join(f"{k}=0x{int(v[i]):x}" for k, v in inputs.items())
        lines.append(f"  #{i} {ins}: expected 0x{exp_a[i]:0{d}x}, got 0x{got_a[i]:0{d}x}")
    assert not len(bad), "\n".join(lines)


# ----- the oracle itself ---------------------------------------------------------------------

SOFTPOSIT = [("posit8", "x2"), ("posit8_es0", "p8"), ("posit16_es1", "p16"), ("posit16", "x2")]


@pytest.mark.parametrize(("name", "which"), SOFTPOSIT)
def test_oracle_values_vs_softposit(name: str, which: str) -> None:
    """The test's bit-string decoder agrees with softposit (every code for 8 bits)."""
    spec = get_format(name)
    n = spec.bits
    seed = 7
    codes = (range(1 << n) if n <= 8 else
             np.random.default_rng(seed).integers(0, 1 << n, 2000).tolist() + corner_codes(spec))
    for c in codes:
        if which == "x2":
            t = sp.posit_2_t()
            t.v = int(c) << (32 - n)
            v = sp.convertPX2ToDouble(t)
        else:
            t, conv = {"p8": (sp.posit8_t(), sp.convertP8ToDouble),
                       "p16": (sp.posit16_t(), sp.convertP16ToDouble)}[which]
            t.v = int(c)
            v = conv(t)
        r = ref_value(c, n, spec.es)
        ok = not np.isfinite(v) if r is None else np.isfinite(v) and r == Fraction(v)
        assert ok, f"{name} code 0x{int(c):x}: oracle {r}, softposit {v}"


# ----- decoder and encoder -------------------------------------------------------------------

@pytest.mark.parametrize("name", FORMATS)
def test_codec_roundtrip_and_fields(name: str) -> None:
    """code -> decode -> encode is the identity; the fields equal golden.posit_fields.

    Exhaustive for <= 8 bits, else 1000 seeded random codes plus corners."""
    spec = get_format(name)
    n, seed = spec.bits, 11
    if n <= 8:
        codes = np.arange(1 << n, dtype=np.uint64)
    else:
        r = np.random.default_rng(seed).integers(0, 1 << n, 1000, dtype=np.uint64)
        codes = np.concatenate([r, np.array(corner_codes(spec), np.uint64)])
    dut = PositCodec(fmt=spec)
    got = run_stream(dut, {"code": codes},
                     ["out", "sign", "regime", "exponent", "fraction", "is_zero", "is_nar"])
    ins = {"code": codes}
    check(f"{name} round trip", got["out"], codes, ins, seed, n)
    f = posit_fields(codes, spec)
    fw = dut.frac_width
    frac = np.where(f.fraction_bits > 0,
                    f.fraction.astype(np.int64) << (fw - f.fraction_bits).astype(np.int64), 0)
    rw = len(dut.regime)
    regime = np.asarray(got["regime"], np.int64)
    regime = np.where(regime >= 1 << (rw - 1), regime - (1 << rw), regime)
    check(f"{name} regime", regime & 0xFFFF, f.regime & 0xFFFF, ins, seed, 16)
    check(f"{name} exponent", got["exponent"], f.exponent, ins, seed, 8)
    check(f"{name} fraction", got["fraction"], frac, ins, seed, 32)
    check(f"{name} sign", got["sign"], f.sign, ins, seed, 4)
    check(f"{name} is_zero", got["is_zero"], codes == 0, ins, seed, 4)
    check(f"{name} is_nar", got["is_nar"], codes == 1 << (n - 1), ins, seed, 4)
    # The fields reproduce the bit-string value.
    es = spec.es
    for c, s, k, e, fr in zip(codes[:400], got["sign"], regime, got["exponent"], got["fraction"],
                              strict=False):
        v = ref_value(int(c), n, es)
        if v is None or v == 0:
            continue
        mag = Fraction(2) ** (int(k) * (1 << es) + e) * (1 + Fraction(fr, 1 << fw))
        assert (-mag if s else mag) == v, f"{name} code 0x{int(c):x}: fields give {mag}"


CONVERSIONS = [(posit(10, 2), "posit8"), (posit(10, 0), "posit8_es0"),
               (posit(6, 1), "posit4_es1"), (posit(18, 2), "posit16"),
               (posit(18, 1), "posit16_es1"), ("posit16", "posit8"), ("posit8", "posit4_es1")]


@pytest.mark.parametrize(("src", "dst"), CONVERSIONS, ids=lambda x: getattr(x, "name", x))
def test_codec_rounding_conversion(src: FormatSpec | str, dst: str) -> None:
    """posit<n+2, es> -> posit<n, es> (every tie, guard and sticky case once each for n <= 8)
    and across widths/es: the encoder's rounding against the oracle and golden."""
    s_in, s_out = get_format(src), get_format(dst)
    seed = 23
    if s_in.bits <= 10:
        codes = np.arange(1 << s_in.bits, dtype=np.uint64)
    else:
        r = np.random.default_rng(seed).integers(0, 1 << s_in.bits, 800, dtype=np.uint64)
        codes = np.concatenate([r, np.array(corner_codes(s_in), np.uint64)])
    got = run_stream(PositCodec(fmt=s_out, fmt_in=s_in), {"code": codes}, ["out"])["out"]
    exp = [ref_round(ref_value(int(c), s_in.bits, s_in.es), s_out.bits, s_out.es)
           for c in codes]
    check(f"{s_in.name} -> {s_out.name}", got, exp, {"code": codes}, seed, s_out.bits)
    gold = posit_encode(posit_decode(codes, s_in), s_out)
    check(f"golden {s_in.name} -> {s_out.name}", gold, exp, {"code": codes}, seed, s_out.bits)


@pytest.mark.parametrize("name", FORMATS)
def test_round_random_raw(name: str) -> None:
    """PositRound on seeded random (sign, scale, frac, sticky), scales beyond maxpos/minpos."""
    spec = get_format(name)
    n, es = spec.bits, spec.es
    seed = 31 + n + es
    rng = np.random.default_rng(seed)
    width = n - 2
    top = (n - 1) << es
    cnt = 800
    ins = {"sign": rng.integers(0, 2, cnt), "scale": rng.integers(-top - 3, top + 3, cnt),
           "frac": rng.integers(0, 1 << width, cnt), "sticky": rng.integers(0, 2, cnt)}
    # Exact ties need frac's low bits after the guard to be zero: force some.
    ins["frac"][::4] &= ~((1 << max(width - 3, 0)) - 1)
    ins["sticky"][::8] = 0
    dut = PositRound(fmt=spec, scale_width=8, frac_width=width)
    got = run_comb(dut, ins, "code")
    exp = []
    for s, sc, f, st in zip(*ins.values(), strict=True):
        v = Fraction(2) ** int(sc) * (1 + Fraction(2 * int(f) + int(st), 1 << (width + 1)))
        exp.append(ref_round(-v if s else v, n, es))
    check(f"{name} PositRound", got, exp, ins, seed, n)


# ----- multiplier ----------------------------------------------------------------------------

def _pairs(spec: FormatSpec, count: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Every corner x corner pair, then ``count`` seeded random pairs."""
    c = np.array(corner_codes(spec), np.int64)
    a = np.concatenate([np.repeat(c, len(c)), rng.integers(0, 1 << spec.bits, count)])
    b = np.concatenate([np.tile(c, len(c)), rng.integers(0, 1 << spec.bits, count)])
    return a, b


def _ref_product(a: int, b: int, n: int, es: int) -> Fraction | None:
    va, vb = ref_value(a, n, es), ref_value(b, n, es)
    return None if va is None or vb is None else va * vb


@pytest.mark.parametrize("name", FORMATS)
def test_mul(name: str) -> None:
    spec = get_format(name)
    n, es, seed = spec.bits, spec.es, 41
    a, b = _pairs(spec, 500, np.random.default_rng(seed))
    got = run_stream(PositMul(fmt=spec), {"a": a, "b": b}, ["prod"])["prod"]
    exp = [ref_round(_ref_product(x, y, n, es), n, es) for x, y in zip(a, b, strict=True)]
    check(f"{name} mul", got, exp, {"a": a, "b": b}, seed, n)
    gold = posit_encode(posit_decode(a.astype(np.uint64), spec)
                        * posit_decode(b.astype(np.uint64), spec), spec)
    check(f"golden {name} mul", gold, exp, {"a": a, "b": b}, seed, n)


# ----- quire MAC -----------------------------------------------------------------------------

def mac_expected(spec: FormatSpec, a: Sequence[int], b: Sequence[int], first: Sequence[int]
                 ) -> list[int]:
    """acc after every input: the exact running sum since the last i_first, rounded once."""
    n, es = spec.bits, spec.es
    out, acc = [], Fraction(0)
    nar = False
    for x, y, f in zip(a, b, first, strict=True):
        if f:
            acc, nar = Fraction(0), False
        p = _ref_product(int(x), int(y), n, es)
        nar = nar or p is None
        acc += p or 0
        out.append(ref_round(None if nar else acc, n, es))
    return out


def directed_chains(spec: FormatSpec) -> list[tuple[list[int], list[int]]]:
    """NaR propagation, exact cancellation, maxpos^2 and minpos^2 accumulation."""
    n = spec.bits
    mask = (1 << n) - 1
    nar, one, maxp, minp = 1 << (n - 1), 1 << (n - 2), (1 << (n - 1)) - 1, 1
    neg = lambda c: (-c) & mask  # noqa: E731
    x = min(one + 3, maxp)
    return [
        ([one, nar, one, maxp], [one, one, one, maxp]),                 # NaR sticks
        ([x, neg(x), 0], [x, x, one]),                                  # x^2 - x^2 = 0
        ([maxp, minp, neg(maxp)], [maxp, minp, maxp]),                  # maxpos^2 + minpos^2 - ..
        ([maxp] * 6 + [neg(maxp)] * 6, [maxp] * 12),                    # beyond maxpos and back
        ([minp] * 9, [minp] * 9),                                       # tiny, never rounds to 0
        ([minp, neg(minp)], [minp, minp]),                              # tiny cancellation
        ([maxp, x, neg(maxp)], [maxp, neg(x), maxp]),                   # big + small - big
        ([nar], [0]),                                                   # NaR * 0 = NaR
        ([0, 0], [neg(maxp), nar - 1]),                                 # zeros give code 0
    ]


def mac_vectors(spec: FormatSpec, lengths: Sequence[int], rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed chains, then random chains of the given lengths (NaR made rare)."""
    n = spec.bits
    a, b, first = [], [], []
    for ca, cb in directed_chains(spec):
        a += ca
        b += cb
        first += [1] + [0] * (len(ca) - 1)
    for length in lengths:
        ca = rng.integers(0, 1 << n, length)
        cb = rng.integers(0, 1 << n, length)
        # narrower operands (around 1) in half the chains: long sums that do not saturate
        if rng.random() < 0.5:
            ca = (ca & ((1 << (n - 2)) - 1)) | np.where(rng.random(length) < 0.5, 1 << (n - 2),
                                                         3 << (n - 2))
        nar = 1 << (n - 1)
        ca = np.where((ca == nar) & (rng.random(length) < 0.9), 0, ca)
        cb = np.where((cb == nar) & (rng.random(length) < 0.9), 1, cb)
        a += ca.tolist()
        b += cb.tolist()
        first += [1] + [0] * (length - 1)
    return np.array(a, np.int64), np.array(b, np.int64), np.array(first, np.int64)


MAC_LENGTHS = {8: [1, 2, 3, 5, 8, 30, 64, 200], 16: [1, 2, 4, 7, 33, 100, 256, 256],
               4: [1, 2, 5, 40]}


@pytest.mark.parametrize("name", FORMATS)
def test_mac_dot_products(name: str) -> None:
    """Fused dot products (every partial sum) vs the exact oracle, and golden.quire_dot."""
    spec = get_format(name)
    seed = 53
    a, b, first = mac_vectors(spec, MAC_LENGTHS[spec.bits], np.random.default_rng(seed))
    ins = {"a": a, "b": b, "i_first": first}
    got = run_stream(PositMac(fmt=spec), ins, ["acc"])["acc"]
    exp = mac_expected(spec, a, b, first)
    check(f"{name} quire MAC", got, exp, ins, seed, spec.bits)
    starts = [*np.flatnonzero(first).tolist(), len(a)]
    ends = [e - 1 for e in starts[1:]]
    gold = [int(quire_dot(a[s:e + 1], b[s:e + 1], spec))
            for s, e in zip(starts[:-1], ends, strict=True)]
    check(f"golden {name} quire_dot", gold, [exp[e] for e in ends],
          {"chain_start": starts[:-1]}, seed, spec.bits)


def test_mac_posit8_products_sampled() -> None:
    """posit8 x posit8 products through the MAC (i_first on every input: acc = round(a*b)):
    every corner pair, a seeded sample of the rest (all 65,536 run under Verilator)."""
    spec = get_format("posit8")
    seed = 8
    a, b = _pairs(spec, 2000, np.random.default_rng(seed))
    first = np.ones(len(a), np.int64)
    ins = {"a": a, "b": b, "i_first": first}
    got = run_stream(PositMac(fmt=spec), ins, ["acc"])["acc"]
    check("posit8 MAC products", got, mac_expected(spec, a, b, first), ins, seed, 8)


def test_quire_round_extremes() -> None:
    """QuireRound at the quire's ends: the largest and smallest magnitudes, both signs."""
    spec = get_format("posit16")
    q = quire_bits(spec)
    two_s = 2 * 56
    vals = [0, 1, -1, 1 << (2 * two_s), -(1 << (2 * two_s)), (1 << (q - 2)) - 1,
            -((1 << (q - 2)) - 1), 3 << (two_s - 1), (1 << two_s) + 1, 5]
    ins = {"quire": [v & ((1 << q) - 1) for v in vals], "nar": [0] * len(vals)}
    got = run_comb(QuireRound(fmt=spec), ins, "code")
    exp = [ref_round(Fraction(v, 1 << two_s), 16, 2) for v in vals]
    check("posit16 QuireRound", got, exp, ins, 0, 16)


# ----- mutations, parameters, Verilog --------------------------------------------------------

@pytest.mark.parametrize("mutation", MAC_MUTATIONS)
@pytest.mark.parametrize("name", ["posit8", "posit16_es1"])
def test_mac_mutations_caught(name: str, mutation: str) -> None:
    """Every deliberate bug of the MAC makes the same check fail."""
    spec = get_format(name)
    seed = 67
    a, b, first = mac_vectors(spec, [4, 16, 30], np.random.default_rng(seed))
    ins = {"a": a, "b": b, "i_first": first}
    got = run_stream(PositMac(fmt=spec, mutation=mutation), ins, ["acc"])["acc"]
    with pytest.raises(AssertionError, match="mismatch"):
        check(f"{name} {mutation}", got, mac_expected(spec, a, b, first), ins, seed, spec.bits)


@pytest.mark.parametrize("mutation", ["truncate", "regime"])
def test_codec_mul_mutations_caught(mutation: str) -> None:
    spec = get_format("posit8")
    s_in = posit(10, 2)
    codes = np.arange(1 << 10)
    got = run_stream(PositCodec(fmt=spec, fmt_in=s_in, mutation=mutation), {"code": codes},
                     ["out"])["out"]
    exp = [ref_round(ref_value(int(c), 10, 2), 8, 2) for c in codes]
    with pytest.raises(AssertionError, match="mismatch"):
        check("codec", got, exp, {"code": codes}, 0, 8)
    a, b = _pairs(spec, 100, np.random.default_rng(3))
    got = run_stream(PositMul(fmt=spec, mutation=mutation), {"a": a, "b": b}, ["prod"])["prod"]
    exp = [ref_round(_ref_product(x, y, 8, 2), 8, 2) for x, y in zip(a, b, strict=True)]
    with pytest.raises(AssertionError, match="mismatch"):
        check("mul", got, exp, {"a": a, "b": b}, 3, 8)


@pytest.mark.filterwarnings("ignore::amaranth.hdl.UnusedElaboratable")
def test_bad_parameters() -> None:
    """Bad formats, mutations and widths raise one-line errors naming the value."""
    with pytest.raises(ValueError, match="not a posit format"):
        PositMac(fmt="fp8_e4m3")
    with pytest.raises(ValueError, match="mutation must be None or one of"):
        PositMac(fmt="posit8", mutation="drop_sticky")
    with pytest.raises(ValueError, match="mutation must be None or one of"):
        PositDecoder(fmt="posit8", mutation="truncate")
    with pytest.raises(ValueError, match="frac_width must be an integer >= 1"):
        PositRound(fmt="posit8", scale_width=8, frac_width=0)
    with pytest.raises(TypeError, match="format name or FormatSpec"):
        PositDecoder(fmt=8)
    with pytest.raises(ValueError, match="unknown format"):
        PositMul(fmt="posit8_es9x")


def test_verilog_size() -> None:
    """The quire MAC converts to compact Verilog (Verilator compile time)."""
    from amaranth.back import verilog

    for name, limit in (("posit16", 1200),):
        text = verilog.convert(PositMac(fmt=name), name=f"posit_mac_{name}", emit_src=False)
        lines = text.count("\n")
        assert lines < limit, f"PositMac {name}: {lines} Verilog lines (limit {limit})"
