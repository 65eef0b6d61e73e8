"""Oracles shared by the test files, written from the IEEE 754 definition with exact
``fractions.Fraction`` arithmetic, independent of ``golden/`` and of the hardware (a
:class:`~golden.formats.FormatSpec` is only read for its field values)."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from golden.formats import FormatSpec, get_format

INF = 0x7F800000


@lru_cache(maxsize=1 << 17)  # pure; exhaustive fp8 pair tests repeat many exact values
def float_rne(x: Fraction, fmt: FormatSpec | str, zero_sign: int = 0) -> int:
    """Code of RNE(x) in an IEEE-style float format (sign bit, ``exp_bits`` exponent bits
    with ``bias``, ``man_bits`` mantissa bits; subnormals kept, overflow to Inf); x == 0
    gives a zero of ``zero_sign``."""
    f = get_format(fmt)
    sign_bit = 1 << (f.bits - 1)
    inf = ((1 << f.exp_bits) - 1) << f.man_bits
    if x == 0:
        return sign_bit if zero_sign else 0
    sign = sign_bit if x < 0 else 0
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    emin = 1 - f.bias
    e = max(e, emin)                          # subnormals share the smallest normal's exponent
    q = a / Fraction(2) ** (e - f.man_bits)   # significand in units of the last place
    n = q.numerator // q.denominator
    r = q - n
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and n % 2 == 1):
        n += 1
    # a carry out of the significand bumps the exponent field by itself
    return sign | min(((e - emin) << f.man_bits) + n, inf)


def fp32_rne(x: Fraction, zero_sign: int = 0) -> int:
    """fp32 bits of RNE(x) (subnormals kept, overflow to Inf); x == 0 gives a zero of
    ``zero_sign``."""
    return float_rne(x, "fp32", zero_sign)


def quiet_nan(fmt: FormatSpec | str) -> int:
    """Canonical quiet NaN code of an IEEE-style float format: sign 0, exponent field all
    ones, mantissa msb only (fp32 0x7FC00000, fp16 0x7E00, bf16 0x7FC0)."""
    f = get_format(fmt)
    return (((1 << f.exp_bits) - 1) << f.man_bits) | (1 << (f.man_bits - 1))


@lru_cache(maxsize=1 << 17)
def float_value(code: int, fmt: FormatSpec | str) -> tuple[int, Fraction | float]:
    """(sign, exact value) of an IEEE-style float code read from its fields: a Fraction for
    finite codes, else +-inf or nan (a float)."""
    f = get_format(fmt)
    sign = code >> (f.bits - 1)
    e = (code >> f.man_bits) & ((1 << f.exp_bits) - 1)
    man = code & ((1 << f.man_bits) - 1)
    if e == (1 << f.exp_bits) - 1:
        return sign, (math.nan if man else (-math.inf if sign else math.inf))
    sig, ex = (man, 1 - f.bias) if e == 0 else (man | (1 << f.man_bits), e - f.bias)
    v = Fraction(sig) * Fraction(2) ** (ex - f.man_bits)
    return sign, -v if sign else v


def float_binary(op: str, a: int, b: int, fmt: FormatSpec | str) -> int:
    """Code of the IEEE 754 RNE sum (``op="add"``) or product (``"mul"``) of two codes of an
    IEEE-style float format; a NaN result is :func:`quiet_nan`.

    Specials: NaN in, Inf + (-Inf) and 0 x Inf give NaN; an exact zero sum is -0 only for
    -0 + -0; a product's sign is the xor of the signs (zeros and underflows included)."""
    f = get_format(fmt)
    (sa, va), (sb, vb) = float_value(a, f), float_value(b, f)
    inf = ((1 << f.exp_bits) - 1) << f.man_bits
    sign_bit = 1 << (f.bits - 1)
    fin_a, fin_b = isinstance(va, Fraction), isinstance(vb, Fraction)
    if (not fin_a and math.isnan(va)) or (not fin_b and math.isnan(vb)):
        return quiet_nan(f)
    if op == "add":
        if not (fin_a and fin_b):
            if not fin_a and not fin_b and sa != sb:
                return quiet_nan(f)                     # Inf + (-Inf)
            return inf | (sign_bit if (sb if fin_a else sa) else 0)
        zero_sign = sa & sb if va == 0 and vb == 0 else 0   # -0 + -0 = -0, else +0
        return float_rne(va + vb, f, zero_sign)
    s = sa ^ sb
    if not (fin_a and fin_b):
        if (fin_a and va == 0) or (fin_b and vb == 0):
            return quiet_nan(f)                         # 0 x Inf
        return inf | (sign_bit if s else 0)
    return float_rne(va * vb, f, s)


def int_binary(op: str, a: int, b: int, bits: int) -> int:
    """Two's complement code of the exact sum (``bits + 1`` bits) or product (``2 * bits``
    bits) of two ``bits``-wide two's complement codes."""
    x = a - (1 << bits) if a >> (bits - 1) else a
    y = b - (1 << bits) if b >> (bits - 1) else b
    width = bits + 1 if op == "add" else 2 * bits
    return (x + y if op == "add" else x * y) & ((1 << width) - 1)
