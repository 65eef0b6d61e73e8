"""The torch twin of the golden API: the same codes and values as the NumPy golden, bit for bit.

``golden.torch`` mirrors :mod:`golden` on ``torch.Tensor`` s (inside this module ``torch`` is
the real PyTorch: imports are absolute). A format is a name or a
:class:`~golden.formats.FormatSpec`; semantics, rounding and errors are those of the NumPy
functions (``docs/numerics.md``), and ``tests/test_golden_torch.py`` checks every function
against them bit for bit.

Where each function computes:

- Native torch (torch ops on the input tensors, on their device, with torch's threads;
  NumPy inputs are converted to tensors first): :func:`encode`, :func:`decode` (rounding
  tables indexed by the input's top bits, exact float64 and integer bit arithmetic
  elsewhere) and :func:`fake_quant` (forward and its straight-through backward), so they
  can sit inside real networks. (Stochastic rounding with ``rng=`` takes its uniform draws
  from that NumPy Generator; the rounding itself is torch.)
- Native torch computation, NumPy container: :func:`quantize` computes the scale and
  element codes in torch and returns them in the NumPy :class:`golden.block.BlockTensor`
  (so the result also feeds :mod:`golden.dot`); :func:`dequantize` takes that BlockTensor,
  wraps its NumPy arrays as tensors and computes the values in torch.
- Through NumPy: :func:`block_dot` and :func:`gemm` convert their operands to NumPy
  (``detach().cpu()``, bfloat16 widened exactly to float32) and call
  :func:`golden.dot.block_dot` / :func:`golden.dot.gemm`; for :func:`gemm` the quantization
  of real-valued operands also happens there (NumPy :func:`golden.encode` /
  :func:`golden.quantize`). The result is a CPU tensor made from the NumPy array, without
  autograd. They are bit-identical to the NumPy golden by construction.

Code dtypes (torch has few unsigned dtypes): ``torch.uint8`` for formats of <= 8 bits,
``torch.int32`` holding the unsigned code for 9..16 bits, ``torch.int64`` holding the unsigned
code for 17..32 bits; the numeric value of a code equals the NumPy ``uint8/16/32`` code.
Decoded values are ``float32`` or ``float64`` as ``spec.value_dtype`` says.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from golden import _torch_block as _tb
from golden import _torch_codec as _tc
from golden.formats import FormatLike, FormatSpec, get_format

__all__ = [
    "block_dot",
    "code_dtype",
    "decode",
    "dequantize",
    "encode",
    "fake_quant",
    "gemm",
    "quantize",
]

Rounding = Literal["rne", "stochastic"]
code_dtype = _tc.code_dtype


def _element_spec(fmt: FormatLike, what: str) -> FormatSpec:
    spec = get_format(fmt)
    if spec.kind == "block":
        raise ValueError(f"{what} takes element formats; {spec.name} is a block format: "
                         "use golden.torch.quantize / golden.torch.dequantize")
    return spec


def _check_nan(x: torch.Tensor, spec: FormatSpec) -> None:
    if not spec.has_nan:
        isnan = torch.isnan(x)
        if bool(isnan.any()):
            raise ValueError(f"NaN where forbidden: format {spec.name} has no NaN code "
                             f"(first NaN at flat index {int(isnan.flatten().nonzero()[0])})")


def _check_rounding(rounding: object) -> None:
    if rounding not in ("rne", "stochastic"):
        raise ValueError(f"rounding must be 'rne' or 'stochastic', not {rounding!r}")


def _draws(shape: tuple[int, ...], device: torch.device, rng: object,
           generator: object) -> torch.Tensor:
    """One uniform [0, 1) float64 draw per element in C order, from ``rng`` or ``generator``."""
    if rng is not None and generator is not None:
        raise ValueError("stochastic rounding takes rng= or generator=, not both")
    if isinstance(rng, np.random.Generator):
        return torch.from_numpy(rng.random(shape)).to(device)
    if isinstance(generator, torch.Generator):
        return torch.rand(shape, dtype=torch.float64, generator=generator, device=device)
    bad = rng if rng is not None else generator
    raise ValueError("stochastic rounding needs rng=np.random.Generator (the NumPy draws) or "
                     f"generator=torch.Generator, not {type(bad).__name__}")


def encode(t: object, fmt: FormatLike, rounding: Rounding = "rne", saturate: bool = True, *,
           rng: np.random.Generator | None = None,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Encode real values into codes of an element format (torch twin of ``golden.encode``).

    Args:
        t: tensor (float16/bfloat16/float32/float64, integer, bool; a NumPy array or number
            is converted). Values are taken exactly (float32 or float64; int64 beyond 2^53
            rounded to odd at 53 bits first, which keeps every rounding to <= 51 bits exact).
        fmt: element format name or :class:`FormatSpec` (not a block format).
        rounding: ``"rne"`` (round to nearest, ties to even, once from the exact value) or
            ``"stochastic"``: with ``q`` the quantum at ``|x|`` and ``r = |x| / q``, the
            magnitude rounds up iff ``u < r - floor(r)`` (bin1: ``+1`` iff ``2u - 1 < x``).
            ``u`` is one float64 draw per element in C order: ``u = rng.random(t.shape)``
            from the NumPy ``rng``, exactly as ``golden.encode`` draws it, so the same seed
            gives the same codes; or ``torch.rand`` from ``generator`` (reproducible, but
            not the NumPy draws). Posits take RNE only.
        saturate: ``True`` clips to the format's range first (Inf -> +-max finite);
            ``False`` overflows as the ``ml_dtypes`` casts (fp8_e4m3 -> NaN, IEEE-like ->
            Inf, fp4/fp6 -> +-max; e8m0: zero/negative -> NaN; integers raise).

    Returns:
        Codes, same shape, in :func:`code_dtype` (uint8 / int32 / int64 by width), on the
        input's device. NaN gives the canonical quiet NaN code with the input's sign.

    Raises:
        ValueError: NaN for a format without NaN, integer overflow with ``saturate=False``,
            a bad ``rounding``/``rng``, a block format. TypeError: non-real input.
    """
    spec = _element_spec(fmt, "encode")
    _check_rounding(rounding)
    if rounding == "stochastic" and spec.kind == "posit":
        raise ValueError(f"stochastic rounding is not offered for posits ({spec.name})")
    if not isinstance(saturate, bool | np.bool_):
        raise TypeError(f"saturate must be a bool, not {saturate!r}")
    x = _tc.work_float(_tc.as_tensor(t, "encode input"))
    _check_nan(x, spec)
    u = None
    if rounding == "stochastic":
        u = _draws(tuple(x.shape), x.device, rng, generator)
        if spec.kind == "bin1":
            return (2.0 * u - 1.0 < x).to(_tc.code_dtype(spec))
    return _tc.encode_codes(x, spec, bool(saturate), u).to(_tc.code_dtype(spec))


