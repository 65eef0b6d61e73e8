"""The one shared float rounding module (HardFloat ``RoundRawFNToRecFN`` style).

Every unit of ``hw/`` that produces an IEEE-style float result computes an exact (or
exact-enough, see ``sticky``) raw value ``(-1)**sign * mag * 2**exp`` and hands it to
:class:`FloatRound`, which rounds it ONCE to the result format with round-to-nearest,
ties-to-even. Every width and constant comes from the result's
:class:`~golden.formats.FormatSpec` (``exp_bits``, ``man_bits``, ``bias``), so one module
serves fp32, fp16, bf16 and fp8_e5m2 alike (:class:`~hw.common.fp32_round.Fp32Round` is
its fp32 instance).
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format

__all__ = ["ROUND_MUTATIONS", "FloatRound", "check_ieee_float", "check_mutation", "normalize",
           "quiet_nan"]

ROUND_MUTATIONS = ("truncate", "drop_sticky")


def check_mutation(unit: str, mutation: str | None, allowed: tuple[str, ...]) -> None:
    """Raise ``ValueError`` unless ``mutation`` is ``None`` or one of ``allowed``."""
    if mutation is not None and mutation not in allowed:
        raise ValueError(f"{unit} mutation must be None or one of {', '.join(allowed)}, "
                         f"not {mutation!r}")


def check_ieee_float(unit: str, fmt: FormatSpec | str) -> FormatSpec:
    """The spec of ``fmt`` if it is an IEEE-style float format, else ``ValueError``.

    IEEE-style: kind ``"float"``, signed, subnormals, an Inf code and IEEE NaNs (exponent
    field all ones; mantissa zero is Inf, nonzero is NaN), e.g. fp16, bf16, fp32, fp8_e5m2.
    """
    spec = get_format(fmt)
    if not (spec.kind == "float" and spec.signed and spec.subnormals and spec.inf
            and spec.nan == "ieee" and spec.man_bits >= 1):
        raise ValueError(f"{unit} fmt must be an IEEE-style float format (signed, subnormals, "
                         f"Inf and IEEE NaNs, e.g. fp16, bf16, fp32, fp8_e5m2), not "
                         f"{spec.name!r}")
    return spec


def quiet_nan(fmt: FormatSpec | str) -> int:
    """The canonical quiet NaN code of an IEEE-style float format: sign 0, exponent field
    all ones, only the mantissa msb set (fp32 ``0x7FC00000``, fp16 ``0x7E00``, bf16
    ``0x7FC0``, fp8_e5m2 ``0x7E``)."""
    spec = get_format(fmt)
    return (((1 << spec.exp_bits) - 1) << spec.man_bits) | (1 << (spec.man_bits - 1))


def normalize(m: Module, value, width: int, *, name: str) -> tuple[Signal, Signal]:
    """Shift ``value`` (``width`` bits, unsigned) left until its msb is set.

    Returns ``(norm, lz)``: ``norm == value << lz`` (``width`` bits) and ``lz`` the number of
    leading zeros (for ``value == 0``: ``norm == 0`` and ``lz`` is unspecified). Built as a
    log-depth chain of conditional shifts by 2**k (leading-zero count and shift in one).
    """
    lz_width = max(1, (width - 1).bit_length())
    lz = Signal(lz_width, name=f"{name}_lz")
    stages = []
    cur = Signal(width, name=f"{name}_n0")
    m.d.comb += cur.eq(value)
    for k in reversed(range(lz_width if width > 1 else 0)):
        step = 1 << k
        top_zero = ~cur[width - step:].any()
        nxt = Signal(width, name=f"{name}_n{len(stages) + 1}")
        m.d.comb += [
            nxt.eq(Mux(top_zero, cur << step, cur)),
            lz[k].eq(top_zero),
        ]
        stages.append(nxt)
        cur = nxt
    if width <= 1:
        m.d.comb += lz.eq(0)
    return cur, lz


class FloatRound(wiring.Component):
    """Round a raw value once to an IEEE-style float format (RNE, subnormals kept, overflow
    to Inf).

    Combinational. The input is the raw value ``(-1)**sign * (mag + eps) * 2**exp``. With
    ``P = fmt.precision`` (``man_bits + 1``), ``bias = fmt.bias`` and ``E = 2**exp_bits - 1``:
    the magnitude is normalized, its msb exponent biased, and ``P`` significand bits plus a
    guard bit and a sticky bit kept (shifted right into the subnormal range when the
    biased exponent is below 1); a biased exponent ``>= E`` or a rounding carry out of
    the largest binade gives Inf.

    Parameters
    ----------
    fmt : FormatSpec or str
        The result format: an IEEE-style float (signed, subnormals, Inf, IEEE NaNs; see
        :func:`check_ieee_float`), e.g. ``"fp32"``, ``"fp16"``, ``"bf16"``, ``"fp8_e5m2"``.
    mag_width : int
        Width of ``mag`` (>= 1).
    exp_width : int
        Width of the signed ``exp`` (>= 2).
    mutation : str or None
        ``None`` (the correct design), ``"truncate"`` (round toward zero instead of RNE) or
        ``"drop_sticky"`` (ties-to-even decided on the guard bit alone: the bits below it and
        the ``sticky`` input are ignored). Deliberate bugs for mutation tests only.

    Attributes
    ----------
    sign : In(1)
        Sign of the value; also the sign of a zero result.
    mag : In(mag_width)
        Unsigned magnitude in units of ``2**exp``; need not be normalized.
    exp : In(signed(exp_width))
        Exponent of ``mag``'s lsb.
    sticky : In(1)
        1: nonzero bits were discarded below ``mag``'s lsb (``eps`` is a positive amount
        smaller than one lsb); 0: ``eps = 0``. It only breaks ties upward and marks
        inexact, so the caller must keep the result's round (guard) bit inside ``mag``
        whenever it sets ``sticky`` (the round module cannot see discarded bits).
    is_nan : In(1)
        Output the canonical quiet NaN :func:`quiet_nan` (overrides everything).
    is_inf : In(1)
        Output ``sign`` Inf (overrides ``mag``).
    out : Out(fmt.bits)
        The result code: RNE of the value; ``mag == 0`` gives a zero of sign ``sign``
        (the caller picks the sign of an exact zero); magnitudes that round above the max
        finite give Inf; tiny values round to subnormals or zero.
    fmt : FormatSpec
        The result format.
    """

    def __init__(self, *, fmt: FormatSpec | str, mag_width: int, exp_width: int,
                 mutation: str | None = None) -> None:
        unit = type(self).__name__
        for pname, value, low in (("mag_width", mag_width, 1), ("exp_width", exp_width, 2)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{unit} {pname} must be an integer >= {low}, not {value!r}")
        check_mutation(unit, mutation, ROUND_MUTATIONS)
        self.fmt = check_ieee_float(unit, fmt)
        self.mag_width = mag_width
        self.exp_width = exp_width
        self.mutation = mutation
        super().__init__({
            "sign": In(1),
            "mag": In(mag_width),
            "exp": In(signed(exp_width)),
            "sticky": In(1),
            "is_nan": In(1),
            "is_inf": In(1),
            "out": Out(self.fmt.bits),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        f = self.fmt
        prec, bias, mb = f.precision, f.bias, f.man_bits
        field_inf = (1 << f.exp_bits) - 1          # exponent field of Inf and NaN
        w = self.mag_width
        # Working width: the significand bits, a guard bit and at least one bit below it.
        p = max(w, prec + 2)
        norm, lz = normalize(m, self.mag, w, name="norm")
        x = Signal(p)
        m.d.comb += x.eq(norm << (p - w))

        # Biased exponent of the msb: exp + (w - 1) - lz + bias.
        ew = max(self.exp_width, (w + bias).bit_length() + 1) + 2
        be = Signal(signed(ew))
        m.d.comb += be.eq(self.exp + (w - 1 + bias) - lz)

        # Subnormal results: shift right by 1 - be (clamped: prec + 1 moves every bit below
        # the guard).
        max_shift = prec + 1
        dshift = Signal(range(max_shift + 1))
        with m.If(be >= 1):
            m.d.comb += dshift.eq(0)
        with m.Elif(be <= 1 - max_shift):
            m.d.comb += dshift.eq(max_shift)
        with m.Else():
            m.d.comb += dshift.eq((1 - be)[:dshift.shape().width])
        ext = Signal(p + max_shift)
        m.d.comb += ext.eq(Cat(Const(0, max_shift), x) >> dshift)
        low_bits = p - prec - 1                     # bits of x below the guard bit
        sig = ext[max_shift + low_bits + 1:]        # prec bits
        guard = ext[max_shift + low_bits]
        below = ext[:max_shift + low_bits].any()
        st = Signal()
        if self.mutation == "drop_sticky":
            m.d.comb += st.eq(0)
        else:
            m.d.comb += st.eq(below | self.sticky)
        round_up = Signal()
        if self.mutation == "truncate":
            m.d.comb += round_up.eq(0)
        else:
            m.d.comb += round_up.eq(guard & (st | sig[0]))

        # (max(be, 1) - 1) << man_bits plus the prec-bit significand: the implicit one of a
        # normal significand carries into the exponent field; a rounding carry does too.
        exp_field = Signal(f.exp_bits)
        m.d.comb += exp_field.eq(Mux(be >= 1, be - 1, 0)[:f.exp_bits])
        body = Signal(f.bits)
        m.d.comb += body.eq((exp_field << mb) + sig + round_up)
        # be <= field_inf - 1 keeps body <= Inf: a rounding carry out of the largest binade
        # produces the Inf pattern by itself.
        overflow = Signal()
        m.d.comb += overflow.eq(be >= field_inf)

        mag_bits = f.bits - 1
        inf_bits = Const(field_inf << mb, unsigned(mag_bits))
        with m.If(self.is_nan):
            m.d.comb += self.out.eq(quiet_nan(f))
        with m.Elif(self.is_inf):
            m.d.comb += self.out.eq(Cat(inf_bits, self.sign))
        with m.Elif(~self.mag.any()):
            m.d.comb += self.out.eq(Cat(Const(0, mag_bits), self.sign))
        with m.Elif(overflow):
            m.d.comb += self.out.eq(Cat(inf_bits, self.sign))
        with m.Else():
            m.d.comb += self.out.eq(Cat(body[:mag_bits], self.sign))
        return m
