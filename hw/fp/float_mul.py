"""IEEE-style float multiplier: decode -> exact significand product -> FloatRound -> register."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.common.decode import ElementDecoder
from hw.common.float_round import ROUND_MUTATIONS, FloatRound, check_ieee_float, check_mutation

__all__ = ["FloatMul"]


class FloatMul(wiring.Component):
    """IEEE-style float multiplier of one format: ``prod = RNE_fmt(a * b)``, one per cycle.

    The ``P x P``-bit significand product (``P = fmt.precision``) is exact and rounded once by
    :class:`~hw.common.float_round.FloatRound` (subnormals in and out, overflow to Inf,
    underflow to subnormals or a zero of the product's sign). NaN if either input is NaN or
    for Inf x 0 (output the canonical quiet NaN of ``fmt``: fp32 ``0x7FC00000``, fp16
    ``0x7E00``, bf16 ``0x7FC0``); Inf x nonzero is Inf; the sign is always
    ``sign(a) xor sign(b)`` (also for zeros). Matches ``golden.arith.float_mul``.

    Stream interface: valid-only pipeline, ``latency = 1``; the output register loads on a
    cycle with ``i_valid`` and holds otherwise.

    Parameters
    ----------
    fmt : FormatSpec or str
        An IEEE-style float format (signed, subnormals, Inf, IEEE NaNs): fp16, bf16, fp32,
        fp8_e5m2. Every width comes from its ``exp_bits``, ``man_bits`` and ``bias``.
    mutation : str or None
        ``None``, ``"truncate"`` or ``"drop_sticky"``
        (see :class:`~hw.common.float_round.FloatRound`).

    Attributes
    ----------
    i_valid : In(1)
        ``a`` and ``b`` hold an input.
    a, b : In(fmt.bits)
        Operand codes.
    o_valid : Out(1)
        ``prod`` holds the result of the input accepted ``latency`` cycles earlier.
    prod : Out(fmt.bits)
        Code of the rounded product.
    latency : int
        1.
    """

    latency = 1

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        unit = type(self).__name__
        check_mutation(unit, mutation, ROUND_MUTATIONS)
        self.fmt = check_ieee_float(unit, fmt)
        self.mutation = mutation
        n = self.fmt.bits
        super().__init__({"i_valid": In(1), "a": In(n), "b": In(n),
                          "o_valid": Out(1), "prod": Out(n)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.dec_a = da = ElementDecoder(fmt=self.fmt)
        m.submodules.dec_b = db = ElementDecoder(fmt=self.fmt)
        m.d.comb += [da.code.eq(self.a), db.code.eq(self.b)]
        mag_width = da.sig_width + db.sig_width
        exp_width = max(da.exp_width, db.exp_width) + 1
        m.submodules.round = rnd = FloatRound(fmt=self.fmt, mag_width=mag_width,
                                              exp_width=exp_width, mutation=self.mutation)
        exp = Signal(signed(exp_width))
        m.d.comb += exp.eq(da.exp + db.exp)
        m.d.comb += [
            rnd.sign.eq(da.sign ^ db.sign),
            rnd.mag.eq(Mux(da.is_zero | db.is_zero, 0, da.sig * db.sig)),
            rnd.exp.eq(exp),
            rnd.sticky.eq(0),
            rnd.is_nan.eq(da.is_nan | db.is_nan | (da.is_inf & db.is_zero)
                          | (db.is_inf & da.is_zero)),
            rnd.is_inf.eq(da.is_inf | db.is_inf),
        ]
        m.d.sync += self.o_valid.eq(self.i_valid)
        with m.If(self.i_valid):
            m.d.sync += self.prod.eq(rnd.out)
        return m
