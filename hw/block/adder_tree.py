"""Exact sum of lane products: the shared datapath of the block dot units.

:class:`AdderTree` sums ``count`` signed integers exactly (a balanced binary tree, each
level one bit wider, a pipeline register after every ``levels_per_stage`` levels).

:class:`BlockProductSum` decodes ``lanes`` element pairs, forms every product exactly as
a signed fixed-point integer on one common grid, and sums them with an :class:`AdderTree`.
The grid is derived from the two element specs: the lsb of a product is
``2 ** (exp_min_a + exp_min_b)`` where ``exp_min`` is the decoder's smallest lsb exponent
(floats: ``emin - man_bits``; integers: ``scale_exp``), and the width from the largest
finite magnitudes, so fp8_e5m2 x fp8_e5m2 over 32 lanes needs 70 bits and fp4 x fp4 14.
The block units (:mod:`hw.block.mx_dot`, :mod:`hw.block.nvfp4_dot`) scale and round that exact sum.
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from hw.common.decode import ElementDecoder

__all__ = ["AdderTree", "BlockProductSum"]


class _Operand:
    """One lane's decoder plus its place on the lane grid.

    A finite element's magnitude is ``sig << shift`` units of ``2 ** dec.exp_min`` with
    ``shift = dec.exp - dec.exp_min`` in ``[0, max_shift]``.
    """

    def __init__(self, fmt: FormatSpec) -> None:
        self.dec = ElementDecoder(fmt=fmt)
        self.max_shift = self.dec.exp_max - self.dec.exp_min
        self.mag_width = self.dec.sig_width + self.max_shift

    def shift(self):
        if self.max_shift == 0:
            return 0
        return (self.dec.exp - self.dec.exp_min)[:self.max_shift.bit_length()]


class AdderTree(wiring.Component):
    """Exact pipelined sum of ``count`` signed integers.

    Parameters
    ----------
    width : int
        Width of each signed input.
    count : int
        Number of inputs (>= 1).
    levels_per_stage : int
        Adder levels between pipeline registers (>= 1).

    Attributes
    ----------
    i_valid : In(1)
        ``inputs`` holds a new set of operands.
    inputs : In(ArrayLayout(signed(width), count))
        The operands, packed: input ``i`` at bits ``[i*width, (i+1)*width)``.
    o_valid : Out(1)
        ``sum`` holds the exact sum of the inputs accepted ``latency`` cycles earlier.
    sum : Out(signed(width + ceil(log2(count))))
        The exact sum (never overflows).
    latency : int
        ``ceil(levels / levels_per_stage)`` with ``levels = ceil(log2(count))``; 0 for one input.
    """

    def __init__(self, *, width: int, count: int, levels_per_stage: int = 2) -> None:
        for name, value, low in (("width", width, 1), ("count", count, 1),
                                 ("levels_per_stage", levels_per_stage, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"AdderTree {name} must be an integer >= {low}, not {value!r}")
        self.width = width
        self.count = count
        self.levels_per_stage = levels_per_stage
        self.levels = (count - 1).bit_length()
        self.latency = -(-self.levels // levels_per_stage)
        self.sum_width = width + self.levels
        super().__init__({
            "i_valid": In(1),
            "inputs": In(data.ArrayLayout(signed(width), count)),
            "o_valid": Out(1),
            "sum": Out(signed(self.sum_width)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        level = [self.inputs[i] for i in range(self.count)]
        valid = self.i_valid
        for depth in range(1, self.levels + 1):
            staged = depth % self.levels_per_stage == 0 or depth == self.levels
            domain = m.d.sync if staged else m.d.comb
            nxt = []
            for j in range(0, len(level), 2):  # an odd last operand passes through
                s = Signal(signed(self.width + depth), name=f"l{depth}_{j // 2}")
                domain += s.eq(level[j] + level[j + 1] if j + 1 < len(level) else level[j])
                nxt.append(s)
            if staged:
                v = Signal(name=f"valid_l{depth}")
                m.d.sync += v.eq(valid)
                valid = v
            level = nxt
        m.d.comb += [self.sum.eq(level[0]), self.o_valid.eq(valid)]
        return m


class BlockProductSum(wiring.Component):
    """Exact ``sum_i a_i * b_i`` of ``lanes`` element pairs, in units of ``2 ** lsb_exp``.

    Each lane is decoded with :class:`hw.common.decode.ElementDecoder` (``sig * 2 ** exp``). Its
    product is exact: one ``sig_a x sig_b`` multiplier per lane, shifted left by both
    exponent offsets ``(exp_a - exp_min_a) + (exp_b - exp_min_b)`` and negated when the
    signs differ, a signed integer on the grid ``2 ** (exp_min_a + exp_min_b)``. The
    products go through one pipeline register, then an :class:`AdderTree`.

    Non-finite elements (fp8_e5m2 Inf/NaN, fp8_e4m3 NaN) follow IEEE 754: a NaN element or
    ``Inf * 0`` makes the block NaN, ``+Inf`` and ``-Inf`` products together make it NaN,
    otherwise an infinite product makes the block an infinity of that sign. Such lanes add
    0 to ``sum``.

    Parameters
    ----------
    fmt_a, fmt_b : FormatSpec
        Element formats (float, int or bin1 kinds).
    lanes : int
        Element pairs per input (>= 1).
    levels_per_stage : int
        Adder-tree levels per pipeline stage.

    Attributes
    ----------
    i_valid : In(1)
    a : In(lanes * fmt_a.bits)
        Packed element codes, lane ``i`` at bits ``[i*fmt_a.bits, (i+1)*fmt_a.bits)``.
    b : In(lanes * fmt_b.bits)
    o_valid : Out(1)
        The outputs hold the result for the input accepted ``latency`` cycles earlier.
    sum : Out(signed(sum_width))
        Exact sum of the finite products in units of ``2 ** lsb_exp``.
    is_nan, is_inf, inf_neg : Out(1)
        The block sum is NaN / an infinity (``inf_neg``: -Inf); ``sum`` is then 0.
    lsb_exp : int
        Exponent of ``sum``'s lsb: the sum of both decoders' ``exp_min``.
    sum_width : int
        ``sig_a + sig_b + max_shift_a + max_shift_b + 1 + ceil(log2(lanes))``.
    latency : int
        ``1 + AdderTree latency`` (32 lanes: 4).
    """

    def __init__(self, *, fmt_a: FormatSpec, fmt_b: FormatSpec, lanes: int,
                 levels_per_stage: int = 2) -> None:
        if not isinstance(lanes, int) or isinstance(lanes, bool) or lanes < 1:
            raise ValueError(f"lanes must be an integer >= 1, not {lanes!r}")
        self.fmt_a, self.fmt_b, self.lanes = fmt_a, fmt_b, lanes
        self._ops_a = [_Operand(fmt_a) for _ in range(lanes)]
        self._ops_b = [_Operand(fmt_b) for _ in range(lanes)]
        op_a, op_b = self._ops_a[0], self._ops_b[0]
        self.lsb_exp = op_a.dec.exp_min + op_b.dec.exp_min
        self.product_width = op_a.mag_width + op_b.mag_width + 1  # signed
        self._tree = AdderTree(width=self.product_width, count=lanes,
                               levels_per_stage=levels_per_stage)
        self.sum_width = self._tree.sum_width
        self.latency = 1 + self._tree.latency
        super().__init__({
            "i_valid": In(1),
            "a": In(lanes * fmt_a.bits),
            "b": In(lanes * fmt_b.bits),
            "o_valid": Out(1),
            "sum": Out(signed(self.sum_width)),
            "is_nan": Out(1),
            "is_inf": Out(1),
            "inf_neg": Out(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.tree = tree = self._tree
        wa, wb = self.fmt_a.bits, self.fmt_b.bits
        any_nan, any_pinf, any_ninf = [], [], []
        for i, (opa, opb) in enumerate(zip(self._ops_a, self._ops_b, strict=True)):
            da, db = opa.dec, opb.dec
            m.submodules[f"dec_a{i}"] = da
            m.submodules[f"dec_b{i}"] = db
            m.d.comb += [da.code.eq(self.a[i * wa:(i + 1) * wa]),
                         db.code.eq(self.b[i * wb:(i + 1) * wb])]
            neg = Signal(name=f"neg{i}")
            nan = Signal(name=f"nan{i}")
            inf = Signal(name=f"inf{i}")
            mag = Signal(self.product_width - 1, name=f"mag{i}")
            m.d.comb += [
                neg.eq(da.sign ^ db.sign),
                nan.eq(da.is_nan | db.is_nan | (da.is_inf & db.is_zero)
                       | (da.is_zero & db.is_inf)),
                inf.eq((da.is_inf | db.is_inf) & ~nan),
                mag.eq(Mux(nan | inf, 0, (da.sig * db.sig) << (opa.shift() + opb.shift()))),
            ]
            prod = Signal(signed(self.product_width), name=f"prod{i}")
            m.d.sync += prod.eq(Mux(neg, -mag, mag))
            m.d.comb += tree.inputs[i].eq(prod)
            any_nan.append(nan)
            any_pinf.append(inf & ~neg)
            any_ninf.append(inf & neg)

        # Block class flags travel beside the tree: product register + tree stages.
        flags = Signal(3, name="flags_d0")
        m.d.sync += [
            flags.eq(Cat(Cat(*any_nan).any(), Cat(*any_pinf).any(), Cat(*any_ninf).any())),
            tree.i_valid.eq(self.i_valid),
        ]
        for k in range(tree.latency):
            nxt = Signal(3, name=f"flags_d{k + 1}")
            m.d.sync += nxt.eq(flags)
            flags = nxt
        nan = flags[0] | (flags[1] & flags[2])
        m.d.comb += [
            self.o_valid.eq(tree.o_valid),
            self.sum.eq(tree.sum),
            self.is_nan.eq(nan),
            self.is_inf.eq((flags[1] | flags[2]) & ~nan),
            self.inf_neg.eq(flags[2]),
        ]
        return m
