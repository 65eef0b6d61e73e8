"""Element decoder: one code of any float or integer element format -> a raw record.

The raw record (HardFloat ``RawFloat`` style) is the contract between decoding and the
arithmetic of every unit: ``value = (-1)**sign * sig * 2**exp`` with ``sig`` an unsigned
integer significand and ``exp`` a signed exponent, plus the class flags. Every width comes
from the :class:`~golden.formats.FormatSpec`.
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format

__all__ = ["ElementDecoder", "signed_width"]


def signed_width(lo: int, hi: int) -> int:
    """Bits of the smallest two's complement type holding every integer in ``[lo, hi]``
    (at least 2)."""
    bits = 2
    while not (-(1 << (bits - 1)) <= lo and hi < (1 << (bits - 1))):
        bits += 1
    return bits


class ElementDecoder(wiring.Component):
    """Decode one element code into ``(-1)**sign * sig * 2**exp`` and class flags.

    Combinational. Handles every ``"float"`` element format (fp4/fp6/fp8, fp16, bf16,
    fp32, e8m0), every ``"int"`` format (int8/int4/int2, ternary, the mxint8 element whose
    ``scale_exp = -6`` makes ``exp`` the constant -6) and ``"bin1"``.

    Float codes: ``sig = {hidden, mantissa}`` (``fmt.precision`` bits) with
    ``hidden = 1`` for a normal exponent field and 0 for a subnormal one (so ``sig`` of a
    subnormal is not normalized), ``exp = max(E, 1) - bias - man_bits`` (``E - bias -
    man_bits`` where the format has no subnormals, e.g. e8m0). For NaN/Inf codes ``sig``
    and ``exp`` are don't-care (the flags say what the code is).

    Integer codes: the two's complement code as sign and magnitude: ``sig = |code|``
    (``fmt.bits`` bits, so ``-2**(bits-1)`` is representable), ``exp = fmt.scale_exp``.
    Every bit pattern decodes as plain two's complement, also those the format never
    produces (ternary ``0b10`` gives -2, mxint8's ``0x80`` gives -128 * 2**-6).
    bin1: code 0 is -1, code 1 is +1 (``sig = 1``, ``exp = 0``).

    Parameters
    ----------
    fmt : FormatSpec or str
        An element format of kind ``"float"``, ``"int"`` or ``"bin1"`` (for a block format
        pass its ``.element``).

    Attributes
    ----------
    code : In(fmt.bits)
        The element code.
    sign : Out(1)
        1 for negative values (and -0); 0 for unsigned formats.
    sig : Out(sig_width)
        Unsigned significand / magnitude.
    exp : Out(signed(exp_width))
        Exponent of ``sig``'s lsb.
    is_zero, is_nan, is_inf : Out(1)
        Class flags (is_zero: the value is +-0; a zero has ``sig == 0``).
    sig_width, exp_width : int
        Port widths derived from the format.
    exp_min, exp_max : int
        Range of ``exp`` over the codes of finite values.
    """

    def __init__(self, *, fmt: FormatSpec | str) -> None:
        spec = get_format(fmt)
        if spec.kind not in ("float", "int", "bin1"):
            hint = " (pass its .element)" if spec.kind == "block" else ""
            raise ValueError(f"ElementDecoder fmt must be a float, int or bin1 element format, "
                             f"not {spec.name!r} of kind {spec.kind!r}{hint}")
        self.fmt = spec
        if spec.kind == "float":
            self.sig_width = spec.precision
            self.exp_min = spec.emin - spec.man_bits
            self.exp_max = spec.max_exp_field - spec.bias - spec.man_bits
            exp_top = (1 << spec.exp_bits) - 1 - spec.bias - spec.man_bits
            self.exp_width = signed_width(self.exp_min, max(exp_top, self.exp_max))
        elif spec.kind == "int":
            self.sig_width = spec.bits
            self.exp_min = self.exp_max = spec.scale_exp
            self.exp_width = signed_width(spec.scale_exp, spec.scale_exp)
        else:  # bin1
            self.sig_width = 1
            self.exp_min = self.exp_max = 0
            self.exp_width = 2
        super().__init__({
            "code": In(spec.bits),
            "sign": Out(1),
            "sig": Out(self.sig_width),
            "exp": Out(signed(self.exp_width)),
            "is_zero": Out(1),
            "is_nan": Out(1),
            "is_inf": Out(1),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        f = self.fmt
        code = self.code
        if f.kind == "float":
            mb, eb = f.man_bits, f.exp_bits
            man = code[:mb] if mb else None
            e = code[mb:mb + eb]
            man_zero = ~man.any() if mb else Const(1)
            m.d.comb += self.sign.eq(code[mb + eb] if f.signed else 0)
            # Both operands of the subtraction at the port width (lint-clean Verilog).
            e_wide = Signal(signed(self.exp_width + 1))
            offset = Const(f.bias + mb, signed(self.exp_width + 1))
            if f.subnormals:
                hidden = e.any()
                m.d.comb += [
                    e_wide.eq(Mux(hidden, e, 1)),
                    self.is_zero.eq(~e.any() & man_zero),
                ]
            else:
                hidden = 1
                m.d.comb += [e_wide.eq(e), self.is_zero.eq(0)]
            m.d.comb += self.exp.eq((e_wide - offset)[:self.exp_width])
            m.d.comb += self.sig.eq(Cat(man, hidden) if mb else hidden)
            if f.nan == "ieee":
                m.d.comb += self.is_nan.eq(e.all() & ~man_zero)
            elif f.nan == "allones":
                m.d.comb += self.is_nan.eq(e.all() & (man.all() if mb else 1))
            if f.inf:
                m.d.comb += self.is_inf.eq(e.all() & man_zero)
        elif f.kind == "int":
            neg = code[f.bits - 1]
            m.d.comb += [
                self.sign.eq(neg),
                self.sig.eq(Mux(neg, -code, code)[:f.bits]),
                self.exp.eq(f.scale_exp),
                self.is_zero.eq(~code.any()),
            ]
        else:  # bin1
            m.d.comb += [self.sign.eq(~code[0]), self.sig.eq(1), self.exp.eq(0)]
        return m
