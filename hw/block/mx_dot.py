"""MX block dot product unit: one OCP MX block pair per cycle, fp32 accumulation.

Per input (one block of ``lanes`` element pairs and the two e8m0 scale codes):

    d   = RNE_fp32(2 ** (Xa + Xb) * sum_i Pa_i * Pb_i)   (sum exact, ONE rounding)
    acc = RNE_fp32((i_first ? +0.0 : acc) + d)

exactly as ``golden.block_dot`` (``docs/numerics.md``, "Dot products and GEMM"). The
pipeline follows HardFloat's split: decode -> exact products -> exact adder tree
(:class:`hw.block.adder_tree.BlockProductSum`) -> scale (an exponent add) -> one
:class:`hw.common.fp32_round.Fp32Round` -> fp32 accumulation (:class:`hw.fp.fp32_add.Fp32Add`).
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format
from hw.block.adder_tree import BlockProductSum
from hw.common.decode import ElementDecoder, signed_width
from hw.common.fp32_round import ROUND_MUTATIONS, Fp32Round
from hw.common.pipeline import delay
from hw.fp.fp32_add import Fp32Add

__all__ = ["MX_DOT_MUTATIONS", "MxDot"]

MX_DOT_MUTATIONS = ("scale_bias", *ROUND_MUTATIONS)
"""Deliberate bugs for mutation tests: ``"scale_bias"`` (the scale exponent is one too
large), and the :class:`~hw.common.fp32_round.Fp32Round` mutations ``"truncate"`` and
``"drop_sticky"``, applied to every fp32 rounding of the unit (block rounding,
accumulator, NVFP4 tensor-scale multiplies)."""


def round_mutation(mutation: str | None) -> str | None:
    """The part of a block unit's mutation that its fp32 rounding modules take."""
    return mutation if mutation in ROUND_MUTATIONS else None


def check_block_unit_args(unit: str, fmt_a, fmt_b, lanes: int, mutation: str | None, *,
                          tensor_scale: bool) -> tuple[FormatSpec, FormatSpec]:
    """Validate a block unit's parameters; return the two block specs."""
    specs = []
    for pname, fmt in (("fmt_a", fmt_a), ("fmt_b", fmt_b if fmt_b is not None else fmt_a)):
        spec = get_format(fmt)
        if not spec.is_block or spec.tensor_scale != tensor_scale:
            kind = "an NVFP4-style" if tensor_scale else "an MX"
            raise ValueError(f"{unit} {pname} must be {kind} block format, not {spec.name!r}")
        specs.append(spec)
    a, b = specs
    if a.block_size != b.block_size or a.scale != b.scale:
        raise ValueError(f"{unit} needs fmt_a and fmt_b with the same block size and scale "
                         f"format, not {a.name!r} and {b.name!r}")
    if not isinstance(lanes, int) or isinstance(lanes, bool) or not 1 <= lanes <= a.block_size:
        raise ValueError(f"{unit} lanes must be an integer in 1..{a.block_size}, not {lanes!r}")
    if mutation is not None and mutation not in MX_DOT_MUTATIONS:
        raise ValueError(f"{unit} mutation must be None or one of "
                         f"{', '.join(MX_DOT_MUTATIONS)}, not {mutation!r}")
    return a, b


