"""fp32 units, element decoders and the scalar MAC (hw/) in Amaranth's Python simulator.

Every output is compared bit for bit with an oracle written here, independent of hw/:
element values from ``ml_dtypes``/NumPy (floats) or two's complement arithmetic (integers);
sums and products as exact ``Fraction`` values rounded once by ``fp32_rne`` below; fp32
add/mul by NumPy float32 arithmetic. A NaN result must be the canonical 0x7FC00000.
``golden.decode``, ``golden.fp32.fp32_add`` and ``golden.gemm`` are cross-checked too.
To keep the simulator fast, ``run_lanes`` drives several copies of a unit side by side
through packed ports. The exhaustive/long runs happen in Verilator (verif/).
"""

from __future__ import annotations

import gc
import itertools
import math
import warnings
from collections.abc import Callable
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from amaranth import Elaboratable, Module, Shape, Signal
from amaranth.back import verilog
from amaranth.hdl import UnusedElaboratable
from amaranth.lib.wiring import Flow
from amaranth.sim import Simulator
from oracles import float_binary, float_rne, fp32_rne, int_binary, quiet_nan

import golden
from golden.arith import float_add as golden_float_add
from golden.arith import float_mul as golden_float_mul
from golden.arith import int_add as golden_int_add
from golden.arith import int_mul as golden_int_mul
from golden.formats import FormatSpec, element_format_names, get_format
from golden.fp32 import fp32_add as golden_fp32_add
from hw import (
    ElementDecoder,
    FloatAdd,
    FloatMul,
    FloatRound,
    Fp32Add,
    Fp32Mul,
    Fp32Round,
    IntAdd,
    IntMul,
    RawFloatAdd,
    ScalarMac,
)
from verif.arith_jobs import arith_corners

QNAN = 0x7FC00000
INF = 0x7F800000
F32_CORNERS = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF,
               0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000,
               0x7FC00000, 0xFFC00001, 0x7F800001, 0x3F800000, 0xBF800000, 0x3F800001,
               0xBF7FFFFF, 0x33800000, 0x33800001, 0xB3800000, 0x4B800000, 0x34000000,
               0x3F000000, 0x00400000, 0x7F000000, 0x1F800000, 0x3FFFFFFF, 0x5F800000]


# ----- oracle ---------------------------------------------------------------------------------

def f32_value(bits: int) -> Fraction | float:
    """Exact value of fp32 bits (a float for Inf/NaN)."""
    v = float(np.array([bits], np.uint32).view(np.float32)[0])
    return Fraction(v) if math.isfinite(v) else v


def element_values(fmt: FormatSpec, codes: np.ndarray) -> np.ndarray:
    """Exact values (float64) of element codes: ml_dtypes/NumPy views for floats, two's
    complement times 2**scale_exp for integers, +-1 for bin1."""
    codes = np.asarray(codes, np.int64)
    if fmt.kind == "float":
        dt = np.dtype(getattr(ml_dtypes, fmt.ml_dtypes_name, None) or fmt.ml_dtypes_name)
        with np.errstate(invalid="ignore"):  # signalling NaN codes stay NaN
            return codes.astype(np.dtype(f"u{dt.itemsize}")).view(dt).astype(np.float64)
    if fmt.kind == "bin1":
        return np.where(codes == 0, -1.0, 1.0)
    v = np.where(codes >> (fmt.bits - 1) == 1, codes - (1 << fmt.bits), codes)
    return np.ldexp(v.astype(np.float64), fmt.scale_exp)


def to_signed(v: int, width: int) -> int:
    return v - (1 << width) if v >> (width - 1) else v


def assert_bits(got, want, inputs: dict, seed, what: str) -> None:
    """Assert got == want elementwise; the message shows the first mismatches in hex."""
    got, want = np.asarray(got, np.uint64), np.asarray(want, np.uint64)
    bad = np.nonzero(got != want)[0]
    if bad.size:
        rows = [f"[{i}] " + ", ".join(f"{k}={int(v[i]):#x}" for k, v in inputs.items())
                + f": expected {int(want[i]):#010x}, got {int(got[i]):#010x}" for i in bad[:6]]
        pytest.fail(f"{what}: {bad.size}/{got.size} mismatches (seed {seed})\n" + "\n".join(rows))


# ----- harness: several copies of a unit, ports packed lane by lane ---------------------------

