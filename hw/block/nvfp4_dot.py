"""NVFP4 block dot product unit: one 16-element block pair per cycle, fp32 accumulation.

Per input (one block of fp4_e2m1 element pairs, the two fp8_e4m3 block scale codes and the
two fp32 tensor scales):

    d   = RNE_fp32(s_a * s_b * sum_i Pa_i * Pb_i)     (sum and scale product exact)
    acc = RNE_fp32((i_first ? +0.0 : acc) + d)
    out = RNE_fp32(acc * RNE_fp32(ta * tb))

as ``golden.block_dot`` for NVFP4 x NVFP4 (``docs/numerics.md``, "Dot products and GEMM").
The datapath is :mod:`hw.block.mx_dot`'s with an e4m3 scale: the block scales' significands
multiply the exact sum (a small integer multiply) and their exponents add, before the one
:class:`~hw.common.fp32_round.Fp32Round`.
"""

from __future__ import annotations

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from hw.block.adder_tree import BlockProductSum
from hw.block.mx_dot import block_pipeline, check_block_unit_args, round_mutation
from hw.common.pipeline import delay
from hw.fp.fp32_add import Fp32Add
from hw.fp.fp32_mul import Fp32Mul

__all__ = ["Nvfp4Dot"]


class Nvfp4Dot(wiring.Component):
    """Pipelined NVFP4 block dot product: block results, fp32 accumulation, tensor scaling.

    Semantics per input: ``d = RNE_fp32(s_a * s_b * sum_i Pa_i*Pb_i)`` with ``s_a, s_b`` the
    decoded fp8_e4m3 block scales (sum and scale product exact, one rounding; a NaN scale
    code ``S.1111.111`` gives NaN; an exact zero gives +0); ``acc = RNE_fp32((i_first ? +0.0
    : acc) + d)``; ``out = RNE_fp32(acc * RNE_fp32(ta * tb))`` with ``ta, tb`` the fp32
    tensor scales presented with this block (normally constant over a tensor).
    With ``lanes < 16`` (small tests) a block is ``lanes`` elements.

    Pipeline (``latency`` cycles): decode + exact products | adder tree | scale + Fp32Round
    | Fp32Add | Fp32Mul; ``ta * tb`` goes through its own Fp32Mul in parallel. 16 lanes:
    6 cycles with one-cycle fp32 units.

    Parameters
    ----------
    lanes : int
        Elements per block, ``1..16``.
    mutation : str or None
        ``None`` (correct design) or a deliberate bug: ``"scale_bias"`` (block scale
        exponent one too large), ``"truncate"``, ``"drop_sticky"``
        (:class:`~hw.common.fp32_round.Fp32Round` mutations, in every fp32 rounding of the unit:
        block rounding, accumulator, tensor-scale multiplies; the block rounding alone is
        always exact for NVFP4, so only the others can show them). Mutation tests only.

    Attributes
    ----------
    i_valid : In(1)
        A block is presented this cycle.
    a, b : In(lanes * 4)
        fp4_e2m1 element codes, lane ``i`` at bits ``[4*i, 4*i+4)``.
    sa, sb : In(8)
        fp8_e4m3 block scale codes.
    ta, tb : In(32)
        fp32 tensor scales (bit patterns).
    i_first : In(1)
        This block starts a new accumulation (``acc`` restarts from +0.0).
    o_valid : Out(1)
        ``d``, ``acc`` and ``out`` belong to the block accepted ``latency`` cycles earlier.
    d : Out(32)
        fp32 bits of that block's scaled product sum.
    acc : Out(32)
        fp32 bits of the accumulation including that block.
    out : Out(32)
        fp32 bits of ``acc`` times the tensor scales.
    latency : int
        Cycles from ``i_valid`` to ``o_valid``.
    """

    def __init__(self, *, lanes: int = 16, mutation: str | None = None) -> None:
        try:
            self.fmt, _ = check_block_unit_args("Nvfp4Dot", "nvfp4", None, lanes, mutation,
                                                tensor_scale=True)
        except (TypeError, ValueError):
            self._MustUse__silence = True  # no "created but never used" warning on bad input
            raise
        self.lanes = lanes
        self.mutation = mutation
        self._bps = BlockProductSum(fmt_a=self.fmt.element, fmt_b=self.fmt.element,
                                    lanes=lanes)
        self._acc_latency = self._bps.latency + 1 + Fp32Add.latency
        self.latency = self._acc_latency + Fp32Mul.latency
        ew, sw = self.fmt.element.bits, self.fmt.scale.bits
        super().__init__({
            "i_valid": In(1),
            "a": In(lanes * ew),
            "b": In(lanes * ew),
            "sa": In(sw),
            "sb": In(sw),
            "ta": In(32),
            "tb": In(32),
            "i_first": In(1),
            "o_valid": Out(1),
            "d": Out(32),
            "acc": Out(32),
            "out": Out(32),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        m.submodules.products = bps = self._bps
        m.d.comb += [bps.i_valid.eq(self.i_valid), bps.a.eq(self.a), bps.b.eq(self.b)]
        acc, d_acc, acc_valid = block_pipeline(m, bps, self.fmt.scale, self.sa, self.sb,
                                               self.i_first, self.mutation)

        # Tensor scale product, timed to be ready with acc.
        m.submodules.tensor_mul = tmul = Fp32Mul(mutation=round_mutation(self.mutation))
        lead = self._acc_latency - tmul.latency  # >= 2: ta * tb starts after the block
        m.d.comb += [
            tmul.i_valid.eq(delay(m, self.i_valid, lead, "t_valid")),
            tmul.a.eq(delay(m, self.ta, lead, "ta")),
            tmul.b.eq(delay(m, self.tb, lead, "tb")),
        ]
        m.submodules.out_mul = omul = Fp32Mul(mutation=round_mutation(self.mutation))
        m.d.comb += [omul.i_valid.eq(acc_valid), omul.a.eq(acc), omul.b.eq(tmul.prod)]
        m.d.comb += [
            self.o_valid.eq(omul.o_valid),
            self.out.eq(omul.prod),
            self.d.eq(delay(m, d_acc, omul.latency, "d_out")),
            self.acc.eq(delay(m, acc, omul.latency, "acc_out")),
        ]
        return m
