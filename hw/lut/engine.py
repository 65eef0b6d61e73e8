"""GEMM engine shell shared by the LUT tensor core and its MAC baseline: controller, buffer
interface, output-stationary accumulators and the result drain.

The engine computes ``Y = A @ W`` with ``A`` (M, K) int8 activations and ``W`` (K, N)
low-bit weights (``hw.lut.weights``). Tiles of ``R x C`` outputs are computed one after the
other (m-tiles outer, n-tiles inner); each cell ``(r, c)`` of the array owns one output and
accumulates over the K groups of ``g`` elements in increasing k (output-stationary).

Buffers (outside the engine, synchronous read, latency 1: the word of the address given in
cycle t is on ``*_data`` in cycle t + 1):

- activation buffer, word ``mt * KG + kg`` (``KG = ceil(K / g)``): ``R * g`` codes, lane
  ``r * g + i`` = ``A[mt*R + r, kg*g + i]`` (zero outside A);
- weight buffer, word ``nt * KG + kg``: ``C * g`` codes, lane ``c * g + i`` =
  ``W[kg*g + i, nt*C + c]`` (any code outside W: its activation is zero);
- output buffer, written word ``t * R + r`` for tile ``t = mt * NT + nt``: ``C`` 32-bit
  results, lane ``c`` = ``Y[mt*R + r, nt*C + c]`` (lanes outside Y are don't-care).

Schedule (exact, the cycle model ``models/cycle_lut.py`` is this arithmetic): ``start`` in
cycle 0; from cycle 1 one step is issued per cycle, ``P`` steps per k-group (``P`` = weight
bit-planes for the LUT core, 1 for the MAC baseline), a tile taking ``max(KG * P, R)`` issue
cycles (steps beyond ``KG * P`` are bubbles, so that a tile's drain ends before the next
tile's results replace it) except the last, which takes ``KG * P``. A step reads the buffers
(first step of a group), captures the group's operands one cycle later (S1), and
accumulates one cycle after that (S2). The last step of a tile copies the accumulators to a
shadow bank, which is drained one row per cycle into the output buffer over the next ``R``
cycles (``o_valid`` one cycle after each read). ``done`` pulses with the last output row::

    total = (T - 1) * max(KG * P, R) + KG * P + R + 3,   T = ceil(M/R) * ceil(N/C)

Accumulators are 33 bits holding twice the exact dot product in weight units
``vw = w * 2**-lsb`` (the factor two comes from table symmetrization); a datapath may add
one accumulator per row (the LUT core's ``-S`` offset), summed into each output of the row
as it is drained. Integer weights: the
result is ``acc >> 1`` (int32, two's complement wrap, as golden). Float weights (fp4_e2m1):
the result is ``RNE_fp32(acc * 2**(lsb - 1))``, rounded once (``docs/numerics.md``).
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.common.decode import signed_width
from hw.common.fp32_round import Fp32Round
from hw.lut.table import check_group
from hw.lut.weights import WeightInt, act_spec, weight_int

__all__ = ["ACC_BITS", "PIPE_FILL", "LutEngine"]

ACC_BITS = 33
PIPE_FILL = 3  # start -> first issue (1) -> capture S1 (1) -> accumulate S2 (1)


def _check_pos(cls: str, pname: str, v: object, hi: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
        raise ValueError(f"{cls} {pname} must be an integer in 1..{hi}, not {v!r}")
    return v


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


class LutEngine(wiring.Component):
    """Controller, buffers, accumulators and drain of an ``R x C`` GEMM engine.

    Subclasses define the datapath: ``steps_per_group`` (issue steps per k-group),
    ``_capture(m, a_data, w_data, en)`` (S1 registers loaded from the buffer words when
    ``en``), ``_terms(m, p, first)`` (the R*C signed contributions to the cell
    accumulators in S2; ``p`` is the step's index in its group, ``first`` marks ``p == 0``)
    and optionally ``_row_terms(m, p, first)`` (R contributions to one accumulator per row,
    added to every output of the row when it is drained; ``None``: no row accumulators).

    Parameters
    ----------
    fmt_w : FormatSpec or str
        Weight format (:func:`hw.lut.weights.weight_int`).
    fmt_a : FormatSpec or str
        Activation format (default int8).
    rows, cols : int
        Array shape ``R x C`` (1..64 each).
    g : int
        Group size along K (2..6, default 4).
    max_m, max_k, max_n : int
        Largest GEMM sizes the counters must hold (default 256 each).

    Attributes
    ----------
    start : In(1)
        Pulse (while ``busy`` is 0) with the sizes on ``m_tiles``, ``n_tiles``, ``k_groups``.
    m_tiles, n_tiles, k_groups : In(...)
        ``ceil(M/R)``, ``ceil(N/C)``, ``ceil(K/g)`` (each >= 1), sampled with ``start``.
    busy : Out(1)
        From the cycle after ``start`` until ``done``.
    done : Out(1)
        One-cycle pulse together with the last output row.
    a_rd, a_addr, a_data / w_rd, w_addr, w_data :
        Buffer read ports (read enable, word address out; word in, one cycle later).
    o_valid, o_addr, o_data : Out
        Output buffer write port: ``C`` 32-bit lanes (int32 or fp32 bit patterns).
    planes, integer_out : int, bool
        Weight bit-planes; True when the outputs are int32.
    """

    steps_per_group = 1

    def __init__(self, *, fmt_w: FormatSpec | str, fmt_a: FormatSpec | str = "int8",
                 rows: int = 4, cols: int = 4, g: int = 4, max_m: int = 256,
                 max_k: int = 256, max_n: int = 256) -> None:
        cls = type(self).__name__
        self.wi: WeightInt = weight_int(fmt_w)
        self.act = act_spec(fmt_a)
        self.rows = _check_pos(cls, "rows", rows, 64)
        self.cols = _check_pos(cls, "cols", cols, 64)
        self.g = check_group(g)
        for pname, v in (("max_m", max_m), ("max_k", max_k), ("max_n", max_n)):
            _check_pos(cls, pname, v, 1 << 20)
        amax = max(-self.act.int_min, self.act.int_max)
        wmax = max(-self.wi.vw_min, self.wi.vw_max)
        if 2 * max_k * amax * wmax >= 1 << (ACC_BITS - 1) and not self.wi.integer_out:
            raise ValueError(f"{cls} max_k={max_k} overflows the {ACC_BITS}-bit accumulator "
                             f"for {self.wi.spec.name}; allowed: max_k < "
                             f"{(1 << (ACC_BITS - 1)) // (2 * amax * wmax)}")
        self.planes = self.wi.planes
        self.integer_out = self.wi.integer_out
        self.max_m_tiles = _ceil(max_m, rows)
        self.max_n_tiles = _ceil(max_n, cols)
        self.max_k_groups = _ceil(max_k, g)
        a_words = self.max_m_tiles * self.max_k_groups
        w_words = self.max_n_tiles * self.max_k_groups
        o_words = self.max_m_tiles * self.max_n_tiles * rows
        super().__init__({
            "start": In(1),
            "m_tiles": In(range(self.max_m_tiles + 1)),
            "n_tiles": In(range(self.max_n_tiles + 1)),
            "k_groups": In(range(self.max_k_groups + 1)),
            "busy": Out(1), "done": Out(1),
            "a_rd": Out(1), "a_addr": Out(range(a_words)),
            "a_data": In(rows * g * self.act.bits),
            "w_rd": Out(1), "w_addr": Out(range(w_words)),
            "w_data": In(cols * g * self.wi.spec.bits),
            "o_valid": Out(1), "o_addr": Out(range(o_words)), "o_data": Out(32 * cols),
        })

    # ----- hooks of the datapath --------------------------------------------------------------
    def _capture(self, m: Module, a_data, w_data, en) -> None:
        raise NotImplementedError

    def _terms(self, m: Module, p, first) -> list:
        raise NotImplementedError

    def _row_terms(self, m: Module, p, first) -> list | None:
        return None

    # ----- controller, accumulators, drain ------------------------------------------------------
    def elaborate(self, platform) -> Module:
        m = Module()
        self._no_special = None  # built by the first output converter that needs it
        R, C, P = self.rows, self.cols, self.steps_per_group
        mt_n = Signal.like(self.m_tiles)
        nt_n = Signal.like(self.n_tiles)
        kg_n = Signal.like(self.k_groups)
        steady = Signal(range(self.max_k_groups * P + 1))
        period = Signal(range(max(self.max_k_groups * P, R) + 1))
        m.d.comb += [steady.eq(kg_n * P), period.eq(Mux(steady > R, steady, R))]

        # ----- S0: issue one step per cycle ------------------------------------------------------
        issuing = Signal()
        s = Signal.like(period)
        kg = Signal.like(self.k_groups)
        p = Signal(range(max(P, 2)))
        mt, nt = Signal.like(self.m_tiles), Signal.like(self.n_tiles)
        a_base, w_base = Signal.like(self.a_addr), Signal.like(self.w_addr)
        o_base = Signal.like(self.o_addr)
        v0 = Signal()
        last_tile = Signal()
        m.d.comb += [
            v0.eq(issuing & (s < steady)),
            last_tile.eq((mt == mt_n - 1) & (nt == nt_n - 1)),
            self.a_rd.eq(v0 & (p == 0)), self.a_addr.eq(a_base + kg),
            self.w_rd.eq(v0 & (p == 0)), self.w_addr.eq(w_base + kg),
        ]
        with m.If(~self.busy & self.start):
            m.d.sync += [mt_n.eq(self.m_tiles), nt_n.eq(self.n_tiles), kg_n.eq(self.k_groups),
                         issuing.eq(1), self.busy.eq(1), s.eq(0), kg.eq(0), p.eq(0), mt.eq(0),
                         nt.eq(0), a_base.eq(0), w_base.eq(0), o_base.eq(0)]
        with m.If(issuing):
            with m.If(v0):
                with m.If(p == P - 1):
                    m.d.sync += [p.eq(0), kg.eq(kg + 1)]
                with m.Else():
                    m.d.sync += p.eq(p + 1)
            m.d.sync += s.eq(s + 1)
            with m.If(last_tile & (s == steady - 1)):
                m.d.sync += issuing.eq(0)
            with m.If(s == period - 1):
                m.d.sync += [s.eq(0), kg.eq(0), p.eq(0), o_base.eq(o_base + R)]
                with m.If(nt == nt_n - 1):
                    m.d.sync += [nt.eq(0), w_base.eq(0), mt.eq(mt + 1),
                                 a_base.eq(a_base + kg_n)]
                with m.Else():
                    m.d.sync += [nt.eq(nt + 1), w_base.eq(w_base + kg_n)]

        # ----- S1 / S2 pipeline flags ------------------------------------------------------------
        def stage(src: dict[str, object], tag: str) -> dict[str, Signal]:
            out = {}
            for k, v in src.items():
                reg = Signal(len(v) if hasattr(v, "__len__") else 1, name=f"{k}_{tag}")
                m.d.sync += reg.eq(v)
                out[k] = reg
            return out

        s0 = {"v": v0, "first": p == 0, "tfirst": (kg == 0) & (p == 0),
              "last": (kg == kg_n - 1) & (p == P - 1), "ltile": last_tile, "obase": o_base,
              "p": p}
        s1 = stage(s0, "s1")
        s2 = stage(s1, "s2")
        self._capture(m, self.a_data, self.w_data, s1["v"] & s1["first"])
        terms = self._terms(m, s2["p"], s2["first"])
        row_terms = self._row_terms(m, s2["p"], s2["first"])

        # ----- S2: accumulate (33-bit two's complement wrap) -----------------------------------
        def accumulate(term, name: str) -> Signal:
            acc = Signal(signed(ACC_BITS), name=f"acc_{name}")
            shadow = Signal(signed(ACC_BITS), name=f"shadow_{name}")
            nxt = Signal(signed(ACC_BITS), name=f"acc_{name}_next")
            m.d.comb += nxt.eq(Mux(s2["tfirst"], 0, acc) + term)
            with m.If(s2["v"]):
                m.d.sync += acc.eq(nxt)
                with m.If(s2["last"]):
                    m.d.sync += shadow.eq(nxt)
            return shadow

        shadows = [accumulate(terms[r * C + c], f"{r}_{c}") for r in range(R) for c in range(C)]
        row_shadows = None if row_terms is None else [
            accumulate(row_terms[r], f"row_{r}") for r in range(R)]

        # ----- drain: one row per cycle through C output converters ----------------------------
        draining = Signal()
        drow = Signal(range(max(R, 2)))
        dbase = Signal.like(self.o_addr)
        dlast = Signal()
        with m.If(draining):
            m.d.sync += drow.eq(drow + 1)
            with m.If(drow == R - 1):
                m.d.sync += draining.eq(0)
        with m.If(s2["v"] & s2["last"]):
            m.d.sync += [draining.eq(1), drow.eq(0), dbase.eq(s2["obase"]),
                         dlast.eq(s2["ltile"])]
        row_val = Signal(signed(ACC_BITS), name="drain_row")
        if row_shadows is not None:
            with m.Switch(drow):
                for r in range(R):
                    with m.Case(r):
                        m.d.comb += row_val.eq(row_shadows[r])
        lanes = []
        for c in range(C):
            val = Signal(signed(ACC_BITS), name=f"drain_{c}")
            with m.Switch(drow):
                for r in range(R):
                    with m.Case(r):
                        m.d.comb += val.eq(shadows[r * C + c])
            if row_shadows is not None:
                total = Signal(signed(ACC_BITS), name=f"drain_sum_{c}")
                m.d.comb += total.eq(val + row_val)
                val = total
            lanes.append(self._convert(m, val, c))
        m.d.sync += [self.o_valid.eq(draining), self.o_data.eq(Cat(*lanes)),
                     self.o_addr.eq(dbase + drow),
                     self.done.eq(draining & (drow == R - 1) & dlast)]
        with m.If(draining & (drow == R - 1) & dlast):
            m.d.sync += self.busy.eq(0)
        return m

    def _convert(self, m: Module, val: Signal, c: int) -> Signal:
        """The 32-bit output of one accumulator value (see the module docstring)."""
        out = Signal(32, name=f"out_{c}")
        if self.integer_out:
            m.d.comb += out.eq(val[1:ACC_BITS])
            return out
        exp = self.wi.lsb - 1
        rnd = Fp32Round(mag_width=ACC_BITS, exp_width=signed_width(exp, exp))
        m.submodules[f"round_{c}"] = rnd
        neg = val[ACC_BITS - 1]
        if self._no_special is None:
            # An integer sum is never NaN/Inf. A register held at 0 (not a constant) keeps
            # the rounding module's special-case priority chain out of constant folding,
            # whose folded case patterns Verilator's lint reports as overlapping.
            self._no_special = Signal(name="no_special")
            m.d.sync += self._no_special.eq(0)
        m.d.comb += [rnd.sign.eq(neg), rnd.mag.eq(Mux(neg, -val, val)), rnd.exp.eq(exp),
                     rnd.sticky.eq(0), rnd.is_nan.eq(self._no_special),
                     rnd.is_inf.eq(self._no_special), out.eq(rnd.out)]
        return out
