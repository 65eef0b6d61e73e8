"""Data-like stimuli: real-valued tensors of a named distribution, quantized by golden.

The verification vectors (:mod:`verif.vectors`) are chosen to break the arithmetic:
every code pair, corners, ties. Switching activity, and so energy, depends on the data,
so energy runs feed a unit with tensors that look like a network's instead. Each stimulus
is a distribution of real values, quantized to the unit's format by golden:

``gaussian``  N(0, 1)
``laplace``   Laplace with unit variance (scale 1/sqrt(2)): heavier tails, more small values
``uniform``   U(-1, 1)
``sparse``    ``gaussian`` with each value zero with probability 1/2
``zero``      all zeros (the floor: clock, leakage and the toggles of control logic)

Quantization (the scaling a quantized network would use):

- int formats: one symmetric per-tensor scale, the one of least squared error: the
  clipping threshold (mapped onto the format's largest value) is searched over 64 steps
  from 1/64 of the tensor's largest magnitude to all of it, then :func:`golden.encode`
  (RNE, saturating). For int8 that is close to the largest magnitude; for 2-bit formats
  it keeps the values a ternary or 2-bit network would have (largest-magnitude scaling
  would round nearly every value of a Gaussian tensor to 0);
- float formats: unscaled (a float's relative precision does not depend on scale), unless
  the tensor's largest magnitude exceeds the format's largest finite value: then scaled
  down onto it (fp4_e2m1, whose largest value is 6). Scaling every tensor onto the largest
  value would make most products of an fp16 or fp32 multiplier overflow;
- posits: unscaled, as posit arithmetic is used (its precision is tapered around 1);
- bin1: the sign (zero -> -1, code 0, as ``golden.encode`` does);
- block formats (MX, NVFP4): :func:`golden.quantize` along each block, which computes the
  shared scales (and NVFP4's per-tensor fp32 scale) as the formats' contracts say.
"""

from __future__ import annotations

import numpy as np

from golden.codec import encode
from golden.formats import FormatSpec

__all__ = ["STIMULI", "block_codes", "check_stimulus", "element_codes", "values"]

STIMULI = ("gaussian", "laplace", "uniform", "sparse", "zero")
"""Names of the stimuli, in the order tables list them."""


def check_stimulus(stimulus: str) -> str:
    """``stimulus`` if it names a stimulus, else a one-line ``ValueError`` listing them."""
    if stimulus not in STIMULI:
        raise ValueError(f"unknown stimulus {stimulus!r}; stimuli: {', '.join(STIMULI)}")
    return stimulus


def values(stimulus: str, shape: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """float64 samples of ``stimulus`` (see the module docstring), seeded by ``rng``."""
    check_stimulus(stimulus)
    if stimulus == "zero":
        return np.zeros(shape)
    if stimulus == "uniform":
        return rng.uniform(-1.0, 1.0, shape)
    if stimulus == "laplace":
        return rng.laplace(0.0, 1 / np.sqrt(2.0), shape)
    x = rng.standard_normal(shape)
    if stimulus == "sparse":
        x = np.where(rng.random(shape) < 0.5, 0.0, x)
    return x


def element_codes(spec: FormatSpec, n: int, stimulus: str, rng: np.random.Generator
                  ) -> np.ndarray:
    """``n`` codes of element format ``spec``: ``stimulus`` values quantized by golden."""
    x = values(stimulus, n, rng)
    amax = float(np.max(np.abs(x))) if n else 0.0
    if amax > 0 and spec.kind == "int":
        x = x * (spec.max_finite / _mse_clip(x, amax, spec))
    elif amax > 0 and spec.kind == "float" and amax > spec.max_finite:
        x = x * (spec.max_finite / amax)
    return np.asarray(encode(x, spec)).astype(np.uint64)


def _mse_clip(x: np.ndarray, amax: float, spec: FormatSpec) -> float:
    """The clipping threshold in (0, amax] whose per-tensor scale quantizes ``x`` to int
    format ``spec`` with the least squared error (the first of equal ones)."""
    from golden.codec import decode

    best, best_err = amax, np.inf
    for c in amax * np.arange(1, 65) / 64:
        s = spec.max_finite / c
        err = float(np.sum((decode(encode(x * s, spec), spec) / s - x) ** 2))
        if err < best_err:
            best, best_err = c, err
    return float(best)


def block_codes(spec: FormatSpec, n: int, lanes: int, stimulus: str, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray, int]:
    """``n`` blocks of ``lanes`` elements of block format ``spec`` from one ``stimulus``
    tensor: (element codes ``(n, lanes)``, scale codes ``(n,)``, the fp32 bits of the
    per-tensor scale (``0x3F800000``, 1.0, for formats without one)).

    A block of fewer lanes than ``spec.block_size`` is the start of a zero-padded full block.
    """
    from golden.block import quantize

    x = np.zeros((n, spec.block_size))
    x[:, :lanes] = values(stimulus, (n, lanes), rng)
    q = quantize(x, spec, axis=-1)
    codes = np.asarray(q.elements, dtype=np.uint32).reshape(n, spec.block_size)[:, :lanes]
    scales = np.asarray(q.scales, dtype=np.uint32).reshape(n)
    ts = q.tensor_scale
    t_bits = 0x3F800000 if ts is None else int(np.float32(ts).view(np.uint32))
    return codes, scales, t_bits