def scale_and_round(m: Module, bps: BlockProductSum, scale_fmt: FormatSpec, code_a, code_b,
                    mutation: str | None) -> Signal:
    """Combinational: ``RNE_fp32(sum * scale_a * scale_b)`` of a block sum, as fp32 bits.

    ``code_a``/``code_b`` are scale codes of ``scale_fmt`` (e8m0 for MX, fp8_e4m3 for
    NVFP4), decoded to ``(-1)**s * sig * 2**exp``. The product ``|sum| * sig_a * sig_b`` is
    exact (no multiplier at all for power-of-two scales), the exponents add to the sum's
    lsb exponent, and one :class:`Fp32Round` rounds the result. A NaN scale, a NaN block,
    or an infinite block times a zero scale gives NaN; an exact zero gives +0.
    """
    m.submodules.scale_a = sa = ElementDecoder(fmt=scale_fmt)
    m.submodules.scale_b = sb = ElementDecoder(fmt=scale_fmt)
    m.d.comb += [sa.code.eq(code_a), sb.code.eq(code_b)]

    sum_neg = bps.sum < 0
    mag_sum = Signal(bps.sum_width, name="sum_mag")
    m.d.comb += mag_sum.eq(Mux(sum_neg, -bps.sum, bps.sum))
    if sa.sig_width == 1 and sb.sig_width == 1:  # powers of two: sig is the constant 1
        mag = mag_sum
    else:
        mag = Signal(bps.sum_width + sa.sig_width + sb.sig_width, name="scaled_mag")
        m.d.comb += mag.eq(mag_sum * sa.sig * sb.sig)
    bias_error = 1 if mutation == "scale_bias" else 0
    half = 1 << (sa.exp_width - 1)  # range of the decoders' exp ports: [-half, half)
    lo = bps.lsb_exp - 2 * half
    hi = bps.lsb_exp + 2 * (half - 1) + bias_error
    exp = Signal(signed(signed_width(lo, hi)), name="scaled_exp")
    m.d.comb += exp.eq(sa.exp + sb.exp + (bps.lsb_exp + bias_error))

    m.submodules.round = rnd = Fp32Round(mag_width=len(mag), exp_width=len(exp),
                                         mutation=round_mutation(mutation))
    scale_zero = sa.is_zero | sb.is_zero
    nan = bps.is_nan | sa.is_nan | sb.is_nan | (bps.is_inf & scale_zero)
    scale_neg = sa.sign ^ sb.sign
    m.d.comb += [
        rnd.mag.eq(mag),
        rnd.exp.eq(exp),
        rnd.sticky.eq(0),
        rnd.is_nan.eq(nan),
        rnd.is_inf.eq(bps.is_inf),
        rnd.sign.eq(Mux(bps.is_inf, bps.inf_neg ^ scale_neg,
                        (sum_neg ^ scale_neg) & (mag != 0))),
    ]
    return rnd.out


def accumulate(m: Module, d, first, valid, mutation: str | None
               ) -> tuple[Signal, Signal, Signal]:
    """fp32 accumulation ``acc = RNE_fp32((first ? +0.0 : acc) + d)`` over valid inputs.

    Returns ``(acc, d_out, o_valid)``, all one cycle (:class:`Fp32Add` latency) after
    ``d``/``first``/``valid``; ``d_out`` is ``d`` delayed to line up with ``acc``. The
    adder's output register holds across idle cycles, so it is the accumulator itself.
    """
    m.submodules.acc_add = add = Fp32Add(mutation=round_mutation(mutation))
    if add.latency != 1:  # the feedback below needs the result on the next cycle
        raise RuntimeError(f"accumulate needs an Fp32Add of latency 1, not {add.latency}")
    m.d.comb += [
        add.i_valid.eq(valid),
        add.a.eq(Mux(first, 0, add.sum)),
        add.b.eq(d),
    ]
    return add.sum, delay(m, d, add.latency, "d"), add.o_valid


def block_pipeline(m: Module, bps: BlockProductSum, scale_fmt: FormatSpec, scale_a, scale_b,
                   i_first, mutation: str | None) -> tuple[Signal, Signal, Signal]:
    """The datapath shared by the block units after the exact product sum.

    Delays the scale codes and ``i_first`` to line up with ``bps``'s sum, scales and rounds
    the block once (:func:`scale_and_round`, then a register), and accumulates in fp32
    (:func:`accumulate`). Returns ``(acc, d_out, o_valid)``.
    """
    lat = bps.latency
    sa = delay(m, scale_a, lat, "scale_a")
    sb = delay(m, scale_b, lat, "scale_b")
    first = delay(m, i_first, lat, "first")
    d_comb = scale_and_round(m, bps, scale_fmt, sa, sb, mutation)
    d = Signal(32, name="d_rounded")
    first_r = Signal(name="first_rounded")
    valid_r = Signal(name="valid_rounded")
    m.d.sync += [d.eq(d_comb), first_r.eq(first), valid_r.eq(bps.o_valid)]
    return accumulate(m, d, first_r, valid_r, mutation)


