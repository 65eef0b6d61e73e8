"""IEEE binary32 multiplier: decode -> exact 48-bit product -> Fp32Round -> register."""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import get_format
from hw.common.decode import ElementDecoder
from hw.common.fp32_round import ROUND_MUTATIONS, Fp32Round, check_mutation

__all__ = ["Fp32Mul"]


class Fp32Mul(wiring.Component):
    """IEEE 754 binary32 multiplier: ``prod = RNE_fp32(a * b)``, one result per cycle.

    The 24 x 24-bit significand product is exact and rounded once (subnormals in and out,
    overflow to Inf, underflow to subnormals/zero). NaN if either input is NaN or for
    Inf x 0 (output ``0x7FC00000``); Inf x nonzero is Inf; the sign is always
    ``sign(a) xor sign(b)`` (also for zeros). Matches NumPy float32 multiplication.

    Stream interface: valid-only pipeline, ``latency = 1``; the output register loads on a
    cycle with ``i_valid`` and holds otherwise.

    Parameters
    ----------
    mutation : str or None
        ``None``, ``"truncate"`` or ``"drop_sticky"``
        (see :class:`~hw.common.fp32_round.Fp32Round`).

    Attributes
    ----------
    i_valid : In(1)
        ``a`` and ``b`` hold an input.
    a, b : In(32)
        fp32 bit patterns.
    o_valid : Out(1)
        ``prod`` holds the result of the input accepted ``latency`` cycles earlier.
    prod : Out(32)
        fp32 bit pattern of the rounded product.
    latency : int
        1.
    """

    latency = 1

    def __init__(self, *, mutation: str | None = None) -> None:
        check_mutation("Fp32Mul", mutation, ROUND_MUTATIONS)
        self.mutation = mutation
        super().__init__({"i_valid": In(1), "a": In(32), "b": In(32),
                          "o_valid": Out(1), "prod": Out(32)})

    def elaborate(self, platform) -> Module:
        m = Module()
        fp32 = get_format("fp32")
        m.submodules.dec_a = da = ElementDecoder(fmt=fp32)
        m.submodules.dec_b = db = ElementDecoder(fmt=fp32)
        m.d.comb += [da.code.eq(self.a), db.code.eq(self.b)]
        mag_width = da.sig_width + db.sig_width
        exp_width = max(da.exp_width, db.exp_width) + 1
        m.submodules.round = rnd = Fp32Round(mag_width=mag_width, exp_width=exp_width,
                                             mutation=self.mutation)
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
