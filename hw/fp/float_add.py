"""Float addition: an exact-alignment adder of two raw values, rounded once by FloatRound.

:class:`RawFloatAdd` (combinational) adds two raw values ``(-1)**s * sig * 2**exp`` of any
significand/exponent widths and rounds the sum ONCE to an IEEE-style float format (RNE;
fp32 by default). It is a fused add: the sum is exact up to a sticky bit that cannot change
the rounding, so adding an exact wide product (the scalar MAC's ``a * b``) to an fp32
accumulator is one rounding. :class:`FloatAdd` is the adder of one IEEE-style format (fp16,
bf16, fp32, fp8_e5m2) built on it: decode -> RawFloatAdd -> register;
:class:`~hw.fp.fp32_add.Fp32Add` is its fp32 instance.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.common.decode import ElementDecoder
from hw.common.float_round import (
    ROUND_MUTATIONS,
    FloatRound,
    check_ieee_float,
    check_mutation,
    normalize,
)

__all__ = ["ADD_MUTATIONS", "FloatAdd", "RawFloatAdd", "connect_raw"]

ADD_MUTATIONS = (*ROUND_MUTATIONS, "no_jam", "cancel_sign")


class RawFloatAdd(wiring.Component):
    """Combinational fused add of two raw values, rounded once to ``fmt`` (RNE).

    Algorithm: normalize both significands (leading-zero shift), take as ``x`` the operand
    whose msb has the larger exponent, place ``x`` at the top of a window of
    ``max(a_sig_width, b_sig_width, fmt.precision) + 4`` bits, shift ``y`` right by the
    exponent difference and OR the bits shifted out into the window's lsb (a "jam"/sticky
    bit), add or subtract, and round with :class:`~hw.common.float_round.FloatRound`. Bits
    are shifted out only when the difference is >= 5, so at most one bit cancels and the jam
    bit stays below the result's guard bit: the rounding equals RNE of the exact sum.

    IEEE 754 special cases (RNE): NaN if either input is NaN or for Inf + (-Inf) (output
    the canonical quiet NaN of ``fmt``, fp32 ``0x7FC00000``); Inf if either is Inf;
    +-0 + +-0 keeps the sign only for -0 + -0; an exact cancellation of nonzero values
    gives +0.

    Parameters
    ----------
    a_sig_width, a_exp_width, b_sig_width, b_exp_width : int
        Widths of each operand's unsigned significand and signed exponent.
    fmt : FormatSpec or str
        The result format, an IEEE-style float (default ``"fp32"``).
    mutation : str or None
        ``None``, or a deliberate bug for mutation tests: ``"truncate"``, ``"drop_sticky"``
        (passed to FloatRound), ``"no_jam"`` (bits shifted out of the window are lost),
        ``"cancel_sign"`` (an exact cancellation takes the sign of the larger operand).

    Attributes
    ----------
    a_sign, a_sig, a_exp, a_is_nan, a_is_inf : In
        Operand a: ``(-1)**a_sign * a_sig * 2**a_exp`` (zero when ``a_sig == 0``), or NaN / Inf.
    b_sign, b_sig, b_exp, b_is_nan, b_is_inf : In
        Operand b, the same way.
    out : Out(fmt.bits)
        ``RNE_fmt(a + b)``.
    """

    def __init__(self, *, a_sig_width: int, a_exp_width: int, b_sig_width: int,
                 b_exp_width: int, fmt: FormatSpec | str = "fp32",
                 mutation: str | None = None) -> None:
        for pname, value, low in (("a_sig_width", a_sig_width, 1), ("a_exp_width", a_exp_width, 2),
                                  ("b_sig_width", b_sig_width, 1), ("b_exp_width", b_exp_width, 2)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"RawFloatAdd {pname} must be an integer >= {low}, "
                                 f"not {value!r}")
        check_mutation("RawFloatAdd", mutation, ADD_MUTATIONS)
        self.fmt = check_ieee_float("RawFloatAdd", fmt)
        self.mutation = mutation
        self._w = {"a": (a_sig_width, a_exp_width), "b": (b_sig_width, b_exp_width)}
        ports = {}
        for op, (sw, ew) in self._w.items():
            ports.update({f"{op}_sign": In(1), f"{op}_sig": In(sw), f"{op}_exp": In(signed(ew)),
                          f"{op}_is_nan": In(1), f"{op}_is_inf": In(1)})
        ports["out"] = Out(self.fmt.bits)
        super().__init__(ports)

    def elaborate(self, platform) -> Module:
        m = Module()
        (wa, ea), (wb, eb) = self._w["a"], self._w["b"]
        w = max(wa, wb)
        win = max(w, self.fmt.precision) + 4
        ew = max(ea, eb) + w.bit_length() + 3

        ops = {}
        for op, (sw, _) in self._w.items():
            sig = getattr(self, f"{op}_sig")
            norm, lz = normalize(m, sig, sw, name=f"{op}_norm")
            top = Signal(signed(ew), name=f"{op}_top")   # exponent of the msb
            m.d.comb += top.eq(getattr(self, f"{op}_exp") + (sw - 1) - lz)
            ops[op] = (norm << (w - sw), top, ~sig.any(), getattr(self, f"{op}_sign"))
        (na, ta, za, sa), (nb, tb, zb, sb) = ops["a"], ops["b"]

        x_is_a = Signal()
        m.d.comb += x_is_a.eq(zb | (~za & (ta >= tb)))
        xs, ys = Signal(w), Signal(w)
        tx, ty = Signal(signed(ew)), Signal(signed(ew))
        sx, sy, x_zero = Signal(), Signal(), Signal()
        m.d.comb += [
            xs.eq(Mux(x_is_a, na, nb)), ys.eq(Mux(x_is_a, nb, na)),
            tx.eq(Mux(x_is_a, ta, tb)), ty.eq(Mux(x_is_a, tb, ta)),
            sx.eq(Mux(x_is_a, sa, sb)), sy.eq(Mux(x_is_a, sb, sa)),
            x_zero.eq(Mux(x_is_a, za, zb)),
        ]

        # Align y to x; bits shifted out of the window are jammed into its lsb.
        d = Signal(signed(ew + 1))
        dc = Signal(range(win + 2))
        m.d.comb += d.eq(tx - ty)
        with m.If(d <= 0):
            m.d.comb += dc.eq(0)
        with m.Elif(d >= win + 1):
            m.d.comb += dc.eq(win + 1)
        with m.Else():
            m.d.comb += dc.eq(d[:dc.shape().width])
        xw = Signal(win)
        m.d.comb += xw.eq(xs << (win - w))
        ext = Signal(2 * win + 1)
        m.d.comb += ext.eq(Cat(Const(0, win + 1), ys << (win - w)) >> dc)
        yj = Signal(win)
        if self.mutation == "no_jam":
            m.d.comb += yj.eq(ext[win + 1:])
        else:
            m.d.comb += yj.eq(ext[win + 1:] | ext[:win + 1].any())

        res = Signal(signed(win + 2))
        m.d.comb += res.eq(Mux(sx ^ sy, xw - yj, xw + yj))
        mag = Signal(win + 1)
        m.d.comb += mag.eq(Mux(res < 0, -res, res)[:win + 1])

        sign = Signal()
        with m.If(~mag.any()):
            # +-0 + +-0: -0 only for -0 + -0; exact cancellation: +0 (RNE).
            if self.mutation == "cancel_sign":
                m.d.comb += sign.eq(Mux(x_zero, sa & sb, sx))
            else:
                m.d.comb += sign.eq(x_zero & sa & sb)
        with m.Else():
            m.d.comb += sign.eq(Mux(res < 0, sy, sx))

        nan = Signal()
        inf = Signal()
        m.d.comb += [
            nan.eq(self.a_is_nan | self.b_is_nan
                   | (self.a_is_inf & self.b_is_inf & (self.a_sign ^ self.b_sign))),
            inf.eq(self.a_is_inf | self.b_is_inf),
        ]
        rnd_mutation = self.mutation if self.mutation in ROUND_MUTATIONS else None
        m.submodules.round = rnd = FloatRound(fmt=self.fmt, mag_width=win + 1,
                                              exp_width=ew + 1, mutation=rnd_mutation)
        m.d.comb += [
            rnd.sign.eq(Mux(inf, Mux(self.a_is_inf, self.a_sign, self.b_sign), sign)),
            rnd.mag.eq(mag),
            rnd.exp.eq(tx - (win - 1)),
            rnd.sticky.eq(0),
            rnd.is_nan.eq(nan),
            rnd.is_inf.eq(inf),
            self.out.eq(rnd.out),
        ]
        return m


class FloatAdd(wiring.Component):
    """IEEE-style float adder of one format: ``sum = RNE_fmt(a + b)``, one result per cycle.

    Two :class:`~hw.common.decode.ElementDecoder` of ``fmt`` -> :class:`RawFloatAdd` (result
    format ``fmt``) -> output register. Subnormal inputs and outputs are kept; overflow
    gives Inf; a NaN result is the canonical quiet NaN of ``fmt`` (sign 0, exponent all
    ones, mantissa msb: fp32 ``0x7FC00000``, fp16 ``0x7E00``, bf16 ``0x7FC0``); an exact
    cancellation gives +0, -0 + -0 gives -0. Matches ``golden.arith.float_add``.

    Stream interface: valid-only pipeline, ``latency = 1``. The output register loads on a
    cycle with ``i_valid`` and holds otherwise, so ``sum`` can be fed back as an
    accumulator (``b = i_first ? 0 : sum``).

    Parameters
    ----------
    fmt : FormatSpec or str
        An IEEE-style float format (signed, subnormals, Inf, IEEE NaNs): fp16, bf16, fp32,
        fp8_e5m2. Every width comes from its ``exp_bits``, ``man_bits`` and ``bias``.
    mutation : str or None
        ``None`` or one of ``ADD_MUTATIONS`` (see :class:`RawFloatAdd`), for mutation tests.

    Attributes
    ----------
    i_valid : In(1)
        ``a`` and ``b`` hold an input.
    a, b : In(fmt.bits)
        Operand codes.
    o_valid : Out(1)
        ``sum`` holds the result of the input accepted ``latency`` cycles earlier.
    sum : Out(fmt.bits)
        Code of the rounded sum.
    latency : int
        1.
    """

    latency = 1

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        unit = type(self).__name__
        check_mutation(unit, mutation, ADD_MUTATIONS)
        self.fmt = check_ieee_float(unit, fmt)
        self.mutation = mutation
        n = self.fmt.bits
        super().__init__({"i_valid": In(1), "a": In(n), "b": In(n),
                          "o_valid": Out(1), "sum": Out(n)})

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.dec_a = da = ElementDecoder(fmt=self.fmt)
        m.submodules.dec_b = db = ElementDecoder(fmt=self.fmt)
        m.submodules.add = add = RawFloatAdd(a_sig_width=da.sig_width, a_exp_width=da.exp_width,
                                             b_sig_width=db.sig_width, b_exp_width=db.exp_width,
                                             fmt=self.fmt, mutation=self.mutation)
        m.d.comb += [da.code.eq(self.a), db.code.eq(self.b)]
        connect_raw(m, add, "a", da)
        connect_raw(m, add, "b", db)
        m.d.sync += self.o_valid.eq(self.i_valid)
        with m.If(self.i_valid):
            m.d.sync += self.sum.eq(add.out)
        return m


def connect_raw(m: Module, add: RawFloatAdd, op: str, src) -> None:
    """Drive operand ``op`` ("a" or "b") of ``add`` from a raw record (an ElementDecoder or
    any object with ``sign``, ``sig``, ``exp``, ``is_nan``, ``is_inf``)."""
    for field in ("sign", "sig", "exp", "is_nan", "is_inf"):
        m.d.comb += getattr(add, f"{op}_{field}").eq(getattr(src, field))
