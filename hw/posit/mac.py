"""The posit quire and the quire MAC (a fused dot product of posit<n, es> codes).

The quire is a two's complement fixed-point register of :func:`golden.quire.quire_bits`
bits (``4s + 32`` with ``s = 2^es * (n - 2)``, maxpos = 2^s: the standard's 16n for
es = 2) whose last bit weighs minpos^2 = 2^-2s. Every product of two posits is an exact
multiple of that and at most maxpos^2 = 2^2s, so products add into it exactly, and the 30
carry guard bits let fewer than 2^31 terms accumulate without overflow. :class:`QuireRound`
reads the quire out as a posit (one rounding, as ``golden.quire``); :class:`PositMac` is the
multiply-accumulate unit with the same ports and stream contract as ``hw.fp.mac.ScalarMac``.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from golden.posit import max_scale, posit_spec
from golden.quire import quire_bits
from hw.common.decode import signed_width
from hw.common.fp32_round import normalize
from hw.posit.decode import DECODE_MUTATIONS, PositDecoder, check_posit_mutation
from hw.posit.encode import ROUND_MUTATIONS, PositRound
from hw.posit.mul import exact_product

__all__ = ["MAC_MUTATIONS", "PositMac", "QuireRound"]

MAC_MUTATIONS = (*ROUND_MUTATIONS, *DECODE_MUTATIONS, "ignore_first")


class QuireRound(wiring.Component):
    """Read a quire out as a posit: ``code = round(quire * 2^-2s)``. Combinational.

    The magnitude's leading one is found by a leading-zero count over the whole quire; the
    ``n - 2`` bits below it go to :class:`~hw.posit.encode.PositRound` as the fraction and
    every lower bit into its sticky bit, so the value is rounded once (RNE on the bit
    pattern, never to 0 or NaR). An exact zero gives code 0; ``nar`` gives NaR.

    Parameters
    ----------
    fmt : FormatSpec or str
        The posit format (it fixes the quire width and the weight of the last bit).
    mutation : str or None
        ``None`` or ``"truncate"`` (see :class:`~hw.posit.encode.PositRound`).

    Attributes
    ----------
    quire : In(signed(quire_width))
        The quire, last bit = minpos^2.
    nar : In(1)
        A NaR was accumulated.
    code : Out(n)
        The rounded posit code.
    quire_width : int
        ``golden.quire.quire_bits(fmt)``.
    """

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        self.fmt = posit_spec(fmt)
        check_posit_mutation("QuireRound", mutation, ROUND_MUTATIONS)
        self.mutation = mutation
        self.quire_width = quire_bits(self.fmt)
        super().__init__({"quire": In(signed(self.quire_width)), "nar": In(1),
                          "code": Out(self.fmt.bits)})

    def elaborate(self, platform) -> Module:
        m = Module()
        q, two_s = self.quire_width, 2 * max_scale(self.fmt)
        fw = max(self.fmt.bits - 2, 1)
        mag = Signal(q)
        m.d.comb += mag.eq(Mux(self.quire[q - 1], -self.quire, self.quire))
        norm, lz = normalize(m, mag, q, name="quire")
        scale = Signal(signed(signed_width(-two_s - 1, q)))
        m.d.comb += scale.eq(q - 1 - two_s - lz)
        m.submodules.rnd = rnd = PositRound(fmt=self.fmt, scale_width=len(scale),
                                            frac_width=fw, mutation=self.mutation)
        m.d.comb += [
            rnd.sign.eq(self.quire[q - 1]), rnd.scale.eq(scale),
            rnd.frac.eq(norm[q - 1 - fw:q - 1]), rnd.sticky.eq(norm[:q - 1 - fw].any()),
            rnd.is_zero.eq(~mag.any()), rnd.is_nar.eq(self.nar), self.code.eq(rnd.code),
        ]
        return m


class PositMac(wiring.Component):
    """Quire multiply-accumulate: ``quire = (i_first ? 0 : quire) + a * b``, read as a posit.

    Semantics of ``golden.quire.quire_dot`` over the inputs since the last ``i_first``:
    every product is exact, the quire sums exactly (order irrelevant), ``acc`` is the quire
    rounded once to posit<n, es> (RNE on the bit pattern, never to 0 or NaR); a NaR input
    makes ``acc`` NaR until the next ``i_first``; an exact zero sum gives code 0.

    Stream interface (the one of ``hw.fp.mac.ScalarMac``): valid-only pipeline, ``latency = 2``
    (stage 1: decode, exact product shifted to its quire position, registered; stage 2: the
    quire register; ``acc`` is the read-out of that register). ``acc`` is output with
    ``o_valid`` after every input, so every partial sum is visible; the quire changes only
    on valid inputs.

    Parameters
    ----------
    fmt : FormatSpec or str
        The posit format of ``a``, ``b`` and ``acc``.
    mutation : str or None
        ``None`` or a deliberate bug for mutation tests: ``"truncate"`` (the read-out
        truncates), ``"regime"`` (the decoders read the regime one too large) or
        ``"ignore_first"`` (``i_first`` does not clear the quire).

    Attributes
    ----------
    i_valid : In(1)
        ``a``, ``b``, ``i_first`` hold an input.
    a, b : In(n)
        Posit codes.
    i_first : In(1)
        Start a new sum: the quire restarts from 0 (and forgets a NaR).
    o_valid : Out(1)
        ``acc`` holds the sum after the input accepted ``latency`` cycles earlier.
    acc : Out(n)
        The quire rounded to a posit code.
    latency : int
        2.
    quire_width : int
        ``golden.quire.quire_bits(fmt)`` (16n for es = 2).
    """

    latency = 2

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        self.fmt = posit_spec(fmt)
        check_posit_mutation("PositMac", mutation, MAC_MUTATIONS)
        self.mutation = mutation
        self.quire_width = quire_bits(self.fmt)
        n = self.fmt.bits
        super().__init__({"i_valid": In(1), "a": In(n), "b": In(n), "i_first": In(1),
                          "o_valid": Out(1), "acc": Out(n)})

    def elaborate(self, platform) -> Module:
        m = Module()
        q, s = self.quire_width, max_scale(self.fmt)
        dec_mut = self.mutation if self.mutation in DECODE_MUTATIONS else None
        m.submodules.dec_a = da = PositDecoder(fmt=self.fmt, mutation=dec_mut)
        m.submodules.dec_b = db = PositDecoder(fmt=self.fmt, mutation=dec_mut)
        m.d.comb += [da.code.eq(self.a), db.code.eq(self.b)]
        sign, sig, _ = exact_product(m, da, db, "p")
        fw = da.frac_width

        # Stage 1: the product at its quire position. Its lsb weighs 2^(scale_a + scale_b
        # - 2 fw); the quire's last bit 2^-2s. Shift by scale_a + scale_b + 2s >= 0, then drop
        # 2 fw bits, which are zero for every product (it is a multiple of 2^-2s).
        sh_max = 4 * s + (2 << self.fmt.es)  # also covers the "regime" mutation's scales
        sh = Signal(range(sh_max + 1))
        m.d.comb += sh.eq(da.scale + db.scale + 2 * s)
        placed = Signal(4 * s + 2 + 2 * fw)
        m.d.comb += placed.eq(sig << sh)
        term = Signal(signed(q))
        m.d.comb += term.eq(Mux(sign, -placed[2 * fw:], placed[2 * fw:]))
        p_valid, p_first, p_nar = Signal(), Signal(), Signal()
        p_term = Signal(signed(q))
        m.d.sync += [p_valid.eq(self.i_valid), p_term.eq(term),
                     p_nar.eq(da.is_nar | db.is_nar)]
        if self.mutation != "ignore_first":
            m.d.sync += p_first.eq(self.i_first)

        # Stage 2: the quire (and its NaR flag).
        quire, nar = Signal(signed(q)), Signal()
        m.d.sync += self.o_valid.eq(p_valid)
        with m.If(p_valid):
            m.d.sync += [quire.eq(Mux(p_first, 0, quire) + p_term),
                         nar.eq(Mux(p_first, 0, nar) | p_nar)]

        # Read-out: the quire rounded to a posit.
        rnd_mut = self.mutation if self.mutation in ROUND_MUTATIONS else None
        m.submodules.readout = rd = QuireRound(fmt=self.fmt, mutation=rnd_mut)
        m.d.comb += [rd.quire.eq(quire), rd.nar.eq(nar), self.acc.eq(rd.code)]
        return m
