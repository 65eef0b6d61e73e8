"""Dot products and GEMM with the hardware's products, rounding points and accumulation order.

The semantics are those of ``docs/numerics.md`` ("Dot products and GEMM"), by family of the
operand pair (decided from the two :class:`~golden.formats.FormatSpec` s, never by name):

``float``  element floats and mixed float x int (fp4/fp6/fp8, fp16, bf16, fp32, int x float):
    every product ``a_k * b_k`` exact, ``acc = RNE_fp32(acc + a_k * b_k)`` for k = 0..K-1
    (fused: one rounding per step), ``acc`` from +0.0 or ``c``. float32 result.
``int``  integer x integer (int8/int4/int2/ternary/bin1 in any pair): exact sum, wrapped to
    int32 two's complement (equal to wrapping after every addition). int32 result.
``block``  MX x MX (any two MX element formats) or NVFP4 x NVFP4: per block of the
    reduction axis ``D = RNE_fp32(scale_a * scale_b * sum_i Pa_i * Pb_i)`` with the sum and
    the scale product exact (MX: ``2^(Xa+Xb)``; NaN scale -> NaN), then
    ``acc = RNE_fp32(acc + D)`` over blocks in increasing k. NVFP4 then applies the tensor
    scales: ``out = RNE_fp32(acc * RNE_fp32(s_ta * s_tb))``, and adds ``c`` after that.
``posit``  posit x posit (same format): quire (exact) then one posit rounding, delegated to
    :mod:`golden.quire`.

Exact block sums: each block's products are summed exactly in float64 (NumPy sum or BLAS
matmul, order-independent because every partial sum is an exact multiple of the smallest
product weight); when a pair of element formats spans more than 53 bits (fp8_e5m2 products
span 2^-32 .. 2^31.6), each operand is split by magnitude into pieces whose pairwise
products fit, and the partial sums are combined in integer limbs by
:func:`golden.fp32.round_exact_sum_to_fp32`, which rounds once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from golden.block import BlockTensor, quantize
from golden.codec import QTensor, decode, encode
from golden.formats import FormatLike, FormatSpec, get_format
from golden.fp32 import round_exact_sum_to_fp32, round_exact_to_fp32
from golden.quire import posit_gemm, quire_dot

__all__ = ["block_dot", "gemm"]

_F64_BITS = 53
_CHUNK = 1 << 21  # output elements per vectorised step of the block GEMM

ALLOWED_PAIRINGS = (
    "element float x element float/int (fp4/fp6/fp8/fp16/bf16/fp32, int x float; fp32 "
    "accumulation), integer x integer (int8/int4/int2/ternary/bin1; int32), MX x MX (any two "
    "MX element formats), nvfp4 x nvfp4, posit x posit of the same format"
)


# ----- operand frames and magnitude splitting --------------------------------------------

class _Band(NamedTuple):
    """Magnitudes ``2^lo <= |v| < 2^hi`` (lo None: from 0) of an element format's values.

    Every value in the band is a multiple of ``2^lsb`` and below ``2^top`` in magnitude.
    """

    lo: int | None
    hi: int | None
    lsb: int
    top: int

    @property
    def width(self) -> int:
        return self.top - self.lsb


def _frame(spec: FormatSpec) -> tuple[int, int]:
    """(lsb, top) exponents of the finite values of an element format."""
    if spec.kind == "float":
        return spec.emin - spec.man_bits, spec.emax + 1
    if spec.kind in ("int", "bin1"):
        mag = max(-spec.int_min, spec.int_max)
        return spec.scale_exp, mag.bit_length() + spec.scale_exp
    raise ValueError(f"format {spec.name!r} (kind {spec.kind!r}) has no fixed-point frame")


def _split(band: _Band, spec: FormatSpec) -> list[_Band] | None:
    """Cut a float band at 2^t into a low and a high band of about equal width, or None."""
    if spec.kind != "float":
        return None
    t = -((band.lsb + band.top + spec.man_bits) // -2)  # ceil of the balancing point
    t = max(t, spec.emin + 1, band.lsb + spec.man_bits + 1)
    if t >= band.top:
        return None
    return [_Band(band.lo, t, band.lsb, t), _Band(t, band.hi, t - spec.man_bits, band.top)]


def _plan(sa: FormatSpec, sb: FormatSpec, guard: int) -> tuple[list[_Band], list[_Band]]:
    """Split both operands until every pair of pieces sums ``2^guard`` products exactly."""
    pa = [_Band(None, None, *_frame(sa))]
    pb = [_Band(None, None, *_frame(sb))]
    while max(p.width for p in pa) + max(p.width for p in pb) + guard > _F64_BITS:
        wa, wb = max(p.width for p in pa), max(p.width for p in pb)
        order = [(pa, sa, wa), (pb, sb, wb)] if wa >= wb else [(pb, sb, wb), (pa, sa, wa)]
        for pieces, spec, w in order:
            new: list[_Band] = []
            for p in pieces:
                cut = _split(p, spec) if p.width == w else None
                new.extend(cut if cut else [p])
            if len(new) > len(pieces):
                pieces[:] = new
                break
        else:
            raise ValueError(f"cannot sum {sa.name} x {sb.name} products exactly in float64")
    return pa, pb


def _piece(values: np.ndarray, band: _Band) -> np.ndarray:
    """The values of ``values`` inside ``band`` (others, and non-finite values, as 0)."""
    if band.lo is None and band.hi is None:
        return np.where(np.isfinite(values), values, 0.0)
    mag = np.abs(values)
    keep = np.isfinite(values)
    if band.lo is not None:
        keep &= mag >= 2.0 ** band.lo
    if band.hi is not None:
        keep &= mag < 2.0 ** band.hi
    return np.where(keep, values, 0.0)


class _BlockPlan:
    """Exact block sums of ``a x b`` products for two element formats, ``bs`` per block."""

    def __init__(self, ea: FormatSpec, eb: FormatSpec, bs: int, scale_bits: int):
        self.guard = max(bs - 1, 0).bit_length()
        self.bands_a, self.bands_b = _plan(ea, eb, self.guard)
        pairs = [(a, b) for a in self.bands_a for b in self.bands_b]
        self.lsb = min(a.lsb + b.lsb for a, b in pairs)
        self.top = max(a.top + b.top for a, b in pairs) + self.guard
        self.scale_bits = scale_bits

    def pieces(self, va: np.ndarray, vb: np.ndarray):
        return ([_piece(va, p) for p in self.bands_a], [_piece(vb, p) for p in self.bands_b])

    def round_blocks(self, terms, reduce, scale, raw=None) -> np.ndarray:
        """``RNE_fp32(scale * sum(terms))`` per block.

        ``terms`` are the exact block sums of every pair of pieces (``reduce(x, y)`` for x in
        the pieces of a, y in those of b); ``raw`` (a, b) are the unsplit values when they
        hold Inf/NaN: a block whose float64 ``reduce(a, b)`` is not finite takes that IEEE
        result (times the scale) instead.
        """
        d = round_exact_sum_to_fp32(terms, self.lsb, self.top, scale, self.scale_bits)
        if raw is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                special = reduce(*raw) * scale
            d = np.where(np.isfinite(special), d, special.astype(np.float32))
        return d


def _scale_bits(s: FormatSpec) -> int:
    return 1 if s.man_bits == 0 else s.precision


# ----- families --------------------------------------------------------------------------

def _family(sa: FormatSpec, sb: FormatSpec) -> str:
    """The accumulation family of a pair of formats, or ValueError listing the allowed ones."""
    if sa.is_block and sb.is_block:
        if (sa.scale == sb.scale and sa.block_size == sb.block_size
                and sa.tensor_scale == sb.tensor_scale):
            return "block"
    elif sa.kind == "posit" and sb.kind == "posit":
        if sa == sb:
            return "posit"
    elif sa.is_integer and sb.is_integer:
        return "int"
    elif (sa.kind in ("float", "int", "bin1") and sb.kind in ("float", "int", "bin1")
          and sa.precision + sb.precision <= _F64_BITS):
        return "float"
    raise ValueError(f"unsupported format pairing {sa.name} x {sb.name}; allowed: "
                     f"{ALLOWED_PAIRINGS}")


def _fp32_c(c, shape: tuple[int, ...]) -> np.ndarray:
    """The C input as float32 (RNE from wider floats), broadcast to ``shape``."""
    arr = c.values() if isinstance(c, QTensor) else np.asarray(c)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"c must hold real numbers, not dtype {arr.dtype}")
    try:
        return np.broadcast_to(arr.astype(np.float32), shape).copy()
    except ValueError:
        raise ValueError(f"c of shape {arr.shape} does not broadcast to the result shape "
                         f"{shape}") from None


# ----- block_dot ---------------------------------------------------------------------------

def _block_values(t: BlockTensor) -> tuple[np.ndarray, np.ndarray]:
    """Element values (..., n_blocks, bs) and scale values (..., n_blocks), float64."""
    fmt = t.fmt
    el = decode(t.elements, fmt.element).astype(np.float64)
    sc = decode(t.scales, fmt.scale).astype(np.float64)
    el = np.moveaxis(el, t.axis, -1)
    sc = np.moveaxis(sc, t.axis, -1)
    return el.reshape(*el.shape[:-1], -1, fmt.block_size), sc


def _tensor_scale_product(a: BlockTensor, b: BlockTensor) -> np.float32:
    with np.errstate(over="ignore", invalid="ignore"):
        return np.float32(a.tensor_scale) * np.float32(b.tensor_scale)


def block_dot(a: BlockTensor, b: BlockTensor, c=None) -> np.ndarray:
    """Dot products of two block-quantized tensors along their last axis, as the hardware does.

    ``a`` (..., K) and ``b`` (..., K) must both be quantized along their last axis with the
    same K; their leading dimensions broadcast. Both MX (any two MX element formats, e.g.
    mxfp4 x mxfp8_e4m3) or both NVFP4. For each block j (k = bs*j .. bs*j + bs - 1)::

        D_j = RNE_fp32(scale_a_j * scale_b_j * sum_i Pa_i * Pb_i)   # exact sum, one rounding

    (MX scales 2^X; a NaN scale gives NaN; fp32 subnormals kept, overflow -> Inf; an exact
    zero gives +0). Padding elements of a partial last block are zero codes. Then
    ``acc = RNE_fp32(acc + D_j)`` for j = 0, 1, ... (IEEE fp32 addition), ``acc`` starting at
    +0.0 or at ``c`` (converted to float32, broadcast to the result). NVFP4: ``acc`` starts
    at +0.0, ``out = RNE_fp32(acc * RNE_fp32(s_ta * s_tb))``, then ``RNE_fp32(out + c)``.
    An element Inf/NaN code (fp8_e5m2, fp8_e4m3) makes its block's D the IEEE float result
    of the products' sum (NaN or +-Inf) times the scales. Returns float32 of the broadcast
    leading shape.
    """
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, BlockTensor):
            raise TypeError(f"block_dot operand {name} must be a BlockTensor, "
                            f"not {type(t).__name__}")
        if t.axis != len(t.shape) - 1:
            raise ValueError(f"block_dot operand {name} of shape {t.shape} is quantized along "
                             f"axis {t.axis}; it must be quantized along its last axis")
    _family(a.fmt, b.fmt)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"block_dot needs the same K, got shapes {a.shape} and {b.shape}")
    try:
        lead = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        raise ValueError(f"block_dot leading dimensions do not broadcast: shapes {a.shape} "
                         f"and {b.shape}") from None
    va, sa = _block_values(a)
    vb, sb = _block_values(b)
    plan = _BlockPlan(a.fmt.element, b.fmt.element, a.fmt.block_size,
                      _scale_bits(a.fmt.scale) + _scale_bits(b.fmt.scale))
    pa, pb = plan.pieces(va, vb)
    raw = (va, vb) if not (np.isfinite(va).all() and np.isfinite(vb).all()) else None
    with np.errstate(invalid="ignore"):
        scale = sa * sb

    def reduce(x, y):
        return np.sum(x * y, axis=-1)

    terms = [reduce(x, y) for x in pa for y in pb]
    d = plan.round_blocks(terms, reduce, scale, raw)  # (..., n_blocks) float32
    d = np.broadcast_to(d, (*lead, d.shape[-1]))
    nvfp4 = a.fmt.tensor_scale
    acc = np.zeros(lead, np.float32) if c is None or nvfp4 else _fp32_c(c, lead)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(d.shape[-1]):
            acc = acc + d[..., j]
        if nvfp4:
            acc = acc * _tensor_scale_product(a, b)
            if c is not None:
                acc = acc + _fp32_c(c, lead)
    return np.asarray(acc, dtype=np.float32)


# ----- gemm --------------------------------------------------------------------------------

def _check_2d(A_shape, B_shape) -> None:
    if len(A_shape) != 2 or len(B_shape) != 2 or A_shape[1] != B_shape[0]:
        raise ValueError(f"gemm needs A (M, K) and B (K, N), got shapes {tuple(A_shape)} "
                         f"and {tuple(B_shape)}")


def _element_codes(X, spec: FormatSpec, name: str) -> np.ndarray:
    """Codes of an element-format operand: a QTensor of ``spec`` or real values (encoded)."""
    if isinstance(X, QTensor):
        if get_format(X.fmt) != spec:
            raise ValueError(f"gemm operand {name} is a QTensor of {get_format(X.fmt).name}, "
                             f"but the format given is {spec.name}")
        return np.asarray(X.codes)
    if isinstance(X, BlockTensor):
        raise TypeError(f"gemm operand {name} is a BlockTensor, but {spec.name} is an "
                        "element format")
    arr = np.asarray(X)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"gemm operand {name} must hold real numbers, not dtype {arr.dtype}")
    q = encode(arr, spec)
    return np.asarray(q.codes if isinstance(q, QTensor) else q)


def _block_operand(X, spec: FormatSpec, axis: int, name: str) -> BlockTensor:
    """A BlockTensor of ``spec`` quantized along ``axis`` (quantizing real values first)."""
    if isinstance(X, BlockTensor):
        if X.fmt != spec:
            raise ValueError(f"gemm operand {name} is a BlockTensor of {X.fmt.name}, but the "
                             f"format given is {spec.name}")
        if len(X.shape) == 2 and X.axis != axis:
            raise ValueError(f"gemm operand {name} of shape {X.shape} is quantized along axis "
                             f"{X.axis}; gemm needs axis {axis} (the K axis)")
        return X
    if isinstance(X, QTensor):
        raise TypeError(f"gemm operand {name} is a QTensor, but {spec.name} is a block format")
    return quantize(np.asarray(X), spec, axis=axis)


def _shape(X) -> tuple[int, ...]:
    if isinstance(X, BlockTensor):
        return tuple(X.shape)
    if isinstance(X, QTensor):
        return tuple(np.shape(X.codes))
    return np.shape(X)


def gemm(A, B, fmt: FormatLike, fmt_b: FormatLike | None = None, c=None) -> np.ndarray:
    """``A @ B (+ c)`` with the products, rounding points and accumulation order of the hardware.

    Parameters
    ----------
    A, B:
        ``A`` (M, K) and ``B`` (K, N): real arrays, quantized here with RNE (element formats:
        :func:`golden.encode`; block formats: :func:`golden.quantize`, A along axis 1 and B
        along axis 0), or already quantized (a ``QTensor`` of an element format, a
        ``BlockTensor`` of a block format quantized along the K axis).
    fmt, fmt_b:
        Formats of A and of B (``fmt_b`` defaults to ``fmt``).
    c:
        Optional addend broadcast to (M, N): the accumulator's start value (float32 for the
        float and block families, int32 for integers; for NVFP4 it is added after the tensor
        scale; for posits it is encoded and summed in the quire).

    Returns (M, N): float32 for element floats, MX and NVFP4 (accumulation per
    ``docs/numerics.md``, increasing k, one RNE per step); int32 (wrap-around) for integer
    pairs; for posits the decoded values of the rounded posit codes (float64 or float32 as
    :func:`golden.decode` gives them). Unsupported pairings raise ``ValueError`` listing the
    allowed ones; shapes that are not (M, K) x (K, N) raise ``ValueError`` naming both.
    """
    sa = get_format(fmt)
    sb = sa if fmt_b is None else get_format(fmt_b)
    fam = _family(sa, sb)
    _check_2d(_shape(A), _shape(B))
    M, N = _shape(A)[0], _shape(B)[1]
    if fam == "block":
        return _gemm_block(_block_operand(A, sa, 1, "A"), _block_operand(B, sb, 0, "B"), c)
    ca, cb = _element_codes(A, sa, "A"), _element_codes(B, sb, "B")
    if fam == "posit":
        return _gemm_posit(ca, cb, sa, c, (M, N))
    va = decode(ca, sa).astype(np.float64)
    vb = decode(cb, sb).astype(np.float64)
    if fam == "int":
        return _gemm_int(va, vb, sa, sb, c)
    return _gemm_float(va, vb, sa, sb, c)


def _gemm_float(va, vb, sa: FormatSpec, sb: FormatSpec, c) -> np.ndarray:
    """Sequential fp32 accumulation of exact products, one RNE per step (fused)."""
    M, K = va.shape
    N = vb.shape[1]
    acc = np.zeros((M, N), np.float32) if c is None else _fp32_c(c, (M, N))
    (la, ta), (lb, tb) = _frame(sa), _frame(sb)
    sig = (sa.precision if sa.kind == "float" else ta - la) + \
          (sb.precision if sb.kind == "float" else tb - lb)
    exact_in_fp32 = sig <= 24 and la + lb >= -149 and ta + tb <= 128
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(K):
            p = va[:, k, None] * vb[None, k, :]  # exact in float64
            if exact_in_fp32:
                acc = acc + p.astype(np.float32)  # exact product, IEEE fp32 addition
            else:
                acc = round_exact_to_fp32(acc.astype(np.float64), p)
    return acc


def _gemm_int(va, vb, sa: FormatSpec, sb: FormatSpec, c) -> np.ndarray:
    """Exact integer sum of products, wrapped to int32 (two's complement)."""
    K = va.shape[1]
    (_, ta), (_, tb) = _frame(sa), _frame(sb)
    if (ta + tb + max(K, 1).bit_length()) <= _F64_BITS:
        s = np.matmul(va, vb).astype(np.int64)  # exact: every partial sum < 2^53
    else:
        s = np.matmul(va.astype(np.int64), vb.astype(np.int64))  # wraps mod 2^64: fine
    if c is not None:
        arr = c.values().astype(np.int64) if isinstance(c, QTensor) else np.asarray(c)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"c for an integer gemm must be an integer array, not {arr.dtype}")
        if arr.size and (arr.min() < -(1 << 31) or arr.max() >= 1 << 31):
            raise ValueError("c for an integer gemm must hold int32 values "
                             f"(-2^31..2^31-1), got range {arr.min()}..{arr.max()}")
        s = s + np.broadcast_to(arr.astype(np.int64), s.shape)
    return ((s + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int32)


def _gemm_posit(ca, cb, spec: FormatSpec, c, shape) -> np.ndarray:
    """Quire GEMM of posit codes, decoded."""
    if c is None:
        codes = posit_gemm(ca, cb, spec)
    else:
        cc = _element_codes(c, spec, "c")
        cc = np.broadcast_to(cc, shape)
        codes = quire_dot(ca[:, None, :], cb.T[None, :, :], spec, axis=-1, c_codes=cc)
    return decode(codes, spec)


def _gemm_block(A: BlockTensor, B: BlockTensor, c) -> np.ndarray:
    """Block-rule GEMM: exact per-block sums by matmul, fp32 accumulation over blocks."""
    _check_2d(A.shape, B.shape)
    bs = A.fmt.block_size
    va, sa = _block_values(A)  # (M, nb, bs), (M, nb)
    vbT, sbT = _block_values(B)  # (N, nb, bs), (N, nb)
    M, nb = sa.shape
    N = sbT.shape[0]
    plan = _BlockPlan(A.fmt.element, B.fmt.element, bs,
                      _scale_bits(A.fmt.scale) + _scale_bits(B.fmt.scale))
    a3 = np.ascontiguousarray(va.transpose(1, 0, 2))  # (nb, M, bs)
    b3 = np.ascontiguousarray(vbT.transpose(1, 2, 0))  # (nb, bs, N)
    pa, pb = plan.pieces(a3, b3)
    a_st = np.concatenate(pa, axis=1)  # (nb, pieces * M, bs)
    b_st = np.concatenate(pb, axis=2)  # (nb, bs, pieces * N)
    raw = (a3, b3) if not (np.isfinite(a3).all() and np.isfinite(b3).all()) else None
    nvfp4 = A.fmt.tensor_scale
    acc = np.zeros((M, N), np.float32) if c is None or nvfp4 else _fp32_c(c, (M, N))
    step = max(1, _CHUNK // max(M * N, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        for j0 in range(0, nb, step):
            j1 = min(nb, j0 + step)
            scale = sa.T[j0:j1, :, None] * sbT.T[j0:j1, None, :]
            # one matmul for every pair of pieces: A pieces stacked along M, B's along N
            full = np.matmul(a_st[j0:j1], b_st[j0:j1])
            terms = [full[:, i * M:(i + 1) * M, k * N:(k + 1) * N]
                     for i in range(len(pa)) for k in range(len(pb))]
            d = plan.round_blocks(terms, np.matmul, scale,
                                  None if raw is None else (raw[0][j0:j1], raw[1][j0:j1]))
            for j in range(j1 - j0):
                acc = acc + d[j]
        if nvfp4:
            acc = acc * _tensor_scale_product(A, B)
            if c is not None:
                acc = acc + _fp32_c(c, (M, N))
    return acc
