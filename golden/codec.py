"""Element codec: real numbers <-> codes of one element format (floats, integers, posits).

A *code* is the raw bit pattern of one element, stored unsigned in ``spec.code_dtype``
(uint8 / uint16 / uint32 / uint64); integers are two's complement patterns. :func:`decode`
returns exact values in ``spec.value_dtype`` (float32, or float64 where a format's values do
not all fit float32; int64 for ``int{n}`` formats beyond float64's integers, n >= 54).
The semantics are those of ``docs/numerics.md`` ("Codes and values", "Encoding"): round to
nearest, ties to even, applied once to the exact input value.

Float formats are rounded exactly with integer arithmetic on the input's bit pattern, or
for narrow targets with one lookup in a rounding table (:mod:`golden._floatcodec`).
Block formats (MX, NVFP4) are handled by :func:`golden.quantize` /
:func:`golden.dequantize`; posits by :mod:`golden.posit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from golden._floatcodec import FLOAT_LAYOUT, encode_float
from golden.formats import FormatLike, FormatSpec, get_format

__all__ = ["QTensor", "decode", "encode", "encode_float64"]

Rounding = Literal["rne", "stochastic"]

# ml_dtypes types whose values are exactly float32 values (widened without rounding).
_ML_FLOAT_NAMES = {
    "bfloat16", "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn", "float8_e3m4",
    "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2",
    "float8_e5m2fnuz", "float8_e8m0fnu",
}
_ML_INT_NAMES = {"int2", "int4", "uint2", "uint4"}


# ----- public API -------------------------------------------------------------------------
def encode(x: object, fmt: FormatLike, rounding: Rounding = "rne", saturate: bool = True,
           rng: np.random.Generator | None = None) -> np.ndarray:
    """Encode real values into codes of an element format.

    Args:
        x: array-like of real numbers, any shape (a scalar gives a 0-d array). Floats
            (float16/32/64, ml_dtypes floats), integers and bools are taken exactly.
        fmt: element format name or :class:`FormatSpec` (not a block format).
        rounding: ``"rne"`` (round to nearest, ties to even, once from the exact value) or
            ``"stochastic"`` (the magnitude rounds up iff ``u < frac`` with one
            ``u = rng.random()`` per element in C order; bin1: ``+1`` iff ``2u - 1 < x``).
        saturate: ``True``: clip to the format's range first (``[-max, max]``; unsigned
            e8m0: ``[2^-127, 2^127]``), so Inf gives +-max and nothing overflows.
            ``False``: overflow as ``ml_dtypes`` casts do (fp8_e4m3 -> NaN, IEEE-like
            formats -> Inf, fp4/fp6 -> +-max; e8m0: zero/negative -> NaN); integers raise
            ``ValueError`` for a value outside ``[int_min, int_max]`` after rounding.
        rng: the ``numpy.random.Generator`` that stochastic rounding draws from.

    Returns:
        Codes in ``spec.code_dtype``, same shape as ``x``. NaN encodes to the format's
        canonical quiet NaN with the input's sign; posits follow :mod:`golden.posit`.

    Raises:
        ValueError: NaN input for a format without NaN, integer overflow with
            ``saturate=False``, a bad ``rounding``/``rng``, or a block format.
        TypeError: non-numeric input (strings, objects, complex).
    """
    spec = _element_spec(fmt, "encode")
    if rounding not in ("rne", "stochastic"):
        raise ValueError(f"rounding must be 'rne' or 'stochastic', not {rounding!r}")
    if rounding == "stochastic":
        if spec.kind == "posit":
            raise ValueError(f"stochastic rounding is not offered for posits ({spec.name})")
        if not isinstance(rng, np.random.Generator):
            raise ValueError("stochastic rounding needs rng=np.random.Generator, "
                             f"not {type(rng).__name__}")
    if not isinstance(saturate, bool | np.bool_):
        raise TypeError(f"saturate must be a bool, not {saturate!r}")
    raw = np.asarray(x)
    if spec.kind == "int" and spec.scale_exp == 0 and raw.dtype.kind in "iu":
        return _encode_int_exact(raw, spec, saturate)  # integers need no rounding
    v = _as_real(x)
    shape = v.shape
    return _encode_flat(v.reshape(-1), spec, rounding, saturate, rng).reshape(shape)


def _encode_flat(v: np.ndarray, spec: FormatSpec, rounding: Rounding, saturate: bool,
                 rng: np.random.Generator | None) -> np.ndarray:
    """:func:`encode` on a validated 1-d float32/float64 array."""
    if np.isnan(v).any() and not spec.has_nan:
        bad = v[np.isnan(v)].ravel()[0]
        raise ValueError(f"NaN where forbidden: format {spec.name} has no NaN code "
                         f"(input {bad!r})")
    if spec.kind == "posit":
        from golden.posit import posit_encode  # lazy: posits live in their own module

        codes = posit_encode(v.astype(np.float64), spec)
        return np.asarray(codes).astype(spec.code_dtype)
    if rounding == "stochastic":
        u = rng.random(v.shape)
        if spec.kind == "bin1":
            return np.asarray(2.0 * u - 1.0 < v).astype(spec.code_dtype)
        v = v.astype(np.float64)
        if saturate:
            v = _clip(v, spec)
        v = _stochastic_grid(v, u, spec)  # exact grid values: the RNE below only packs them
    if spec.kind == "float":
        return encode_float(v, spec, saturate)
    return _encode_int(v, spec, saturate)


def encode_float64(v: np.ndarray, spec: FormatSpec, saturate: bool = True) -> np.ndarray:
    """Fast RNE encode for internal callers (block quantization), without validation.

    ``v`` must be a float64 (or float32) ndarray of already-scaled values and ``spec`` an
    element :class:`FormatSpec` of kind float, int or bin1. Same result as
    ``encode(v, spec, "rne", saturate)``, except that NaN is not checked: a NaN given to a
    format without a NaN code yields an unspecified code (callers mask such blocks).
    """
    v = np.asarray(v)
    if v.ndim == 0:
        return encode_float64(v.reshape(1), spec, saturate).reshape(())
    if spec.kind == "float":
        return encode_float(v, spec, saturate)
    if spec.kind == "posit":
        from golden.posit import posit_encode

        return np.asarray(posit_encode(np.asarray(v, np.float64), spec)).astype(spec.code_dtype)
    return _encode_int(v, spec, saturate)


def decode(codes: object, fmt: FormatLike) -> np.ndarray:
    """Decode codes of an element format into exact values.

    Args:
        codes: array-like of integer codes (any integer dtype), each in ``0 .. 2^bits - 1``
            and a code of the format (ternary: ``0b10`` is not).
        fmt: element format name or :class:`FormatSpec` (not a block format).

    Returns:
        Exact values in ``spec.value_dtype``, same shape (a 0-d array for a scalar).
        -0.0, +-Inf and NaN codes decode to -0.0, +-Inf and NaN.

    Raises:
        ValueError: codes out of range, not integers, or a block format.
        TypeError: non-numeric input (strings, objects, complex).
    """
    spec = _element_spec(fmt, "decode")
    arr = _check_codes(codes, spec)
    if spec.kind == "posit":
        from golden.posit import posit_decode  # lazy: posits live in their own module

        return np.asarray(posit_decode(arr, spec)).astype(spec.value_dtype)
    if spec.bits <= 16:
        return np.asarray(_decode_table(spec)[arr])
    if spec.value_dtype.kind == "i":  # int{n} wider than float64's 53 bits: int64 values
        return _twos(arr.astype(np.uint64), spec.bits)
    if (spec.kind, spec.exp_bits, spec.man_bits, spec.bias) == ("float", 8, 23, 127):
        return np.asarray(arr.astype(np.uint32).view(np.float32))  # IEEE binary32 itself
    return np.asarray(_decode_fields(arr.astype(np.uint64), spec).astype(spec.value_dtype))


@dataclass(frozen=True)
class QTensor:
    """An already-quantized tensor: element ``codes`` of one element format ``fmt``.

    Construction accepts a format name or spec and any integer array of codes; it checks
    every code (same rules as :func:`decode`) and stores a read-only copy in
    ``fmt.code_dtype``.
    """

    codes: np.ndarray
    fmt: FormatSpec

    def __post_init__(self) -> None:
        spec = _element_spec(self.fmt, "QTensor")
        arr = np.array(_check_codes(self.codes, spec), dtype=spec.code_dtype)
        arr.flags.writeable = False
        object.__setattr__(self, "fmt", spec)
        object.__setattr__(self, "codes", arr)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.codes.shape

    def values(self) -> np.ndarray:
        """The exact element values, ``decode(codes, fmt)``."""
        return decode(self.codes, self.fmt)

    @classmethod
    def from_values(cls, x: object, fmt: FormatLike, **kwargs: object) -> QTensor:
        """Quantize ``x`` with :func:`encode` (same keyword arguments)."""
        spec = get_format(fmt)
        return cls(encode(x, spec, **kwargs), spec)


# ----- input checks -----------------------------------------------------------------------
def _element_spec(fmt: FormatLike, what: str) -> FormatSpec:
    spec = get_format(fmt)
    if spec.kind == "block":
        raise ValueError(f"{what} takes element formats; {spec.name} is a block format: "
                         "use golden.quantize / golden.dequantize")
    return spec


def _as_real(x: object) -> np.ndarray:
    """``x`` as a float32 or float64 array holding exactly the same values."""
    arr = np.asarray(x)
    dt = arr.dtype
    if dt in (np.float32, np.float64):
        return arr
    if dt == np.float16 or dt.name in _ML_FLOAT_NAMES:
        return arr.astype(np.float32)
    if dt.kind == "b" or dt.name in _ML_INT_NAMES or (dt.kind in "iu" and dt.itemsize <= 4):
        return arr.astype(np.float64)
    if dt.kind in "iu":
        return _int64_to_float64_odd(arr)
    raise TypeError(f"encode takes real numbers (float, int, bool arrays), not dtype {dt}")


def _int64_to_float64_odd(arr: np.ndarray) -> np.ndarray:
    """64-bit integers to float64, rounding to odd at 52+ bits: exact for |x| < 2^53, and
    beyond that a later RNE to <= 24 bits gives the same result as from the exact integer."""
    neg = arr < 0
    mag = np.where(neg, -(arr.astype(np.int64) + 1), arr).astype(np.uint64)
    mag = mag + neg.astype(np.uint64)  # |x| without overflowing at int64 min
    approx = mag.astype(np.float64)
    _, exp = np.frexp(approx)
    shift = np.maximum(exp - 53, 0).astype(np.uint64)
    kept = mag >> shift
    sticky = (mag & ((np.uint64(1) << shift) - np.uint64(1))) != 0
    kept |= sticky.astype(np.uint64)
    out = np.ldexp(kept.astype(np.float64), shift.astype(np.int64))
    return np.where(neg, -out, out)


def _check_codes(codes: object, spec: FormatSpec) -> np.ndarray:
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" or arr.dtype.name in _ML_FLOAT_NAMES:
            raise ValueError(f"codes of {spec.name} must have an integer dtype, not {arr.dtype}")
        raise TypeError(f"codes of {spec.name} must be integers, not dtype {arr.dtype}")
    if arr.dtype.kind == "b":
        raise ValueError(f"codes of {spec.name} must have an integer dtype, not bool")
    if arr.size:
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi >= spec.n_codes:
            bad = lo if lo < 0 else hi
            raise ValueError(f"code {int(bad)} out of range for {spec.name}: "
                             f"codes are 0..{spec.n_codes - 1}")
        if spec.kind == "int" and spec.int_min > -(1 << (spec.bits - 1)):
            vals = _twos(arr.astype(np.int64), spec.bits)
            bad_mask = (vals < spec.int_min) | (vals > spec.int_max)
            if bad_mask.any():
                raise ValueError(f"code {int(arr[bad_mask].ravel()[0]):#x} is not a code of "
                                 f"{spec.name}: values are {spec.int_min}..{spec.int_max}")
    return arr


# ----- decoding -----------------------------------------------------------------------------
def _twos(codes: np.ndarray, bits: int) -> np.ndarray:
    """Signed value of ``bits``-wide two's complement codes (int64), ``bits <= 64``: the
    code's top bit is moved to bit 63 and shifted back arithmetically (sign extension)."""
    sh = np.int64(64 - bits)
    return (np.asarray(codes).astype(np.int64) << sh) >> sh


