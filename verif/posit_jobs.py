"""Jobs for the posit units: ``PositMac`` (unit ``mac``) and ``PositCodec`` (unit ``codec``).

Expected codes come from ``golden.quire.quire_dot`` and ``golden.posit`` evaluated
vectorised before the simulation (see :mod:`verif.jobs` for the :class:`Job` shape).

- :func:`posit_mac_job` - when the code-pair space is <= 2^20 (posit8 and narrower) every
  (a, b) pair in seeded shuffled order, ``i_first`` every :data:`verif.jobs.CHAIN` inputs
  (every product of the format through the quire and its read-out); wider formats (posit16)
  get directed chains (NaR propagation, exact cancellation to zero, maxpos^2 and minpos^2
  accumulation) then seeded random dot products of lengths 1..256. ``acc`` is checked after
  every input (the quire's read-out of every prefix).
- :func:`posit_codec_job` - every code of posit<n, es> through ``PositCodec(fmt)`` (unit
  ``codec``: decode -> encode is the identity). Checks ``out``.
- :func:`posit_rounding_job` - every code of posit<n+2, es> (or a seeded sample when that
  exceeds 2^20) through ``PositCodec(fmt, fmt_in=posit<n+2, es>)`` (unit ``round``): each
  rounding case of the encoder (guard, sticky, ties to even, saturation). Checks ``out``.
"""

from __future__ import annotations

import numpy as np

from golden.formats import FormatSpec, get_format, posit
from golden.posit import posit_decode, posit_encode
from golden.quire import quire_dot
from verif import vectors as vec
from verif.jobs import CHAIN, Job
from verif.scoreboard import Check

__all__ = [
    "MAX_DOT_LENGTH",
    "posit_chains",
    "posit_codec_job",
    "posit_mac_job",
    "posit_rounding_job",
]

MAX_DOT_LENGTH = 256
"""Longest random dot product of the wide-format MAC job."""


def _codes_check(codes: np.ndarray, spec: FormatSpec) -> Check:
    """Posit codes are compared as raw bits (NaR is one code, never a class)."""
    bits = np.asarray(codes, dtype=np.uint64)
    return Check(bits=bits, nan_class=np.zeros(len(bits), bool), width=spec.bits,
                 exp_bits=0, man_bits=0)


def _directed(spec: FormatSpec) -> list[tuple[list[int], list[int]]]:
    n = spec.bits
    mask = (1 << n) - 1
    nar, one, maxp, minp = 1 << (n - 1), 1 << (n - 2), (1 << (n - 1)) - 1, 1

    def neg(c: int) -> int:
        return (-c) & mask

    x = min(one + 3, maxp)
    return [
        ([one, nar, one, maxp], [one, one, one, maxp]),       # NaR propagates to the end
        ([x, neg(x), 0], [x, x, one]),                        # exact cancellation: code 0
        ([maxp, minp, neg(maxp)], [maxp, minp, maxp]),        # maxpos^2 + minpos^2 - maxpos^2
        ([maxp] * 8 + [neg(maxp)] * 8, [maxp] * 16),          # far beyond maxpos, back to 0
        ([minp] * 16, [minp] * 16),                           # minpos^2 sums: never 0
        ([nar], [0]),                                         # NaR * 0 = NaR
    ]