def decode(codes: object, fmt: FormatLike) -> torch.Tensor:
    """Exact values of codes of an element format (torch twin of ``golden.decode``).

    ``codes``: integer tensor (any integer dtype; NumPy arrays are converted) with values in
    ``0 .. 2^bits - 1`` that are codes of the format (ternary ``0b10`` and mxint8's -128 are
    not). Returns ``spec.value_dtype`` values (float32, float64 for wide posits), same shape
    and device; -0, +-Inf and NaN codes give -0.0, +-Inf and NaN (the canonical quiet NaN;
    fp32 codes are the float32 bits themselves, payloads kept, as in NumPy). Formats up to
    16 bits decode by a table lookup.
    """
    spec = _element_spec(fmt, "decode")
    c = _tc.check_codes(codes, spec)
    return _tc.decode_codes(c, spec, _tc.value_dtype(spec))


# ----- block formats -----------------------------------------------------------------------

def _block_spec(fmt: FormatLike) -> FormatSpec:
    spec = get_format(fmt)
    if spec.kind != "block":
        raise ValueError(f"quantize takes block formats (e.g. mxfp4, nvfp4), not {spec.name}; "
                         "use golden.torch.encode for element formats")
    return spec


def _axis(axis: object, ndim: int) -> int:
    if not isinstance(axis, int | np.integer) or isinstance(axis, bool) or ndim == 0 or \
            not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis!r} is out of range for a tensor of {ndim} dimensions")
    return int(axis) % ndim