class MxDot(wiring.Component):
    """Pipelined OCP MX block dot product with fp32 accumulation, one block per cycle.

    One parameterised design for every MX element format and any mixed pair (widths come
    from the element specs: fp8_e5m2 x fp8_e5m2 sums 70 bits exactly, fp4 x fp4 14).
    With ``lanes < block_size`` (small tests) a block is ``lanes`` elements: the result is
    ``golden.block_dot`` of blocks of that size.

    Semantics per input (``docs/numerics.md``): ``d = RNE_fp32(2**(Xa+Xb) * sum_i
    Pa_i*Pb_i)`` with ``Xa = sa - 127``, the sum exact, one rounding (subnormals kept,
    overflow to Inf, an exact zero gives +0); NaN when either scale code is 0xFF.
    Non-finite element codes follow IEEE 754 (NaN, Inf * 0 and Inf - Inf give NaN).
    ``acc = RNE_fp32((i_first ? +0.0 : acc) + d)`` (fp32 addition, blocks in input order).

    Pipeline (``latency`` cycles): decode + exact products | adder tree (one register
    every two levels) | scale + Fp32Round | Fp32Add. 32 lanes: 6 cycles; 4 lanes: 4.

    Parameters
    ----------
    fmt_a : FormatSpec or str
        MX block format of operand a (``mxfp4``, ``mxfp6_e2m3``, ..., ``mxint8``).
    fmt_b : FormatSpec or str or None
        MX block format of operand b; ``None``: the same as ``fmt_a``.
    lanes : int
        Elements per block, ``1..block_size`` (32).
    mutation : str or None
        ``None`` (correct design) or a deliberate bug from ``MX_DOT_MUTATIONS``:
        ``"scale_bias"`` (scale exponent one too large), ``"truncate"``, ``"drop_sticky"``
        (:class:`~hw.common.fp32_round.Fp32Round` mutations, in the block rounding and the
        accumulator). Mutation tests only.

    Attributes
    ----------
    i_valid : In(1)
        A block is presented this cycle.
    a : In(lanes * ea)
        Element codes of operand a, lane ``i`` at bits ``[i*ea, (i+1)*ea)``.
    b : In(lanes * eb)
        Element codes of operand b.
    sa, sb : In(8)
        e8m0 scale codes of the two blocks.
    i_first : In(1)
        This block starts a new accumulation (``acc`` restarts from +0.0).
    o_valid : Out(1)
        ``d`` and ``acc`` belong to the block accepted ``latency`` cycles earlier.
    d : Out(32)
        fp32 bits of that block's rounded product sum.
    acc : Out(32)
        fp32 bits of the accumulation including that block.
    latency : int
        Cycles from ``i_valid`` to ``o_valid``.
    """

    def __init__(self, *, fmt_a: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
                 lanes: int = 32, mutation: str | None = None) -> None:
        try:
            self.fmt_a, self.fmt_b = check_block_unit_args("MxDot", fmt_a, fmt_b, lanes,
                                                           mutation, tensor_scale=False)
        except (TypeError, ValueError):
            self._MustUse__silence = True  # no "created but never used" warning on bad input
            raise
        self.lanes = lanes
        self.mutation = mutation
        self._bps = BlockProductSum(fmt_a=self.fmt_a.element, fmt_b=self.fmt_b.element,
                                    lanes=lanes)
        self.latency = self._bps.latency + 1 + Fp32Add.latency
        sw = self.fmt_a.scale.bits
        super().__init__({
            "i_valid": In(1),
            "a": In(lanes * self.fmt_a.element.bits),
            "b": In(lanes * self.fmt_b.element.bits),
            "sa": In(sw),
            "sb": In(sw),
            "i_first": In(1),
            "o_valid": Out(1),
            "d": Out(32),
            "acc": Out(32),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.products = bps = self._bps
        m.d.comb += [bps.i_valid.eq(self.i_valid), bps.a.eq(self.a), bps.b.eq(self.b)]
        acc, d_out, o_valid = block_pipeline(m, bps, self.fmt_a.scale, self.sa, self.sb,
                                             self.i_first, self.mutation)
        m.d.comb += [self.acc.eq(acc), self.d.eq(d_out), self.o_valid.eq(o_valid)]
        return m
