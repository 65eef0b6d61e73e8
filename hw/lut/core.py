"""LUT tensor core: mixed-precision GEMM of low-bit weights with int8 activations by table
lookup (LUT Tensor Core, ISCA 2025; T-MAC, EuroSys 2025).

Per k-group of ``g`` activations and per row of the array, a table-precompute unit
(:class:`~hw.lut.table.LutPrecompute`) forms the ``2**(g-1)`` symmetric partial sums once;
every column of that row reuses them. The weights are processed bit-serially: in step ``p``
of a group, cell ``(r, c)`` takes bit-plane ``p`` of the group's ``g`` weights of column
``c`` as the table index (a lookup in place of ``g`` multipliers) and shift-accumulates::

    2 * sum_i a_i * vw_i = sum_p coef_p * T'_p - S,      T'_p = sum_i (2 * bit_p(vw_i) - 1) * a_i

with ``coef_p = 2**p`` for ``p < P - 1`` and ``-2**(P-1)`` for the sign plane (two's
complement ``vw`` of ``P`` bits, ``S = sum_i a_i``). Per cell and step: one table read (a
``2**(g-1)``-way mux), one negator (the symmetrization's sign XOR the sign plane's), a shift
by ``p`` (a mux) and the accumulator adder. ``-S`` is the same for every column of a row:
it goes into one accumulator per row, added to the row's outputs as they are drained.
bin1 weights are already +-1: one plane, ``2 * sum_i a_i * w_i = 2 * T'_0``, no offset.
Controller, buffers and drain: :mod:`hw.lut.engine`.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed

from hw.lut.engine import LutEngine
from hw.lut.table import LutPrecompute, lut_lookup
from hw.lut.weights import WeightToInt

__all__ = ["LutCore"]


class LutCore(LutEngine):
    """``R x C`` LUT tensor core: ``Y = A @ W``, ``A`` int8 (M, K), ``W`` low-bit (K, N).

    Parameters and ports as :class:`~hw.lut.engine.LutEngine` (``fmt_w``, ``fmt_a``,
    ``rows``, ``cols``, ``g``, ``max_m``, ``max_k``, ``max_n``). One issue step per weight
    bit-plane: ``steps_per_group = planes`` (bin1 1, int2/ternary 2, int4 4, fp4_e2m1 5).
    Results equal ``golden.gemm(A, W, "int8", fmt_w)`` bit for bit (fp4_e2m1: see
    ``docs/numerics.md``, exact while ``K <= 10922``).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps_per_group = self.planes

    def _capture(self, m: Module, a_data, w_data, en) -> None:
        R, C, g = self.rows, self.cols, self.g
        ab, wb = self.act.bits, self.wi.spec.bits
        self._tables, self._sums, self._vw = [], [], []
        for r in range(R):
            pre = LutPrecompute(act=self.act, g=g)
            m.submodules[f"precompute_{r}"] = pre
            m.d.comb += pre.a.eq(a_data[r * g * ab:(r + 1) * g * ab])
            tab = Signal(len(pre.table), name=f"table_{r}")
            tot = Signal(signed(pre.width), name=f"sum_{r}")
            with m.If(en):
                m.d.sync += [tab.eq(pre.table), tot.eq(pre.total)]
            self._tables.append(tab)
            self._sums.append(tot)
        self._width = pre.width
        for c in range(C):
            col = []
            for i in range(g):
                lane = c * g + i
                code = w_data[lane * wb:(lane + 1) * wb]
                if self.wi.pm1:  # bin1: the code bit is the plane bit
                    reg = Signal(1, name=f"w_{c}_{i}")
                    src = code
                else:
                    conv = WeightToInt(fmt=self.wi.spec)
                    m.submodules[f"w2i_{c}_{i}"] = conv
                    m.d.comb += conv.code.eq(code)
                    reg = Signal(self.wi.vw_width, name=f"w_{c}_{i}")
                    src = conv.vw
                with m.If(en):
                    m.d.sync += reg.eq(src)
                col.append(reg)
            self._vw.append(col)

    def _terms(self, m: Module, p, first) -> list:
        R, C, g, P = self.rows, self.cols, self.g, self.planes
        # the plane bits of every weight register for this step (shared plane index p)
        plane = [[Signal(name=f"plane_{c}_{i}") for i in range(g)] for c in range(C)]
        for c in range(C):
            for i in range(g):
                m.d.comb += plane[c][i].eq(self._vw[c][i].bit_select(p, 1))
        # coef_p = -2**(P-1) on the sign plane: its negation shares the lookup's negator
        sign_plane = Signal(name="sign_plane")
        m.d.comb += sign_plane.eq(0 if self.wi.pm1 else p == P - 1)
        terms = []
        for r in range(R):
            for c in range(C):
                v = lut_lookup(m, self._tables[r], Cat(*plane[c]), g, self._width,
                               name=f"lut_{r}_{c}", invert=sign_plane)
                t = Signal(signed(self._width + 1 + P), name=f"term_{r}_{c}")
                if self.wi.pm1:
                    m.d.comb += t.eq(v << 1)
                else:
                    with m.Switch(p):  # shift by the plane index: a mux, no adder
                        for q in range(P - 1):
                            with m.Case(q):
                                m.d.comb += t.eq(v << q)
                        with m.Default():
                            m.d.comb += t.eq(v << (P - 1))
                terms.append(t)
        return terms

    def _row_terms(self, m: Module, p, first) -> list | None:
        """Two's complement planes: ``-S`` once per group, one accumulator per row."""
        if self.wi.pm1:
            return None
        out = []
        for r in range(self.rows):
            t = Signal(signed(self._width), name=f"offset_{r}")
            m.d.comb += t.eq(Mux(first, -self._sums[r], 0))
            out.append(t)
        return out