def rejects(*cases: tuple[Callable[[], object], str]) -> None:
    """Assert that each ``make()`` of ``cases`` (``(make, match)`` pairs) raises ValueError
    matching ``match``, and silence Amaranth's warning about the half-built, never elaborated
    units: one garbage collection for all of them (a full collection takes up to 0.5 s in a
    worker that has run many tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        for make, match in cases:
            with pytest.raises(ValueError, match=match):
                make()
        gc.collect()


class _Lanes(Elaboratable):
    """``lanes`` copies of a unit; all input ports of all lanes form one bus ``inp`` and all
    outputs one bus ``outp`` (one ``ctx.set`` per cycle: each set makes the simulator settle)."""

    def __init__(self, factory, lanes: int, first=None) -> None:
        self.units = [first or factory()] + [factory() for _ in range(lanes - 1)]
        self.fields = {Flow.In: {}, Flow.Out: {}}  # name -> (offset, width) within one lane
        for name, member in self.units[0].signature.members.items():
            group = self.fields[member.flow]
            w = Shape.cast(member.shape).width
            group[name] = (sum(x[1] for x in group.values()), w)
        self.width = {f: sum(x[1] for x in g.values()) for f, g in self.fields.items()}
        self.inp = Signal(self.width[Flow.In] * lanes)
        self.outp = Signal(self.width[Flow.Out] * lanes)

    def elaborate(self, platform) -> Module:
        m = Module()
        for i, u in enumerate(self.units):
            m.submodules[f"u{i}"] = u
            for flow, bus in ((Flow.In, self.inp), (Flow.Out, self.outp)):
                base = i * self.width[flow]
                for name, (off, w) in self.fields[flow].items():
                    field = bus[base + off:base + off + w]
                    if flow == Flow.In:
                        m.d.comb += getattr(u, name).eq(field)
                    else:
                        m.d.comb += field.eq(getattr(u, name))
        return m


def run_lanes(factory, inputs: dict[str, np.ndarray], *, clocked: bool,
              first=None) -> dict[str, np.ndarray]:
    """Drive ``inputs[name]`` (shape (cycles, lanes)) into the lanes; return every output port.

    Combinational units: outputs read after each setting, same shape. Clocked (stream)
    units: ``i_valid`` must be among the inputs; the output of cycle t's input is read
    ``latency`` ticks later, ``o_valid`` is asserted to follow ``i_valid`` exactly, and
    outputs are returned aligned with the inputs (shape (cycles, lanes)). Input ports not
    in ``inputs`` are held at 0. ``first``: an already built unit to use as lane 0.
    """
    cycles, lanes = next(iter(inputs.values())).shape
    top = _Lanes(factory, lanes, first)
    latency = getattr(top.units[0], "latency", 0) if clocked else 0
    fin, fout = top.fields[Flow.In], top.fields[Flow.Out]
    win, wout = top.width[Flow.In], top.width[Flow.Out]
    unknown = set(inputs) - set(fin)
    if unknown:
        raise ValueError(f"not input ports: {sorted(unknown)}")
    words = []
    for t in range(cycles + latency):
        word = 0
        for name, arr in inputs.items():
            off, w = fin[name]
            if t < cycles:
                for i, v in enumerate(arr[t].tolist()):
                    word |= (v & ((1 << w) - 1)) << (i * win + off)
        words.append(word)
    reads: list[int] = []

    async def bench(ctx):
        for word in words:
            ctx.set(top.inp, word)
            if clocked:
                await ctx.tick()
            reads.append(ctx.get(top.outp))

    sim = Simulator(top)
    if clocked:
        sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    rows = reads[latency - 1:latency - 1 + cycles] if clocked else reads
    result = {}
    for name, (off, w) in fout.items():
        result[name] = np.array([[(r >> (i * wout + off)) & ((1 << w) - 1) for i in range(lanes)]
                                 for r in rows], np.uint64)
    if clocked:
        valid = np.asarray(inputs["i_valid"], np.uint64)
        np.testing.assert_array_equal(result["o_valid"], valid,
                                      err_msg="o_valid != i_valid delayed by latency")
    return result


def lanes_of(flat: np.ndarray, lanes: int) -> np.ndarray:
    """Reshape a flat vector list to (cycles, lanes), zero-padded."""
    pad = (-len(flat)) % lanes
    return np.concatenate([np.asarray(flat, np.int64), np.zeros(pad, np.int64)]).reshape(-1, lanes)


# ----- Fp32Round ------------------------------------------------------------------------------

def round_oracle(v: dict[str, np.ndarray]) -> np.ndarray:
    want = []
    for s, mag, exp, st, nan, inf in zip(*(v[k].ravel() for k in
                                           ("sign", "mag", "exp", "sticky", "is_nan", "is_inf")),
                                         strict=True):
        s, mag, exp = int(s), int(mag), int(exp)
        if nan:
            want.append(QNAN)
        elif inf:
            want.append(INF | s << 31)
        else:
            # sticky: a positive amount below every rounding boundary near mag * 2^exp
            x = Fraction(mag) * Fraction(2) ** exp + int(st) * Fraction(2) ** (min(exp, -150) - 2)
            want.append(fp32_rne(-x if s else x, zero_sign=s))
    return np.array(want, np.uint64).reshape(v["sign"].shape)


def round_random_vectors(rng: np.random.Generator, n: int, mag_width: int) -> dict:
    length = rng.integers(1, mag_width + 1, n)
    mag = rng.integers(0, 1 << 62, n, dtype=np.int64) >> (62 - length)
    tie = rng.random(n) < 0.4  # guard bit set, nothing below: exact ties (or sticky-broken)
    k = rng.integers(1, max(2, mag_width - 24), n)
    mag = np.where(tie & (length > k + 1), ((mag >> k) << k) | (1 << (k - 1)), mag)
    top = rng.integers(-160, 136, n)  # exponent of the msb: around subnormal and overflow edges
    exp = top - np.maximum(length, 1) + 1
    return {"sign": rng.integers(0, 2, n), "mag": mag, "exp": exp,
            "sticky": rng.integers(0, 2, n),
            "is_nan": (rng.random(n) < 0.02).astype(np.int64),
            "is_inf": (rng.random(n) < 0.02).astype(np.int64)}


def run_round(v: dict, mag_width: int, exp_width: int, mutation=None, lanes: int = 16):
    inputs = {k: lanes_of(a, lanes) for k, a in v.items()}
    out = run_lanes(lambda: Fp32Round(mag_width=mag_width, exp_width=exp_width,
                                      mutation=mutation), inputs, clocked=False)
    return out["out"], round_oracle(inputs), inputs


def test_fp32_round_exhaustive_4bit_mag():
    """Every (sign, mag, exp, sticky) for mag_width 4, exp_width 9: covers overflow,
    subnormals, underflow to zero and every tie position."""
    s, mag, exp, st = np.meshgrid(np.arange(2), np.arange(16), np.arange(-256, 256),
                                  np.arange(2), indexing="ij")
    z = np.zeros(s.size, np.int64)
    v = {"sign": s.ravel(), "mag": mag.ravel(), "exp": exp.ravel(), "sticky": st.ravel(),
         "is_nan": z, "is_inf": z}
    got, want, ins = run_round(v, 4, 9, lanes=32)
    assert_bits(got.ravel(), want.ravel(), {k: a.ravel() for k, a in ins.items()}, None,
                "Fp32Round mag_width=4")


@pytest.mark.parametrize("mag_width", [1, 27, 50])
def test_fp32_round_random(mag_width):
    seed = 1000 + mag_width
    v = round_random_vectors(np.random.default_rng(seed), 2000, mag_width)
    got, want, ins = run_round(v, mag_width, 10)
    assert_bits(got.ravel(), want.ravel(), {k: a.ravel() for k, a in ins.items()}, seed,
                f"Fp32Round mag_width={mag_width}")


@pytest.mark.parametrize("mutation", ["truncate", "drop_sticky"])
def test_fp32_round_mutation_is_caught(mutation):
    seed = 7
    v = round_random_vectors(np.random.default_rng(seed), 1000, 40)
    got, want, _ = run_round(v, 40, 10, mutation=mutation)
    assert np.count_nonzero(got != want) > 0, f"mutation {mutation!r} not detected"


def test_fp32_round_bad_parameters():
    rejects((lambda: Fp32Round(mag_width=0, exp_width=8), "mag_width"),
            (lambda: Fp32Round(mag_width=8, exp_width=True), "exp_width"),
            (lambda: Fp32Round(mag_width=8, exp_width=8, mutation="bogus"), "mutation"))


# ----- ElementDecoder -------------------------------------------------------------------------

DECODER_FORMATS = [n for n in element_format_names() if get_format(n).kind != "posit"] + ["mxint8"]


def element_spec(name: str) -> FormatSpec:
    spec = get_format(name)
    return spec.element if spec.is_block else spec


def is_code(spec: FormatSpec, code: int) -> bool:
    """False for the bit patterns an integer format never produces (ternary 0b10, mxint8 0x80)."""
    if spec.kind != "int":
        return True
    return spec.int_min <= to_signed(code, spec.bits) <= spec.int_max


@pytest.mark.parametrize("name", DECODER_FORMATS)
def test_element_decoder_every_code(name):
    spec = element_spec(name)
    seed = 11
    if spec.bits <= 16:
        codes = np.arange(1 << spec.bits, dtype=np.int64)
    else:  # fp32: corners + random codes
        rng = np.random.default_rng(seed)
        codes = np.concatenate([np.array(F32_CORNERS, np.int64),
                                rng.integers(0, 1 << spec.bits, 3000, dtype=np.int64)])
    probe = ElementDecoder(fmt=spec)
    out = run_lanes(lambda: ElementDecoder(fmt=spec), {"code": lanes_of(codes, 32)},
                    clocked=False, first=probe)
    out = {k: v.ravel()[:codes.size].astype(np.int64) for k, v in out.items()}
    want = element_values(spec, codes)
    nan, inf, finite = np.isnan(want), np.isinf(want), np.isfinite(want)
    exp = np.where(out["exp"] >> (probe.exp_width - 1) == 1,
                   out["exp"] - (1 << probe.exp_width), out["exp"])
    value = np.where(out["sign"] == 1, -1.0, 1.0) * np.ldexp(out["sig"].astype(np.float64),
                                                             np.where(finite, exp, 0))
    ok = ((out["is_nan"] == nan) & (out["is_inf"] == inf)
          & (out["is_zero"] == (want == 0))
          & (nan | (out["sign"] == np.signbit(want)))
          & (~finite | ((value == want) & (exp >= probe.exp_min) & (exp <= probe.exp_max))))
    bad = np.nonzero(~ok)[0]
    rows = [f"code {int(codes[i]):#x}: expected {want[i]!r}, got "
            + ", ".join(f"{k}={int(v[i]):#x}" for k, v in out.items()) for i in bad[:6]]
    assert not bad.size, f"{name}: {bad.size} bad codes (seed {seed})\n" + "\n".join(rows)
    # golden.decode agrees with the oracle on every code of the format (NaN as a class).
    valid = np.array([is_code(spec, int(c)) for c in codes])
    with np.errstate(invalid="ignore"):
        g = golden.decode(codes[valid], spec).astype(np.float64)
    ref = want[valid]
    same = (g == ref) & (np.signbit(g) == np.signbit(ref)) | (np.isnan(g) & np.isnan(ref))
    assert same.all(), f"golden.decode({name}) disagrees at codes {codes[valid][~same][:6]}"


def test_element_decoder_rejects_non_elements():
    rejects((lambda: ElementDecoder(fmt="mxfp4"), "pass its .element"),
            (lambda: ElementDecoder(fmt="posit8"), "posit8"),
            (lambda: ElementDecoder(fmt="fp7"), "unknown format"))


# ----- Fp32Add / Fp32Mul ----------------------------------------------------------------------

def f32_pairs(rng: np.random.Generator, n: int, *, for_mul: bool,
              corners: list[int] = F32_CORNERS) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ``corners``, then random pairs biased to cancellation, ties, sticky bits
    and the subnormal / overflow edges."""
    ca, cb = np.meshgrid(np.array(corners, np.int64), np.array(corners, np.int64))
    a = rng.integers(0, 1 << 32, n, dtype=np.int64)
    ea = (a >> 23) & 0xFF
    if for_mul:  # exponent of the product around -150..130
        eb = np.clip(rng.integers(-155, 131, n) - (ea - 127) + 127, 0, 254)
    else:        # b within a few binades of a (or anywhere)
        eb = np.where(rng.random(n) < 0.7, np.clip(ea + rng.integers(-30, 31, n), 0, 254),
                      rng.integers(0, 256, n))
    mant = np.where(rng.random(n) < 0.3, (a & 0x7FFFFF) ^ rng.integers(0, 16, n),
                    rng.integers(0, 1 << 23, n))
    b = (rng.integers(0, 2, n) << 31) | (eb << 23) | mant
    return (np.concatenate([ca.ravel(), a]).astype(np.int64),
            np.concatenate([cb.ravel(), b]).astype(np.int64))


