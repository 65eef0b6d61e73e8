"""Jobs of the ``add`` / ``mul`` units: one IEEE-style float or integer format, codes in,
codes out, expected codes from :mod:`golden.arith`.

:func:`binary_job` builds the vectors from the :class:`~golden.formats.FormatSpec` alone:

- when the (a, b) pair space is at most :data:`verif.vectors.EXHAUSTIVE_LIMIT` (int8,
  fp8_e5m2, int4) and no vector count is given: every pair, each once, in seeded order;
- else :func:`arith_corners` x :func:`arith_corners` first, then seeded random codes.
  Floats: uniform codes, with a quarter each of (add) ``b`` within +-3 binades of ``a``
  (cancellation and carries) and exact rounding ties (``b``'s bits below ``a``'s lsb exactly
  ``100..0``), or (mul) product exponents around the subnormal and overflow edges and
  products with ``p + 1`` or ``p + 2`` significant bits (ties); operands swapped at random.
  Integers: uniform codes, a quarter of them small (``|x| < 2**(bits/2)``).
- with ``stimulus`` (:mod:`verif.stimuli`): both operands drawn from that distribution.
"""

from __future__ import annotations

import numpy as np

from golden.arith import float_add, float_mul, int_add, int_mul, quiet_nan_code
from golden.formats import FormatLike, FormatSpec, get_format
from verif.jobs import Job
from verif.scoreboard import Check
from verif.vectors import EXHAUSTIVE_LIMIT

__all__ = ["DEFAULT_ARITH_VECTORS", "OPS", "arith_corners", "binary_job"]

DEFAULT_ARITH_VECTORS = 4096
"""Vectors of an add/mul run when no count is given and the pair space is too large to
enumerate (corner x corner pairs first)."""

OPS = {  # (op, spec.kind) -> (golden function, output port)
    ("add", "float"): (float_add, "sum"),
    ("mul", "float"): (float_mul, "prod"),
    ("add", "int"): (int_add, "sum"),
    ("mul", "int"): (int_mul, "prod"),
}


def _float_code(spec: FormatSpec, sign: int, exp_field: int, man: int) -> int:
    e = min(max(exp_field, 0), (1 << spec.exp_bits) - 1)
    return (sign << (spec.bits - 1)) | (e << spec.man_bits) | (man & ((1 << spec.man_bits) - 1))


