"""The one shared fp32 rounding module (HardFloat ``RoundRawFNToRecFN`` style).

Every unit of ``hw/`` that produces an fp32 result computes an exact (or exact-enough, see
``sticky``) raw value ``(-1)**sign * mag * 2**exp`` and hands it to :class:`Fp32Round`,
which rounds it ONCE to IEEE 754 binary32 with round-to-nearest, ties-to-even.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["FP32_QNAN", "Fp32Round", "normalize"]

FP32_QNAN = 0x7FC00000
"""The canonical quiet NaN every fp32 unit outputs for a NaN result."""

_FP32_PRECISION = 24  # significand bits including the implicit one
_FP32_BIAS = 127
_FP32_EXP_FIELD_INF = 255

ROUND_MUTATIONS = ("truncate", "drop_sticky")


def check_mutation(unit: str, mutation: str | None, allowed: tuple[str, ...]) -> None:
    """Raise ``ValueError`` unless ``mutation`` is ``None`` or one of ``allowed``."""
    if mutation is not None and mutation not in allowed:
        raise ValueError(f"{unit} mutation must be None or one of {', '.join(allowed)}, "
                         f"not {mutation!r}")


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


class Fp32Round(wiring.Component):
    """Round a raw value once to IEEE binary32 (RNE, subnormals kept, overflow to Inf).

    Combinational. The input is the raw value ``(-1)**sign * (mag + eps) * 2**exp``.

    Parameters
    ----------
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
        Output the canonical quiet NaN ``0x7FC00000`` (overrides everything).
    is_inf : In(1)
        Output ``sign`` Inf (overrides ``mag``).
    out : Out(32)
        The fp32 bit pattern: RNE of the value; ``mag == 0`` gives a zero of sign ``sign``
        (the caller picks the sign of an exact zero); magnitudes that round above the max
        finite give Inf; tiny values round to subnormals or zero.
    """

    def __init__(self, *, mag_width: int, exp_width: int, mutation: str | None = None) -> None:
        for pname, value, low in (("mag_width", mag_width, 1), ("exp_width", exp_width, 2)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"Fp32Round {pname} must be an integer >= {low}, not {value!r}")
        check_mutation("Fp32Round", mutation, ROUND_MUTATIONS)
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
            "out": Out(32),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        w = self.mag_width
        # Working width: the 24 significand bits, a guard bit and at least one bit below it.
        p = max(w, _FP32_PRECISION + 2)
        norm, lz = normalize(m, self.mag, w, name="norm")
        x = Signal(p)
        m.d.comb += x.eq(norm << (p - w))

        # Biased exponent of the msb: exp + (w - 1) - lz + 127.
        ew = max(self.exp_width, (w + _FP32_BIAS).bit_length() + 1) + 2
        be = Signal(signed(ew))
        m.d.comb += be.eq(self.exp + (w - 1 + _FP32_BIAS) - lz)

        # Subnormal results: shift right by 1 - be (clamped: 25 moves every bit below the guard).
        max_shift = _FP32_PRECISION + 1
        dshift = Signal(range(max_shift + 1))
        with m.If(be >= 1):
            m.d.comb += dshift.eq(0)
        with m.Elif(be <= 1 - max_shift):
            m.d.comb += dshift.eq(max_shift)
        with m.Else():
            m.d.comb += dshift.eq((1 - be)[:dshift.shape().width])
        ext = Signal(p + max_shift)
        m.d.comb += ext.eq(Cat(Const(0, max_shift), x) >> dshift)
        low_bits = p - _FP32_PRECISION - 1          # bits of x below the guard bit
        sig = ext[max_shift + low_bits + 1:]        # 24 bits
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

        # (max(be, 1) - 1) << 23 plus the 24-bit significand: the implicit one of a normal
        # significand carries into the exponent field; a rounding carry does too.
        exp_field = Signal(8)
        m.d.comb += exp_field.eq(Mux(be >= 1, be - 1, 0)[:8])
        body = Signal(32)
        m.d.comb += body.eq((exp_field << 23) + sig + round_up)
        # be <= 254 keeps body <= 0x7F800000: a rounding carry out of the largest binade
        # produces the Inf pattern by itself.
        overflow = Signal()
        m.d.comb += overflow.eq(be >= _FP32_EXP_FIELD_INF)

        inf_bits = Const(_FP32_EXP_FIELD_INF << 23, unsigned(31))
        with m.If(self.is_nan):
            m.d.comb += self.out.eq(FP32_QNAN)
        with m.Elif(self.is_inf):
            m.d.comb += self.out.eq(Cat(inf_bits, self.sign))
        with m.Elif(~self.mag.any()):
            m.d.comb += self.out.eq(Cat(Const(0, 31), self.sign))
        with m.Elif(overflow):
            m.d.comb += self.out.eq(Cat(inf_bits, self.sign))
        with m.Else():
            m.d.comb += self.out.eq(Cat(body[:31], self.sign))
        return m