def posit_chains(spec: FormatSpec, vectors: int | None, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, i_first): directed chains, then random dot products of lengths 1..256 until
    ``vectors`` inputs (default 4096). Half the random chains draw operands near 1 (codes
    ``01x..x``/``11x..x``) so that long sums neither saturate nor vanish; NaR is made rare."""
    n = spec.bits
    total = 4096 if vectors is None else vectors
    a: list[int] = []
    b: list[int] = []
    first: list[int] = []
    for ca, cb in _directed(spec):
        a += ca
        b += cb
        first += [1] + [0] * (len(ca) - 1)
    nar = 1 << (n - 1)
    while len(a) < total:
        length = int(rng.integers(1, MAX_DOT_LENGTH + 1))
        ca = rng.integers(0, 1 << n, length)
        cb = rng.integers(0, 1 << n, length)
        if rng.random() < 0.5:
            top = np.where(rng.random(length) < 0.5, 1, 3) << (n - 2)
            ca = (ca & ((1 << (n - 2)) - 1)) | top
        ca = np.where((ca == nar) & (rng.random(length) < 0.95), 0, ca)
        cb = np.where((cb == nar) & (rng.random(length) < 0.95), 1, cb)
        a += ca.tolist()
        b += cb.tolist()
        first += [1] + [0] * (length - 1)
    return (np.array(a[:total], np.uint64), np.array(b[:total], np.uint64),
            np.array(first[:total], np.uint32))


def _prefix_dots(a: np.ndarray, b: np.ndarray, first: np.ndarray, spec: FormatSpec
                 ) -> np.ndarray:
    """Golden ``acc`` after every input: quire_dot of every prefix of every chain (one
    vectorised call per chain length)."""
    out = np.empty(len(a), dtype=spec.code_dtype)
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, len(a)))
    for length in np.unique(lengths):
        idx = starts[lengths == length][:, None] + np.arange(length)  # (chains, length)
        tri = np.tril(np.ones((length, length), bool))  # row i: the first i + 1 terms
        pa = np.where(tri, a[idx][:, None, :], 0)
        pb = np.where(tri, b[idx][:, None, :], 0)
        out[idx] = quire_dot(pa, pb, spec)
    return out


def posit_mac_job(fmt: str | FormatSpec, vectors: int | None, seed: int,
                  stimulus: str | None = None) -> Job:
    """Vectors for ``PositMac(fmt)``; see the module docstring. ``stimulus``
    (:mod:`verif.stimuli`): operands from that distribution instead, in quire dot products
    of ``verif.jobs.STIMULUS_CHAIN`` inputs."""
    spec = get_format(fmt)
    rng = np.random.default_rng(seed)
    space = 1 << (2 * spec.bits)
    if stimulus is not None:
        from verif.jobs import STIMULUS_VECTORS, stimulus_length
        from verif.stimuli import element_codes

        n, chain = stimulus_length(vectors, stimulus, STIMULUS_VECTORS)
        a, b = element_codes(spec, n, stimulus, rng), element_codes(spec, n, stimulus, rng)
        first = (np.arange(n) % chain == 0).astype(np.uint32)
    elif space <= vec.EXHAUSTIVE_LIMIT and (vectors is None or vectors >= space):
        codes = np.arange(1 << spec.bits, dtype=np.uint64)
        a, b = np.repeat(codes, len(codes)), np.tile(codes, len(codes))
        order = rng.permutation(len(a))
        a, b = a[order], b[order]
        first = (np.arange(len(a)) % CHAIN == 0).astype(np.uint32)
    else:
        a, b, first = posit_chains(spec, vectors, rng)
    acc = _prefix_dots(a, b, first, spec)
    return Job(inputs={"a": a.tolist(), "b": b.tolist(), "i_first": first.tolist()},
               checks={"acc": _codes_check(acc, spec)})


def posit_codec_job(fmt: str | FormatSpec, vectors: int | None, seed: int) -> Job:
    """Vectors for ``PositCodec(fmt)`` (decode -> encode, the identity): every code, or
    ``vectors`` seeded distinct codes when fewer are asked for."""
    spec = get_format(fmt)
    rng = np.random.default_rng(seed)
    codes = np.arange(1 << spec.bits, dtype=np.uint64)
    if vectors is not None and vectors < len(codes):
        codes = rng.choice(codes, vectors, replace=False)
    return Job(inputs={"code": codes.tolist()}, checks={"out": _codes_check(codes, spec)})


def posit_rounding_job(fmt: str | FormatSpec, vectors: int | None, seed: int
                       ) -> tuple[FormatSpec, Job]:
    """(source format posit<n+2, es>, vectors for ``PositCodec(fmt, fmt_in=source)``):
    every source code when <= 2^20 (else ``vectors``, default 65,536, seeded random codes);
    expected ``out = posit_encode(posit_decode(code, source), fmt)``."""
    spec = get_format(fmt)
    src = posit(spec.bits + 2, spec.es)
    rng = np.random.default_rng(seed)
    if src.n_codes <= vec.EXHAUSTIVE_LIMIT and vectors is None:
        codes = np.arange(src.n_codes, dtype=np.uint64)
    else:
        codes = rng.integers(0, src.n_codes, 65536 if vectors is None else vectors,
                             dtype=np.uint64)
    out = posit_encode(posit_decode(codes, src), spec)
    return src, Job(inputs={"code": codes.tolist()}, checks={"out": _codes_check(out, spec)})
