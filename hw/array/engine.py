"""GEMM engine: on-chip A/B/C buffers, a tile controller and the output-stationary PE array.

:class:`ArrayEngine` runs ``C = A x B`` for any runtime ``M, K, N`` on an ``R x C``
:class:`~hw.array.pe_array.PeArray`, tiled over output tiles of ``R x C`` elements. Each output's
whole reduction runs through one PE in increasing k (one tile's k-steps back to back), so
every element of C equals ``golden.gemm`` bit for bit.

Buffer layout (one memory word = one array step; the host helper :func:`gemm_buffers`
builds it from golden operands, :func:`unpack_c` reads C back):

- A buffer, word ``tm * S + s``: rows ``tm*R .. tm*R+R-1`` of A at k-step ``s`` (row ``i``
  at bits ``[i*a_word, (i+1)*a_word)``: ``lanes`` element codes, then the block scale).
- B buffer, word ``tn * S + s``: columns ``tn*C .. tn*C+C-1`` of B at k-step ``s``.
- C buffer, word ``(tm * NT + tn) * R + i``: row ``i`` of output tile ``(tm, tn)``, column
  ``j`` at bits ``[32*j, 32*j+32)`` (fp32 or int32 bits).

``S = ceil(K / lanes)`` k-steps (``lanes = 1`` for element formats; a block per step for MX
and NVFP4), ``MT = ceil(M / R)``, ``NT = ceil(N / C)``; rows/columns/k beyond the matrix are
zero codes (their outputs are not part of C).

Schedule (what ``models/cycle_array.py`` counts): ``start`` is sampled in cycle 0; tiles
issue in order ``tm`` outer, ``tn`` inner, one every ``II = max(S, 2R + C - 2)`` cycles
from cycle 1, each tile's ``S`` steps on consecutive cycles (buffer reads have one cycle of
latency). ``II >= 2R + C - 2`` guarantees that a tile's results are drained before the next
tile's first capture. When PE ``(R-1, C-1)`` captures, the next ``R`` cycles write the tile
to the C buffer (bottom row first); ``done`` rises the cycle after the last tile's last
write and ``busy`` falls with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth import Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.array.pe_array import PeArray
from hw.common.packing import pack_lanes

__all__ = ["ArrayEngine", "GemmBuffers", "gemm_buffers", "unpack_c"]


def _depth(pname: str, v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= 1 << 20:
        raise ValueError(f"ArrayEngine {pname} must be an integer in 1..{1 << 20}, not {v!r}")
    return v


class ArrayEngine(wiring.Component):
    """Buffers + controller + ``rows x cols`` output-stationary PE array.

    Parameters
    ----------
    fmt_a, fmt_b, lanes :
        PE formats and block lanes, as :class:`~hw.array.pe.ProcessingElement`.
    rows, cols : int
        Array shape ``R x C``.
    a_depth, b_depth, c_depth : int
        Words of the A, B and C buffers (A needs ``MT * S``, B ``NT * S``, C ``MT * NT * R``).

    Attributes
    ----------
    a_we, a_waddr, a_wdata : In
        A buffer write port (one word per cycle while ``a_we``); likewise ``b_*``.
    c_raddr : In, c_rdata : Out(cols * 32)
        C buffer read port (combinational: ``c_rdata`` is word ``c_raddr`` in the same cycle).
    m_tiles, n_tiles, k_steps : In
        ``MT``, ``NT``, ``S`` (each >= 1), held while ``busy``.
    ta, tb : In(32)
        fp32 tensor scales (tensor-scaled formats only), held while ``busy``.
    start : In(1)
        Pulse (while not ``busy``) to run one GEMM.
    busy : Out(1)
        From the cycle after ``start`` until ``done``.
    done : Out(1)
        High from the cycle after the last C write until the next ``start``.
    latency : int
        PE latency (the ``L`` of the cycle model).
    """

    def __init__(self, *, fmt_a: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
                 rows: int, cols: int, lanes: int | None = None, a_depth: int = 256,
                 b_depth: int = 256, c_depth: int = 256) -> None:
        try:
            self.a_depth = _depth("a_depth", a_depth)
            self.b_depth = _depth("b_depth", b_depth)
            self.c_depth = _depth("c_depth", c_depth)
            self.array = PeArray(fmt_a=fmt_a, fmt_b=fmt_b, rows=rows, cols=cols, lanes=lanes)
        except (TypeError, ValueError):
            self._MustUse__silence = True
            raise
        arr = self.array
        self.rows, self.cols, self.lanes, self.latency = arr.rows, arr.cols, arr.lanes, arr.latency
        self.fmt_a, self.fmt_b, self.is_integer = arr.fmt_a, arr.fmt_b, arr.is_integer
        self.tensor_scale = arr.tensor_scale
        aw, bw, cw = (max(d - 1, 1).bit_length() for d in (a_depth, b_depth, c_depth))
        kw = max(a_depth, b_depth).bit_length()
        ports = {
            "a_we": In(1), "a_waddr": In(aw), "a_wdata": In(arr.rows * arr.a_word),
            "b_we": In(1), "b_waddr": In(bw), "b_wdata": In(arr.cols * arr.b_word),
            "c_raddr": In(cw), "c_rdata": Out(arr.cols * 32),
            "m_tiles": In(aw + 1), "n_tiles": In(bw + 1), "k_steps": In(kw),
        }
        if self.tensor_scale:
            ports.update(ta=In(32), tb=In(32))
        ports.update(start=In(1), busy=Out(1), done=Out(1))
        super().__init__(ports)

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.array = arr = self.array
        R, Cn = self.rows, self.cols
        m.submodules.a_buf = a_buf = Memory(shape=R * arr.a_word, depth=self.a_depth, init=[])
        m.submodules.b_buf = b_buf = Memory(shape=Cn * arr.b_word, depth=self.b_depth, init=[])
        m.submodules.c_buf = c_buf = Memory(shape=Cn * 32, depth=self.c_depth, init=[])
        for buf, pre in ((a_buf, "a"), (b_buf, "b")):
            wp = buf.write_port()
            m.d.comb += [wp.en.eq(getattr(self, f"{pre}_we")),
                         wp.addr.eq(getattr(self, f"{pre}_waddr")),
                         wp.data.eq(getattr(self, f"{pre}_wdata"))]
        a_rd, b_rd = a_buf.read_port(), b_buf.read_port()
        c_rd = c_buf.read_port(domain="comb")
        c_wr = c_buf.write_port()
        m.d.comb += [c_rd.addr.eq(self.c_raddr), self.c_rdata.eq(c_rd.data)]
        if self.tensor_scale:
            m.d.comb += [arr.ta.eq(self.ta), arr.tb.eq(self.tb)]

        # ----- issue: tiles tm (outer) x tn (inner), one every II cycles ----------------------
        S = self.k_steps
        gap = 2 * R + Cn - 2  # cycles a tile's drain needs before the next tile's captures
        cw = max(len(S), gap.bit_length())
        ii = Signal(cw, name="ii")
        m.d.comb += ii.eq(Mux(gap < S, S, gap))
        issuing = Signal()
        cnt = Signal(cw)
        tm, tn = Signal.like(self.m_tiles), Signal.like(self.n_tiles)
        a_base, b_base = Signal(len(a_rd.addr)), Signal(len(b_rd.addr))
        m.d.comb += [a_rd.addr.eq(a_base + cnt), b_rd.addr.eq(b_base + cnt)]
        step = Signal()
        m.d.comb += step.eq(issuing & (cnt < S))
        # read A and B only on issue steps: an SRAM is then accessed exactly as often as
        # models/traffic.py counts (stall and idle cycles hold the last word)
        m.d.comb += [a_rd.en.eq(step), b_rd.en.eq(step)]
        # Buffer reads take one cycle: the flags follow the read data.
        m.d.sync += [arr.i_valid.eq(step), arr.i_first.eq(step & (cnt == 0)),
                     arr.i_last.eq(step & (cnt == S - 1))]
        m.d.comb += [arr.a_in.eq(a_rd.data), arr.b_in.eq(b_rd.data)]

        # ----- drain: R cycles after the last PE of a tile captured ---------------------------
        draining = Signal()
        d = Signal(range(R + 1))
        out_base = Signal(len(c_wr.addr))
        issued = Signal(32)
        drained = Signal(32)
        m.d.comb += [c_wr.en.eq(draining), c_wr.addr.eq(out_base + (R - 1) - d),
                     c_wr.data.eq(arr.c_out), arr.shift.eq(draining)]
        with m.If(draining):
            m.d.sync += d.eq(d + 1)
            with m.If(d == R - 1):
                m.d.sync += [draining.eq(0), out_base.eq(out_base + R), drained.eq(drained + 1)]
                with m.If(~issuing & (drained + 1 == issued)):
                    m.d.sync += [self.done.eq(1), self.busy.eq(0)]
        with m.If(arr.cap_last):  # after the block above: a 1-row drain may restart at once
            m.d.sync += [draining.eq(1), d.eq(0)]

        with m.If(issuing):
            m.d.sync += cnt.eq(cnt + 1)
            with m.If(cnt == ii - 1):
                m.d.sync += [cnt.eq(0), issued.eq(issued + 1)]
                with m.If(tn == self.n_tiles - 1):
                    m.d.sync += [tn.eq(0), b_base.eq(0), tm.eq(tm + 1), a_base.eq(a_base + S)]
                    with m.If(tm == self.m_tiles - 1):
                        m.d.sync += issuing.eq(0)
                with m.Else():
                    m.d.sync += [tn.eq(tn + 1), b_base.eq(b_base + S)]

        with m.If(self.start & ~self.busy):
            m.d.sync += [issuing.eq(1), cnt.eq(0), tm.eq(0), tn.eq(0), a_base.eq(0),
                         b_base.eq(0), out_base.eq(0), issued.eq(0), drained.eq(0),
                         self.busy.eq(1), self.done.eq(0)]
        return m


# ----- host side: buffer images and C readout ---------------------------------------------

@dataclass
class GemmBuffers:
    """Buffer images and runtime registers of one GEMM (see the module docstring)."""

    a_words: list[int]
    b_words: list[int]
    m_tiles: int
    n_tiles: int
    k_steps: int
    M: int
    N: int
    ta: int = 0x3F800000
    tb: int = 0x3F800000


def _steps(elements: np.ndarray, scales: np.ndarray | None, lanes: int, bits: int,
           scale_bits: int, n_tiles: int, tile: int) -> list[int]:
    """Words of one operand laid out (rows of the tile at k-step s) per tile: (X, K) input."""
    X, Kp = elements.shape
    S = Kp // lanes
    e = np.zeros((n_tiles * tile, S * lanes), dtype=np.int64)
    e[:X] = elements
    word = pack_lanes(e.reshape(n_tiles * tile, S, lanes), bits)  # (rows, S)
    if scales is not None:
        s = np.zeros((n_tiles * tile, S), dtype=np.int64)
        s[:X] = scales
        word = word + (s.astype(object) << (lanes * bits))
    w = lanes * bits + scale_bits
    per_tile = word.reshape(n_tiles, tile, S).transpose(0, 2, 1)  # (tiles, S, tile)
    return [int(v) for v in pack_lanes(per_tile, w).reshape(-1)]


def gemm_buffers(A, B, *, rows: int, cols: int) -> GemmBuffers:
    """Buffer images for ``C = A x B`` on a ``rows x cols`` engine.

    ``A`` (M, K) and ``B`` (K, N) are golden operands: ``QTensor`` s of element formats, or
    ``BlockTensor`` s of a block format quantized along K (A on axis 1, B on axis 0) whose
    ``block_size`` equals the engine's ``lanes``. Tensor scales become the ``ta``/``tb``
    fp32 bit patterns.
    """
    from golden.block import BlockTensor
    from golden.codec import QTensor

    if isinstance(A, QTensor) and isinstance(B, QTensor):
        ea, eb = np.asarray(A.codes, np.int64), np.asarray(B.codes, np.int64).T
        sa = sb = None
        lanes, bits_a, bits_b, sbits = 1, A.fmt.bits, B.fmt.bits, 0
    elif isinstance(A, BlockTensor) and isinstance(B, BlockTensor):
        if A.axis != 1 or B.axis != 0 or A.fmt.block_size != B.fmt.block_size:
            raise ValueError(f"gemm_buffers needs A blocked on axis 1 and B on axis 0 with one "
                             f"block size, not axes {A.axis}, {B.axis} and sizes "
                             f"{A.fmt.block_size}, {B.fmt.block_size}")
        ea, eb = np.asarray(A.elements, np.int64), np.asarray(B.elements, np.int64).T
        sa, sb = np.asarray(A.scales, np.int64), np.asarray(B.scales, np.int64).T
        lanes, sbits = A.fmt.block_size, A.fmt.scale.bits
        bits_a, bits_b = A.fmt.element.bits, B.fmt.element.bits
    else:
        raise TypeError(f"gemm_buffers takes two QTensors or two BlockTensors, not "
                        f"{type(A).__name__} and {type(B).__name__}")
    M, N = ea.shape[0], eb.shape[0]
    if ea.shape[1] != eb.shape[1] or 0 in (M, N, ea.shape[1]):
        raise ValueError(f"gemm_buffers: A is {A.shape} and B is {B.shape}; need non-empty "
                         f"(M, K) x (K, N)")
    mt, nt = -(-M // rows), -(-N // cols)
    bufs = GemmBuffers(
        a_words=_steps(ea, sa, lanes, bits_a, sbits, mt, rows),
        b_words=_steps(eb, sb, lanes, bits_b, sbits, nt, cols),
        m_tiles=mt, n_tiles=nt, k_steps=ea.shape[1] // lanes, M=M, N=N)
    for name, t in (("ta", A), ("tb", B)):
        ts = getattr(t, "tensor_scale", None)
        if ts is not None:
            setattr(bufs, name, int(np.float32(ts).view(np.uint32)))
    return bufs


def unpack_c(words: list[int], bufs: GemmBuffers, *, rows: int, cols: int) -> np.ndarray:
    """The (M, N) ``uint32`` result bits from the C buffer words (layout: module docstring)."""
    mt, nt = bufs.m_tiles, bufs.n_tiles
    if len(words) != mt * nt * rows:
        raise ValueError(f"unpack_c needs {mt * nt * rows} words, not {len(words)}")
    w = np.array([[(int(x) >> (32 * j)) & 0xFFFFFFFF for j in range(cols)] for x in words],
                 dtype=np.uint32).reshape(mt, nt, rows, cols)
    return w.transpose(0, 2, 1, 3).reshape(mt * rows, nt * cols)[:bufs.M, :bufs.N]
