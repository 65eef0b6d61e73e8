"""Block quantization: OCP MX (shared power-of-two scale) and NVFP4 (two-level scale).

A block format (``FormatSpec.kind == "block"``) stores ``block_size`` element codes per
scale code, blocked along one axis of the tensor. The semantics are docs/numerics.md ("MX
block quantization", "NVFP4") and ``docs/numerics.md`` ("Block formats"):

MX (mxfp4, mxfp6_*, mxfp8_*, mxint8), for each block of values ``V_i``:
    a block holding NaN or +-Inf gets the scale's NaN code and zero element codes; else
    ``X = clamp(floor(log2(max|V_i|)) - emax(element), scale emin, scale emax)`` (an
    all-zero block uses ``max|V_i| = 2^-126``), the scale code is ``X + bias`` and
    ``P_i = RNE_sat(V_i / 2^X)`` into the element format, from the exact value.
NVFP4 (tensor scale), all steps float32 with RNE, in this order:
    ``s_t = amax_finite(tensor) / (448 * 6)``, ``s_b = RNE_e4m3_sat(amax(block) / 6 / s_t)``,
    ``P_i = RNE_sat_fp4(V_i / (s_b * s_t))``.

Every constant (block size, emax, 448, 6, scale bias and range, NaN codes) comes from the
block format's :class:`FormatSpec`; element rounding is :mod:`golden.codec`'s.

Speed: float32 stays float32 wherever that is exact (the scaling by 2^-X, the NVFP4 steps,
the dequantized products), the block maxima are integer reductions on bit patterns, and
the work runs in cache-sized chunks of blocks, spread over a thread pool for RNE (each
chunk writes its own slice, so results do not depend on scheduling).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from golden.codec import _as_real, _decode_table, encode, encode_float64
from golden.formats import FormatLike, FormatSpec, block_format_names, get_format

__all__ = ["BlockTensor", "dequantize", "quantize"]

_ROUNDINGS = ("rne", "stochastic")
_FP32_MIN_NORMAL_EXP = -126  # an all-zero MX block uses max|V| = 2^-126 (OCP MX 6.3)
_FP32_MIN_SUBNORMAL = np.float32(2.0**-149)
_CHUNK_ELEMENTS = 1 << 17  # elements per chunk of work (512 KiB of float32)
_WORKERS = min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
_OUT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


@dataclass(frozen=True)
class BlockTensor:
    """A tensor quantized to a block format.

    Attributes:
        fmt: the block :class:`FormatSpec` (a name is accepted and resolved).
        scales: scale codes (``uint8``): ``shape`` with the block axis replaced by the
            number of blocks. MX: e8m0 codes (``X + 127``, 0xFF NaN); NVFP4: fp8_e4m3 codes.
        elements: element codes (``uint8``): ``shape`` with the block axis zero-padded to a
            multiple of ``fmt.block_size``; block ``j`` holds positions
            ``j*block_size .. (j+1)*block_size - 1`` of that axis.
        shape: the original (unpadded) shape.
        axis: the blocked axis, non-negative.
        tensor_scale: the per-tensor fp32 scale ``s_t`` (``np.float32``) for formats with a
            tensor scale (NVFP4), else ``None``.
    """

    fmt: FormatSpec
    scales: np.ndarray
    elements: np.ndarray
    shape: tuple[int, ...]
    axis: int
    tensor_scale: np.float32 | None = None

    def __post_init__(self) -> None:
        spec = _block_spec(self.fmt)
        object.__setattr__(self, "fmt", spec)
        shape = tuple(int(n) for n in self.shape)
        if any(n < 0 for n in shape):
            raise ValueError(f"shape must hold non-negative sizes, not {self.shape}")
        object.__setattr__(self, "shape", shape)
        if not isinstance(self.axis, int | np.integer) or not 0 <= self.axis < len(shape):
            raise ValueError(f"axis must be an int in 0..{len(shape) - 1} for shape {shape}, "
                             f"not {self.axis!r}")
        object.__setattr__(self, "axis", int(self.axis))
        k = spec.block_size
        n_blocks = -(-shape[self.axis] // k)
        for what, arr, want_dtype, size in (
                ("scales", self.scales, spec.scale.code_dtype, n_blocks),
                ("elements", self.elements, spec.element.code_dtype, n_blocks * k)):
            want = (*shape[:self.axis], size, *shape[self.axis + 1:])
            if not isinstance(arr, np.ndarray) or arr.dtype != want_dtype:
                got = arr.dtype if isinstance(arr, np.ndarray) else type(arr).__name__
                raise TypeError(f"{what} of {spec.name} must be a {want_dtype} ndarray, "
                                f"not {got}")
            if arr.shape != want:
                raise ValueError(f"{what} of {spec.name} with shape {shape}, axis {self.axis} "
                                 f"must have shape {want}, not {arr.shape}")
        _check_element_codes(self.elements, spec.element)
        if spec.tensor_scale:
            ts = self.tensor_scale
            if not isinstance(ts, np.float32) or not (np.isfinite(ts) and ts > 0):
                raise ValueError(f"{spec.name} needs tensor_scale as a finite positive "
                                 f"np.float32, not {ts!r}")
        elif self.tensor_scale is not None:
            raise ValueError(f"{spec.name} has no tensor scale; tensor_scale must be None, "
                             f"not {self.tensor_scale!r}")

    @property
    def n_blocks(self) -> int:
        """Number of blocks along the blocked axis."""
        return self.scales.shape[self.axis]

    def values(self, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """``dequantize(self, dtype)``."""
        return dequantize(self, dtype)


def quantize(x: object, fmt: FormatLike, axis: int = -1, *, rounding: str = "rne",
             rng: np.random.Generator | None = None) -> BlockTensor:
    """Quantize a real tensor to a block format, blocking along ``axis``.

    Args:
        x: array-like of real numbers (float16/32/64, ml_dtypes floats, integers, bools),
            at least 1-D. MX takes the values exactly (float64 inputs are scaled in float64
            and rounded once to the element format). NVFP4 is defined in float32: inputs
            are converted to float32 first (exact for everything but float64 and wide ints).
        fmt: a block format name or spec: ``golden.block_format_names()``.
        axis: the axis that is split into blocks of ``fmt.block_size``. A length that is
            not a multiple of the block is zero-padded at the end.
        rounding: element rounding, ``"rne"`` (round to nearest, ties to even) or
            ``"stochastic"`` (the codec's stochastic rounding, one ``rng.random()`` draw
            per element of the padded blocks in C order with ``axis`` moved last). Scales
            are always computed as the contract says, whatever the element rounding.
        rng: the ``numpy.random.Generator`` for stochastic rounding (ignored for ``"rne"``).

    Returns:
        A :class:`BlockTensor`. Blocks holding NaN or +-Inf get the scale format's NaN
        code and zero element codes (NVFP4: the tensor scale ignores such values).

    Raises:
        ValueError: not a block format, ``axis`` out of range, bad ``rounding``/``rng``.
        TypeError: non-numeric input.
    """
    spec = _block_spec(fmt)
    if rounding not in _ROUNDINGS:
        raise ValueError(f"rounding must be one of {', '.join(_ROUNDINGS)}, not {rounding!r}")
    if rounding == "stochastic" and not isinstance(rng, np.random.Generator):
        raise ValueError("stochastic rounding needs rng=np.random.Generator, "
                         f"not {type(rng).__name__}")
    try:
        arr = _as_real(x)
    except TypeError:
        raise TypeError("quantize takes real numbers (float, int, bool arrays), not "
                        f"dtype {np.asarray(x).dtype}") from None
    if arr.ndim == 0:
        raise ValueError("quantize needs an array of at least 1 dimension, not a scalar")
    if not isinstance(axis, int | np.integer) or not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis {axis!r} is out of range for an array of shape {arr.shape}: "
                         f"allowed {-arr.ndim}..{arr.ndim - 1}")
    ax = int(axis) % arr.ndim
    if spec.tensor_scale:
        arr = arr.astype(np.float32, copy=False)
    k = spec.block_size
    xb = _to_blocks(arr, ax, k)
    lead = xb.shape[:-1]
    flat = xb.reshape(-1, k)
    scales = np.empty(flat.shape[0], spec.scale.code_dtype)
    codes = np.empty(flat.shape, spec.element.code_dtype)
    s_t = None
    if spec.tensor_scale:
        amax, s_t = _tensor_scale(flat, spec)

        def work(sl: slice) -> None:
            scales[sl], codes[sl] = _quantize_two_level(flat[sl], amax[sl], s_t, spec,
                                                        rounding, rng)
    else:
        def work(sl: slice) -> None:
            scales[sl], codes[sl] = _quantize_mx(flat[sl], spec, rounding, rng)
    # stochastic rounding draws from rng in C order: one chunk after the other
    _for_chunks(flat.shape[0], k, work, parallel=rounding == "rne")
    codes = codes.reshape(*lead[:-1], lead[-1] * k)  # explicit: a 0 in lead breaks -1
    scales = scales.reshape(lead)
    if ax != arr.ndim - 1:
        codes = np.ascontiguousarray(np.moveaxis(codes, -1, ax))
        scales = np.ascontiguousarray(np.moveaxis(scales, -1, ax))
    return BlockTensor(spec, scales, codes, arr.shape, ax, s_t)


def dequantize(bt: BlockTensor, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """Values of a :class:`BlockTensor`, in its original shape (padding dropped).

    Each value is the exact product ``element * scale`` (MX: ``P_i * 2^X``; NVFP4:
    ``P_i * s_b * s_t``) rounded once (RNE) to ``dtype``: float16, float32 or float64
    (float64 gives the exact values). Blocks with a NaN scale give NaN.
    """
    if not isinstance(bt, BlockTensor):
        raise TypeError(f"dequantize takes a BlockTensor, not {type(bt).__name__}")
    out_dtype = np.dtype(dtype)
    if out_dtype not in _OUT_DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(map(str, _OUT_DTYPES))}, "
                         f"not {out_dtype}")
    spec, ax, k = bt.fmt, bt.axis, bt.fmt.block_size
    # MX values and NVFP4 element * block scale are exact in float32; the one rounding
    # happens in the last multiplication (float64 for exact output).
    work = np.float64 if out_dtype == np.float64 or (
        spec.tensor_scale and out_dtype != np.float32) else np.float32
    codes, scales = bt.elements, bt.scales
    if ax != len(bt.shape) - 1:
        codes, scales = np.moveaxis(codes, ax, -1), np.moveaxis(scales, ax, -1)
    lead = scales.shape
    codes = codes.reshape(-1, k)
    table = _value_table(spec.element, work)
    block_scale = _value_table(spec.scale, work).take(scales.reshape(-1))[:, None]
    tensor_scale = work(bt.tensor_scale) if spec.tensor_scale else None
    out = np.empty(codes.shape, work)

    def chunk(sl: slice) -> None:
        o = out[sl]
        np.take(table, codes[sl], out=o, mode="clip")  # codes were checked: clip never acts
        o *= block_scale[sl]
        if tensor_scale is not None:
            o *= tensor_scale

    _for_chunks(codes.shape[0], k, chunk)
    vals = out.reshape(*lead[:-1], lead[-1] * k)[..., :bt.shape[ax]]
    if ax != len(bt.shape) - 1:
        vals = np.moveaxis(vals, -1, ax)
    return np.ascontiguousarray(vals.astype(out_dtype, copy=False))


# ----- MX ---------------------------------------------------------------------------------
def _quantize_mx(xb: np.ndarray, spec: FormatSpec, rounding: str,
                 rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Scale codes (n,) and element codes (n, k) of the blocks ``xb`` (n, k)."""
    scale, elem = spec.scale, spec.element
    amax = _block_amax(xb)
    finite = np.isfinite(amax)
    all_finite = bool(finite.all())
    if not all_finite:
        amax = np.where(finite, amax, 0)
        xb = np.where(finite[..., None], xb, 0)
    # floor(log2(amax)) exactly: amax = m * 2^e with m in [0.5, 1)
    _, e = np.frexp(amax)
    floor_log2 = np.where(amax > 0, e - 1, _FP32_MIN_NORMAL_EXP)
    x_exp = np.clip(floor_log2 - elem.emax, scale.emin, scale.emax)
    # V / 2^X as one exact multiplication (2^-X is a float32 for |X| <= 127; results
    # below fp32's normal range round to an element zero either way).
    factor = np.ldexp(np.ones((), xb.dtype), -x_exp).astype(xb.dtype)
    scaled = xb * factor[..., None]
    codes = _encode(scaled, elem, rounding, rng)
    scales = (x_exp + scale.bias).astype(scale.code_dtype)
    if not all_finite:
        scales[~finite] = _nan_code(scale)
        codes[~finite] = 0
    return scales, codes