def run_fp32_binary(unit, a: np.ndarray, b: np.ndarray, rng: np.random.Generator,
                    lanes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Stream a, b through ``lanes`` copies of a latency-1 fp32 unit with random bubbles.

    Returns the outputs of the valid cycles in input order and checks that the output
    register holds on cycles without ``i_valid``."""
    n = a.size
    valid = np.ones(n + n // 4, np.int64)
    valid[rng.choice(valid.size, valid.size - n, replace=False)] = 0
    av, bv = np.zeros(valid.size, np.int64), np.zeros(valid.size, np.int64)
    av[valid == 1], bv[valid == 1] = a, b
    ins = {"i_valid": lanes_of(valid, lanes), "a": lanes_of(av, lanes), "b": lanes_of(bv, lanes)}
    out = run_lanes(unit, ins, clocked=True)
    port = next(k for k in out if k != "o_valid")
    res = out[port].ravel()[:valid.size]
    grid = out[port]
    held = ins["i_valid"] == 0
    prev = np.vstack([np.zeros((1, lanes), np.uint64), grid[:-1]])
    assert (grid[held] == prev[held]).all(), "output changed on a cycle without i_valid"
    return res[valid == 1], ins


def numpy_f32(op, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    fa = a.astype(np.uint32).view(np.float32)
    fb = b.astype(np.uint32).view(np.float32)
    with np.errstate(all="ignore"):
        r = op(fa, fb)
    return np.where(np.isnan(r), np.uint32(QNAN), r.view(np.uint32)).astype(np.uint64)


@pytest.mark.parametrize("mutation", [None, "truncate", "drop_sticky", "no_jam", "cancel_sign"])
def test_fp32_add(mutation):
    seed = 21
    rng = np.random.default_rng(seed)
    if mutation is None:
        a, b = f32_pairs(rng, 1500, for_mul=False)
    else:  # 1 + (2^-24 + 2^-47) needs the sticky bit; -1 + 1 must be +0
        a, b = f32_pairs(rng, 150, for_mul=False, corners=[0x3F800000, 0xBF800000, 0x33800001])
    got, _ = run_fp32_binary(lambda: Fp32Add(mutation=mutation), a, b, rng)
    want = numpy_f32(np.add, a, b)
    if mutation is not None:
        assert np.count_nonzero(got != want) > 0, f"mutation {mutation!r} not detected"
        return
    assert_bits(got, want, {"a": a, "b": b}, seed, "Fp32Add vs NumPy float32")
    g = golden_fp32_add(a.astype(np.uint32).view(np.float32), b.astype(np.uint32).view(np.float32))
    gbits = np.where(np.isnan(g), np.uint32(QNAN), g.view(np.uint32)).astype(np.uint64)
    assert_bits(got, gbits, {"a": a, "b": b}, seed, "Fp32Add vs golden.fp32.fp32_add")


@pytest.mark.parametrize("mutation", [None, "truncate", "drop_sticky"])
def test_fp32_mul(mutation):
    seed = 31
    rng = np.random.default_rng(seed)
    if mutation is None:
        a, b = f32_pairs(rng, 1500, for_mul=True)
    else:  # (1 + 2^-23) * (0.75 + 2^-24) = 0.75 + 2.5 ulp + 2^-47: a tie broken by sticky
        a, b = f32_pairs(rng, 150, for_mul=True, corners=[0x3F800001, 0x3F400001])
    got, _ = run_fp32_binary(lambda: Fp32Mul(mutation=mutation), a, b, rng)
    want = numpy_f32(np.multiply, a, b)
    if mutation is not None:
        assert np.count_nonzero(got != want) > 0, f"mutation {mutation!r} not detected"
        return
    assert_bits(got, want, {"a": a, "b": b}, seed, "Fp32Mul vs NumPy float32")


# ----- FloatRound / FloatAdd / FloatMul (fp16, bf16, fp8_e5m2), IntAdd / IntMul ----------------

def float_round_oracle(v: dict[str, np.ndarray], spec: FormatSpec) -> np.ndarray:
    """``round_oracle`` for any IEEE-style format (canonical NaN, Inf, float_rne)."""
    inf = ((1 << spec.exp_bits) - 1) << spec.man_bits
    tiny = spec.emin - spec.man_bits - 1   # below half the smallest subnormal
    want = []
    for s, mag, exp, st, nan, is_inf in zip(*(v[k].ravel() for k in ("sign", "mag", "exp",
                                                                     "sticky", "is_nan",
                                                                     "is_inf")), strict=True):
        s, mag, exp = int(s), int(mag), int(exp)
        if nan:
            want.append(quiet_nan(spec))
        elif is_inf:
            want.append(inf | s << (spec.bits - 1))
        else:
            x = Fraction(mag) * Fraction(2) ** exp + int(st) * Fraction(2) ** (min(exp, tiny) - 2)
            want.append(float_rne(-x if s else x, spec, zero_sign=s))
    return np.array(want, np.uint64).reshape(v["sign"].shape)


@pytest.mark.parametrize("name", ["fp16", "bf16", "fp8_e5m2"])
def test_float_round_random(name):
    """FloatRound to each format: random magnitudes around the subnormal and overflow edges,
    exact ties, sticky bits, NaN / Inf flags."""
    spec = get_format(name)
    seed = 1100 + spec.bits + spec.exp_bits
    rng = np.random.default_rng(seed)
    n, mag_width = 1500, 2 * spec.precision + 2
    length = rng.integers(1, mag_width + 1, n)
    mag = rng.integers(0, 1 << 62, n, dtype=np.int64) >> (62 - length)
    tie = rng.random(n) < 0.4
    k = rng.integers(1, max(2, mag_width - spec.precision), n)
    mag = np.where(tie & (length > k + 1), ((mag >> k) << k) | (1 << (k - 1)), mag)
    top = rng.integers(spec.emin - spec.man_bits - 4, spec.emax + 3, n)
    v = {"sign": rng.integers(0, 2, n), "mag": mag, "exp": top - np.maximum(length, 1) + 1,
         "sticky": rng.integers(0, 2, n), "is_nan": (rng.random(n) < 0.02).astype(np.int64),
         "is_inf": (rng.random(n) < 0.02).astype(np.int64)}
    inputs = {key: lanes_of(a, 16) for key, a in v.items()}
    out = run_lanes(lambda: FloatRound(fmt=spec, mag_width=mag_width, exp_width=10), inputs,
                    clocked=False)
    assert_bits(out["out"].ravel(), float_round_oracle(inputs, spec).ravel(),
                {key: a.ravel() for key, a in inputs.items()}, seed, f"FloatRound {name}")


def float_pairs(spec: FormatSpec, rng: np.random.Generator, n: int, *,
                for_mul: bool, corners: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """``corners`` random pairs of corner codes, then ``n`` random pairs: exponents of b near
    a's (add) or products near the subnormal / overflow edges (mul), mantissas of b close to
    a's (cancellation, ties) 30% of the time. Widths from the spec's fields."""
    mb, top = spec.man_bits, (1 << spec.exp_bits) - 1
    c = arith_corners(spec).astype(np.int64)
    ca, cb = c[rng.integers(0, len(c), corners)], c[rng.integers(0, len(c), corners)]
    a = rng.integers(0, 1 << spec.bits, n, dtype=np.int64)
    ea = (a >> mb) & top
    if for_mul:
        target = rng.integers(spec.emin - spec.precision - 2, spec.emax + 3, n)
        eb = np.clip(target - ea + 2 * spec.bias, 0, top - 1)
    else:
        eb = np.where(rng.random(n) < 0.7,
                      np.clip(ea + rng.integers(-spec.precision - 4, spec.precision + 5, n),
                              0, top - 1), rng.integers(0, top + 1, n))
    mant = np.where(rng.random(n) < 0.3, (a & ((1 << mb) - 1)) ^ rng.integers(0, 8, n),
                    rng.integers(0, 1 << mb, n))
    b = (rng.integers(0, 2, n) << (spec.bits - 1)) | (eb << mb) | mant
    return np.concatenate([ca, a]), np.concatenate([cb, b])


@pytest.mark.parametrize(("unit", "op"), [(FloatAdd, "add"), (FloatMul, "mul")])
@pytest.mark.parametrize("name", ["fp16", "bf16"])
def test_float_add_mul(unit, op, name):
    """FloatAdd / FloatMul of fp16 and bf16 against the Fraction oracle and golden.arith."""
    spec = get_format(name)
    seed = 60 + spec.exp_bits + (op == "mul")
    rng = np.random.default_rng(seed)
    a, b = float_pairs(spec, rng, 800, for_mul=op == "mul")
    got, _ = run_fp32_binary(lambda: unit(fmt=spec), a, b, rng)
    want = np.array([float_binary(op, int(x), int(y), spec) for x, y in zip(a, b, strict=True)],
                    np.uint64)
    assert_bits(got, want, {"a": a, "b": b}, seed, f"{unit.__name__}({name}) vs oracle")
    g = (golden_float_add if op == "add" else golden_float_mul)(a.astype(np.uint16),
                                                                 b.astype(np.uint16), spec)
    assert_bits(got, g, {"a": a, "b": b}, seed, f"{unit.__name__}({name}) vs golden.arith")


@pytest.mark.parametrize(("unit", "name", "mutation", "corners"), [
    (FloatAdd, "fp16", "cancel_sign", [0x3C00, 0xBC00]),
    (FloatAdd, "bf16", "no_jam", [0x3F80, 0x3B81]),      # 1 + (2^-8 + 2^-15): sticky breaks a tie
    (FloatMul, "fp16", "truncate", [0x3DFF, 0x3C01])],   # 0x3DFF^2 rounds up
    ids=["add_fp16_cancel_sign", "add_bf16_no_jam", "mul_fp16_truncate"])
def test_float_mutation_is_caught(unit, name, mutation, corners):
    seed = 71
    rng = np.random.default_rng(seed)
    spec, op = get_format(name), "add" if unit is FloatAdd else "mul"
    c = np.array(corners, np.int64)
    a, b = np.repeat(c, len(c)), np.tile(c, len(c))
    got, _ = run_fp32_binary(lambda: unit(fmt=spec, mutation=mutation), a, b, rng, lanes=1)
    want = np.array([float_binary(op, int(x), int(y), spec) for x, y in zip(a, b, strict=True)],
                    np.uint64)
    assert np.count_nonzero(got != want) > 0, f"mutation {mutation!r} not detected"


def int_pairs(spec: FormatSpec, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Every pair of the extremes {min, min + 1, -1, 0, 1, max - 1, max}, then random pairs."""
    ext = np.array([spec.int_min, spec.int_min + 1, -1, 0, 1, spec.int_max - 1, spec.int_max])
    mask = (1 << spec.bits) - 1
    a = np.concatenate([np.repeat(ext, len(ext)), rng.integers(spec.int_min, spec.int_max + 1, n)])
    b = np.concatenate([np.tile(ext, len(ext)), rng.integers(spec.int_min, spec.int_max + 1, n)])
    return a & mask, b & mask


@pytest.mark.parametrize(("unit", "op"), [(IntAdd, "add"), (IntMul, "mul")])
@pytest.mark.parametrize("name", ["int8", "int16"])
def test_int_add_mul(unit, op, name):
    """IntAdd / IntMul against Python integer arithmetic: exact, full-width results."""
    spec = get_format(name)
    seed = 80 + spec.bits
    rng = np.random.default_rng(seed)
    a, b = int_pairs(spec, rng, 700)
    got, _ = run_fp32_binary(lambda: unit(fmt=spec), a, b, rng, lanes=8)
    want = np.array([int_binary(op, int(x), int(y), spec.bits)
                     for x, y in zip(a, b, strict=True)], np.uint64)
    # the extremes need every output bit: min + min (bits + 1), min * min (2 * bits)
    assert_bits(got, want, {"a": a, "b": b}, seed, f"{unit.__name__}({name})")
    g = (golden_int_add if op == "add" else golden_int_mul)(a.astype(spec.code_dtype),
                                                             b.astype(spec.code_dtype), spec)
    assert_bits(got, g, {"a": a, "b": b}, seed, f"{unit.__name__}({name}) vs golden.arith")


@pytest.mark.parametrize(("unit", "mutation"), [(IntAdd, "no_carry"), (IntMul, "unsigned")])
def test_int_mutation_is_caught(unit, mutation):
    seed = 91
    rng = np.random.default_rng(seed)
    spec = get_format("int8")
    a, b = int_pairs(spec, rng, 50)
    op = "add" if unit is IntAdd else "mul"
    got, _ = run_fp32_binary(lambda: unit(fmt=spec, mutation=mutation), a, b, rng, lanes=8)
    want = np.array([int_binary(op, int(x), int(y), 8) for x, y in zip(a, b, strict=True)],
                    np.uint64)
    assert np.count_nonzero(got != want) > 0, f"mutation {mutation!r} not detected"


def test_arith_units_bad_parameters():
    rejects(*[(make, "IEEE-style") for bad in ("fp8_e4m3", "fp4_e2m1", "int8", "posit8")
              for make in (lambda bad=bad: FloatAdd(fmt=bad), lambda bad=bad: FloatMul(fmt=bad),
                           lambda bad=bad: FloatRound(fmt=bad, mag_width=8, exp_width=8))],
            (lambda: FloatAdd(fmt="fp16", mutation="unsigned"), "mutation"),
            (lambda: IntAdd(fmt="fp16"), "integer"),
            (lambda: IntMul(fmt="bf16"), "integer"),
            (lambda: IntMul(fmt="int8", mutation="truncate"), "mutation"))
    for fp32_unit in (Fp32Add(), Fp32Mul(), Fp32Round(mag_width=8, exp_width=8)):
        fp32_unit._MustUse__silence = True  # built to read its format, never elaborated
        assert fp32_unit.fmt == get_format("fp32")


# ----- ScalarMac ------------------------------------------------------------------------------

MAC_PAIRS = [("fp8_e4m3", None), ("fp8_e5m2", None), ("fp4_e2m1", None),
             ("fp6_e2m3", "fp6_e3m2"), ("fp4_e2m1", "int8"), ("mxint8", "fp8_e4m3"),
             ("bf16", None), ("fp16", "bin1"), ("fp32", None),
             ("int8", None), ("int4", "int2"), ("ternary", "bin1"), ("int8", "ternary")]


def sample_codes(spec: FormatSpec, rng: np.random.Generator, n: int) -> np.ndarray:
    """Random codes the format produces; wide floats keep the exponent within +-12 binades
    of 1 most of the time so that sums round instead of overflowing."""
    if spec.kind == "int":
        return rng.integers(spec.int_min, spec.int_max + 1, n) & ((1 << spec.bits) - 1)
    codes = rng.integers(0, 1 << spec.bits, n)
    if spec.kind == "float" and spec.bits > 8:
        near = spec.bias + rng.integers(-12, 13, n)
        field = ((1 << spec.exp_bits) - 1) << spec.man_bits
        codes = np.where(rng.random(n) < 0.9, (codes & ~field) | (near << spec.man_bits), codes)
    return codes


def mac_oracle(fa: FormatSpec, fb: FormatSpec, a, b, first, valid, integer: bool) -> list[int]:
    """Expected acc after every cycle of one lane (the held value on invalid cycles)."""
    va, vb = element_values(fa, a), element_values(fb, b)
    acc, out = 0, []
    for t in range(len(a)):
        if valid[t]:
            acc = 0 if first[t] else acc
            if integer:
                acc = (acc + int(va[t]) * int(vb[t])) & 0xFFFFFFFF
            else:
                acc = fp32_fma_oracle(acc, float(va[t]), float(vb[t]))
        out.append(acc)
    return out


def fp32_fma_oracle(acc: int, x: float, y: float) -> int:
    """RNE_fp32(acc + x * y), the product exact, one rounding; NaN -> canonical QNAN."""
    c = f32_value(acc)
    if not (isinstance(c, Fraction) and math.isfinite(x) and math.isfinite(y)):
        r = float(c) + x * y  # only the class of a non-finite result matters
        return QNAN if math.isnan(r) else INF | (r < 0) << 31
    p = Fraction(x) * Fraction(y)
    s = c + p
    zero_sign = (acc >> 31) & (math.copysign(1.0, x) * math.copysign(1.0, y) < 0)
    return fp32_rne(s, zero_sign=int(zero_sign) if c == 0 and p == 0 else 0)


def run_mac(fa: FormatSpec, fb: FormatSpec, seed: int, mutation: str | None = None,
            cycles: int = 60, lanes: int = 4, prefix: tuple[tuple[int, int], ...] = ()):
    """Random sums (restarts with i_first, bubbles without i_valid) through ScalarMac lanes;
    lane 0 starts with the directed sum ``prefix`` (code pairs).

    Returns (inputs, hw acc per cycle, oracle acc per cycle, unit); every cycle's acc is
    compared, so every product and every partial sum is checked."""
    rng = np.random.default_rng(seed)
    a = np.stack([sample_codes(fa, rng, cycles) for _ in range(lanes)], axis=1)
    b = np.stack([sample_codes(fb, rng, cycles) for _ in range(lanes)], axis=1)
    first = (rng.random((cycles, lanes)) < 0.15).astype(np.int64)
    valid = (rng.random((cycles, lanes)) < 0.85).astype(np.int64)
    first[0] = valid[0] = 1
    for t, (ca, cb) in enumerate(prefix):
        a[t, 0], b[t, 0], first[t, 0], valid[t, 0] = ca, cb, int(t == 0), 1
    probe = ScalarMac(fmt_a=fa, fmt_b=fb, mutation=mutation)
    ins = {"i_valid": valid, "a": a, "b": b, "i_first": first}
    out = run_lanes(lambda: ScalarMac(fmt_a=fa, fmt_b=fb, mutation=mutation), ins,
                    clocked=True, first=probe)
    want = np.stack([mac_oracle(fa, fb, a[:, i], b[:, i], first[:, i], valid[:, i],
                                probe.is_integer) for i in range(lanes)], axis=1)
    return ins, out["acc"], want.astype(np.uint64), probe


@pytest.mark.parametrize(("name_a", "name_b"), MAC_PAIRS)
def test_scalar_mac(name_a, name_b):
    fa = element_spec(name_a)
    fb = fa if name_b is None else element_spec(name_b)
    seed = sum(map(ord, f"{name_a}{name_b}"))
    ins, got, want, _ = run_mac(fa, fb, seed)
    a, b, first, valid = ins["a"], ins["b"], ins["i_first"], ins["i_valid"]
    cycles, lanes = a.shape
    for lane in range(lanes):
        assert_bits(got[:, lane], want[:, lane],
                    {k: v[:, lane] for k, v in ins.items()}, seed,
                    f"ScalarMac {fa.name} x {fb.name} lane {lane}")
        # golden.gemm on each complete sum (from an i_first to the next) gives the same bits.
        starts = [t for t in range(cycles) if valid[t, lane] and first[t, lane]] + [cycles]
        for s0, s1 in itertools.pairwise(starts):
            ks = [t for t in range(s0, s1) if valid[t, lane]]
            g = golden.gemm(golden.QTensor(a[ks, lane][None, :], fa),
                            golden.QTensor(b[ks, lane][:, None], fb), fa, fb)
            gbits = int(np.asarray(g).view(np.uint32 if g.dtype == np.float32 else np.int32)
                        .astype(np.uint32)[0, 0])
            gbits = QNAN if g.dtype == np.float32 and np.isnan(g[0, 0]) else gbits
            assert int(got[ks[-1], lane]) == gbits, (
                f"golden.gemm {fa.name} x {fb.name} lane {lane} cycles {s0}..{s1} (seed {seed}):"
                f" golden {gbits:#010x}, hw {int(got[ks[-1], lane]):#010x}")


def f32_bits(x: float) -> int:
    return int(np.float32(x).view(np.uint32))


# acc = 2^-97, then acc - (2^27 + 1) * 2^-149: just below the tie 2^-97 - 2^-122, its lowest
# bit far below the adder's window, so only the jammed sticky bit makes it round down.
_FAR_STICKY = ((f32_bits(2.0 ** -97), f32_bits(1.0)), (f32_bits(14913081.0), 0x80000009))
_CANCEL = ((0x38, 0xB8), (0x38, 0x38))  # fp8_e4m3: -1 + 1 must be +0


@pytest.mark.parametrize(("name", "mutation", "prefix"), [
    ("fp32", "truncate", ()), ("fp32", "drop_sticky", ()), ("fp32", "no_jam", _FAR_STICKY),
    ("fp8_e4m3", "cancel_sign", _CANCEL), ("fp8_e5m2", "ignore_first", ()),
    ("int8", "ignore_first", ())])
def test_scalar_mac_mutation_is_caught(name, mutation, prefix):
    spec = element_spec(name)
    if prefix:  # the directed sum is right without the mutation
        _, got, want, _ = run_mac(spec, spec, seed=5, cycles=len(prefix), lanes=1, prefix=prefix)
        assert_bits(got.ravel(), want.ravel(), {"prefix": np.array(prefix)[:, 0]}, 5, "prefix")
    _, got, want, _ = run_mac(spec, spec, seed=5, mutation=mutation, cycles=40, prefix=prefix)
    assert np.count_nonzero(got != want) > 0, f"mutation {mutation!r} not detected"


def test_scalar_mac_bad_parameters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        with pytest.raises(TypeError, match="fmt_a"):
            ScalarMac(fmt_a=8)
        # the ValueError cases; rejects' one collection also takes the TypeError's unit
        rejects((lambda: ScalarMac(fmt_a="mxfp4"), "element format"),
                (lambda: ScalarMac(fmt_a="fp8_e4m3", fmt_b="posit16"), "fmt_b"),
                (lambda: ScalarMac(fmt_a="posit8", fmt_b="posit16"), "fmt_b"),
                (lambda: ScalarMac(fmt_a="int8", mutation="truncate"), "ignore_first"),
                (lambda: ScalarMac(fmt_a="fp4_e2m1", mutation="swap"), "mutation"))


# ----- Verilog --------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: Fp32Round(mag_width=37, exp_width=11), lambda: Fp32Add(), lambda: Fp32Mul(),
    lambda: RawFloatAdd(a_sig_width=24, a_exp_width=9, b_sig_width=8, b_exp_width=6),
    lambda: ElementDecoder(fmt="fp6_e3m2"), lambda: ScalarMac(fmt_a="fp8_e4m3"),
    lambda: ScalarMac(fmt_a="int4", fmt_b="bin1"), lambda: FloatAdd(fmt="fp16"),
    lambda: FloatMul(fmt="bf16"), lambda: IntAdd(fmt="int32"), lambda: IntMul(fmt="int32")],
    ids=["fp32_round", "fp32_add", "fp32_mul", "raw_float_add", "decoder", "mac_fp8", "mac_int",
         "float_add_fp16", "float_mul_bf16", "int_add_int32", "int_mul_int32"])
def test_converts_to_verilog(make):
    unit = make()
    text = verilog.convert(unit, name="top")
    for name in unit.signature.members:
        assert name in text, f"port {name} missing from the Verilog of {type(unit).__name__}"
