"""One processing-element interface over every multiply-accumulate unit of lowbit.

:class:`ProcessingElement` picks the unit from the operand formats' ``FormatSpec`` fields
(``kind``, ``is_block``, ``tensor_scale``), never from their names:

==========================  ==========================  =====================================
operand formats             unit                        one step (one cycle) consumes
==========================  ==========================  =====================================
float / int / bin1 element  :class:`hw.fp.mac.ScalarMac`   one element pair
MX block (e8m0 scale)       :class:`hw.block.mx_dot.MxDot`    one block of ``lanes`` pairs + scales
NVFP4 (tensor scale)        :class:`hw.block.nvfp4_dot.Nvfp4Dot`  one block + block scales; the
                                                        result is scaled by ``ta * tb``
==========================  ==========================  =====================================

Posits go through :class:`hw.fp.mac.ScalarMac`, which wraps the quire MAC
(:class:`hw.posit.mac.PositMac`).

The accumulation semantics are those of ``golden.gemm`` for one output element
(``docs/numerics.md``, "Dot products and GEMM"): steps accumulate in input order, fp32 RNE
per addition (MX/NVFP4: per-block ``D`` rounded once, then fp32 accumulation), integers
exactly in int32 with wrap-around.
"""

from __future__ import annotations

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format

__all__ = ["ProcessingElement"]


def _spec(fmt: object, pname: str) -> FormatSpec:
    if not isinstance(fmt, FormatSpec | str):
        raise TypeError(f"ProcessingElement {pname} must be a format name or FormatSpec, "
                        f"not {type(fmt).__name__}")
    return get_format(fmt)


class ProcessingElement(wiring.Component):
    """Multiply-accumulate of one step per cycle: ``acc = (i_first ? 0 : acc) + step``.

    Parameters
    ----------
    fmt_a : FormatSpec or str
        Format of operand a: an element format (kind float, int, bin1) or a block format.
    fmt_b : FormatSpec or str or None
        Format of operand b; ``None`` means ``fmt_a``. Both must be element formats, or
        both block formats with the same block size and scale format.
    lanes : int or None
        Block formats only: elements per block step, ``1..block_size`` (default: the
        block size). With ``lanes < block_size`` a block is ``lanes`` elements (the result
        is golden's with ``block_size = lanes``; for small tests).

    Attributes
    ----------
    i_valid : In(1)
        A step is presented this cycle.
    a : In(lanes * bits_a), b : In(lanes * bits_b)
        Element codes, lane ``i`` at bits ``[i*w, (i+1)*w)`` (``lanes = 1`` for scalars).
    sa, sb : In(scale_bits)
        Block scale codes (block formats only; absent for element formats).
    ta, tb : In(32)
        fp32 tensor scales (formats with a tensor scale only, NVFP4): ``acc`` is
        ``RNE_fp32(sum * RNE_fp32(ta * tb))``.
    i_first : In(1)
        This step starts a new accumulation.
    o_valid : Out(1)
        ``acc`` holds the result after the step accepted ``latency`` cycles earlier.
    acc : Out(32)
        fp32 bits (float and block formats), int32 bits (integer x integer) or, for posits,
        the posit code read out of the quire in the low ``n`` bits (zero-extended).
    latency : int
        Cycles from ``i_valid`` to ``o_valid`` (of the wrapped unit).
    lanes : int
        Elements per step (1 for element formats).
    scale_bits : int
        Width of ``sa``/``sb`` (0 for element formats).
    is_integer : bool
        True when ``acc`` is an int32.
    """

    def __init__(self, *, fmt_a: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
                 lanes: int | None = None) -> None:
        try:
            self.fmt_a = _spec(fmt_a, "fmt_a")
            self.fmt_b = self.fmt_a if fmt_b is None else _spec(fmt_b, "fmt_b")
            self._unit = self._make_unit(lanes)
        except (TypeError, ValueError):
            self._MustUse__silence = True  # no "created but never used" warning on bad input
            raise
        self.latency: int = self._unit.latency
        ports = {"i_valid": In(1), "a": In(self.lanes * self.bits_a),
                 "b": In(self.lanes * self.bits_b), "i_first": In(1)}
        if self.scale_bits:
            ports.update(sa=In(self.scale_bits), sb=In(self.scale_bits))
        if self.tensor_scale:
            ports.update(ta=In(32), tb=In(32))
        ports.update(o_valid=Out(1), acc=Out(32))
        super().__init__(ports)

    def _make_unit(self, lanes: int | None) -> wiring.Component:
        fa, fb = self.fmt_a, self.fmt_b
        if fa.is_block != fb.is_block:
            raise ValueError(f"ProcessingElement needs two element formats or two block "
                             f"formats, not {fa.name!r} x {fb.name!r}")
        if not fa.is_block:
            if lanes not in (None, 1):
                raise ValueError(f"ProcessingElement lanes must be None or 1 for element "
                                 f"formats, not {lanes!r}")
            from hw.fp.mac import ScalarMac
            self.lanes, self.scale_bits, self.tensor_scale = 1, 0, False
            self.bits_a, self.bits_b = fa.bits, fb.bits
            unit = ScalarMac(fmt_a=fa, fmt_b=fb)
            self.is_integer = unit.is_integer
            return unit
        lanes = fa.block_size if lanes is None else lanes
        self.lanes, self.scale_bits = lanes, fa.scale.bits
        self.tensor_scale = fa.tensor_scale
        self.bits_a, self.bits_b = fa.element.bits, fb.element.bits
        self.is_integer = False
        if fa.tensor_scale:
            from hw.block.nvfp4_dot import Nvfp4Dot
            if fb != fa:
                raise ValueError(f"ProcessingElement pairs a tensor-scaled block format only "
                                 f"with itself, not {fa.name!r} x {fb.name!r}")
            return Nvfp4Dot(lanes=lanes)
        from hw.block.mx_dot import MxDot
        return MxDot(fmt_a=fa, fmt_b=fb, lanes=lanes)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.unit = u = self._unit
        m.d.comb += [u.i_valid.eq(self.i_valid), u.a.eq(self.a), u.b.eq(self.b),
                     u.i_first.eq(self.i_first), self.o_valid.eq(u.o_valid)]
        if self.scale_bits:
            m.d.comb += [u.sa.eq(self.sa), u.sb.eq(self.sb)]
        if self.tensor_scale:
            m.d.comb += [u.ta.eq(self.ta), u.tb.eq(self.tb), self.acc.eq(u.out)]
        else:
            m.d.comb += self.acc.eq(u.acc)
        return m
