"""Float element rounding: RNE of float32/float64 inputs into a float format's codes.

Private helpers of :mod:`golden.codec`. Two exact methods that give identical codes:

- the bit path (:func:`_encode_float_bits`): integer rounding of the input's bit pattern
  (add half an ulp minus one plus the kept last bit, shift; carries run into the exponent),
  a single float addition for the target's subnormal range, then overflow and NaN per
  ``docs/numerics.md``;
- the table path (:func:`encode_float`): when every rounding position lies below the
  input's top 16 bits, the code depends only on those bits and a sticky bit, so a
  2^17-entry table built once by the bit path answers each element with one lookup.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from golden.formats import FormatSpec

__all__ = ["FLOAT_LAYOUT", "encode_float"]

# (uint view, stored mantissa bits, exponent bias) of the float inputs the bit path reads.
FLOAT_LAYOUT = {
    np.dtype(np.float32): (np.uint32, 23, 127),
    np.dtype(np.float64): (np.uint64, 52, 1023),
}


def _float_codes(spec: FormatSpec) -> tuple[int, int, int]:
    """(largest finite magnitude code, overflow magnitude code, NaN magnitude code)."""
    m = spec.man_bits
    max_code = (spec.max_exp_field << m) | spec.max_man_field
    nan_code = 0
    if spec.nan == "ieee":
        nan_code = (((1 << spec.exp_bits) - 1) << m) | (1 << max(m - 1, 0))
    elif spec.nan == "allones":
        nan_code = (1 << (spec.bits - int(spec.signed))) - 1
    if spec.inf:
        over_code = ((1 << spec.exp_bits) - 1) << m
    elif spec.nan == "allones":
        over_code = nan_code
    else:
        over_code = max_code
    return max_code, over_code, nan_code


_LUT_INDEX_BITS = 16  # top bits of the input that index the rounding table


def encode_float(x: np.ndarray, spec: FormatSpec, saturate: bool) -> np.ndarray:
    """RNE of float32/float64 ``x`` into float format ``spec``.

    When the target keeps few mantissa bits, the rounding position of every input lies in
    the input's top 16 bits (sign, exponent, leading mantissa bits), so the code is a
    function of those 16 bits and of a sticky bit (any lower bit set): one lookup in a
    2^17-entry table built once with :func:`_encode_float_bits`. Otherwise the bit path.
    """
    x = np.asarray(x)
    if x.dtype not in FLOAT_LAYOUT:
        x = x.astype(np.float64)
    utype, in_man, _ = FLOAT_LAYOUT[x.dtype]
    low_bits = 8 * x.dtype.itemsize - _LUT_INDEX_BITS
    if in_man - spec.man_bits - 1 < low_bits:
        return _encode_float_bits(x, spec, saturate)
    table = _rounding_table(spec, x.dtype, bool(saturate))
    bits = x.view(utype)
    idx = bits >> utype(low_bits)
    idx <<= utype(1)
    sticky = (bits & utype((1 << low_bits) - 1)) != 0
    idx |= sticky
    return table.take(idx)  # take() is ~2x faster than fancy indexing here


@lru_cache(maxsize=64)
def _rounding_table(spec: FormatSpec, dtype: np.dtype, saturate: bool) -> np.ndarray:
    """Code of every (top 16 input bits, sticky bit) pair, for :func:`encode_float`."""
    utype = FLOAT_LAYOUT[dtype][0]
    low_bits = 8 * dtype.itemsize - _LUT_INDEX_BITS
    idx = np.arange(1 << (_LUT_INDEX_BITS + 1), dtype=np.uint64)
    rep = ((idx >> np.uint64(1)) << np.uint64(low_bits)) | (idx & np.uint64(1))
    with np.errstate(invalid="ignore"):
        table = _encode_float_bits(rep.astype(utype).view(dtype), spec, saturate)
    table.flags.writeable = False
    return table


def _encode_float_bits(x: np.ndarray, spec: FormatSpec, saturate: bool) -> np.ndarray:
    """RNE of float32/float64 ``x`` into float format ``spec``, on the input's bit pattern."""
    x = np.asarray(x)
    if x.dtype != np.float64 and (x.dtype != np.float32 or spec.emin < -126
                                  or spec.man_bits >= 23):
        with np.errstate(invalid="ignore"):
            x = x.astype(np.float64)  # exact; fp32's bits cannot hold this target's grid
    utype, in_man, in_bias = FLOAT_LAYOUT[x.dtype]
    width = 8 * x.dtype.itemsize
    u = utype
    m = spec.man_bits
    bits = x.view(utype)
    sign = bits >> u(width - 1)
    mag = bits & u((1 << (width - 1)) - 1)
    inf_bits = u(((1 << (width - 1 - in_man)) - 1) << in_man)

    # normal range of the target: round the input's mantissa to m bits (RNE), carry into
    # the exponent for free, then rebias the exponent field.
    shift = in_man - m
    code = mag + u((1 << (shift - 1)) - 1)
    if m:  # a tie goes to the even significand: the kept mantissa's last bit
        code += (mag >> u(shift)) & u(1)
    else:  # no mantissa bits (e8m0): of 1 and 2, 2 is even, so a tie rounds up
        code += u(1)
    code >>= u(shift)
    code -= u((in_bias - spec.bias) << m)
    # below the smallest normal: one float addition rounds to a multiple of the subnormal
    # quantum q (C has ulp q), giving the subnormal code directly (2^m = smallest normal).
    small = mag < u((spec.emin + in_bias) << in_man)
    if small.any():
        if spec.subnormals:
            c = x.dtype.type(2.0 ** (spec.emin - m + in_man))
            with np.errstate(invalid="ignore"):  # signalling NaN inputs: replaced below
                sub = (mag.view(x.dtype) + c).view(utype) - c.view(utype)
        else:  # no zero, no subnormals: the nearest value is the smallest one (code 0)
            sub = np.zeros_like(code)
        code = np.where(small, sub, code)

    max_code, over_code, nan_code = _float_codes(spec)
    over = code > u(max_code)  # includes +-Inf and NaN inputs
    if over.any():
        code[over] = u(max_code) if saturate else u(over_code)
        nan = mag > inf_bits
        if nan.any():
            code[nan] = u(nan_code)
    if spec.signed:
        code |= sign << u(spec.bits - 1)
    else:  # unsigned (e8m0): negatives and a zero the format lacks clip up or become NaN
        low = (sign == 1) & (mag <= inf_bits)
        if not spec.subnormals:
            low |= mag == 0
        code[low] = u(0) if saturate else u(nan_code)
    return code.astype(spec.code_dtype)
