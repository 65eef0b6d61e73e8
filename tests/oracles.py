"""Oracles shared by the test files, written from the IEEE 754 definition with exact
``fractions.Fraction`` arithmetic, independent of ``golden/`` and of the hardware."""

from __future__ import annotations

from fractions import Fraction

INF = 0x7F800000


def fp32_rne(x: Fraction, zero_sign: int = 0) -> int:
    """fp32 bits of RNE(x) (subnormals kept, overflow to Inf); x == 0 gives a zero of
    ``zero_sign``."""
    if x == 0:
        return zero_sign << 31
    sign = 1 << 31 if x < 0 else 0
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    e = max(e, -126)                    # subnormals share the exponent of the smallest normal
    q = a / Fraction(2) ** (e - 23)     # significand in units of the last place
    n = q.numerator // q.denominator
    r = q - n
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and n % 2 == 1):
        n += 1
    return sign | min(((e + 126) << 23) + n, INF)  # a carry out of the significand bumps e
