"""The posit quire: exact fused dot products and GEMM for posit<n, es> codes.

The quire is a two's complement fixed-point accumulator wide enough to hold every product
of two posits exactly (see :func:`quire_bits`). A fused dot product adds every product
(and an optional addend) into it exactly, then rounds once to the posit format, so the
order of the terms never matters.

Implementation (exact, vectorised): a posit is ``+-sig * 2^exp`` with an integer ``sig``
of at most 30 bits. Each product's significand (the first factor cut into pieces when two
significands exceed 42 bits) is a float64 integer of at most 42 bits, and its bit offset
above the quire's last bit (minpos^2) is at least 0. Within a batch of at most
2^(53 - product bits) terms per output, ``np.bincount`` sums the signed products per
(output, bit offset) exactly in float64; those sums are folded into int64 limbs of 32 bits
and carries are propagated after every batch.
"""

from __future__ import annotations

import numpy as np

from golden.formats import FormatLike, FormatSpec
from golden.posit import (
    max_scale,
    posit_code_dtype,
    posit_encode,
    posit_spec,
    round_to_posit,
    unpack,
)

__all__ = ["posit_gemm", "quire_bits", "quire_dot"]

_U64 = np.uint64
_M32 = (1 << 32) - 1
_BATCH = 1 << 20  # products per bincount call (memory bound)
_K_BATCH = 1 << 18  # terms per output per batch (at most; exactness may lower it)
_PIECE_BITS = 42  # bits of one float64 partial product
_SUM_LIMIT = (1 << 31) - 1  # quire sum limit: maxpos^2 terms that cannot overflow


def quire_bits(spec: FormatLike) -> int:
    """Width in bits of the exact quire of posit<n, es>: ``2^(es+2) * (n-2) + 32``.

    Reasoning (as the Posit Standard 2022 lays out its 16n-bit quire for es = 2): with
    ``s = 2^es * (n-2)`` (maxpos = 2^s, minpos = 2^-s) every product of two posits is an
    integer multiple of minpos^2 = 2^-2s and at most maxpos^2 = 2^2s, so the fixed-point
    quire needs 2s fraction bits and 2s + 1 integer bits (4s + 1 bits for 2^-2s .. 2^2s),
    plus 30 carry guard bits and a sign bit: ``4s + 32``. For es = 2 that is ``16n``.
    The carry guard makes the quire sum limit 2^31: fewer than 2^31 terms of magnitude
    maxpos^2 can never overflow it.
    """
    s = posit_spec(spec)
    return 4 * max_scale(s) + 32


