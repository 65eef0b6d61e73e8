"""Exact-to-fp32 rounding: the one rounding point of every fp32 result in lowbit.

The hardware produces fp32 values in three places: the fp32 adder of an accumulator, the
fused multiply-add of element dot products, and the single rounding of an MX/NVFP4 block
sum. Each takes an *exact* real value and rounds it once to IEEE 754 binary32 with
round-to-nearest, ties-to-even (RNE), fp32 subnormals kept, overflow to +-Inf.

The exact value is given to these functions either

- as an unevaluated sum ``hi + lo`` of two float64 arrays (:func:`round_exact_to_fp32`), or
- as a list of float64 terms that are exact multiples of ``2^lsb_exp`` and are summed in
  integer limbs (:func:`round_exact_sum_to_fp32`); this is the fixed-point block sum, which
  can be ~70 bits wide (32 fp8_e5m2 products span 2^-32 .. 2^31.6), too wide for int64.

Method: ``hi + lo`` is split exactly by TwoSum into ``s + err``; ``s`` is then rounded to
odd (if ``err != 0`` and ``s`` has an even last bit, step one ulp towards ``err``), and one
float64 -> float32 cast (RNE) follows. Round-to-odd to 53 bits followed by RNE to
p <= 51 bits equals a single RNE of the exact value (53 >= 24 + 2), for normal and
subnormal fp32 results alike, since every fp32 value is a normal float64.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["fp32_add", "fp32_fma", "round_exact_sum_to_fp32", "round_exact_to_fp32"]

_F64_BITS = 53  # float64 significand bits


def round_exact_to_fp32(hi: np.ndarray | float, lo: np.ndarray | float = 0.0) -> np.ndarray:
    """Round the exact real value ``hi + lo`` once to fp32 (RNE, subnormals, overflow to Inf).

    ``hi`` and ``lo`` are float64 (or anything NumPy widens exactly to float64) and
    broadcast together; their *mathematical* sum is the value rounded, never the float64
    sum. IEEE rules for specials and zeros: NaN in -> NaN, +-Inf follow float64 addition
    (Inf + -Inf is NaN), and an exact zero sum is +0 unless both inputs are -0 (as for
    IEEE addition). Returns a float32 array (0-d for scalar inputs).
    """
    h = np.asarray(hi, dtype=np.float64)
    lo_ = np.asarray(lo, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        s = h + lo_
        bv = s - h  # TwoSum (Knuth): s + err == h + lo_ exactly, for finite s
        err = (h - (s - bv)) + (lo_ - bv)
        odd_fix = np.isfinite(s) & (err != 0) & ((s.view(np.uint64) & np.uint64(1)) == 0)
        if np.any(odd_fix):
            toward = np.where(err > 0, np.inf, -np.inf)
            s = np.where(odd_fix, np.nextafter(s, toward), s)
        return s.astype(np.float32)


def round_exact_sum_to_fp32(terms: Sequence[np.ndarray], lsb_exp: int, top_exp: int,
                            scale: np.ndarray | float = 1.0, scale_bits: int = 1) -> np.ndarray:
    """Round ``scale * sum(terms)`` once to fp32, the sum and the product taken exactly.

    Parameters
    ----------
    terms:
        Finite float64 arrays (broadcast together), each holding exact multiples of
        ``2^lsb_exp`` with magnitude below ``2^top_exp`` (a non-finite term gives NaN).
    lsb_exp, top_exp:
        The fixed-point frame of every term (integers, ``top_exp > lsb_exp``).
    scale:
        float64 scale factor(s) with at most ``scale_bits`` significant bits (a power of
        two has 1); NaN gives NaN.
    scale_bits:
        Significant bits of ``scale`` (for budgeting the exact products).

    The terms are cut into two integer limbs of ``L`` bits (``x = h * 2^L + l``), limbs are
    summed exactly in float64 (each limb sum stays below 2^53), multiplied by ``scale``
    (exact), and the two limb values are rounded together by :func:`round_exact_to_fp32`.
    An exact zero gives +0. Raises ``ValueError`` when the frame is too wide for two limbs.
    """
    n = len(terms)
    if n == 0:
        raise ValueError("round_exact_sum_to_fp32 needs at least one term, got 0")
    width = int(top_exp) - int(lsb_exp)
    guard = max(n - 1, 0).bit_length() + max(int(scale_bits), 1)
    room = _F64_BITS - guard  # bits a limb sum may use before the scale product
    if width > 2 * room:
        raise ValueError(f"fixed-point frame of {width} bits (2^{lsb_exp} .. 2^{top_exp}) with "
                         f"{n} terms is too wide for two float64 limbs (at most {2 * room})")
    sc = np.asarray(scale, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if width + guard <= _F64_BITS:  # one limb: the plain float64 sum is exact
            total = np.zeros((), np.float64)
            for t in terms:
                total = total + np.asarray(t, dtype=np.float64)
            return round_exact_to_fp32(total * sc + 0.0)
        # Powers of two as float64 factors: every product below is an exact rescaling
        # (the frames used stay far inside float64's exponent range).
        up, cut, limb = 2.0 ** -int(lsb_exp), 2.0 ** -room, 2.0 ** room
        hsum = np.zeros((), np.float64)
        lsum = np.zeros((), np.float64)
        for t in terms:
            x = np.asarray(t, dtype=np.float64) * up  # exact integers
            h = np.floor(x * cut)
            hsum = hsum + h
            lsum = lsum + (x - h * limb)  # exact: an integer in [0, 2^L)
        down = 2.0 ** int(lsb_exp)
        hi = hsum * (limb * down) * sc + 0.0  # + 0.0 turns -0 into +0
        lo = lsum * down * sc + 0.0
        return round_exact_to_fp32(hi, lo)


def _as_fp32(x: np.ndarray | float, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.dtype == np.float32:
        return a
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold real numbers, not dtype {a.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        f = a.astype(np.float32)
        same = (f.astype(np.float64) == a.astype(np.float64)) | (np.isnan(f) & np.isnan(a))
    if not np.all(same):
        bad = a[~same].flat[0] if a.ndim else a
        raise ValueError(f"{name} value {bad!r} is not exactly an fp32 value; "
                         "round it to float32 first")
    return f


def fp32_add(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """IEEE 754 binary32 addition ``RNE_fp32(a + b)``: the golden of the hardware fp32 adder.

    ``a`` and ``b`` must be fp32 values (float32 arrays, or numbers exactly representable
    in fp32; anything else raises ``ValueError``). Subnormals are kept (no flush to zero),
    overflow gives +-Inf, ``x + (-x)`` is +0, ``-0 + -0`` is -0, NaN propagates.
    NumPy's float32 addition is IEEE, and this is it.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return np.add(_as_fp32(a, "a"), _as_fp32(b, "b"), dtype=np.float32)


def fp32_fma(a: np.ndarray | float, b: np.ndarray | float,
             c: np.ndarray | float) -> np.ndarray:
    """Fused multiply-add ``RNE_fp32(a * b + c)`` with one rounding (IEEE 754 fusedMultiplyAdd).

    ``a``, ``b``, ``c`` must be fp32 values (as in :func:`fp32_add`). The product of two fp32
    values is exact in float64, so the rounding is that of :func:`round_exact_to_fp32`.
    Returns float32.
    """
    a32, b32, c32 = _as_fp32(a, "a"), _as_fp32(b, "b"), _as_fp32(c, "c")
    with np.errstate(invalid="ignore", over="ignore"):
        p = a32.astype(np.float64) * b32.astype(np.float64)
    return round_exact_to_fp32(p, c32.astype(np.float64))
