"""Scalar multiply-accumulate: one element pair per cycle into an fp32 (or int32) accumulator.

Same semantics as ``golden.gemm`` for one output element (``docs/numerics.md``, "Dot
products and GEMM"): the product ``a * b`` is exact and added to the accumulator with ONE
fp32 RNE rounding (a fused multiply-add); integer x integer pairs accumulate exactly in
int32 with two's complement wrap-around; posit pairs accumulate exactly in the quire and
are read out rounded to the posit format (:class:`hw.posit.mac.PositMac`).
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format
from hw.common.decode import ElementDecoder
from hw.common.fp32_round import check_mutation
from hw.fp.fp32_add import ADD_MUTATIONS, RawFloatAdd, connect_raw

__all__ = ["ScalarMac"]

_INT_MUTATIONS = ("ignore_first",)
MAC_MUTATIONS = (*ADD_MUTATIONS, *_INT_MUTATIONS)


def _element_spec(fmt: FormatSpec | str, pname: str) -> FormatSpec:
    if not isinstance(fmt, FormatSpec | str):
        raise TypeError(f"ScalarMac {pname} must be a format name or FormatSpec, "
                        f"not {type(fmt).__name__}")
    spec = get_format(fmt)
    if spec.kind not in ("float", "int", "bin1", "posit"):
        raise ValueError(f"ScalarMac {pname} must be a float, int, bin1 or posit element format, "
                         f"not {spec.name!r} of kind {spec.kind!r}")
    return spec


class ScalarMac(wiring.Component):
    """Multiply-accumulate of element codes: ``acc = (i_first ? 0 : acc) + a * b``.

    Float accumulation (any pair that is not integer x integer, e.g. fp8 x fp8,
    fp4_e2m1 x int8, bf16 x bf16, the mxint8 element with its 2^-6 scale):
    ``acc = RNE_fp32(acc_in + a * b)`` with ``a * b`` exact (never rounded on its own),
    ``acc_in = +0.0`` when ``i_first`` else the previous ``acc``; IEEE special cases as
    :class:`~hw.fp.fp32_add.RawFloatAdd` (NaN output ``0x7FC00000``; Inf x 0 is NaN).

    Integer accumulation (both formats ``is_integer``: int8/int4/int2/ternary/bin1):
    ``acc = (acc_in + a * b) mod 2**32`` as an int32 two's complement pattern.

    Posit accumulation (``fmt_a`` a posit, ``fmt_b`` the same posit or ``None``): the exact
    product is added to the quire; ``acc`` is the quire rounded to the posit format (``n``
    bits), as :class:`hw.posit.mac.PositMac` which this unit instantiates.

    Stream interface: valid-only pipeline, ``latency = 2`` (stage 1: decode and exact
    product; stage 2: accumulate). ``acc`` is output with ``o_valid`` after every input, so
    every partial sum is visible; the accumulator changes only on valid inputs.

    Parameters
    ----------
    fmt_a : FormatSpec or str
        Element format of ``a`` (kind float, int or bin1).
    fmt_b : FormatSpec or str or None
        Element format of ``b``; ``None`` means ``fmt_a``.
    mutation : str or None
        ``None``, or a deliberate bug for mutation tests: for float accumulation one of
        ``"truncate"``, ``"drop_sticky"``, ``"no_jam"``, ``"cancel_sign"`` (see
        :class:`~hw.fp.fp32_add.RawFloatAdd`) or ``"ignore_first"``; for integer accumulation
        only ``"ignore_first"`` (``i_first`` does not clear the accumulator).

    Attributes
    ----------
    i_valid : In(1)
        ``a``, ``b``, ``i_first`` hold an input.
    a : In(fmt_a.bits), b : In(fmt_b.bits)
        Element codes.
    i_first : In(1)
        Start a new sum: the accumulator restarts from +0.0 (or 0).
    o_valid : Out(1)
        ``acc`` holds the sum after the input accepted ``latency`` cycles earlier.
    acc : Out(32) or Out(n)
        fp32 bit pattern (float accumulation), int32 pattern (integer accumulation) or the
        posit code (posit accumulation, n bits).
    latency : int
        2.
    is_integer : bool
        True when the unit accumulates in int32.
    """

    latency = 2

    def __init__(self, *, fmt_a: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
                 mutation: str | None = None) -> None:
        self.fmt_a = _element_spec(fmt_a, "fmt_a")
        self.fmt_b = self.fmt_a if fmt_b is None else _element_spec(fmt_b, "fmt_b")
        self.is_posit = self.fmt_a.kind == "posit" or self.fmt_b.kind == "posit"
        if self.is_posit and self.fmt_a != self.fmt_b:
            raise ValueError("ScalarMac fmt_b must be None or the posit format of fmt_a when "
                             f"either is a posit, not {self.fmt_a.name!r} x {self.fmt_b.name!r}")
        self.is_integer = self.fmt_a.is_integer and self.fmt_b.is_integer
        self.mutation = mutation
        if self.is_posit:
            from hw.posit.mac import PositMac

            # The quire MAC validates the mutation name itself.
            self._posit_mac = PositMac(fmt=self.fmt_a, mutation=mutation)
        else:
            check_mutation("ScalarMac (integer accumulation)" if self.is_integer else "ScalarMac",
                           mutation, _INT_MUTATIONS if self.is_integer else MAC_MUTATIONS)
        acc_bits = self.fmt_a.bits if self.is_posit else 32
        super().__init__({
            "i_valid": In(1), "a": In(self.fmt_a.bits), "b": In(self.fmt_b.bits),
            "i_first": In(1), "o_valid": Out(1), "acc": Out(acc_bits),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        if self.is_posit:
            m.submodules.quire_mac = mac = self._posit_mac
            m.d.comb += [mac.i_valid.eq(self.i_valid), mac.a.eq(self.a), mac.b.eq(self.b),
                         mac.i_first.eq(self.i_first), self.o_valid.eq(mac.o_valid),
                         self.acc.eq(mac.acc)]
            return m
        m.submodules.dec_a = da = ElementDecoder(fmt=self.fmt_a)
        m.submodules.dec_b = db = ElementDecoder(fmt=self.fmt_b)
        m.d.comb += [da.code.eq(self.a), db.code.eq(self.b)]

        # Stage 1: exact product (registered).
        p_valid, p_first = Signal(), Signal()
        m.d.sync += p_valid.eq(self.i_valid)
        if self.mutation != "ignore_first":
            m.d.sync += p_first.eq(self.i_first)
        acc_in = Signal(32)
        m.d.comb += acc_in.eq(Mux(p_first, 0, self.acc))
        m.d.sync += self.o_valid.eq(p_valid)

        if self.is_integer:
            pw = da.sig_width + db.sig_width + 2
            p_int = Signal(signed(pw))
            va = Mux(da.sign, -da.sig, da.sig)
            vb = Mux(db.sign, -db.sig, db.sig)
            m.d.sync += p_int.eq(va * vb)
            p32 = Signal(32)  # the product sign-extended (or wrapped) to the accumulator width
            m.d.comb += p32.eq(p_int)
            with m.If(p_valid):
                m.d.sync += self.acc.eq((acc_in + p32)[:32])
            return m

        p_sign, p_nan, p_inf = Signal(), Signal(), Signal()
        p_sig = Signal(da.sig_width + db.sig_width)
        p_exp = Signal(signed(max(da.exp_width, db.exp_width) + 1))
        m.d.sync += [
            p_sign.eq(da.sign ^ db.sign),
            p_sig.eq(Mux(da.is_zero | db.is_zero, 0, da.sig * db.sig)),
            p_exp.eq(da.exp + db.exp),
            p_nan.eq(da.is_nan | db.is_nan | (da.is_inf & db.is_zero) | (db.is_inf & da.is_zero)),
            p_inf.eq(da.is_inf | db.is_inf),
        ]

        # Stage 2: acc = RNE_fp32(acc_in + product), one rounding.
        m.submodules.dec_acc = dacc = ElementDecoder(fmt=get_format("fp32"))
        m.d.comb += dacc.code.eq(acc_in)
        add_mutation = self.mutation if self.mutation in ADD_MUTATIONS else None
        m.submodules.add = add = RawFloatAdd(
            a_sig_width=dacc.sig_width, a_exp_width=dacc.exp_width,
            b_sig_width=len(p_sig), b_exp_width=len(p_exp), mutation=add_mutation)
        connect_raw(m, add, "a", dacc)
        m.d.comb += [add.b_sign.eq(p_sign), add.b_sig.eq(p_sig), add.b_exp.eq(p_exp),
                     add.b_is_nan.eq(p_nan), add.b_is_inf.eq(p_inf)]
        with m.If(p_valid):
            m.d.sync += self.acc.eq(add.out)
        return m