def quantize_codes(t: torch.Tensor, spec: FormatSpec, axis: int, rounding: Rounding = "rne",
                   rng: np.random.Generator | None = None,
                   generator: torch.Generator | None = None):
    """Torch-native block quantization: (scale codes, element codes, tensor scale or None).

    The codes are integer tensors in the layout of :class:`golden.block.BlockTensor`
    (elements: the input shape with ``axis`` zero-padded to a multiple of the block size;
    scales: that axis holding the block index); the tensor scale is a 0-d float32 tensor.
    """
    k = spec.block_size
    if spec.tensor_scale:  # NVFP4 is defined in float32: the input is converted first
        xb = _tb.to_blocks(t.to(torch.float32), axis, k)
    else:  # MX takes the values exactly
        xb = _tb.to_blocks(_tc.work_float(t), axis, k)
    u = None
    if rounding == "stochastic":
        u = _draws(tuple(xb.shape), xb.device, rng, generator)
    if spec.tensor_scale:
        s_t = _tb.nvfp4_tensor_scale(xb, spec)
        sc, ec = _tb.nvfp4_quantize(xb, spec, s_t, u)
    else:
        s_t = None
        sc, ec = _tb.mx_quantize(xb, spec, u)
    return torch.movedim(sc, -1, axis), _tb.from_blocks(ec, axis, None), s_t


def quantize(t: object, fmt: FormatLike, axis: int = -1, *, rounding: Rounding = "rne",
             rng: np.random.Generator | None = None,
             generator: torch.Generator | None = None):
    """Block-quantize a tensor along ``axis`` (torch twin of ``golden.quantize``).

    MX: shared exponent ``floor(log2(amax)) - emax`` per block of 32, elements
    ``RNE(V / 2^X)`` saturating (the scaling in float32 for float32/float16/bfloat16 inputs,
    float64 otherwise, as the NumPy golden does: exact wherever the result can round to a
    nonzero element); NVFP4: the input converted to
    float32, then the fp32 steps of ``docs/numerics.md``. A length that is not a multiple of
    the block is zero-padded. ``rounding="stochastic"`` rounds the elements as
    :func:`encode` does, one draw per element of the padded blocks in C order with ``axis``
    moved last: ``rng`` (NumPy Generator) gives the same draws, so the same codes, as
    ``golden.quantize``; ``generator`` (torch.Generator) draws with ``torch.rand``.
    Computed natively in torch; the result is the NumPy :class:`golden.block.BlockTensor`
    (NumPy arrays inside, identical to ``golden.quantize``), so it feeds ``golden.dot`` too.
    """
    from golden.block import BlockTensor

    spec = _block_spec(fmt)
    _check_rounding(rounding)
    x = _tc.as_tensor(t, "quantize input")
    if x.ndim == 0:
        raise ValueError("quantize needs an array of at least 1 dimension, not a scalar")
    ax = _axis(axis, x.ndim)
    sc, ec, s_t = quantize_codes(x, spec, ax, rounding, rng, generator)
    ts = None if s_t is None else np.float32(s_t.item())
    return BlockTensor(spec, sc.to(torch.uint8).numpy(), ec.to(torch.uint8).numpy(),
                       tuple(x.shape), ax, ts)


