"""Vector generators for the testbenches, all derived from :class:`~golden.FormatSpec` fields.

Every generator returns unsigned code arrays (the raw bit patterns a port receives):

- :func:`valid_codes` - every code of an element format (ternary's unused code ``10`` and
  mxint8's never-produced ``-128`` excluded: they have no value).
- :func:`corner_codes` - directed corners: signed zeros, smallest/largest subnormal,
  smallest normal, one, largest finite, NaN and Inf where the format has them, integer
  extremes.
- :func:`exhaustive_pairs` - every (a, b) code pair when the space is <= 2^20.
- :func:`random_codes` - seeded uniform draws from :func:`valid_codes`.
- :func:`corner_blocks` - directed dot-product blocks: max-finite saturation, exact
  cancellation, subnormal-only blocks, fp32 overflow/underflow through the scales, NaN
  scales.
- :func:`random_blocks` - seeded blocks of raw random codes and of float data quantized by
  :func:`golden.quantize`.

Random numbers come only from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import numpy as np

from golden.formats import FormatSpec

__all__ = [
    "EXHAUSTIVE_LIMIT",
    "corner_blocks",
    "corner_codes",
    "exhaustive_pairs",
    "random_blocks",
    "random_codes",
    "scale_codes",
    "valid_codes",
]

EXHAUSTIVE_LIMIT = 1 << 20
"""Input spaces up to this size are enumerated exhaustively."""


def _float_code(spec: FormatSpec, sign: int, exp_field: int, man_field: int) -> int:
    sign_bit = (sign << (spec.bits - 1)) if spec.signed else 0
    return sign_bit | (exp_field << spec.man_bits) | man_field


def _int_code(spec: FormatSpec, value: int) -> int:
    return value & ((1 << spec.bits) - 1)


def valid_codes(spec: FormatSpec) -> np.ndarray:
    """Every code of element format ``spec`` that has a value (NaN/Inf codes included)."""
    codes = np.arange(spec.n_codes, dtype=np.int64)
    if spec.kind == "int":
        half = 1 << (spec.bits - 1)
        signed = np.where(codes >= half, codes - (1 << spec.bits), codes)
        codes = codes[(signed >= spec.int_min) & (signed <= spec.int_max)]
    elif spec.kind not in ("float", "bin1"):
        raise ValueError(f"valid_codes needs an element float/int/bin1 format, not {spec.name!r}")
    return codes.astype(np.uint32)


def corner_codes(spec: FormatSpec) -> np.ndarray:
    """Directed corner codes of an element format (sorted, unique)."""
    out: set[int] = set()
    if spec.kind == "float":
        top = (1 << spec.exp_bits) - 1
        full_man = (1 << spec.man_bits) - 1
        for s in (0, 1) if spec.signed else (0,):
            out.add(_float_code(spec, s, 0, 0))                              # zero
            out.add(_float_code(spec, s, spec.max_exp_field, spec.max_man_field))  # max finite
            out.add(_float_code(spec, s, spec.bias, 0))                      # one
            if spec.subnormals and spec.man_bits:
                out.add(_float_code(spec, s, 0, 1))                          # min subnormal
                out.add(_float_code(spec, s, 0, full_man))                   # max subnormal
                out.add(_float_code(spec, s, 1, 0))                          # min normal
            if spec.inf:
                out.add(_float_code(spec, s, top, 0))
            if spec.nan == "ieee":
                out.add(_float_code(spec, s, top, 1 << max(spec.man_bits - 1, 0)))
            elif spec.nan == "allones":
                out.add(_float_code(spec, s, top, full_man))
    elif spec.kind == "int":
        for v in {spec.int_min, spec.int_max, 0, 1, -1, spec.int_min + 1, spec.int_max - 1}:
            if spec.int_min <= v <= spec.int_max:
                out.add(_int_code(spec, v))
    elif spec.kind == "bin1":
        out.update((0, 1))
    else:
        raise ValueError(f"corner_codes needs an element format, not {spec.name!r}")
    return np.array(sorted(out), dtype=np.uint32)


def exhaustive_pairs(spec_a: FormatSpec, spec_b: FormatSpec) -> tuple[np.ndarray, np.ndarray]:
    """All (a, b) pairs of valid codes, a-major; ValueError when there are more than 2^20."""
    ca, cb = valid_codes(spec_a), valid_codes(spec_b)
    if len(ca) * len(cb) > EXHAUSTIVE_LIMIT:
        raise ValueError(f"{spec_a.name} x {spec_b.name} has {len(ca) * len(cb)} pairs, "
                         f"more than the exhaustive limit {EXHAUSTIVE_LIMIT}")
    return np.repeat(ca, len(cb)), np.tile(cb, len(ca))


def random_codes(spec: FormatSpec, shape: int | tuple[int, ...],
                 rng: np.random.Generator) -> np.ndarray:
    """Uniform random valid codes of ``spec`` with the given shape."""
    codes = valid_codes(spec)
    return codes[rng.integers(0, len(codes), size=shape)]


def scale_codes(scale: FormatSpec, n: int, rng: np.random.Generator,
                spread: int = 8) -> np.ndarray:
    """Random finite scale codes: 90% near 1.0 (exponent field ``bias +- spread``), 10% anywhere."""
    lo = max(scale.bias - spread, 0)
    hi = min(scale.bias + spread, scale.max_exp_field)
    exp_field = rng.integers(lo, hi + 1, size=n)
    wide = rng.random(n) < 0.1
    exp_field[wide] = rng.integers(0, scale.max_exp_field + 1, size=int(wide.sum()))
    man = rng.integers(0, (1 << scale.man_bits), size=n) if scale.man_bits else 0
    codes = (exp_field << scale.man_bits) | man
    top = (scale.max_exp_field << scale.man_bits) | scale.max_man_field
    codes = np.minimum(codes, top)  # never the NaN code
    return codes.astype(np.uint32)


def _nan_scale_code(scale: FormatSpec) -> int:
    top = (1 << scale.exp_bits) - 1
    return (top << scale.man_bits) | ((1 << scale.man_bits) - 1)


def _max_scale_code(scale: FormatSpec) -> int:
    return (scale.max_exp_field << scale.man_bits) | scale.max_man_field


def corner_blocks(block: FormatSpec, lanes: int) -> tuple[np.ndarray, ...]:
    """Directed blocks for a block-dot unit: (a codes, b codes, scale a, scale b).

    Element codes have shape ``(n, lanes)``, scale codes ``(n,)``. Covers: all zeros (both
    zero signs), max finite x max finite at the largest scales (fp32 overflow to Inf) and
    at unit scales (saturating the adder tree), exact cancellation (x and -x lanes), only
    subnormals at the smallest scales (fp32 underflow/subnormal results), a NaN scale on
    either side, and each single corner code against one.
    """
    el, sc = block.element, block.scale
    corners = corner_codes(el)
    finite = [c for c in corners if not _is_special(el, int(c))]
    if el.kind == "float":
        one = _float_code(el, 0, el.bias, 0)
    else:  # the code of 1.0 (mxint8 elements: 64 = 1.0 * 2^6), or the largest code below it
        one = _int_code(el, min(el.int_max, 1 << max(-el.scale_exp, 0)))
    unit = _float_code(sc, 0, sc.bias, 0)
    big = _max_scale_code(sc)
    small = 1 if sc.subnormals and sc.man_bits else 0  # smallest positive scale code
    nan = _nan_scale_code(sc) if sc.has_nan else unit
    maxf = max(finite, key=lambda c: _magnitude_rank(el, int(c)))
    neg = _negate(el, maxf)
    rows: list[tuple[list[int], list[int], int, int]] = []
    zero = 0
    negzero = (1 << (el.bits - 1)) if el.kind == "float" and el.signed else 0
    rows.append(([zero] * lanes, [negzero] * lanes, unit, unit))
    rows.append(([maxf] * lanes, [maxf] * lanes, big, big))
    rows.append(([maxf] * lanes, [neg] * lanes, big, big))
    rows.append(([maxf] * lanes, [maxf] * lanes, unit, unit))
    half = lanes // 2
    rows.append(([maxf] * half + [neg] * (lanes - half), [maxf] * lanes, unit, unit))
    if el.kind == "float" and el.subnormals and el.man_bits:
        sub = _float_code(el, 0, 0, 1)
        rows.append(([sub] * lanes, [sub] * lanes, small, small))
        rows.append(([sub] + [zero] * (lanes - 1), [sub] + [zero] * (lanes - 1), small, small))
    rows.append(([maxf] * lanes, [maxf] * lanes, small, small))
    rows.append(([maxf] * lanes, [maxf] * lanes, 0, big))  # code 0: 2^-127 (e8m0) or zero
    tiny = _float_code(sc, 0, max(sc.bias - 70, 0), 0)  # MX: D lands in fp32 subnormals
    rows.append(([maxf] * lanes, [maxf] * lanes, tiny, tiny))
    rows.append(([one] + [zero] * (lanes - 1), [one] * lanes, tiny, tiny))
    # a negative sum far below fp32's smallest subnormal rounds to -0 (IEEE sign rule)
    rows.append(([_negate(el, one)] + [zero] * (lanes - 1), [one] * lanes, small, small))
    rows.append(([one] * lanes, [one] * lanes, nan, unit))
    rows.append(([one] * lanes, [one] * lanes, unit, nan))
    for c in corners:
        rows.append(([int(c)] + [zero] * (lanes - 1), [one] * lanes, unit, unit))
    a = np.array([r[0] for r in rows], dtype=np.uint32)
    b = np.array([r[1] for r in rows], dtype=np.uint32)
    sa = np.array([r[2] for r in rows], dtype=np.uint32)
    sb = np.array([r[3] for r in rows], dtype=np.uint32)
    return a, b, sa, sb


def _is_special(spec: FormatSpec, code: int) -> bool:
    if spec.kind != "float":
        return False
    top = (1 << spec.exp_bits) - 1
    e = (code >> spec.man_bits) & top
    m = code & ((1 << spec.man_bits) - 1)
    if spec.nan == "ieee" or spec.inf:
        return e == top
    if spec.nan == "allones":
        return e == top and m == (1 << spec.man_bits) - 1
    return False


def _magnitude_rank(spec: FormatSpec, code: int) -> int:
    if spec.kind == "float":
        return code & ((1 << (spec.bits - 1)) - 1) if spec.signed else code
    v = code - (1 << spec.bits) if code >> (spec.bits - 1) else code
    return abs(v)


def _negate(spec: FormatSpec, code: int) -> int:
    code = int(code)
    if spec.kind == "float":
        return code ^ (1 << (spec.bits - 1)) if spec.signed else code
    v = code - (1 << spec.bits) if code >> (spec.bits - 1) else code
    return _int_code(spec, max(-v, spec.int_min))


def random_blocks(block: FormatSpec, n: int, lanes: int, rng: np.random.Generator,
                  quantized_fraction: float = 0.5) -> tuple[np.ndarray, ...]:
    """``n`` seeded random blocks: (a codes, b codes, scale a, scale b).

    The first ``quantized_fraction`` of the rows are float data (normal, heavy-tailed and
    sparse mixtures) quantized by :func:`golden.quantize` with a block of ``lanes``
    elements; the rest are raw random finite element codes (an Inf/NaN element, where the
    format has them, in ~2% of those blocks) with random scales near 1.0.
    """
    from golden.block import quantize

    nq = int(n * quantized_fraction)
    nr = n - nq
    a = np.empty((n, lanes), dtype=np.uint32)
    b = np.empty((n, lanes), dtype=np.uint32)
    sa = np.empty(n, dtype=np.uint32)
    sb = np.empty(n, dtype=np.uint32)
    if nq:
        for codes, scales in ((a, sa), (b, sb)):
            x = rng.standard_normal((nq, lanes)) * np.exp2(rng.integers(-8, 9, size=(nq, 1)))
            x = np.where(rng.random((nq, lanes)) < 0.1, x * 50.0, x)
            x = np.where(rng.random((nq, lanes)) < 0.1, 0.0, x).astype(np.float32)
            qe, qs = _quantize_rows(quantize, x, block, lanes)
            codes[:nq], scales[:nq] = qe, qs
    if nr:
        el = block.element
        finite = np.array([c for c in valid_codes(el) if not _is_special(el, int(c))],
                          dtype=np.uint32)
        special = np.setdiff1d(valid_codes(el), finite)
        for codes in (a, b):
            codes[nq:] = finite[rng.integers(0, len(finite), size=(nr, lanes))]
            if len(special):  # an Inf/NaN element in ~2% of the raw blocks
                rows = np.flatnonzero(rng.random(nr) < 0.02) + nq
                cols = rng.integers(0, lanes, size=len(rows))
                codes[rows, cols] = special[rng.integers(0, len(special), size=len(rows))]
        sa[nq:] = scale_codes(block.scale, nr, rng)
        sb[nq:] = scale_codes(block.scale, nr, rng)
    return a, b, sa, sb


def _quantize_rows(quantize: object, x: np.ndarray, block: FormatSpec,
                   lanes: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantize each row of ``x`` (``lanes`` wide) as blocks; return element and scale codes."""
    if lanes == block.block_size:
        q = quantize(x, block, axis=-1)
        return (np.asarray(q.elements, dtype=np.uint32).reshape(x.shape),
                np.asarray(q.scales, dtype=np.uint32).reshape(x.shape[0]))
    # smaller blocks: pad each row to a full block, keep its first `lanes` elements
    full = np.zeros((x.shape[0], block.block_size), dtype=x.dtype)
    full[:, :lanes] = x
    q = quantize(full, block, axis=-1)
    codes = np.asarray(q.elements, dtype=np.uint32).reshape(full.shape)[:, :lanes]
    return codes, np.asarray(q.scales, dtype=np.uint32).reshape(x.shape[0])
