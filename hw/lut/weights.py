"""Low-bit weights as small integers: what the LUT tensor core and its MAC baseline compute on.

Every weight format the engines take has values that are integer multiples of one power of
two ``2**lsb`` (``lsb = 0`` for integers and bin1; ``lsb = emin - man_bits`` for a float
without Inf/NaN, e.g. ``-1`` for fp4_e2m1, whose values are multiples of 0.5). The engines
work on the exact integer ``vw = w * 2**-lsb`` (fp4_e2m1: ``vw = 2 * w`` in -12..12) and
apply ``2**lsb`` once at the output. ``vw`` is a ``planes``-bit two's complement integer;
its bits are the weight bit-planes of the bit-serial LUT core. bin1 has one plane whose bit
is the code itself (0 -> -1, 1 -> +1).
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format
from hw.common.decode import ElementDecoder, signed_width

__all__ = ["WeightInt", "WeightToInt", "act_spec", "weight_int"]

_MAX_WEIGHT_BITS = 8
ALLOWED_WEIGHTS = ("integer formats of <= 8 bits (int2, int4, int8, ternary), bin1, and "
                   "signed floats of <= 8 bits without Inf/NaN (fp4_e2m1, fp6_*)")


@dataclass(frozen=True)
class WeightInt:
    """How a weight format maps to integers (see the module docstring).

    Attributes: ``spec`` (the format), ``lsb`` (value = ``vw * 2**lsb``), ``vw_min``,
    ``vw_max`` (range of ``vw``), ``planes`` (bit-planes the LUT core processes: the
    two's complement width of ``vw``; 1 for bin1), ``pm1`` (True for bin1: the plane bit
    selects -1/+1 directly, no two's complement offset), ``integer_out`` (True when golden
    accumulates the pair weight x int8 in int32; else the result is fp32).
    """

    spec: FormatSpec
    lsb: int
    vw_min: int
    vw_max: int
    planes: int
    pm1: bool
    integer_out: bool

    @property
    def vw_width(self) -> int:
        """Two's complement width of ``vw`` (at least 2)."""
        return signed_width(self.vw_min, self.vw_max)


def weight_int(fmt: FormatSpec | str) -> WeightInt:
    """The :class:`WeightInt` of a weight format, or ``ValueError`` listing the allowed ones."""
    if not isinstance(fmt, FormatSpec | str):
        raise TypeError(f"weight format must be a name or FormatSpec, not {type(fmt).__name__}")
    s = get_format(fmt)
    if s.kind == "bin1":
        return WeightInt(s, 0, -1, 1, 1, True, True)
    if s.kind == "int" and s.scale_exp == 0 and s.bits <= _MAX_WEIGHT_BITS:
        return WeightInt(s, 0, s.int_min, s.int_max, signed_width(s.int_min, s.int_max),
                         False, True)
    if (s.kind == "float" and s.signed and s.nan == "none" and not s.inf
            and s.bits <= _MAX_WEIGHT_BITS and s.subnormals):
        lsb = s.emin - s.man_bits
        top = int(s.max_finite_exact / 2 ** lsb) if lsb <= 0 else 0
        if lsb <= 0 and top < (1 << 15):
            return WeightInt(s, lsb, -top, top, signed_width(-top, top), False, False)
    raise ValueError(f"weight format {s.name!r} is not supported by the LUT engines; "
                     f"allowed: {ALLOWED_WEIGHTS}")


def act_spec(fmt: FormatSpec | str) -> FormatSpec:
    """The activation format: a plain two's complement integer format (int8 by default)."""
    if not isinstance(fmt, FormatSpec | str):
        raise TypeError(f"activation format must be a name or FormatSpec, "
                        f"not {type(fmt).__name__}")
    s = get_format(fmt)
    if s.kind != "int" or s.scale_exp != 0 or s.bits > _MAX_WEIGHT_BITS:
        raise ValueError(f"activation format {s.name!r} is not supported; allowed: a two's "
                         f"complement integer format of <= 8 bits (int8, int4, int2)")
    return s


class WeightToInt(wiring.Component):
    """Combinational: one weight code -> its integer ``vw`` (``value = vw * 2**lsb``).

    Parameters
    ----------
    fmt : FormatSpec or str
        A weight format accepted by :func:`weight_int`.

    Attributes
    ----------
    code : In(fmt.bits)
        The weight code.
    vw : Out(signed(wi.vw_width))
        ``value * 2**-lsb``, exact (bin1: -1 / +1; fp4_e2m1: -12..12, -0 gives 0).
    wi : WeightInt
        The mapping.
    """

    def __init__(self, *, fmt: FormatSpec | str) -> None:
        self.wi = weight_int(fmt)
        super().__init__({"code": In(self.wi.spec.bits), "vw": Out(signed(self.wi.vw_width))})

    def elaborate(self, platform) -> Module:
        m = Module()
        wi = self.wi
        m.submodules.dec = dec = ElementDecoder(fmt=wi.spec)
        m.d.comb += dec.code.eq(self.code)
        # |vw| = sig << (exp - lsb); exp - lsb is in 0 .. exp_max - lsb (small: a mux).
        mag = Signal(wi.vw_width)
        shift = dec.exp - wi.lsb
        for sh in range(dec.exp_max - wi.lsb + 1):
            with m.If(shift == sh):
                m.d.comb += mag.eq(dec.sig << sh)
        m.d.comb += self.vw.eq(Mux(dec.sign, -mag, mag))
        return m
