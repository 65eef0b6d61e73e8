"""Output-stationary systolic array of processing elements, with input skew and result drain.

``R x C`` :class:`~hw.array.pe.ProcessingElement` s; PE ``(i, j)`` accumulates one output element
``C[i, j]`` of a tile over every k-step of the reduction (output-stationary), so each output's
full K runs through one PE in increasing k: the accumulation order of ``golden.gemm``.

Dataflow (classic output-stationary systolic array, e.g. Kung's design as in Eyeriss's
taxonomy): the array takes one unskewed k-step per cycle, an ``R``-row column slice of A and a
``C``-column row slice of B. Row ``i`` of A is delayed ``i`` cycles (input skew) and then moves
one PE to the right per cycle; column ``j`` of B is delayed ``j`` cycles and moves one PE down
per cycle. PE ``(i, j)`` so sees ``A[i, s]`` and ``B[s, j]`` together ``i + j`` cycles after
the step entered. The step's ``valid/first/last`` flags travel with A.

When a PE's ``last`` step leaves its pipeline (``latency`` cycles later) the accumulator is
captured into the PE's result register. The result registers of a column form a shift chain
(de-skew and drain): with ``shift`` high, every result moves one row down and ``c_out`` shows
the bottom row, so ``R`` shift cycles read out a tile, row ``R-1`` first. A capture wins over
a shift in the same cycle. ``cap_last`` pulses in the cycle PE ``(R-1, C-1)`` (the last of
the wavefront) captures: from the next cycle on, every result of the tile is in place.
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.array.pe import ProcessingElement
from hw.common.pipeline import delay

__all__ = ["PeArray"]


def _check_dim(pname: str, v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 256:
        raise ValueError(f"PeArray {pname} must be an integer in 1..256, not {v!r}")
    return v


class PeArray(wiring.Component):
    """``rows x cols`` output-stationary systolic array of one PE type.

    Parameters
    ----------
    fmt_a, fmt_b : FormatSpec or str (fmt_b None: same as fmt_a)
        Operand formats, as :class:`~hw.array.pe.ProcessingElement`.
    rows, cols : int
        Array shape ``R x C`` (1..256 each).
    lanes : int or None
        Elements per block step for block formats (see ``ProcessingElement``).

    Attributes
    ----------
    i_valid, i_first, i_last : In(1)
        A k-step is presented; it is the first / last step of its output tile.
    a_in : In(rows * a_word)
        Row ``i``'s step word at bits ``[i*a_word, (i+1)*a_word)``: the element codes
        (``lanes * bits_a`` bits, lane 0 lowest) then the scale code (block formats).
    b_in : In(cols * b_word)
        Column ``j``'s step word, packed the same way.
    ta, tb : In(32)
        fp32 tensor scales broadcast to every PE (tensor-scaled formats only).
    shift : In(1)
        Drain: move every result register one row down.
    c_out : Out(cols * 32)
        The bottom row's result registers, column ``j`` at bits ``[32*j, 32*j+32)``.
    cap_last : Out(1)
        PE ``(rows-1, cols-1)`` captures a result at the end of this cycle.
    latency : int
        The PE latency (cycles from a step reaching a PE to its accumulator).
    a_word, b_word : int
        Bits per row / column step word.
    """

    def __init__(self, *, fmt_a: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
                 rows: int, cols: int, lanes: int | None = None) -> None:
        try:
            self.rows = _check_dim("rows", rows)
            self.cols = _check_dim("cols", cols)
            self._proto = ProcessingElement(fmt_a=fmt_a, fmt_b=fmt_b, lanes=lanes)
        except (TypeError, ValueError):
            self._MustUse__silence = True
            raise
        p = self._proto
        self.fmt_a, self.fmt_b, self.lanes, self.latency = p.fmt_a, p.fmt_b, p.lanes, p.latency
        self.scale_bits, self.tensor_scale, self.is_integer = (p.scale_bits, p.tensor_scale,
                                                               p.is_integer)
        self.a_word = p.lanes * p.bits_a + p.scale_bits
        self.b_word = p.lanes * p.bits_b + p.scale_bits
        ports = {"i_valid": In(1), "i_first": In(1), "i_last": In(1),
                 "a_in": In(self.rows * self.a_word), "b_in": In(self.cols * self.b_word)}
        if self.tensor_scale:
            ports.update(ta=In(32), tb=In(32))
        ports.update(shift=In(1), c_out=Out(self.cols * 32), cap_last=Out(1))
        super().__init__(ports)

    def elaborate(self, platform) -> Module:
        m = Module()
        R, Cn, L = self.rows, self.cols, self.latency
        p = self._proto
        ea = p.lanes * p.bits_a
        eb = p.lanes * p.bits_b
        flags = Cat(self.i_valid, self.i_first, self.i_last)

        # Input skew: row i (with the step's flags) and column j delayed i / j cycles.
        a_edge = [delay(m, Cat(self.a_in.word_select(i, self.a_word), flags), i, f"skew_a{i}")
                  for i in range(R)]
        b_edge = [delay(m, self.b_in.word_select(j, self.b_word), j, f"skew_b{j}")
                  for j in range(Cn)]

        res = [[Signal(32, name=f"res_{i}_{j}") for j in range(Cn)] for i in range(R)]
        caps = {}
        a_row = a_edge
        b_col = b_edge
        for i in range(R):
            a_here = a_row[i]
            for j in range(Cn):
                b_here = b_col[j]
                pe = p if (i, j) == (0, 0) else ProcessingElement(
                    fmt_a=self.fmt_a, fmt_b=self.fmt_b,
                    lanes=self.lanes if self.fmt_a.is_block else None)
                m.submodules[f"pe_{i}_{j}"] = pe
                a_w = a_here[:self.a_word]
                valid, first, last = (a_here[self.a_word + k] for k in range(3))
                m.d.comb += [pe.i_valid.eq(valid), pe.i_first.eq(first),
                             pe.a.eq(a_w[:ea]), pe.b.eq(b_here[:eb])]
                if self.scale_bits:
                    m.d.comb += [pe.sa.eq(a_w[ea:]), pe.sb.eq(b_here[eb:])]
                if self.tensor_scale:
                    m.d.comb += [pe.ta.eq(self.ta), pe.tb.eq(self.tb)]
                # Result capture when the tile's last step leaves the PE pipeline.
                last_out = delay(m, valid & last, L, f"last_{i}_{j}")
                cap = Signal(name=f"cap_{i}_{j}")
                m.d.comb += cap.eq(pe.o_valid & last_out)
                caps[i, j] = cap
                with m.If(self.shift):
                    m.d.sync += res[i][j].eq(res[i - 1][j] if i else 0)
                with m.If(cap):
                    m.d.sync += res[i][j].eq(pe.acc)
                # Systolic moves: A (with flags) to the right, B down.
                if j + 1 < Cn:
                    a_next = Signal.like(a_here, name=f"a_{i}_{j + 1}")
                    m.d.sync += a_next.eq(a_here)
                    a_here = a_next
                if i + 1 < R:
                    b_next = Signal.like(b_here, name=f"b_{i + 1}_{j}")
                    m.d.sync += b_next.eq(b_here)
                    b_col[j] = b_next
        m.d.comb += [self.c_out.eq(Cat(*res[R - 1])), self.cap_last.eq(caps[R - 1, Cn - 1])]
        return m
