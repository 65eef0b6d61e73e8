"""MAC baseline of the LUT tensor core: the same engine shape with multipliers.

Same buffers, controller, accumulators and drain as :class:`~hw.lut.core.LutCore`
(:mod:`hw.lut.engine`), same array shape ``R x C`` and group size ``g``; each cell
dequantizes its ``g`` weights to their exact integers ``vw`` (``hw.lut.weights``), multiplies
them with the ``g`` int8 activations of its row (``g`` multipliers), sums the products and
accumulates ``2 * sum_i a_i * vw_i`` once per k-group (one issue step per group, all weight
bits at once). The results are those of the LUT core bit for bit; only area and cycles
differ, which is what the density comparison of ``docs/lut_core.md`` measures.
"""

from __future__ import annotations

from amaranth import Module, Signal, signed

from hw.lut.engine import LutEngine
from hw.lut.weights import WeightToInt

__all__ = ["LutMacBaseline"]


class LutMacBaseline(LutEngine):
    """``R x C`` multiply-accumulate engine with the ports and results of ``LutCore``.

    Parameters and ports as :class:`~hw.lut.engine.LutEngine`; ``steps_per_group = 1``.
    """

    steps_per_group = 1

    def _capture(self, m: Module, a_data, w_data, en) -> None:
        R, C, g = self.rows, self.cols, self.g
        ab, wb = self.act.bits, self.wi.spec.bits
        self._a = []
        for r in range(R):
            row = []
            for i in range(g):
                lane = r * g + i
                reg = Signal(signed(ab), name=f"a_{r}_{i}")
                with m.If(en):
                    m.d.sync += reg.eq(a_data[lane * ab:(lane + 1) * ab])
                row.append(reg)
            self._a.append(row)
        self._vw = []
        for c in range(C):
            col = []
            for i in range(g):
                lane = c * g + i
                conv = WeightToInt(fmt=self.wi.spec)
                m.submodules[f"w2i_{c}_{i}"] = conv
                m.d.comb += conv.code.eq(w_data[lane * wb:(lane + 1) * wb])
                reg = Signal(signed(self.wi.vw_width), name=f"w_{c}_{i}")
                with m.If(en):
                    m.d.sync += reg.eq(conv.vw)
                col.append(reg)
            self._vw.append(col)

    def _terms(self, m: Module, p, first) -> list:
        R, C, g = self.rows, self.cols, self.g
        width = self.act.bits + self.wi.vw_width + g.bit_length() + 1
        terms = []
        for r in range(R):
            for c in range(C):
                prods = []
                for i in range(g):
                    pr = Signal(signed(self.act.bits + self.wi.vw_width), name=f"mul_{r}_{c}_{i}")
                    m.d.comb += pr.eq(self._a[r][i] * self._vw[c][i])
                    prods.append(pr)
                t = Signal(signed(width), name=f"term_{r}_{c}")
                m.d.comb += t.eq(sum(prods) << 1)
                terms.append(t)
        return terms
