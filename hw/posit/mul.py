"""posit<n, es> multiplier: decode both operands, exact significand product, one rounding.

``prod = posit_encode(posit_decode(a) * posit_decode(b))``: the product of the two
significands ``{1, fraction}`` (``frac_width + 1`` bits each) is exact, its leading one is
at bit ``2 * frac_width`` or one higher, and :class:`~hw.posit.encode.PositRound` rounds it
once (RNE on the bit pattern, saturating at maxpos / minpos). NaR in either operand gives
NaR (also NaR * 0); otherwise a zero operand gives 0.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from golden.posit import posit_spec
from hw.posit.decode import DECODE_MUTATIONS, PositDecoder, check_posit_mutation
from hw.posit.encode import ROUND_MUTATIONS, PositRound

__all__ = ["MUL_MUTATIONS", "PositMul", "exact_product"]

MUL_MUTATIONS = (*ROUND_MUTATIONS, *DECODE_MUTATIONS)


def exact_product(m: Module, da: PositDecoder, db: PositDecoder, name: str
                  ) -> tuple[Signal, Signal, Signal]:
    """The exact product of two decoded posits as ``(-1)**sign * sig * 2**exp``.

    Returns ``(sign, sig, exp)``: ``sig = da.sig * db.sig`` (``2 * frac_width + 2`` bits,
    0 when either operand is zero or NaR) and ``exp = da.exp + db.exp`` (the weight of its lsb).
    """
    sign = Signal(name=f"{name}_sign")
    sig = Signal(len(da.sig) + len(db.sig), name=f"{name}_sig")
    exp = Signal(signed(max(len(da.exp), len(db.exp)) + 1), name=f"{name}_exp")
    m.d.comb += [sign.eq(da.sign ^ db.sign), sig.eq(da.sig * db.sig), exp.eq(da.exp + db.exp)]
    return sign, sig, exp


class PositMul(wiring.Component):
    """Posit multiplier: ``prod = round(a * b)`` for posit<n, es> codes.

    Stream interface: valid-only pipeline, ``latency = 1`` (decode, multiply and round in one
    cycle, the result registered).

    Parameters
    ----------
    fmt : FormatSpec or str
        The posit format of ``a``, ``b`` and ``prod``.
    mutation : str or None
        ``None``, ``"truncate"`` (the rounding truncates) or ``"regime"`` (both decoders
        read the regime one too large): deliberate bugs for mutation tests.

    Attributes
    ----------
    i_valid : In(1)
        ``a`` and ``b`` hold an input.
    a, b : In(n)
        Posit codes.
    o_valid : Out(1)
        ``prod`` holds the product of the previous cycle's input.
    prod : Out(n)
        The rounded product: NaR if either input is NaR, 0 if either is 0, else never 0 or
        NaR (``|a * b|`` above maxpos gives maxpos, below minpos gives minpos).
    latency : int
        1.
    """

    latency = 1

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        self.fmt = posit_spec(fmt)
        check_posit_mutation("PositMul", mutation, MUL_MUTATIONS)
        self.mutation = mutation
        n = self.fmt.bits
        super().__init__({"i_valid": In(1), "a": In(n), "b": In(n),
                          "o_valid": Out(1), "prod": Out(n)})

    def elaborate(self, platform) -> Module:
        m = Module()
        dec_mut = self.mutation if self.mutation in DECODE_MUTATIONS else None
        rnd_mut = self.mutation if self.mutation in ROUND_MUTATIONS else None
        m.submodules.dec_a = da = PositDecoder(fmt=self.fmt, mutation=dec_mut)
        m.submodules.dec_b = db = PositDecoder(fmt=self.fmt, mutation=dec_mut)
        m.d.comb += [da.code.eq(self.a), db.code.eq(self.b)]
        sign, sig, _ = exact_product(m, da, db, "p")
        fw = da.frac_width
        # sig = {1, f_a} * {1, f_b} lies in [2^(2fw), 2^(2fw+2)): normalize by one bit.
        top = sig[2 * fw + 1]
        frac = Signal(2 * fw + 1)
        m.d.comb += frac.eq(Mux(top, sig[:2 * fw + 1], Cat(Const(0, 1), sig[:2 * fw])))
        scale = Signal(signed(da.scale_width + 2))
        m.d.comb += scale.eq(da.scale + db.scale + top)
        m.submodules.rnd = rnd = PositRound(fmt=self.fmt, scale_width=len(scale),
                                            frac_width=len(frac), mutation=rnd_mut)
        m.d.comb += [
            rnd.sign.eq(sign), rnd.scale.eq(scale), rnd.frac.eq(frac), rnd.sticky.eq(0),
            rnd.is_zero.eq(da.is_zero | db.is_zero), rnd.is_nar.eq(da.is_nar | db.is_nar),
        ]
        m.d.sync += [self.o_valid.eq(self.i_valid), self.prod.eq(rnd.code)]
        return m