def dequantize_codes(sc: torch.Tensor, ec: torch.Tensor, s_t: torch.Tensor | None,
                     spec: FormatSpec, shape: tuple[int, ...], axis: int,
                     dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Torch-native dequantization of the codes :func:`quantize_codes` returns."""
    k = spec.block_size
    sb = torch.movedim(sc.to(torch.int32), axis, -1)  # index_select takes int32/int64
    eb = _tb.to_blocks(ec.to(torch.int32), axis, k)
    if spec.tensor_scale:
        vals = _tb.nvfp4_dequantize(sb, eb, s_t, spec, dtype)
    else:
        vals = _tb.mx_dequantize(sb, eb, spec, dtype)
    return _tb.from_blocks(vals, axis, shape[axis])


def dequantize(bt: object, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Values of a :class:`golden.block.BlockTensor` as a torch tensor of ``dtype``.

    ``RNE_dtype(element * scale)`` computed exactly (MX: ``element * 2^X``; NVFP4:
    ``element * s_b * s_t``), one rounding; a NaN scale gives NaN for its block. The
    original shape (padding dropped). ``dtype``: float32 (default), float64 (exact),
    float16, bfloat16 (each rounded directly from the exact value).
    """
    from golden.block import BlockTensor

    if not isinstance(bt, BlockTensor):
        raise TypeError(f"dequantize takes a BlockTensor, not {type(bt).__name__}")
    if dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        raise ValueError(f"dtype must be torch.float16/bfloat16/float32/float64, not {dtype}")
    s_t = None if bt.tensor_scale is None else torch.tensor(float(bt.tensor_scale),
                                                            dtype=torch.float32)
    return dequantize_codes(_from_numpy(bt.scales),
                            _from_numpy(bt.elements),
                            s_t, bt.fmt, tuple(bt.shape), bt.axis, dtype)


# ----- dot products (delegated to NumPy golden) --------------------------------------------

def _from_numpy(a: object) -> torch.Tensor:
    """A NumPy array (0-d included) as a torch tensor of the same shape and dtype."""
    a = np.asarray(a)
    return torch.from_numpy(a if a.flags.c_contiguous else a.copy())


def _to_numpy(x: object) -> object:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bfloat16:
            x = x.to(torch.float32)  # exact
        return x.numpy()
    return x


def block_dot(a: object, b: object, c: object = None) -> torch.Tensor:
    """``golden.block_dot`` on BlockTensors (from :func:`quantize`), result as a torch tensor.

    Converts to NumPy and calls :func:`golden.dot.block_dot` (bit-identical by construction):
    per block ``D = RNE_fp32(scales * exact sum of products)``, fp32 accumulation over blocks
    in increasing k from +0.0 or ``c``. Returns float32.
    """
    from golden.dot import block_dot as _np_block_dot

    return _from_numpy(_np_block_dot(a, b, _to_numpy(c)))


def gemm(A: object, B: object, fmt: FormatLike, fmt_b: FormatLike | None = None,
         c: object = None) -> torch.Tensor:
    """``golden.gemm`` on torch tensors: ``A (M, K) @ B (K, N) (+ c)`` as the hardware does.

    Tensors are converted to NumPy (bfloat16 widened exactly to float32) and
    :func:`golden.dot.gemm` computes the result (bit-identical by construction: RNE
    quantization, exact products, fp32 accumulation in increasing k, int32 for integer
    pairs, quire for posits). QTensor / BlockTensor operands pass through unchanged.
    Returns a torch tensor of the NumPy result's dtype.
    """
    from golden.dot import gemm as _np_gemm

    out = _np_gemm(_to_numpy(A), _to_numpy(B), fmt, fmt_b, _to_numpy(c))
    return _from_numpy(out)


# ----- fake quantization --------------------------------------------------------------------

def _fake_quant_forward(t: torch.Tensor, spec: FormatSpec, axis: int) -> torch.Tensor:
    """The forward pass of :func:`fake_quant` (no autograd)."""
    if spec.kind == "block":
        ax = _axis(axis, t.ndim)
        if not spec.tensor_scale and t.dtype in (torch.float32, torch.float64):
            y = _tb.mx_fake_quant(_tb.to_blocks(t, ax, spec.block_size), spec)
            return _tb.from_blocks(y, ax, t.shape[ax])
        sc, ec, s_t = quantize_codes(t, spec, ax)
        return dequantize_codes(sc, ec, s_t, spec, tuple(t.shape), ax, t.dtype)
    codes = _tc.encode_codes(_tc.work_float(t), spec, True, None)
    if t.dtype in (torch.float32, torch.float64) and spec.bits <= 16:
        return _tc.decode_codes(codes, spec, t.dtype)  # exact: these values fit float32
    return _tc.round_to_dtype(_tc.decode_codes(codes, spec), t.dtype)


class _FakeQuant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, t: torch.Tensor, spec: FormatSpec, axis: int) -> torch.Tensor:
        return _fake_quant_forward(t, spec, axis)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return grad, None, None


def fake_quant(t: torch.Tensor, fmt: FormatLike, axis: int = -1) -> torch.Tensor:
    """Quantize-dequantize ``t`` (forward) with a straight-through gradient (backward).

    Forward: element formats ``decode(encode(t, fmt))`` (RNE, saturating); block formats
    ``dequantize(quantize(t, fmt, axis))``. The exact value is rounded once to ``t.dtype``
    (float32 and float64 hold every value exactly, except posits wider than fp32 in
    float32; bfloat16/float16 get an RNE rounding of the quantized value). A NaN for a
    format without NaN raises ``ValueError`` as :func:`encode` does.

    Backward: the straight-through estimator, identity: the incoming gradient passes
    unchanged everywhere, also where ``t`` was clipped to the format's range (no mask).

    ``t``: floating tensor (float32, float64, bfloat16, float16); returns ``t.dtype``.
    """
    if not isinstance(t, torch.Tensor) or not t.dtype.is_floating_point:
        got = t.dtype if isinstance(t, torch.Tensor) else type(t).__name__
        raise TypeError(f"fake_quant takes a floating torch.Tensor, not {got}")
    spec = get_format(fmt)
    if spec.kind != "block":
        _check_nan(t, spec)
    return _FakeQuant.apply(t, spec, axis)
