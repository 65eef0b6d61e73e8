"""posit<n, es> encoder: the one posit rounding module, and a decode -> encode wrapper.

:class:`PositRound` is to posits what ``Fp32Round`` is to fp32: every posit result of
``hw/`` (a product, a quire read-out, a format conversion) is rounded by it, exactly as
:func:`golden.posit.round_to_posit`. The value is written as an unbounded posit pattern
(regime, es exponent bits, fraction); the first n - 1 bits after the sign are kept, the next
is the guard bit, the rest and the input ``sticky`` form the sticky bit, and the pattern
rounds up when ``guard & (sticky | last kept bit)`` (RNE on the bit pattern). Scales beyond
maxpos give maxpos, below minpos give minpos: a nonzero value never rounds to 0 or NaR.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from golden.posit import posit_spec
from hw.posit.decode import (
    DECODE_MUTATIONS,
    PositDecoder,
    check_posit_mutation,
    fraction_width,
    regime_width,
    scale_width,
)

__all__ = ["CODEC_MUTATIONS", "ROUND_MUTATIONS", "PositCodec", "PositRound"]

ROUND_MUTATIONS = ("truncate",)
CODEC_MUTATIONS = (*ROUND_MUTATIONS, *DECODE_MUTATIONS)


def _positive_int(unit: str, pname: str, value: object, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{unit} {pname} must be an integer >= {low}, not {value!r}")
    return value


class PositRound(wiring.Component):
    """Round ``(-1)**sign * 2**scale * (1 + frac / 2**frac_width + eps)`` to a posit code.

    Combinational. ``eps`` is 0 when ``sticky`` is 0 and a positive amount below one lsb of
    ``frac`` when it is 1. Rounding: round to nearest on the bit pattern, ties to the even
    pattern; scale >= maxpos's regime range gives maxpos, below minpos gives minpos (never
    0 or NaR); the sign is applied last (two's complement of the magnitude pattern).

    Parameters
    ----------
    fmt : FormatSpec or str
        The posit format of the result.
    scale_width : int
        Width of the signed ``scale`` input (>= 2).
    frac_width : int
        Width of ``frac`` (>= 1).
    mutation : str or None
        ``None`` or ``"truncate"`` (a deliberate bug for mutation tests: the pattern is cut
        after n - 1 bits, never rounded up).

    Attributes
    ----------
    sign : In(1)
        Sign of the value.
    scale : In(signed(scale_width))
        Exponent of the leading one.
    frac : In(frac_width)
        Bits below the leading one.
    sticky : In(1)
        Some bit below ``frac`` is set.
    is_zero : In(1)
        The value is 0: output code 0 (overrides the other inputs except ``is_nar``).
    is_nar : In(1)
        Output NaR, ``1 << (n - 1)`` (overrides everything).
    code : Out(n)
        The posit code.
    """

    def __init__(self, *, fmt: FormatSpec | str, scale_width: int, frac_width: int,
                 mutation: str | None = None) -> None:
        self.fmt = posit_spec(fmt)
        self.scale_width = _positive_int("PositRound", "scale_width", scale_width, 2)
        self.frac_width = _positive_int("PositRound", "frac_width", frac_width, 1)
        check_posit_mutation("PositRound", mutation, ROUND_MUTATIONS)
        self.mutation = mutation
        super().__init__({
            "sign": In(1), "scale": In(signed(self.scale_width)), "frac": In(self.frac_width),
            "sticky": In(1), "is_zero": In(1), "is_nar": In(1), "code": Out(self.fmt.bits),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        n, es, fw = self.fmt.bits, self.fmt.es, self.frac_width
        maxmag = (1 << (n - 1)) - 1
        kw = max(self.scale_width - es, 2)
        k = Signal(signed(kw))
        m.d.comb += k.eq(self.scale >> es)  # floor(scale / 2^es): arithmetic shift
        over = k >= n - 2
        under = k <= -(n - 1)
        # The pattern "1 0 body" (k >= 0) or "0 1 body" (k < 0), shifted right arithmetically
        # by k (resp. -k - 1 = ~k) gives the regime: k + 1 ones then a zero, or -k zeros then a
        # one. In range, the shift is at most n - 3; n - 1 zeros below keep every bit
        # shifted out for the sticky bit.
        pos = ~k[kw - 1]
        sh_w = max(1, (n - 3).bit_length())
        shamt = Signal(sh_w)
        m.d.comb += shamt.eq(Mux(pos, k, ~k)[:sh_w])
        low = n - 1
        pat_w = low + fw + es + 2
        pat = Signal(signed(pat_w))
        e = self.scale[:es] if es else Const(0, 0)
        m.d.comb += pat.eq(Cat(Const(0, low), self.frac, e, ~pos, pos))
        shifted = Signal(pat_w)
        m.d.comb += shifted.eq(pat >> shamt)
        kept = shifted[pat_w - (n - 1):]
        guard = shifted[pat_w - n]
        st = shifted[:pat_w - n].any() | self.sticky
        inc = Signal()
        if self.mutation == "truncate":
            m.d.comb += inc.eq(0)
        else:
            m.d.comb += inc.eq(guard & (st | kept[0]))
        mag = Signal(n - 1)
        with m.If(over):
            m.d.comb += mag.eq(maxmag)
        with m.Elif(under):
            m.d.comb += mag.eq(1)
        with m.Else():
            m.d.comb += mag.eq(kept + inc)  # at most 1...1 (= maxpos): no carry out
        with m.If(self.is_nar):
            m.d.comb += self.code.eq(1 << (n - 1))
        with m.Elif(self.is_zero):
            m.d.comb += self.code.eq(0)
        with m.Else():
            m.d.comb += self.code.eq(Mux(self.sign, -Cat(mag, Const(0, 1)), mag))
        return m


class PositCodec(wiring.Component):
    """Decode a posit<n_in, es_in> code and encode it to posit<n, es> (a stream test wrapper).

    ``out = posit_encode(posit_decode(code, fmt_in), fmt)``: the identity when ``fmt_in`` is
    ``fmt``, a rounding conversion otherwise (e.g. posit16 -> posit8). The decoder's fields
    are registered next to ``out`` so tests can compare them with
    :func:`golden.posit.posit_fields`.

    Stream interface: valid-only pipeline, ``latency = 1``.

    Parameters
    ----------
    fmt : FormatSpec or str
        Posit format of ``out``.
    fmt_in : FormatSpec or str or None
        Posit format of ``code``; ``None`` means ``fmt``.
    mutation : str or None
        ``None``, ``"truncate"`` (:class:`PositRound`) or ``"regime"``
        (:class:`~hw.posit.decode.PositDecoder`).

    Attributes
    ----------
    i_valid : In(1)
        ``code`` holds an input.
    code : In(n_in)
        Input code.
    o_valid : Out(1)
        The outputs belong to the input of the previous cycle.
    out : Out(n)
        The code in ``fmt``.
    sign, is_zero, is_nar, regime, exponent, fraction, scale : Out
        The decoder's fields of the input (see :class:`~hw.posit.decode.PositDecoder`).
    latency : int
        1.
    """

    latency = 1

    def __init__(self, *, fmt: FormatSpec | str, fmt_in: FormatSpec | str | None = None,
                 mutation: str | None = None) -> None:
        self.fmt = posit_spec(fmt)
        self.fmt_in = self.fmt if fmt_in is None else posit_spec(fmt_in)
        check_posit_mutation("PositCodec", mutation, CODEC_MUTATIONS)
        self.mutation = mutation
        fin = self.fmt_in
        self.frac_width = fraction_width(fin)  # meaningful bits of the fraction port
        super().__init__({
            "i_valid": In(1), "code": In(self.fmt_in.bits),
            "o_valid": Out(1), "out": Out(self.fmt.bits),
            "sign": Out(1), "is_zero": Out(1), "is_nar": Out(1),
            "regime": Out(signed(regime_width(fin))), "exponent": Out(max(fin.es, 1)),
            "fraction": Out(max(self.frac_width, 1)), "scale": Out(signed(scale_width(fin))),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        dec_mut = self.mutation if self.mutation in DECODE_MUTATIONS else None
        rnd_mut = self.mutation if self.mutation in ROUND_MUTATIONS else None
        m.submodules.dec = dec = PositDecoder(fmt=self.fmt_in, mutation=dec_mut)
        m.submodules.rnd = rnd = PositRound(fmt=self.fmt, scale_width=dec.scale_width,
                                            frac_width=len(dec.fraction), mutation=rnd_mut)
        m.d.comb += [
            dec.code.eq(self.code),
            rnd.sign.eq(dec.sign), rnd.scale.eq(dec.scale), rnd.frac.eq(dec.fraction),
            rnd.sticky.eq(0), rnd.is_zero.eq(dec.is_zero), rnd.is_nar.eq(dec.is_nar),
        ]
        m.d.sync += [self.o_valid.eq(self.i_valid), self.out.eq(rnd.code)]
        for name in ("sign", "is_zero", "is_nar", "regime", "exponent", "fraction", "scale"):
            m.d.sync += getattr(self, name).eq(getattr(dec, name))
        return m