# ----- NVFP4 (two-level scale) ------------------------------------------------------------
def _tensor_scale(flat: np.ndarray, spec: FormatSpec) -> tuple[np.ndarray, np.float32]:
    """max |V| of every block (n,) (NaN for blocks holding NaN/Inf) and the fp32 tensor
    scale ``s_t = amax_finite / (max scale * max element)`` of float32 blocks (n, k)."""
    f32 = np.float32
    amax = np.empty(flat.shape[0], f32)

    def chunk(sl: slice) -> None:
        amax[sl] = _block_amax(flat[sl])

    _for_chunks(flat.shape[0], flat.shape[1], chunk)
    finite = np.isfinite(amax)
    amax_t = f32(amax[finite].max(initial=0))
    if not finite.all():  # the finite values of those blocks count too
        bad = flat[~finite]
        amax_t = max(amax_t, f32(np.where(np.isfinite(bad), np.abs(bad), 0).max(initial=0)))
    if amax_t == 0:
        return amax, f32(1.0)
    # a quotient below fp32's range keeps the smallest subnormal
    s_t = f32(amax_t / f32(spec.scale.max_finite * spec.element.max_finite))
    return amax, max(s_t, _FP32_MIN_SUBNORMAL)


def _quantize_two_level(xb: np.ndarray, amax: np.ndarray, s_t: np.float32, spec: FormatSpec,
                        rounding: str, rng: np.random.Generator | None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Scale codes (n,) and element codes (n, k) of float32 blocks ``xb`` (n, k) with
    maxima ``amax`` (n,) and tensor scale ``s_t``."""
    f32 = np.float32
    scale, elem = spec.scale, spec.element
    finite = np.isfinite(amax)
    all_finite = bool(finite.all())
    if not all_finite:
        amax = np.where(finite, amax, f32(0))
        xb = np.where(finite[..., None], xb, f32(0))
    with np.errstate(over="ignore"):
        t = (amax / f32(elem.max_finite)) / s_t
    scales = encode_float64(t, scale, saturate=True)
    denom = _value_table(scale, np.float32).take(scales) * s_t
    # a zero scale (s_b or s_b * s_t rounded to 0): V / Inf gives zero with V's sign
    denom[denom == 0] = np.inf
    with np.errstate(over="ignore"):
        q = xb / denom[..., None]
    codes = _encode(q, elem, rounding, rng)
    if not all_finite:
        scales[~finite] = _nan_code(scale)
        codes[~finite] = 0
    return scales, codes


# ----- helpers ------------------------------------------------------------------------------
def _encode(v: np.ndarray, elem: FormatSpec, rounding: str,
            rng: np.random.Generator | None) -> np.ndarray:
    """Saturating element encode of already scaled values (finite blocks only)."""
    if rounding == "rne":
        return encode_float64(v, elem, saturate=True)
    return encode(v, elem, "stochastic", saturate=True, rng=rng)


def _for_chunks(n_blocks: int, k: int, work: Callable[[slice], None],
                parallel: bool = True) -> None:
    """Call ``work`` on slices of about ``_CHUNK_ELEMENTS`` elements over ``n_blocks``
    blocks of k. Chunks keep every intermediate in cache; NumPy releases the GIL inside
    its loops, so with ``parallel`` the chunks run on a thread pool (one thread per CPU).
    Each chunk writes only its own slice of the outputs, so the result does not depend
    on the order."""
    step = max(1, _CHUNK_ELEMENTS // k)
    slices = [slice(i, i + step) for i in range(0, n_blocks, step)]
    if parallel and len(slices) > 1 and _WORKERS > 1:
        list(_pool().map(work, slices))  # re-raises a chunk's exception
    else:
        for sl in slices:
            work(sl)


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="golden-block")


def _block_amax(xb: np.ndarray) -> np.ndarray:
    """max |V| of each block of ``xb`` (n, k): +0.0 or more; NaN if the block holds NaN.

    Reduced as unsigned integers on the sign-cleared bit patterns: their order is the
    order of the magnitudes, with NaN above Inf (one mask pass, one integer reduction,
    run across blocks on the transposed view, which NumPy vectorises better).
    """
    utype = np.uint32 if xb.dtype == np.float32 else np.uint64
    mag = xb.view(utype) & utype(np.iinfo(utype).max >> 1)
    return np.maximum.reduce(mag.T, axis=0).view(xb.dtype)


def _block_spec(fmt: FormatLike) -> FormatSpec:
    spec = get_format(fmt)
    if spec.kind != "block":
        raise ValueError(f"{spec.name} is not a block format; block formats: "
                         f"{', '.join(block_format_names())}")
    return spec


def _to_blocks(arr: np.ndarray, ax: int, k: int) -> np.ndarray:
    """``arr`` with ``ax`` moved last, zero-padded to a multiple of k: (..., n_blocks, k)."""
    xm = np.moveaxis(arr, ax, -1)
    n = xm.shape[-1]
    n_blocks = -(-n // k)
    if n % k:
        buf = np.zeros((*xm.shape[:-1], n_blocks * k), arr.dtype)
        buf[..., :n] = xm
        xm = buf
    return xm.reshape(*xm.shape[:-1], n_blocks, k)


@lru_cache(maxsize=32)
def _value_table(spec: FormatSpec, dtype: type) -> np.ndarray:
    """Exact value of every code of ``spec`` (the codec's decode table) in ``dtype``."""
    table = _decode_table(spec).astype(dtype)
    table.flags.writeable = False
    return table


@lru_cache(maxsize=8)
def _nan_code(spec: FormatSpec) -> int:
    """The scale format's (positive) canonical NaN code."""
    return int(encode(np.float32(np.nan), spec))


def _check_element_codes(codes: np.ndarray, elem: FormatSpec) -> None:
    """Every element code is a code of ``elem`` (range; integers: inside int_min..int_max)."""
    if codes.size == 0:
        return
    if elem.bits < 8 * codes.dtype.itemsize and int(codes.max()) >= elem.n_codes:
        raise ValueError(f"element code {int(codes.max()):#x} out of range for {elem.name}: "
                         f"codes are 0..{elem.n_codes - 1:#x}")
    if elem.kind == "int" and elem.int_min > -(1 << (elem.bits - 1)):
        forbidden = elem.int_min - 1 + (1 << elem.bits)  # e.g. -128 (0x80) in mxint8
        if (codes == forbidden).any():
            raise ValueError(f"element code {forbidden:#x} is not a code of {elem.name}: "
                             f"values are {elem.int_min}..{elem.int_max}")
