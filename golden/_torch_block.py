"""Block quantization (OCP MX, NVFP4) in native torch ops: the torch twin of :mod:`golden.block`.

The functions here work on blocks laid out along the last dimension, ``(..., n_blocks, k)``,
and return integer codes; :mod:`golden.torch` moves the block axis and packs the result
into the NumPy :class:`golden.block.BlockTensor`. The steps are those of ``docs/numerics.md``
("MX block quantization", "NVFP4") and ``docs/numerics.md`` ("Block formats"), each exact
or rounded exactly where the contract rounds, in the same arithmetic as the NumPy golden
(float32 inputs stay float32 where every step is exact or is the contract's fp32 step).
"""

from __future__ import annotations

import torch

from golden._torch_codec import (
    decode_codes,
    encode_codes,
    float_nan_code,
    lut_applies,
    lut_encode,
    pow2,
    round_to_dtype,
    value_lut,
)
from golden.formats import FormatSpec

_I64 = torch.int64
_F64 = torch.float64
_F32 = torch.float32
_EXACT_OUT = (_F32, _F64)  # output dtypes computed directly (one IEEE rounding)


def to_blocks(x: torch.Tensor, axis: int, k: int) -> torch.Tensor:
    """Move ``axis`` last, zero-pad it to a multiple of ``k`` and split it: ``(..., nb, k)``."""
    y = torch.movedim(x, axis, -1)
    n = y.shape[-1]
    pad = -n % k
    if pad:
        y = torch.nn.functional.pad(y, (0, pad))
    return y.reshape(*y.shape[:-1], (n + pad) // k, k)


def from_blocks(y: torch.Tensor, axis: int, n: int | None) -> torch.Tensor:
    """Inverse of :func:`to_blocks`: merge the last two dims, keep ``n`` entries (all if None)."""
    y = y.reshape(*y.shape[:-2], y.shape[-2] * y.shape[-1])
    if n is not None:
        y = y[..., :n]
    return torch.movedim(y, -1, axis)


def _amax(xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(blocks with NaN/Inf zeroed, per-block max |V| of finite blocks, finite-block mask)."""
    # two reductions read the data without writing an |x| temporary; NaN propagates and
    # Inf is kept: both mark the block
    amax = torch.maximum(xb.amax(dim=-1), -xb.amin(dim=-1)) + 0.0  # -0.0 -> +0.0
    ok = torch.isfinite(amax)
    if not bool(ok.all()):
        xb = torch.where(ok.unsqueeze(-1), xb, 0.0)
        amax = torch.where(ok, amax, 0.0)
    return xb, amax, ok


# ----- MX --------------------------------------------------------------------------------

def mx_quantize(xb: torch.Tensor, spec: FormatSpec,
                u: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MX quantization of float32/float64 blocks ``(..., nb, k)`` -> (scale, element codes).

    shared_exp = floor(log2(amax)) - emax(element) (amax 2^-126 for an all-zero block),
    clamped to the scale's exponent range; elements are RNE(V / 2^shared_exp) saturating,
    the division one multiplication by 2^-shared_exp in the input's dtype (exact, except
    that results below float32's normal range may lose bits: those round to an element
    zero either way). A block holding NaN/Inf gets the NaN scale code and all-zero element
    codes. ``u`` (float64 draws of ``xb``'s shape) selects stochastic element rounding.
    """
    scale = spec.scale
    xb, shared, ok = _mx_scale(xb, spec)
    v = xb * pow2(-shared).to(xb.dtype).unsqueeze(-1)
    codes = encode_codes(v, spec.element, saturate=True, u=u, overwrite=True)
    scodes = shared + scale.bias
    if not bool(ok.all()):
        codes = torch.where(ok.unsqueeze(-1), codes, 0)
        scodes = torch.where(ok, scodes, float_nan_code(scale))
    return scodes, codes


def _mx_scale(xb: torch.Tensor, spec: FormatSpec):
    """(blocks with NaN/Inf zeroed, shared exponents X (int64), finite-block mask)."""
    xb, amax, ok = _amax(xb)
    floor_log2 = torch.frexp(amax.to(_F64))[1].to(_I64) - 1
    floor_log2 = torch.where(amax == 0, -126, floor_log2)
    shared = torch.clamp(floor_log2 - spec.element.emax, spec.scale.emin, spec.scale.emax)
    return xb, shared, ok


def mx_fake_quant(xb: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """``mx_dequantize(*mx_quantize(xb))`` in ``xb``'s dtype (float32/float64), fused.

    Float elements: the element's rounding table composed with its values gives the
    quantized element value directly (no codes), then one multiplication by 2^X, the
    rounding :func:`mx_dequantize` does. Other elements take the codes path.
    """
    elem = spec.element
    if elem.kind != "float" or not lut_applies(elem, xb.dtype):
        return mx_dequantize(*mx_quantize(xb, spec), spec, xb.dtype)
    xb, shared, ok = _mx_scale(xb, spec)
    v = xb * pow2(-shared).to(xb.dtype).unsqueeze(-1)
    y = lut_encode(v, value_lut(elem, xb.dtype, True, xb.dtype), overwrite=True)
    y *= pow2(shared).to(xb.dtype).unsqueeze(-1)
    if not bool(ok.all()):
        y = torch.where(ok.unsqueeze(-1), y, torch.nan)
    return y


def mx_dequantize(scodes: torch.Tensor, codes: torch.Tensor, spec: FormatSpec,
                  dtype: torch.dtype) -> torch.Tensor:
    """``RNE_dtype(element * 2^X)`` of MX blocks ``(..., nb, k)`` (NaN scale -> NaN)."""
    work = dtype if dtype in _EXACT_OUT else _F64
    vals = decode_codes(codes, spec.element, work)
    vals *= decode_codes(scodes, spec.scale, work).unsqueeze(-1)  # one rounding
    return vals if work == dtype else round_to_dtype(vals, dtype)


# ----- NVFP4 -----------------------------------------------------------------------------

def nvfp4_tensor_scale(xb32: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """fp32 tensor scale ``fp32(amax_finite / (max_scale * max_elem))``.

    1.0 if amax is 0; a quotient below fp32's range keeps the smallest subnormal 2^-149.
    """
    if xb32.numel() == 0:
        return torch.ones((), dtype=_F32)
    a = xb32.abs()
    amax = torch.where(torch.isfinite(a), a, 0.0).amax()
    denom = torch.tensor(spec.scale.max_finite * spec.element.max_finite, dtype=_F32)
    s_t = torch.clamp(amax / denom, min=2.0**-149)
    return torch.where(amax == 0, torch.ones((), dtype=_F32), s_t)


def nvfp4_quantize(xb32: torch.Tensor, spec: FormatSpec, s_t: torch.Tensor,
                   u: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """NVFP4 quantization of float32 blocks ``(..., nb, k)`` -> (scale codes, element codes).

    In float32 with RNE at every step, in this order:
    ``s_b = RNE_e4m3_sat(fp32(fp32(amax_block / 6) / s_t))``,
    ``P_i = RNE_sat_fp4(fp32(V_i / fp32(s_b * s_t)))``; a zero ``s_b * s_t`` gives zero codes
    with the sign of ``V_i``; a block with NaN/Inf gets the NaN scale and zero codes.
    ``u`` (float64 draws of ``xb32``'s shape) selects stochastic element rounding.
    """
    elem, scale = spec.element, spec.scale
    xb32, amax, ok = _amax(xb32)
    t = (amax / torch.tensor(elem.max_finite, dtype=_F32)) / s_t
    scodes = encode_codes(t, scale, saturate=True, u=None)
    denom = decode_codes(scodes, scale, _F32) * s_t
    denom = torch.where(denom == 0, torch.inf, denom)  # V / Inf: a zero with V's sign
    codes = encode_codes(xb32 / denom.unsqueeze(-1), elem, saturate=True, u=u, overwrite=True)
    if not bool(ok.all()):
        codes = torch.where(ok.unsqueeze(-1), codes, 0)
        scodes = torch.where(ok, scodes, float_nan_code(scale))
    return scodes, codes


def nvfp4_dequantize(scodes: torch.Tensor, codes: torch.Tensor, s_t: torch.Tensor,
                     spec: FormatSpec, dtype: torch.dtype) -> torch.Tensor:
    """``RNE_dtype(element * s_b * s_t)`` of NVFP4 blocks (``element * s_b`` is exact)."""
    work = dtype if dtype in _EXACT_OUT else _F64
    vals = decode_codes(codes, spec.element, work)
    vals *= decode_codes(scodes, spec.scale, work).unsqueeze(-1)
    vals *= s_t.to(work)  # the one rounding
    return vals if work == dtype else round_to_dtype(vals, dtype)
