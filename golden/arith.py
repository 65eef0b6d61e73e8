"""Scalar add and multiply of one element format: the golden of the ``add`` / ``mul`` units.

Codes in, codes out (``hw.fp.float_add.FloatAdd``, ``hw.fp.float_mul.FloatMul``,
``hw.fp.int_arith.IntAdd`` / ``IntMul``), elementwise with NumPy broadcasting:

- :func:`float_add`, :func:`float_mul` - IEEE 754 addition / multiplication of an IEEE-style
  float format (signed, subnormals, Inf, IEEE NaNs: fp16, bf16, fp32, fp8_e5m2), rounded
  ONCE to the same format, round to nearest, ties to even.
- :func:`int_add`, :func:`int_mul` - exact two's complement sum (``bits + 1`` bits) and
  product (``2 * bits`` bits) of an unscaled integer format.

Rounding point (floats): the operands are decoded exactly to float64 and added or
multiplied in float64, then rounded once to the format by the element encoder
(:func:`golden.codec.encode_float64`, RNE, overflow to Inf). A product of two values of
precision ``p <= 24`` is exact in float64 (``2p <= 53`` bits, exponents far inside
float64's range), so it is rounded once. A sum may be rounded twice (to float64, then to
the format), which is innocuous: for +, -, x, / and sqrt, rounding to 53 bits and then to
``p`` bits equals one rounding to ``p`` bits whenever ``53 >= 2p + 2`` (Figueroa 1995),
i.e. ``p <= 25``; and a sum that lands in the format's subnormal range is a multiple of the
subnormal quantum, so it is exact. IEEE 754 rules for specials and zeros (RNE): NaN in,
Inf - Inf or 0 x Inf give NaN; ``x + (-x) = +0``; ``-0 + -0 = -0``; a product's sign
(zeros and Inf included) is the xor of the signs; a product that underflows to zero keeps
its sign. Every NaN result is the format's canonical quiet NaN (sign 0, exponent all ones,
mantissa msb only: fp32 ``0x7FC00000``, fp16 ``0x7E00``, bf16 ``0x7FC0``), the code the
hardware outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from golden.codec import decode, encode_float64
from golden.formats import FormatLike, FormatSpec, get_format, int_format

__all__ = ["float_add", "float_mul", "int_add", "int_mul", "quiet_nan_code"]

_F64_BITS = 53


def _ieee_spec(fmt: FormatLike, what: str) -> FormatSpec:
    spec = get_format(fmt)
    if not (spec.kind == "float" and spec.signed and spec.subnormals and spec.inf
            and spec.nan == "ieee" and spec.man_bits >= 1):
        raise ValueError(f"{what} takes an IEEE-style float format (signed, subnormals, Inf "
                         f"and IEEE NaNs, e.g. fp16, bf16, fp32, fp8_e5m2), not {spec.name!r}")
    exact = 2 * spec.precision + 2 <= _F64_BITS and spec.emin - spec.man_bits >= -511
    if not exact or spec.emax >= 511:
        raise ValueError(f"{what}: {spec.name} is too wide for exact float64 arithmetic "
                         f"(precision {spec.precision} > 25 or exponents beyond +-511)")
    return spec


def quiet_nan_code(fmt: FormatLike) -> int:
    """The canonical quiet NaN code of an IEEE-style float format (sign 0, exponent field all
    ones, only the mantissa msb set)."""
    spec = _ieee_spec(fmt, "quiet_nan_code")
    return (((1 << spec.exp_bits) - 1) << spec.man_bits) | (1 << (spec.man_bits - 1))


def _float_op(a: object, b: object, spec: FormatSpec, op) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):  # signalling NaNs stay NaN
        va = decode(a, spec).astype(np.float64)
        vb = decode(b, spec).astype(np.float64)
        r = op(va, vb)
    codes = encode_float64(np.asarray(r, np.float64), spec, saturate=False)
    return np.where(np.isnan(r), spec.code_dtype.type(quiet_nan_code(spec)),
                    codes).astype(spec.code_dtype)


def float_add(a: object, b: object, fmt: FormatLike) -> np.ndarray:
    """Codes of ``RNE_fmt(a + b)`` for codes ``a``, ``b`` of an IEEE-style float format.

    Args:
        a, b: integer code arrays (broadcast together) of ``fmt``.
        fmt: fp16, bf16, fp32, fp8_e5m2 or any float format with signed zeros, subnormals,
            Inf and IEEE NaNs of precision <= 25.

    Returns:
        Result codes in ``fmt.code_dtype``: the exact sum rounded once (RNE, subnormals
        kept, overflow to Inf); ``x + (-x) = +0``, ``-0 + -0 = -0``; NaN in or
        ``Inf + (-Inf)`` gives the canonical quiet NaN (see the module docstring).
    """
    return _float_op(a, b, _ieee_spec(fmt, "float_add"), np.add)


def float_mul(a: object, b: object, fmt: FormatLike) -> np.ndarray:
    """Codes of ``RNE_fmt(a * b)`` for codes ``a``, ``b`` of an IEEE-style float format.

    Args:
        a, b: integer code arrays (broadcast together) of ``fmt``.
        fmt: as for :func:`float_add`.

    Returns:
        Result codes in ``fmt.code_dtype``: the exact product rounded once (RNE,
        subnormals kept, overflow to Inf, underflow to a zero of the product's sign); the
        sign is always ``sign(a) xor sign(b)``; NaN in or ``0 x Inf`` gives the canonical
        quiet NaN.
    """
    return _float_op(a, b, _ieee_spec(fmt, "float_mul"), np.multiply)


def _int_values(a: object, b: object, fmt: FormatLike, what: str,
                out_bits: Callable[[int], int]) -> tuple[np.ndarray, np.ndarray, FormatSpec]:
    """(int64 values of ``a``, of ``b``, the ``int{out_bits(bits)}`` result format)."""
    from golden.codec import _check_codes, _twos  # the codec's own code checks and reading

    spec = get_format(fmt)
    if spec.kind != "int" or spec.scale_exp != 0:
        raise ValueError(f"{what} takes an unscaled two's complement integer format (int8, "
                         f"int4, int{{n}}), not {spec.name!r}")
    width = out_bits(spec.bits)
    if width > 64:
        raise ValueError(f"{what}: {spec.name} results would have {width} bits; at most 64")
    va = _twos(_check_codes(a, spec).astype(np.uint64), spec.bits)
    vb = _twos(_check_codes(b, spec).astype(np.uint64), spec.bits)
    return va, vb, int_format(width)


def _to_codes(v: np.ndarray, out: FormatSpec) -> np.ndarray:
    mask = np.uint64((1 << out.bits) - 1)
    return (v.astype(np.uint64) & mask).astype(out.code_dtype)


def int_add(a: object, b: object, fmt: FormatLike) -> np.ndarray:
    """Exact sum of two's complement codes ``a``, ``b`` of ``fmt`` (int8, int4, int{n} with
    n <= 63): codes of ``int{bits + 1}`` (two's complement, ``bits + 1`` bits, in that
    format's ``code_dtype``), never overflowing."""
    va, vb, out = _int_values(a, b, fmt, "int_add", lambda n: n + 1)
    return _to_codes(va + vb, out)  # |a + b| <= 2^63 - 2 for n <= 63: int64 is exact


def int_mul(a: object, b: object, fmt: FormatLike) -> np.ndarray:
    """Exact product of two's complement codes ``a``, ``b`` of ``fmt`` (int8, int4, int{n}
    with n <= 32): codes of ``int{2 * bits}`` (two's complement, ``2 * bits`` bits, in that
    format's ``code_dtype``), never overflowing."""
    va, vb, out = _int_values(a, b, fmt, "int_mul", lambda n: 2 * n)
    # |a * b| <= 2^62 for n <= 32, except (-2^31)^2 = 2^62: int64 holds both exactly
    return _to_codes(va * vb, out)