def arith_corners(spec: FormatSpec) -> np.ndarray:
    """Directed corner codes of an IEEE-style float or integer format (sorted, unique).

    Floats (both signs): zero, min/max subnormal, a mid subnormal, min normal and its
    successor, 1.0, 1 + ulp, 2 - ulp, half an ulp of 1 (``2**-p``) and its successor,
    ``2**p``, ``2**+-(emax // 2)`` (squares at the overflow/underflow edges), the largest
    binade's first value, max finite and its predecessor, Inf, the quiet NaN, a signalling
    NaN and the all-ones NaN. Integers: 0, +-1, +-2, min, min + 1, max, max - 1 and
    ``+-2**(bits // 2)`` (+-1), the product's overflow edges of a narrower result.
    """
    out: set[int] = set()
    if spec.kind == "float":
        mb, bias, p = spec.man_bits, spec.bias, spec.precision
        full = (1 << mb) - 1
        top = (1 << spec.exp_bits) - 1
        half = spec.emax // 2
        fields = [(0, 0), (0, 1), (0, full), (0, 1 << (mb - 1)), (1, 0), (1, 1),
                  (bias, 0), (bias, 1), (bias, full), (bias - p, 0), (bias - p, 1),
                  (bias + p, 0), (bias + half, 0), (bias - half, 0),
                  (spec.max_exp_field, 0), (spec.max_exp_field, full),
                  (spec.max_exp_field, full - 1), (top, 0), (top, 1 << (mb - 1)), (top, 1),
                  (top, full)]
        for s in (0, 1):
            out.update(_float_code(spec, s, e, m) for e, m in fields)
    elif spec.kind == "int":
        h = 1 << (spec.bits // 2)
        vals = {0, 1, -1, 2, -2, spec.int_min, spec.int_min + 1, spec.int_max,
                spec.int_max - 1, h, -h, h - 1, -h + 1}
        out.update(v & ((1 << spec.bits) - 1) for v in vals if spec.int_min <= v <= spec.int_max)
    else:
        raise ValueError(f"arith_corners takes a float or integer format, not {spec.name!r}")
    return np.array(sorted(out), dtype=np.uint64)


def _random_float(op: str, spec: FormatSpec, n: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    mb, eb, bias, p = spec.man_bits, spec.exp_bits, spec.bias, spec.precision
    top = (1 << eb) - 1
    man_mask = (1 << mb) - 1
    sign_bit = np.int64(1) << (spec.bits - 1)
    ra = rng.integers(0, 1 << spec.bits, size=n, dtype=np.int64)
    rb = rng.integers(0, 1 << spec.bits, size=n, dtype=np.int64)
    ea = (ra >> mb) & top
    pick = rng.random(n)
    if op == "add":
        # b's exponent within +-3 of a's: cancellation and carries
        near = pick < 0.25
        eb_n = np.clip(ea + rng.integers(-3, 4, size=n), 0, top)
        rb = np.where(near, (rb & ~(top << mb)) | (eb_n << mb), rb)
        # exact ties: b's exponent s = 1..p below a's and b's significand bits that fall
        # below a's lsb exactly 100..0 (half an ulp of a, before normalisation)
        s = rng.integers(1, p + 1, size=n).astype(np.int64)
        eb_t = ea - s
        ok = (pick >= 0.25) & (pick < 0.5) & (eb_t >= 1) & (ea < top)
        sig = (rb & man_mask) | (1 << mb)
        sig = (sig & ~((np.int64(1) << s) - 1)) | (np.int64(1) << (s - 1))
        rb_t = (rb & sign_bit) | (eb_t.clip(0, top) << mb) | (sig & man_mask)
        rb = np.where(ok, rb_t, rb)
    else:
        # product exponent around the subnormal and overflow edges
        edge = pick < 0.25
        target = rng.integers(spec.emin - p - 2, spec.emax + 3, size=n)
        eb_e = np.clip(target - (ea - bias) + bias, 0, spec.max_exp_field)
        rb = np.where(edge, (rb & ~(top << mb)) | (eb_e << mb), rb)
        # ties: significands of la and lb significant bits with la + lb in {p + 1, p + 2}
        tie = (pick >= 0.25) & (pick < 0.5)
        la = rng.integers(1, p + 1, size=n)
        lb = np.clip(p + 1 + rng.integers(0, 2, size=n) - la, 1, p)
        for arr, length in ((ra, la), (rb, lb)):
            sh = p - length
            sig = (arr & man_mask) | (1 << mb)
            cut = ((sig >> sh) << sh) | (np.int64(1) << sh)
            ex = (arr >> mb) & top
            ok = tie & (ex >= 1) & (ex < top)     # normal operands: the hidden bit counts
            arr[:] = np.where(ok, (arr & ~np.int64(man_mask)) | (cut & man_mask), arr)
    swap = rng.random(n) < 0.5  # the smaller operand on either port
    return np.where(swap, rb, ra), np.where(swap, ra, rb)


def _random_int(spec: FormatSpec, n: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    mask = (1 << spec.bits) - 1
    out = []
    for _ in range(2):
        v = rng.integers(spec.int_min, spec.int_max, size=n, endpoint=True, dtype=np.int64)
        h = 1 << (spec.bits // 2)
        small = rng.integers(-h + 1, h, size=n, dtype=np.int64)
        v = np.where(rng.random(n) < 0.25, small, v)
        out.append(v & mask)
    return out[0], out[1]


def _pairs(op: str, spec: FormatSpec, vectors: int | None,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if spec.n_codes ** 2 <= EXHAUSTIVE_LIMIT and (vectors is None or vectors >= spec.n_codes ** 2):
        codes = np.arange(spec.n_codes, dtype=np.int64)
        if spec.kind == "int":  # only codes with a value (none are missing for int{n})
            val = np.where(codes >> (spec.bits - 1) == 1, codes - spec.n_codes, codes)
            codes = codes[(val >= spec.int_min) & (val <= spec.int_max)]
        a, b = np.repeat(codes, len(codes)), np.tile(codes, len(codes))
        order = rng.permutation(len(a))
        return a[order], b[order]
    n = DEFAULT_ARITH_VECTORS if vectors is None else vectors
    c = arith_corners(spec).astype(np.int64)
    ca, cb = np.repeat(c, len(c)), np.tile(c, len(c))
    nr = max(n - len(ca), 0)
    if spec.kind == "float":
        ra, rb = _random_float(op, spec, nr, rng)
    else:
        ra, rb = _random_int(spec, nr, rng)
    return np.concatenate([ca, ra])[:n], np.concatenate([cb, rb])[:n]


def binary_job(op: str, fmt: FormatLike, vectors: int | None, seed: int,
               stimulus: str | None = None) -> Job:
    """Vectors and expected codes of ``add`` / ``mul`` (``FloatAdd``/``FloatMul``,
    ``IntAdd``/``IntMul``) for one format; see the module docstring.

    Args:
        op: ``"add"`` or ``"mul"``.
        fmt: an IEEE-style float format (fp16, bf16, fp32, fp8_e5m2) or an unscaled integer
            format (int8, int4, ``int{n}``).
        vectors: vector count; None: every pair where there are at most 2^20, else
            :data:`DEFAULT_ARITH_VECTORS` (corners first). A count below the pair space of a
            small format gives corner pairs plus random pairs.
        seed: seed of the ``numpy.random.Generator`` every random choice comes from.
        stimulus: None, or a :mod:`verif.stimuli` distribution both operands are drawn from
            (``vectors`` defaults to 4,096).

    Returns:
        A :class:`~verif.jobs.Job` with inputs ``a``, ``b`` and the checked port ``sum``
        (add) or ``prod`` (mul): result codes of :mod:`golden.arith` (floats: NaN checked as
        a class; integers: ``bits + 1`` / ``2 * bits``-bit two's complement patterns).
    """
    spec = get_format(fmt)
    if (op, spec.kind) not in OPS:
        ops = sorted({o for o, _ in OPS})
        kinds = sorted({k for _, k in OPS})
        raise ValueError(f"binary_job takes op in {ops} and a format of kind {kinds}, not "
                         f"{op!r} with {spec.name!r} ({spec.kind})")
    golden_op, port = OPS[(op, spec.kind)]
    rng = np.random.default_rng(seed)
    if stimulus is None:
        a, b = _pairs(op, spec, vectors, rng)
    else:
        from verif.stimuli import element_codes

        n = DEFAULT_ARITH_VECTORS if vectors is None else vectors
        a = element_codes(spec, n, stimulus, rng)
        b = element_codes(spec, n, stimulus, rng)
    a = np.asarray(a).astype(spec.code_dtype)
    b = np.asarray(b).astype(spec.code_dtype)
    res = np.asarray(golden_op(a, b, spec)).astype(np.uint64)
    if spec.kind == "float":
        nan = res == np.uint64(quiet_nan_code(spec))  # golden's only NaN code
        check = Check(bits=res, nan_class=nan, width=spec.bits, exp_bits=spec.exp_bits,
                      man_bits=spec.man_bits)
    else:
        width = spec.bits + 1 if op == "add" else 2 * spec.bits
        check = Check.integers(res, width=width)
    return Job(inputs={"a": a.tolist(), "b": b.tolist()}, checks={port: check})
