"""posit<n, es> codec (Posit Standard 2022): encode, decode and the decode stages.

A posit code is an ``n``-bit pattern stored unsigned (``uint8``/``uint16``/``uint32`` by
``n``). Code ``0`` is zero, ``100...0`` is NaR (not a real); a negative posit is the two's
complement of the pattern of its magnitude. The ``n - 1`` bits after the sign are

- the regime: a run of ``m`` identical bits ended by the opposite bit (or by the end of the
  pattern); a run of ones gives ``k = m - 1``, a run of zeros gives ``k = -m``;
- ``es`` exponent bits ``e`` (bits cut off by the end of the pattern count as zeros);
- the remaining ``fbits`` fraction bits ``f``.

The value is ``(-1)^s * 2^(k * 2^es + e) * (1 + f / 2^fbits)``, with
``useed = 2^(2^es)``, ``maxpos = useed^(n-2)`` and ``minpos = useed^-(n-2)``.

Rounding (the standard's, applied once to the exact input): round to nearest on the bit
pattern, i.e. a value rounds towards the posit whose pattern is nearer when the exact value
is written as an unbounded posit pattern (regime, exponent and fraction bits that do not fit
all count as part of the pattern); a tie (the value whose pattern is the lower neighbour's
followed by a single 1) goes to the even pattern. A nonzero value never rounds to 0 or NaR:
magnitudes above maxpos give maxpos, below minpos give minpos.

The fused dot product (the quire) lives in :mod:`golden.quire` and is re-exported here.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from golden.formats import FormatLike, FormatSpec, get_format

__all__ = [
    "PositFields",
    "posit_code_dtype",
    "posit_decode",
    "posit_encode",
    "posit_fields",
    "posit_gemm",  # noqa: F822  (the three quire names resolve through __getattr__)
    "quire_bits",  # noqa: F822
    "quire_dot",  # noqa: F822
]

_U64 = np.uint64


def posit_spec(spec: FormatLike) -> FormatSpec:
    """Resolve ``spec`` and check that it is a posit<n, es> with 2 <= n <= 32, 0 <= es <= 4."""
    s = get_format(spec)
    if s.kind != "posit":
        raise ValueError(f"format {s.name!r} is not a posit format (kind {s.kind!r}); "
                         "use posit{n} or posit{n}_es{es}")
    if not 2 <= s.bits <= 32:
        raise ValueError(f"posit width n must be in 2..32, not {s.bits}")
    if not 0 <= s.es <= 4:
        raise ValueError(f"posit exponent size es must be in 0..4, not {s.es}")
    return s


def posit_code_dtype(spec: FormatLike) -> np.dtype:
    """The unsigned code dtype of a posit format: uint8 (n <= 8), uint16 (<= 16), uint32."""
    return posit_spec(spec).code_dtype


def max_scale(spec: FormatSpec) -> int:
    """log2(maxpos) = 2^es * (n - 2); minpos is 2^-max_scale."""
    return (1 << spec.es) * (spec.bits - 2)


def check_codes(codes: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Validate posit codes (integers in [0, 2^n)) and return them as uint64."""
    c = np.asarray(codes)
    if c.dtype.kind not in "ui":
        raise TypeError(f"posit codes must be an integer array, not dtype {c.dtype}")
    n = spec.bits
    if c.size:
        lo, hi = int(c.min()), int(c.max())
        if lo < 0 or hi >= 1 << n:
            bad = lo if lo < 0 else hi
            raise ValueError(f"posit code {bad:#x} out of range for {spec.name}: "
                             f"codes are 0..{(1 << n) - 1:#x}")
    return c.astype(_U64)


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Bit length of non-negative integers < 2^53 (exact through float64's frexp)."""
    return np.frexp(x.astype(np.float64))[1].astype(np.int64)


class PositFields(NamedTuple):
    """The decode stages of posit codes (each an array of the codes' shape).

    ``sign`` (uint8) is the top bit. For every other code, ``regime`` is k, ``exponent`` is
    e (0 .. 2^es - 1, cut-off bits read as 0), ``fraction`` is f as an unsigned integer of
    ``fraction_bits`` bits. Zero and NaR have regime, exponent, fraction and fraction_bits 0
    (they are told apart by ``sign``: 0 for zero, 1 for NaR).
    """

    sign: np.ndarray
    regime: np.ndarray
    exponent: np.ndarray
    fraction: np.ndarray
    fraction_bits: np.ndarray


def _fields(c: np.ndarray, spec: FormatSpec) -> tuple[PositFields, np.ndarray, np.ndarray]:
    """Fields of validated uint64 codes, plus the zero and NaR masks."""
    n, es = spec.bits, spec.es
    w = n - 1
    mask_w = _U64((1 << w) - 1)
    sign = (c >> _U64(w)) & _U64(1)
    zero = c == 0
    nar = c == _U64(1 << w)
    mag = np.where(sign == 1, (_U64(1 << n) - c) & _U64((1 << n) - 1), c)
    rem = mag & mask_w
    first = (rem >> _U64(w - 1)) & _U64(1)
    run_src = np.where(first == 1, ~rem & mask_w, rem)
    m = w - _bit_length(run_src)
    k = np.where(first == 1, m - 1, -m)
    nrest = np.maximum(w - m - 1, 0)
    rest = rem & ((_U64(1) << nrest.astype(_U64)) - _U64(1))
    fbits = np.maximum(nrest - es, 0)
    e_down = rest >> np.maximum(nrest - es, 0).astype(_U64)
    e_up = rest << np.maximum(es - nrest, 0).astype(_U64)
    e = np.where(nrest >= es, e_down, e_up).astype(np.int64)
    frac = rest & ((_U64(1) << fbits.astype(_U64)) - _U64(1))
    special = zero | nar
    fields = PositFields(
        sign=sign.astype(np.uint8),
        regime=np.where(special, 0, k).astype(np.int64),
        exponent=np.where(special, 0, e),
        fraction=np.where(special, _U64(0), frac),
        fraction_bits=np.where(special, 0, fbits).astype(np.int64),
    )
    return fields, zero, nar


def posit_fields(codes: np.ndarray, spec: FormatLike) -> PositFields:
    """Split posit codes into (sign, regime k, exponent e, fraction f, fraction bits).

    The value of a code other than zero and NaR is
    ``(-1)^sign * 2^(k * 2^es + e) * (1 + f / 2^fraction_bits)``; for a negative code the
    fields are those of its magnitude (the two's complement of the code). These are the
    stages a hardware decoder produces, so a mismatch can be traced to one of them.
    """
    s = posit_spec(spec)
    return _fields(check_codes(codes, s), s)[0]


def unpack(codes: np.ndarray, spec: FormatSpec):
    """Codes -> (negative, significand, exponent, zero, nar): value = +-sig * 2^exponent.

    ``sig`` (uint64) includes the hidden bit and is 0 for zero and NaR; ``exponent`` (int64)
    is the weight of its last bit, ``k * 2^es + e - fraction_bits``.
    """
    f, zero, nar = _fields(check_codes(codes, spec), spec)
    fb = f.fraction_bits
    sig = np.where(zero | nar, _U64(0), (_U64(1) << fb.astype(_U64)) | f.fraction)
    exp2 = f.regime * (1 << spec.es) + f.exponent - fb
    return f.sign == 1, sig, exp2, zero, nar


def posit_decode(codes: np.ndarray, spec: FormatLike) -> np.ndarray:
    """Exact float64 values of posit codes (every posit<n<=32, es<=4> is a float64).

    NaR decodes to NaN, code 0 to +0.0. Raises ``TypeError`` for non-integer codes and
    ``ValueError`` for codes outside ``[0, 2^n)``.
    """
    s = posit_spec(spec)
    if s.bits <= 16:  # a table of every code's value
        c = check_codes(codes, s)
        return _decode_table(s.bits, s.es)[c.astype(np.intp)]
    return _decode_direct(codes, s)


def _decode_direct(codes: np.ndarray, spec: FormatSpec) -> np.ndarray:
    neg, sig, exp2, _, nar = unpack(codes, spec)
    val = np.ldexp(sig.astype(np.float64), exp2.astype(np.int32))
    val = np.where(neg, -val, val)
    return np.where(nar, np.nan, val)


@functools.cache
def _decode_table(n: int, es: int) -> np.ndarray:
    table = _decode_direct(np.arange(1 << n, dtype=np.uint64), get_format(f"posit{n}_es{es}"))
    table.flags.writeable = False
    return table


def round_to_posit(neg: np.ndarray, scale: np.ndarray, frac: np.ndarray, width: int,
                   sticky: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """Round the nonzero magnitude ``2^scale * (1 + frac/2^width + tiny)`` to a posit code.

    ``frac`` holds the ``width`` fraction bits right below the leading one, ``sticky`` says
    whether any bit below them is set. The exact value is written as an unbounded posit
    pattern (regime, es exponent bits, fraction); its first n - 1 bits are kept, the next bit
    is the guard bit, and the pattern rounds up when guard and (sticky or last kept bit).
    Magnitudes beyond maxpos give maxpos, below minpos give minpos; the sign is applied
    last (two's complement). Needs ``width >= n - 2`` so the guard bit lies in ``frac``.
    """
    n, es = spec.bits, spec.es
    maxmag = (1 << (n - 1)) - 1
    scale = np.asarray(scale, dtype=np.int64)
    k = scale >> es  # floor division by 2^es
    e = (scale & ((1 << es) - 1)).astype(_U64)
    kc = np.clip(k, -(n - 2), n - 3)
    reg_len = np.where(kc >= 0, kc + 2, 1 - kc)
    regime = np.where(kc >= 0, ((_U64(1) << (kc + 1).astype(_U64)) - _U64(1)) << _U64(1),
                      _U64(1))
    nb = (n - 1 - reg_len).astype(_U64)  # body bits kept after the regime
    body_len = _U64(es + width)
    body = (e << _U64(width)) | frac.astype(_U64)
    taken = body >> (body_len - nb)
    guard = (body >> (body_len - nb - _U64(1))) & _U64(1)
    rest = body & ((_U64(1) << (body_len - nb - _U64(1))) - _U64(1))
    st = (rest != 0) | sticky
    mag = (regime << nb) | taken
    mag = mag + (guard & (st | ((mag & _U64(1)) == 1)).astype(_U64))
    mag = np.clip(mag, _U64(1), _U64(maxmag))
    mag = np.where(k >= n - 2, _U64(maxmag), np.where(k <= -(n - 1), _U64(1), mag))
    mag = np.where(neg, (_U64(1 << n) - mag) & _U64((1 << n) - 1), mag)
    return mag


def _int64_round_odd(a: np.ndarray) -> np.ndarray:
    """64-bit integers -> float64, rounding beyond 53 bits to odd (keeps a later rounding to
    at most 51 significant bits exact: the posit fraction has at most 29)."""
    neg = a < 0
    mag = a.astype(np.uint64)
    mag = np.where(neg, ~mag + _U64(1), mag)
    shift = np.maximum(_bit_length_u64(mag) - 53, 0).astype(_U64)
    kept = mag >> shift
    kept |= ((mag & ((_U64(1) << shift) - _U64(1))) != 0).astype(_U64)
    val = np.ldexp(kept.astype(np.float64), shift.astype(np.int32))
    return np.where(neg, -val, val)


def _bit_length_u64(x: np.ndarray) -> np.ndarray:
    """Bit length of any uint64 (the high and low 32-bit halves through float64)."""
    hi = x >> _U64(32)
    return np.where(hi != 0, _bit_length(hi) + 32, _bit_length(x & _U64(0xFFFFFFFF)))


def posit_encode(x: np.ndarray, spec: FormatLike) -> np.ndarray:
    """Round real values to posit codes (uint8/uint16/uint32 by n) with the standard's rounding.

    ``x`` is taken exactly: float16/32/64 and integers are widened to float64 without
    changing the result (64-bit integers beyond 2^53 with round-to-odd), then rounded once
    (round to nearest on the bit pattern, ties to the even pattern; never to 0 or NaR:
    saturate at +-maxpos / +-minpos).
    NaN and +-Inf encode to NaR (``100...0``), +-0 to code 0.
    """
    s = posit_spec(spec)
    a = np.asarray(x)
    if a.dtype.kind not in "fiub":
        raise TypeError(f"posit_encode takes real numbers, not dtype {a.dtype}")
    a = _int64_round_odd(a) if a.dtype.kind in "iu" and a.dtype.itemsize == 8 else a
    a = a.astype(np.float64)
    finite = np.isfinite(a)
    safe = np.where(finite, a, 1.0)
    m, ex = np.frexp(np.abs(safe))  # |x| = m * 2^ex, m in [0.5, 1)
    frac = (np.ldexp(m, 53) - 2.0**52).astype(_U64)
    code = round_to_posit(safe < 0, ex.astype(np.int64) - 1, frac, 52,
                          np.zeros(a.shape, bool), s)
    code = np.where(safe == 0, _U64(0), code)
    code = np.where(finite, code, _U64(1 << (s.bits - 1)))
    return code.astype(posit_code_dtype(s))


_QUIRE_NAMES = ("posit_gemm", "quire_bits", "quire_dot")


def __getattr__(name: str):
    """Re-export the quire functions of :mod:`golden.quire` (imported on first use)."""
    if name in _QUIRE_NAMES:
        from golden import quire

        return getattr(quire, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