class _Plan:
    """Widths shared by every batch of one format: pieces of the first factor, bins, limbs."""

    def __init__(self, spec: FormatSpec) -> None:
        sig_bits = max(spec.bits - 3 - spec.es, 0) + 1
        self.spec = spec
        self.two_s = 2 * max_scale(spec)
        self.piece = max(1, min(sig_bits, _PIECE_BITS - sig_bits))  # bits per piece of sig_a
        self.n_pieces = -(-sig_bits // self.piece)
        prod_bits = self.piece + sig_bits
        self.k_batch = min(_K_BATCH, 1 << (52 - prod_bits))
        top = 2 * self.two_s + (self.n_pieces - 1) * self.piece  # largest bin (bit offset)
        self.n_bins = (top // 32 + 1) * 32
        # value bits + 31 bits of carry headroom + sign, and a spare limb
        self.n_limbs = max(self.n_bins // 32 + 2, (2 * self.two_s + 33) // 32 + 1) + 2

    def split(self, neg: np.ndarray, sig: np.ndarray, exp2: np.ndarray):
        """First-factor pieces: [(signed float64 piece, bin offset of its last bit)]."""
        out = []
        for p in range(self.n_pieces):
            part = (sig >> _U64(p * self.piece)) & _U64((1 << self.piece) - 1)
            f = part.astype(np.float64)
            out.append((np.where(neg, -f, f), exp2 + self.two_s + p * self.piece))
        return out


def _accumulate(acc: np.ndarray, idx: np.ndarray, w: np.ndarray, plan: _Plan) -> None:
    """acc += the terms ``w`` (exact float64 integers) at flat (output, bit offset) ``idx``.

    The per-bin sums ``v`` (|v| < 2^53) are moved into the limbs as three pieces of
    ``|v| * 2^(offset mod 32)`` below 2^34 each, summed per limb by a second exact bincount.
    """
    n_out, n_limbs = acc.shape
    sums = np.bincount(idx.ravel(), weights=w.ravel(), minlength=n_out * plan.n_bins)
    nz = np.flatnonzero(sums)
    v = sums[nz]
    mag = np.abs(v).astype(np.int64)
    out, t = np.divmod(nz, plan.n_bins)
    base = out * n_limbs + (t >> 5)
    off = t & 31
    lo = (mag & _M32) << off
    hi = (mag >> 32) << off
    pieces = (lo & _M32, (lo >> 32) + (hi & _M32), hi >> 32)
    sign = np.sign(v)
    total = np.bincount(np.concatenate([base, base + 1, base + 2]),
                        weights=np.concatenate([p * sign for p in pieces]),
                        minlength=acc.size)
    acc += total.reshape(acc.shape).astype(np.int64)
    _carry(acc)


def _carry(acc: np.ndarray) -> None:
    """Propagate carries so limbs 0..L-2 lie in [0, 2^32); the top limb keeps the sign."""
    for i in range(acc.shape[1] - 1):
        c = acc[:, i] >> 32
        acc[:, i] &= _M32
        acc[:, i + 1] += c


def _read_quire(acc: np.ndarray, nar: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Round each quire (rows of carried limbs, last bit = minpos^2) once to a posit code."""
    n_out, n_limbs = acc.shape
    neg = acc[:, -1] < 0
    acc = acc.copy()
    acc[neg] = -acc[neg]
    _carry(acc)
    nz = acc != 0
    zero = ~nz.any(axis=1)
    h = n_limbs - 1 - np.argmax(nz[:, ::-1], axis=1)
    r = np.arange(n_out)
    lh = acc[r, h].astype(_U64)
    lh1 = np.where(h >= 1, acc[r, np.maximum(h - 1, 0)], 0).astype(_U64)
    b = np.frexp(lh.astype(np.float64))[1].astype(np.int64)  # bit length of the top limb
    top = (lh << _U64(32)) | lh1  # leading one at bit 31 + b
    frac = (top >> b.astype(_U64)) & _U64((1 << 31) - 1)
    sticky = (top & ((_U64(1) << b.astype(_U64)) - _U64(1))) != 0
    below = np.cumsum(nz, axis=1)
    sticky |= np.where(h >= 2, below[r, np.maximum(h - 2, 0)] > 0, False)
    scale = 32 * h + b - 1 - 2 * max_scale(spec)
    code = round_to_posit(neg, scale, frac, 31, sticky, spec)
    code = np.where(zero, _U64(0), code)
    code = np.where(nar, _U64(1 << (spec.bits - 1)), code)
    return code.astype(posit_code_dtype(spec))


def _dot_rows(a: np.ndarray, b: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Fused dot product of each row pair of 2-D code arrays (n_out, K) -> codes (n_out,)."""
    n_out, k_len = a.shape
    if k_len > _SUM_LIMIT:
        raise ValueError(f"dot product length {k_len} exceeds the quire sum limit {_SUM_LIMIT}")
    plan = _Plan(spec)
    na, sa, ea, _, ra = unpack(a, spec)
    nb, sb, eb, _, rb = unpack(b, spec)
    fb = np.where(nb, -sb.astype(np.float64), sb.astype(np.float64))
    pieces = plan.split(na, sa, ea)
    codes = np.empty(n_out, posit_code_dtype(spec))
    kb = max(1, min(k_len, plan.k_batch))
    rows = max(1, _BATCH // kb)
    for r0 in range(0, n_out, rows):
        r1 = min(n_out, r0 + rows)
        acc = np.zeros((r1 - r0, plan.n_limbs), np.int64)
        base = (np.arange(r1 - r0) * plan.n_bins)[:, None]
        for k0 in range(0, k_len, kb):
            k1 = min(k_len, k0 + kb)
            for fa, sh in pieces:
                idx = base + sh[r0:r1, k0:k1] + eb[r0:r1, k0:k1]
                _accumulate(acc, idx, fa[r0:r1, k0:k1] * fb[r0:r1, k0:k1], plan)
        codes[r0:r1] = _read_quire(acc, (ra[r0:r1] | rb[r0:r1]).any(axis=1), spec)
    return codes


def quire_dot(a_codes: np.ndarray, b_codes: np.ndarray, spec: FormatLike, axis: int = -1,
              c_codes: np.ndarray | None = None) -> np.ndarray:
    """Fused dot product of posit codes along ``axis``, rounded once: ``sum_k a_k*b_k (+ c)``.

    ``a_codes`` and ``b_codes`` broadcast against each other; the result has their
    broadcast shape without ``axis``, as posit codes of ``spec``. Every product is exact,
    the quire sums them (and ``c_codes``, broadcast to the result shape, if given) exactly,
    and the sum is rounded once with the posit rounding (nearest on the bit pattern, ties to
    even, never to 0 or NaR). Any NaR term (or NaR ``c``) gives NaR; an exact zero sum
    (including an empty one) gives code 0. Order of accumulation: irrelevant (exact).
    """
    s = posit_spec(spec)
    a, b = np.broadcast_arrays(np.asarray(a_codes), np.asarray(b_codes))
    if a.ndim == 0:
        raise ValueError("quire_dot needs arrays with at least one axis to reduce")
    a = np.moveaxis(a, axis, -1)
    b = np.moveaxis(b, axis, -1)
    out_shape = a.shape[:-1]
    n_out = int(np.prod(out_shape))
    a2 = a.reshape(n_out, a.shape[-1])
    b2 = b.reshape(n_out, b.shape[-1])
    if c_codes is not None:
        c = np.broadcast_to(np.asarray(c_codes), out_shape).reshape(-1, 1)
        one = posit_encode(np.ones((a2.shape[0], 1)), s)
        a2 = np.concatenate([a2.astype(np.int64), c.astype(np.int64)], axis=1)
        b2 = np.concatenate([b2.astype(np.int64), one.astype(np.int64)], axis=1)
    return _dot_rows(a2, b2, s).reshape(out_shape)


def posit_gemm(A_codes: np.ndarray, B_codes: np.ndarray, spec: FormatLike,
               c_codes: np.ndarray | None = None) -> np.ndarray:
    """C[i, j] = quire_dot(A[i, :], B[:, j], c[i, j]) for posit codes A (M, K), B (K, N).

    Each output is one fused dot product: exact products, exact quire sum (starting from
    ``c_codes``, broadcast to (M, N), if given), one posit rounding; any NaR in row i of A,
    column j of B or in c[i, j] gives NaR. Returns codes (M, N) of ``spec``.
    """
    s = posit_spec(spec)
    A = np.asarray(A_codes)
    B = np.asarray(B_codes)
    if A.ndim != 2 or B.ndim != 2 or A.shape[1] != B.shape[0]:
        raise ValueError(f"posit_gemm needs A (M, K) and B (K, N), got shapes {A.shape} "
                         f"and {B.shape}")
    M, K = A.shape
    N = B.shape[1]
    if K > _SUM_LIMIT:
        raise ValueError(f"dot product length {K} exceeds the quire sum limit {_SUM_LIMIT}")
    plan = _Plan(s)
    na, sa, ea, _, ra = unpack(A, s)
    nb, sb, eb, _, rb = unpack(B, s)
    fb = np.where(nb, -sb.astype(np.float64), sb.astype(np.float64))
    pieces = plan.split(na, sa, ea)
    nar = ra.any(axis=1)[:, None] | rb.any(axis=0)[None, :]
    if c_codes is not None:
        nc, sc, ec, _, rc = unpack(np.broadcast_to(np.asarray(c_codes), (M, N)), s)
        fc = np.where(nc, -sc.astype(np.float64), sc.astype(np.float64))  # < 2^30: exact
        nar = nar | rc
    codes = np.empty((M, N), posit_code_dtype(s))
    kb = max(1, min(K, plan.k_batch, _BATCH // max(N, 1)))
    rows = max(1, _BATCH // (kb * max(N, 1)))
    col_bins = np.arange(N) * plan.n_bins
    for i0 in range(0, M, rows):
        i1 = min(M, i0 + rows)
        acc = np.zeros(((i1 - i0) * N, plan.n_limbs), np.int64)
        row_bins = (np.arange(i1 - i0) * N * plan.n_bins)[:, None]
        if c_codes is not None:
            _accumulate(acc, row_bins + col_bins[None, :] + ec[i0:i1] + plan.two_s,
                        fc[i0:i1], plan)
        for k0 in range(0, K, kb):
            k1 = min(K, k0 + kb)
            bidx = col_bins[None, :] + eb[k0:k1]  # (kc, N)
            for fa, sh in pieces:
                aidx = row_bins + sh[i0:i1, k0:k1]  # (rows, kc)
                idx = aidx[:, :, None] + bidx[None, :, :]
                w = fa[i0:i1, k0:k1, None] * fb[None, k0:k1, :]
                _accumulate(acc, idx, w, plan)
        codes[i0:i1] = _read_quire(acc, nar[i0:i1].ravel(), s).reshape(i1 - i0, N)
    return codes
