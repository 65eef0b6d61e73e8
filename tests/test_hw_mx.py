"""MxDot and Nvfp4Dot (hw/block/mx_dot.py, hw/block/nvfp4_dot.py) in Amaranth's Python simulator.

Every block result ``d``, accumulation ``acc`` (and NVFP4 ``out``) is compared bit for bit
with an independent oracle written here: element values from ``ml_dtypes`` (floats) or
two's complement arithmetic (integers), the block sum as an exact ``Fraction``, one fp32
RNE rounding written below, fp32 accumulation in NumPy float32. NaN results must be the
canonical quiet NaN 0x7FC00000. ``golden.block_dot`` is cross-checked on the same blocks
when the golden block layer is importable.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from amaranth.sim import Simulator
from oracles import fp32_rne

from golden.formats import FormatSpec, get_format
from hw.block.mx_dot import MxDot
from hw.block.nvfp4_dot import Nvfp4Dot

QNAN = 0x7FC00000
MX_FORMATS = ["mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8"]
MIXED = [("mxfp4", "mxfp8_e4m3"), ("mxint8", "mxfp8_e5m2")]


# ----- oracle --------------------------------------------------------------------------------

def element_value(fmt: FormatSpec, code: int) -> Fraction | float:
    """Exact value of one element/scale code (a float for Inf/NaN), independent of hw/golden."""
    code = int(code)
    if fmt.kind == "float":
        dt = np.dtype(getattr(ml_dtypes, fmt.ml_dtypes_name))
        v = float(np.array([code], np.uint8).view(dt)[0])
        return Fraction(v) if math.isfinite(v) else v
    if fmt.kind == "bin1":
        return Fraction(1 if code else -1)
    v = code - (1 << fmt.bits) if code >> (fmt.bits - 1) else code
    return Fraction(v) * Fraction(2) ** fmt.scale_exp


def block_d(fa: FormatSpec, fb: FormatSpec, a: list[int], b: list[int], sa: int, sb: int
            ) -> int:
    """Expected fp32 bits of D = RNE(scale_a * scale_b * exact sum of products)."""
    scale_a, scale_b = element_value(fa.scale, sa), element_value(fb.scale, sb)
    prods = []
    for ca, cb in zip(a, b, strict=True):
        va, vb = element_value(fa.element, ca), element_value(fb.element, cb)
        prods.append(va * vb if isinstance(va, Fraction) and isinstance(vb, Fraction)
                     else float(va) * float(vb))
    special = [p for p in prods if not isinstance(p, Fraction)]
    if special or not isinstance(scale_a, Fraction) or not isinstance(scale_b, Fraction):
        with np.errstate(invalid="ignore"):
            s = sum(special) if special else 1.0
            v = s * float(scale_a) * float(scale_b)
        if math.isnan(v):
            return QNAN
        if math.isinf(v):
            return 0xFF800000 if v < 0 else 0x7F800000
    return fp32_rne(sum(prods, Fraction(0)) * scale_a * scale_b)


def f32(bits: int) -> np.float32:
    return np.array([bits], np.uint32).view(np.float32)[0]


def bits32(x: np.float32) -> int:
    return QNAN if np.isnan(x) else int(np.array([x], np.float32).view(np.uint32)[0])


@dataclass
class Block:
    a: list[int]
    b: list[int]
    sa: int
    sb: int
    first: bool
    ta: int = 0x3F800000
    tb: int = 0x3F800000


def expected(fa: FormatSpec, fb: FormatSpec, blocks: list[Block]) -> list[tuple[int, ...]]:
    """(d, acc, out) bits per block: the exact oracle plus NumPy float32 accumulation."""
    out, acc = [], np.float32(0)
    with np.errstate(over="ignore", invalid="ignore"):
        for blk in blocks:
            d = block_d(fa, fb, blk.a, blk.b, blk.sa, blk.sb)
            acc = (np.float32(0) if blk.first else acc) + f32(d)
            t = f32(blk.ta) * f32(blk.tb)
            out.append((d, bits32(acc), bits32(acc * t)))
    return out


# ----- simulation ----------------------------------------------------------------------------

def pack(codes: list[int], width: int) -> int:
    return sum(int(c) << (i * width) for i, c in enumerate(codes))


def simulate(dut, blocks: list[Block], gaps: np.ndarray | None = None) -> list[tuple[int, ...]]:
    """Drive one block per cycle (an idle cycle after block k when gaps[k]); collect outputs."""
    nv = isinstance(dut, Nvfp4Dot)
    wa = len(dut.a) // dut.lanes
    wb = len(dut.b) // dut.lanes
    got: list[tuple[int, ...]] = []
    schedule: list[Block | None] = []
    for k, blk in enumerate(blocks):
        schedule.append(blk)
        if gaps is not None and gaps[k]:
            schedule.append(None)

    async def bench(ctx):
        for cycle in range(len(schedule) + dut.latency + 2):
            blk = schedule[cycle] if cycle < len(schedule) else None
            ctx.set(dut.i_valid, blk is not None)
            if blk is not None:
                ctx.set(dut.a, pack(blk.a, wa))
                ctx.set(dut.b, pack(blk.b, wb))
                ctx.set(dut.i_first, blk.first)
                if nv:
                    ctx.set(dut.sa, blk.sa)
                    ctx.set(dut.sb, blk.sb)
                    ctx.set(dut.ta, blk.ta)
                    ctx.set(dut.tb, blk.tb)
                else:
                    ctx.set(dut.sa, blk.sa)
                    ctx.set(dut.sb, blk.sb)
            if ctx.get(dut.o_valid):
                row = (ctx.get(dut.d), ctx.get(dut.acc))
                got.append((*row, ctx.get(dut.out)) if nv else row)
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return got


def golden_check(fa: FormatSpec, fb: FormatSpec, lanes: int, blocks: list[Block],
                 want: list[tuple[int, ...]], seed: object) -> None:
    """``golden.block_dot`` of every accumulation run equals the oracle's final ``acc``.

    Blocks of ``lanes`` elements (the block size of the specs is set to ``lanes``); NVFP4
    tensor scales 1.0, so golden's ``out`` is ``acc``.
    """
    from golden.block import BlockTensor
    from golden.dot import block_dot

    starts = [k for k, blk in enumerate(blocks) if blk.first] + [len(blocks)]
    for lo, hi in itertools.pairwise(starts):
        tensors = []
        for spec, codes, scales in ((fa, [blk.a for blk in blocks[lo:hi]],
                                     [blk.sa for blk in blocks[lo:hi]]),
                                    (fb, [blk.b for blk in blocks[lo:hi]],
                                     [blk.sb for blk in blocks[lo:hi]])):
            sp = replace(spec, block_size=lanes)
            tensors.append(BlockTensor(
                fmt=sp, scales=np.array(scales, sp.scale.code_dtype),
                elements=np.array(codes, sp.element.code_dtype).reshape(-1),
                shape=((hi - lo) * lanes,), axis=0,
                tensor_scale=np.float32(1) if sp.tensor_scale else None))
        with np.errstate(over="ignore", invalid="ignore"):
            g = bits32(np.float32(block_dot(*tensors)))
        assert g == want[hi - 1][1], (
            f"golden.block_dot {fa.name} x {fb.name} seed={seed} blocks {lo}..{hi - 1}: "
            f"expected 0x{want[hi - 1][1]:08x} got 0x{g:08x}")


def check(dut, fa: FormatSpec, fb: FormatSpec, blocks: list[Block], seed: object,
          gaps: np.ndarray | None = None) -> None:
    """Simulate ``dut`` on ``blocks``; compare d/acc(/out) bits with the oracle, and the
    oracle with ``golden.block_dot``."""
    got = simulate(dut, blocks, gaps)
    want = expected(fa, fb, blocks)
    if dut.mutation is None:
        golden_check(fa, fb, dut.lanes, blocks, want, seed)
    assert len(got) == len(blocks), f"{len(got)} outputs for {len(blocks)} blocks (seed {seed})"
    names = ("d", "acc", "out")
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        for name, gv, wv in zip(names, g, w, strict=False):
            if gv != wv:
                blk = blocks[k]
                raise AssertionError(
                    f"{fa.name} x {fb.name} lanes={dut.lanes} seed={seed} block {k}: {name} "
                    f"expected 0x{wv:08x} got 0x{gv:08x}; a={[hex(c) for c in blk.a]} "
                    f"b={[hex(c) for c in blk.b]} scale_a=0x{blk.sa:02x} scale_b=0x{blk.sb:02x} "
                    f"first={blk.first} ta=0x{blk.ta:08x} tb=0x{blk.tb:08x}")


# ----- stimulus ------------------------------------------------------------------------------

def finite_codes(fmt: FormatSpec) -> np.ndarray:
    """Codes of finite values; integers only inside ``[int_min, int_max]`` (mxint8: no 0x80)."""
    def ok(c: int) -> bool:
        v = element_value(fmt, c)
        if fmt.kind == "int":
            return fmt.int_min <= v / Fraction(2) ** fmt.scale_exp <= fmt.int_max
        return isinstance(v, Fraction)
    return np.array([c for c in range(fmt.n_codes) if ok(c)], np.int64)


def extreme_code(fmt: FormatSpec, sign: int = 1, largest: bool = True) -> int:
    """Code of the largest (or smallest nonzero) finite magnitude with the given sign."""
    vals = {c: element_value(fmt, c) for c in finite_codes(fmt)}
    cands = [c for c, v in vals.items() if v * sign > 0]
    pick = max if largest else min
    return int(pick(cands, key=lambda c: abs(vals[c])))


def random_blocks(fa: FormatSpec, fb: FormatSpec, lanes: int, n: int, rng) -> list[Block]:
    """Finite element codes; scale codes half near the bias, half anywhere (NaN included)."""
    ca, cb = finite_codes(fa.element), finite_codes(fb.element)
    sa_codes, sb_codes = finite_codes(fa.scale), finite_codes(fb.scale)
    blocks = []
    for k in range(n):
        mode = rng.integers(4)
        if mode == 0:  # scales anywhere, including the NaN code
            sa, sb = (int(x) for x in rng.integers(0, fa.scale.n_codes, 2))
        else:
            sa, sb = int(rng.choice(sa_codes)), int(rng.choice(sb_codes))
            if fa.scale.man_bits == 0:  # e8m0: mostly near the bias
                sa, sb = (int(x) for x in 127 + rng.integers(-20, 21, 2))
        blocks.append(Block([int(c) for c in rng.choice(ca, lanes)],
                            [int(c) for c in rng.choice(cb, lanes)], sa, sb,
                            first=bool(k == 0 or rng.random() < 0.2)))
    return blocks


def directed_blocks(fa: FormatSpec, fb: FormatSpec, lanes: int) -> list[Block]:
    """Corners: zeros, cancellation, max products, overflow, subnormal D, NaN/extreme scales."""
    ea, eb = fa.element, fb.element
    za, zb = [0] * lanes, [0] * lanes
    maxa, maxb = [extreme_code(ea)] * lanes, [extreme_code(eb)] * lanes
    nmaxb = [extreme_code(eb, -1)] * lanes
    mina, minb = [extreme_code(ea, 1, False)] * lanes, [extreme_code(eb, 1, False)] * lanes
    one = next(c for c in range(fa.scale.n_codes) if element_value(fa.scale, c) == 1)
    top = extreme_code(fa.scale)              # 254 for e8m0, 0x7E for e4m3
    low = extreme_code(fa.scale, 1, False)    # 0 for e8m0, 0x01 for e4m3
    nan = 0xFF if fa.scale.man_bits == 0 else 0x7F
    half = lanes // 2
    cancel_b = maxb[:half] + nmaxb[:lanes - half] if lanes > 1 else zb
    cancel_a = maxa[:half] + maxa[:lanes - half]
    blocks = [
        Block(za, zb, one, one, True),                    # all zeros -> +0
        Block(cancel_a, cancel_b, one, one, False),       # cancellation -> exactly +0
        Block(maxa, maxb, one, one, True),                # max finite products
        Block(maxa, nmaxb, one, one, False),              # back to zero through acc
        Block(maxa, maxb, top, top, True),                # fp32 overflow -> Inf
        Block(maxa, nmaxb, top, top, False),              # -Inf: acc Inf + -Inf -> NaN
        Block(mina, minb, low, low, True),                # tiny: fp32 subnormal / zero D
        Block(maxa, maxb, low, low, False),               # smallest scales, largest elements
        Block(mina, minb, top, low, True),                # scale extremes combined
        Block(maxa, maxb, nan, one, True),                # NaN scale a
        Block(za, zb, one, nan, False),                   # NaN scale b with a zero block
        Block(maxa, maxb, one, one, True),
    ]
    for shift in range(1, 30):  # walk D through the fp32 subnormal range to zero
        blocks.append(Block(maxa[:1] + za[1:], minb[:1] + zb[1:], low, max(low, one - shift),
                            shift == 1))
    return blocks


# ----- tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", MX_FORMATS)
def test_mx_dot_small(fmt: str) -> None:
    """4 lanes: directed corners, then seeded random blocks with idle cycles."""
    spec = get_format(fmt)
    dut = MxDot(fmt_a=spec, lanes=4)
    check(dut, spec, spec, directed_blocks(spec, spec, 4), "directed")
    seed = 1000 + MX_FORMATS.index(fmt)
    rng = np.random.default_rng(seed)
    check(dut, spec, spec, random_blocks(spec, spec, 4, 200, rng), seed,
          gaps=rng.random(200) < 0.1)


@pytest.mark.parametrize(("fa", "fb"), MIXED)
def test_mx_dot_mixed(fa: str, fb: str) -> None:
    sa, sb = get_format(fa), get_format(fb)
    dut = MxDot(fmt_a=sa, fmt_b=sb, lanes=4)
    check(dut, sa, sb, directed_blocks(sa, sb, 4), "directed")
    seed = 2000 + MIXED.index((fa, fb))
    rng = np.random.default_rng(seed)
    check(dut, sa, sb, random_blocks(sa, sb, 4, 200, rng), seed)


@pytest.mark.parametrize("fmt", ["mxfp8_e5m2", "mxfp4"])
def test_mx_dot_32_lanes(fmt: str) -> None:
    spec = get_format(fmt)
    dut = MxDot(fmt_a=spec)
    assert dut.lanes == 32
    check(dut, spec, spec, directed_blocks(spec, spec, 32), "directed")
    seed = 3000 + len(fmt)
    check(dut, spec, spec, random_blocks(spec, spec, 32, 100, np.random.default_rng(seed)), seed)


@pytest.mark.parametrize("lanes", [1, 3, 5])
def test_mx_dot_odd_lanes(lanes: int) -> None:
    """Adder trees with an odd operand at some level, and the single-lane degenerate tree."""
    spec = get_format("mxfp6_e2m3")
    dut = MxDot(fmt_a=spec, lanes=lanes)
    seed = 3500 + lanes
    check(dut, spec, spec, random_blocks(spec, spec, lanes, 100, np.random.default_rng(seed)),
          seed)


def test_mx_dot_exhaustive_pairs() -> None:
    """One lane, every mxfp6_e3m2 x mxfp4 code pair, scales swept over the whole e8m0 range."""
    fa, fb = get_format("mxfp6_e3m2"), get_format("mxfp4")
    dut = MxDot(fmt_a=fa, fmt_b=fb, lanes=1)
    blocks = [Block([ca], [cb], (7 * k) % 256, (131 + 3 * k) % 255, first=k % 5 == 0)
              for k, (ca, cb) in enumerate((ca, cb) for ca in range(fa.element.n_codes)
                                          for cb in range(fb.element.n_codes))]
    check(dut, fa, fb, blocks, "exhaustive")


def test_mx_dot_special_elements() -> None:
    """fp8 Inf/NaN element codes follow IEEE 754 (NaN, Inf*0, Inf-Inf)."""
    spec = get_format("mxfp8_e5m2")
    dut = MxDot(fmt_a=spec, lanes=4)
    rng = np.random.default_rng(4000)
    specials = [0x7C, 0xFC, 0x7D, 0xFE, 0x00, 0x80]
    blocks = [Block([int(x) for x in rng.choice([*specials, 0x3C, 0xBC], 4)],
                    [int(x) for x in rng.choice([*specials, 0x3C, 0x7B], 4)], 127, 127,
                    first=True) for _ in range(200)]
    check(dut, spec, spec, blocks, 4000)


def test_nvfp4_dot() -> None:
    """4 lanes: directed corners, random blocks with random e4m3 scales and tensor scales."""
    spec = get_format("nvfp4")
    dut = Nvfp4Dot(lanes=4)
    check(dut, spec, spec, directed_blocks(spec, spec, 4), "directed")
    seed = 5000
    rng = np.random.default_rng(seed)
    blocks = random_blocks(spec, spec, 4, 200, rng)
    for blk in blocks:  # tensor scales: positive normal fp32, occasionally extreme
        blk.ta, blk.tb = (int(x) for x in rng.integers(0x30000000, 0x48000000, 2))
        if rng.random() < 0.05:
            blk.ta = int(rng.choice([0x7F7FFFFF, 0x00000001, 0x7F800000, 0x80000000]))
    for blk in blocks[::7]:  # negative-signed scale codes
        blk.sa |= 0x80
    check(dut, spec, spec, blocks, seed, gaps=rng.random(200) < 0.1)


def test_nvfp4_dot_16_lanes() -> None:
    spec = get_format("nvfp4")
    dut = Nvfp4Dot()
    assert dut.lanes == 16
    seed = 5001
    check(dut, spec, spec, random_blocks(spec, spec, 16, 100, np.random.default_rng(seed)), seed)


@pytest.mark.parametrize("mutation", ["scale_bias", "truncate", "drop_sticky"])
@pytest.mark.parametrize("unit", ["mx", "nvfp4"])
def test_mutations_are_caught(unit: str, mutation: str) -> None:
    """Each deliberate bug must produce a mismatch on the random stimulus."""
    spec = get_format("mxfp8_e4m3" if unit == "mx" else "nvfp4")
    dut = MxDot(fmt_a=spec, lanes=4, mutation=mutation) if unit == "mx" else \
        Nvfp4Dot(lanes=4, mutation=mutation)
    blocks = random_blocks(spec, spec, 4, 120, np.random.default_rng(6000))
    with pytest.raises(AssertionError, match="expected"):
        check(dut, spec, spec, blocks, 6000)


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="MX block format"):
        MxDot(fmt_a="fp8_e4m3")
    with pytest.raises(ValueError, match="MX block format"):
        MxDot(fmt_a="nvfp4")
    with pytest.raises(ValueError, match=r"lanes must be an integer in 1\.\.32"):
        MxDot(fmt_a="mxfp4", lanes=33)
    with pytest.raises(ValueError, match="mutation"):
        MxDot(fmt_a="mxfp4", mutation="bogus")
    with pytest.raises(ValueError, match=r"lanes must be an integer in 1\.\.16"):
        Nvfp4Dot(lanes=0)