@lru_cache(maxsize=64)
def _decode_table(spec: FormatSpec) -> np.ndarray:
    """Read-only value of every code (``2^bits`` entries) in ``spec.value_dtype``."""
    codes = np.arange(spec.n_codes, dtype=np.uint64)
    table = _decode_fields(codes, spec).astype(spec.value_dtype)
    table.flags.writeable = False
    return table


def _decode_fields(codes: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Exact float64 values of uint64 codes (float, int and bin1 formats)."""
    if spec.kind == "bin1":
        return np.where(codes == 1, 1.0, -1.0)
    if spec.kind == "int":
        return np.ldexp(_twos(codes.astype(np.int64), spec.bits).astype(np.float64),
                        spec.scale_exp)
    m = spec.man_bits
    mag_bits = spec.bits - int(spec.signed)
    mag = codes & np.uint64((1 << mag_bits) - 1)
    ef = (mag >> np.uint64(m)).astype(np.int64)
    mf = (mag & np.uint64((1 << m) - 1)).astype(np.float64)
    sub = (ef == 0) & spec.subnormals
    sig = np.where(sub, mf, mf + (1 << m))
    exp = np.where(sub, spec.emin, ef - spec.bias) - m
    val = np.ldexp(sig, exp)
    top = (1 << spec.exp_bits) - 1
    if spec.nan == "ieee":
        val = np.where(ef == top, np.where(mf == 0, np.inf, np.nan), val)
    elif spec.nan == "allones":
        val = np.where(mag == (1 << mag_bits) - 1, np.nan, val)
    if spec.signed:
        neg = (codes >> np.uint64(spec.bits - 1)) == 1
        val = np.where(neg, -val, val)
    return val


# ----- encoding: integers, bin1, stochastic rounding ---------------------------------------
def _encode_int(x: np.ndarray, spec: FormatSpec, saturate: bool) -> np.ndarray:
    """RNE of ``x / 2^scale_exp`` to an integer in ``[int_min, int_max]`` (bin1: sign)."""
    if spec.kind == "bin1":
        return np.asarray(x > 0).astype(spec.code_dtype)
    v = np.asarray(x)
    if v.dtype not in FLOAT_LAYOUT:
        v = v.astype(np.float64)
    if spec.scale_exp:  # exact: a scaled-up overflow to Inf is out of range either way
        with np.errstate(over="ignore"):
            v = np.ldexp(v, -spec.scale_exp)
    r = np.rint(v)
    if saturate:
        np.clip(r, spec.int_min, spec.int_max, out=r)
    else:
        bad = (r < spec.int_min) | (r > spec.int_max)
        if bad.any():
            raise ValueError(f"value {np.asarray(x)[bad].ravel()[0]!r} out of range "
                             f"for {spec.name} with saturate=False: integer range is "
                             f"{spec.int_min}..{spec.int_max} (times 2^{spec.scale_exp})")
    width = 8 * spec.code_dtype.itemsize
    if spec.bits > 53:  # int_max is not a float64: values that round to 2^(bits-1) saturate
        ints = np.where(r >= 2.0 ** (spec.bits - 1), 0, r).astype(np.int64)
        ints[r >= 2.0 ** (spec.bits - 1)] = spec.int_max
        return (ints.astype(np.uint64) & np.uint64((1 << spec.bits) - 1)).astype(spec.code_dtype)
    codes = r.astype(np.dtype(f"int{width}")).view(spec.code_dtype)
    if spec.bits < width:
        codes &= spec.code_dtype.type((1 << spec.bits) - 1)
    return codes


def _encode_int_exact(x: np.ndarray, spec: FormatSpec, saturate: bool) -> np.ndarray:
    """Codes of integer-valued ``x`` (any NumPy integer dtype) in an unscaled integer
    format, without a detour through float64 (exact for every width up to 64 bits):
    clipped to ``[int_min, int_max]`` when ``saturate``, else ``ValueError`` out of range."""
    if x.dtype == np.uint64:
        big = x > np.uint64(spec.int_max)
        v = np.where(big, np.uint64(spec.int_max), x).astype(np.int64)
    else:
        v = x.astype(np.int64)
        big = np.zeros(v.shape, bool)
    low = v < spec.int_min
    high = big | (v > spec.int_max)
    if not saturate and (low | high).any():
        bad = x[low | high].ravel()[0]
        raise ValueError(f"value {int(bad)} out of range for {spec.name} with saturate=False: "
                         f"integer range is {spec.int_min}..{spec.int_max}")
    v = np.clip(v, spec.int_min, spec.int_max)
    mask = np.uint64((1 << spec.bits) - 1)
    return (v.astype(np.uint64) & mask).astype(spec.code_dtype)


def _clip(v: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Clip float64 ``v`` to the format's range (saturation); NaN stays NaN."""
    top = spec.max_finite
    if spec.kind == "int":
        low = float(spec.int_min) * 2.0 ** spec.scale_exp
    elif spec.signed:
        low = -top
    else:
        low = spec.min_positive if not spec.subnormals else 0.0
    return np.clip(v, low, top)


def _stochastic_grid(v: np.ndarray, u: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Round float64 ``v`` stochastically onto the format's grid (unbounded above).

    The magnitude ``|v| = s * q`` (``q`` the quantum at ``|v|``) becomes ``floor(s) * q``
    or ``(floor(s) + 1) * q``, up iff ``u < s - floor(s)``; all steps are exact.
    Non-finite values pass through.
    """
    a = np.abs(v)
    if spec.kind == "float":
        _, e = np.frexp(a)
        qexp = np.maximum(e - 1, spec.emin) - spec.man_bits
    else:
        qexp = np.full(a.shape, spec.scale_exp)
    with np.errstate(invalid="ignore"):
        s = np.ldexp(a, -qexp)
        fl = np.floor(s)
        up = u < s - fl
    mag = np.ldexp(fl + up, qexp)
    return np.where(np.isfinite(v), np.copysign(mag, v), v)
