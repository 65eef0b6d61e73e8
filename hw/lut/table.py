"""Table precompute and symmetric lookup of the LUT tensor core (LUT Tensor Core, ISCA 2025;
T-MAC, EuroSys 2025).

For a group of ``g`` activations ``a_0 .. a_{g-1}`` and a sign pattern ``s_i = +-1`` the
group's partial sum is ``T'(s) = sum_i s_i * a_i``. Of the ``2**g`` patterns only half are
stored (table symmetrization): ``T'(-s) = -T'(s)``, so the table keeps the patterns with
``s_{g-1} = +1``::

    T[j] = a_{g-1} + sum_{i < g-1} (+a_i if bit i of j else -a_i),   j = 0 .. 2**(g-1) - 1

and a lookup with index bits ``b_0 .. b_{g-1}`` (``b_i = 1`` means ``s_i = +1``) returns
``T[low]`` when ``b_{g-1} = 1`` and ``-T[~low]`` when it is 0 (``low`` = the g-1 low bits).

Precompute with one adder per entry: ``T[0] = a_{g-1} - a_0 - ... - a_{g-2}`` and
``T[j] = T[j - 2**h] + 2 * a_h`` for ``h`` the highest set bit of ``j``. The unit also forms
``S = sum_i a_i``, the offset term of two's complement bit-planes.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.common.decode import signed_width

__all__ = ["LutPrecompute", "check_group", "lut_lookup", "table_width"]

MAX_GROUP = 6


def check_group(g: object) -> int:
    """``g`` if it is an allowed group size (2..MAX_GROUP), else ``ValueError``."""
    if not isinstance(g, int) or isinstance(g, bool) or not 2 <= g <= MAX_GROUP:
        raise ValueError(f"LUT group size g must be an integer in 2..{MAX_GROUP}, not {g!r}")
    return g


def table_width(act: FormatSpec, g: int) -> int:
    """Two's complement width of a table entry (and of ``S``): holds +-g * max|a|."""
    top = g * max(-act.int_min, act.int_max)
    return signed_width(-top, top)


class LutPrecompute(wiring.Component):
    """Combinational: ``g`` activation codes -> the ``2**(g-1)`` table entries and ``S``.

    Parameters
    ----------
    act : FormatSpec
        Activation format (a two's complement integer format, e.g. int8).
    g : int
        Group size (2..6).

    Attributes
    ----------
    a : In(g * act.bits)
        The group's activation codes, ``a_i`` at bits ``[i*bits, (i+1)*bits)``.
    table : Out(2**(g-1) * width)
        Entry ``T[j]`` (signed ``width`` bits) at bits ``[j*width, (j+1)*width)``.
    total : Out(signed(width))
        ``S = sum_i a_i``.
    width : int
        Entry width (:func:`table_width`).
    """

    def __init__(self, *, act: FormatSpec, g: int = 4) -> None:
        self.act = act
        self.g = check_group(g)
        self.width = table_width(act, g)
        self.entries = 1 << (g - 1)
        super().__init__({"a": In(g * act.bits), "table": Out(self.entries * self.width),
                          "total": Out(signed(self.width))})

    def elaborate(self, platform) -> Module:
        m = Module()
        g, w, b = self.g, self.width, self.act.bits
        a = [self.a[i * b:(i + 1) * b].as_signed() for i in range(g)]
        ent = [Signal(signed(w), name=f"t{j}") for j in range(self.entries)]
        m.d.comb += ent[0].eq(a[g - 1] - sum(a[:g - 1]))
        for j in range(1, self.entries):
            h = j.bit_length() - 1
            m.d.comb += ent[j].eq(ent[j - (1 << h)] + (a[h] << 1))
        m.d.comb += [self.table.eq(Cat(*ent)), self.total.eq(sum(a))]
        return m


def lut_lookup(m: Module, table, bits, g: int, width: int, name: str, invert=None) -> Signal:
    """The symmetric lookup ``T'(s)`` for index bits ``bits`` (``g`` bits, bit i = s_i > 0).

    ``table`` is the packed output of :class:`LutPrecompute` (or a register holding it).
    ``invert`` (optional 1-bit signal) returns ``-T'(s)`` instead; the symmetrization's
    negation and this one share one negator. Returns a signed ``width + 1``-bit signal
    (the negation of ``-2**(width-1)`` fits).
    """
    top = bits[g - 1]
    low = Signal(g - 1, name=f"{name}_idx")
    m.d.comb += low.eq(Mux(top, bits[:g - 1], ~bits[:g - 1]))
    entry = Signal(signed(width), name=f"{name}_t")
    with m.Switch(low):
        for j in range(1 << (g - 1)):
            with m.Case(j):
                m.d.comb += entry.eq(table[j * width:(j + 1) * width])
    neg = Signal(name=f"{name}_neg")
    m.d.comb += neg.eq(~top if invert is None else ~top ^ invert)
    out = Signal(signed(width + 1), name=f"{name}_v")
    m.d.comb += out.eq(Mux(neg, -entry, entry))
    return out
