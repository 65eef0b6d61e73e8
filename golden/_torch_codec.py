"""Element codecs in native torch ops, the torch twin of :mod:`golden.codec` / :mod:`golden.posit`.

Every function here returns exactly the codes and values that the NumPy golden returns for
the same inputs (``tests/test_golden_torch.py`` checks it bit for bit). Inputs are taken
exactly as float32 (float16/bfloat16/float32) or float64 (float64, integers). RNE into a
float format with few mantissa bits is one lookup in a table indexed by the input's top 16
bits and a sticky bit; every other rounding is exact arithmetic: a power-of-two scaling,
then integer logic on the floor and the fraction of the scaled significand, rounded once.
Decoding up to 16 bits is a lookup in the table of every code's value.

Code dtypes (torch has few unsigned dtypes): ``torch.uint8`` for formats of <= 8 bits,
``torch.int32`` holding the unsigned code for 9..16 bits, ``torch.int64`` holding the
unsigned code for 17..32 bits. ``decode`` accepts any integer tensor whose values are codes
in ``[0, 2^bits)`` (the NumPy rule: a negative value is an error, not a bit pattern).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from golden.formats import FormatSpec, get_format

_I64 = torch.int64
_F64 = torch.float64
_HALF_SPECS = {torch.float16: get_format("fp16"), torch.bfloat16: get_format("bf16")}
_ML_FLOATS = frozenset(("bfloat16", "float4_e2m1fn", "float6_e2m3fn", "float6_e3m2fn",
                        "float8_e3m4", "float8_e4m3", "float8_e4m3b11fnuz", "float8_e4m3fn",
                        "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu"))
_ML_INTS = frozenset(("int2", "int4", "uint2", "uint4"))
_REAL_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.uint8,
                torch.int8, torch.int16, torch.int32, torch.int64, torch.bool)


def code_dtype(spec: FormatSpec) -> torch.dtype:
    """Torch dtype of the codes of ``spec``: uint8 (<= 8 bits), int32 (<= 16), int64 (<= 32)."""
    if spec.bits <= 8:
        return torch.uint8
    return torch.int32 if spec.bits <= 16 else torch.int64


def value_dtype(spec: FormatSpec) -> torch.dtype:
    """Torch twin of ``spec.value_dtype``: float32 when every value is a float32, else float64."""
    return torch.float32 if spec.value_dtype == np.float32 else torch.float64


def as_tensor(x: object, what: str = "input") -> torch.Tensor:
    """A torch tensor of real numbers (NumPy arrays and Python numbers are converted exactly)."""
    if not isinstance(x, torch.Tensor):
        a = np.asarray(x)
        if a.dtype.name in _ML_FLOATS:  # ml_dtypes floats: every value is a float32
            a = a.astype(np.float32)
        elif a.dtype.name in _ML_INTS:
            a = a.astype(np.int8)
        elif a.dtype.kind not in "fiub" or (a.dtype.kind == "f" and a.dtype.itemsize > 8):
            raise TypeError(f"{what} must hold real numbers (float, int, bool arrays), "
                            f"not dtype {a.dtype}")
        elif a.dtype == np.uint64:
            a = a.astype(np.float64) if a.size and a.max() > 2**53 else a.astype(np.int64)
        x = torch.from_numpy(a if a.flags.c_contiguous else a.copy())
    if x.dtype not in _REAL_DTYPES:
        raise TypeError(f"{what} must be a real tensor (float16/bfloat16/float32/float64 or "
                        f"integer), not {x.dtype}")
    return x


def widen(x: torch.Tensor) -> torch.Tensor:
    """float64 copy of ``x``: exact, except int64 beyond 2^53, which is rounded to odd at
    53 bits (as the NumPy golden does): a later RNE to <= 51 bits then equals the RNE of
    the exact integer."""
    out = x.to(_F64)
    if x.dtype == _I64 and x.numel():
        big = (out.abs() > 2.0**53).nonzero(as_tuple=True)
        if big[0].numel():
            out[big] = torch.tensor([_round_to_odd(int(v)) for v in x[big].tolist()],
                                    dtype=_F64)
    return out


def _round_to_odd(v: int) -> float:
    """The integer ``v`` rounded to 53 significant bits, to odd (sticky in the last bit)."""
    a = abs(v)
    shift = max(a.bit_length() - 53, 0)
    kept = a >> shift
    if kept << shift != a:
        kept |= 1
    return float(kept * 2**shift) * (-1.0 if v < 0 else 1.0)


def work_float(x: torch.Tensor) -> torch.Tensor:
    """``x`` as float32 (from float16/bfloat16/float32) or float64 (float64, integers,
    bool), holding exactly the same values."""
    if x.dtype in (torch.float32, _F64):
        return x
    if x.dtype in (torch.float16, torch.bfloat16):
        return x.to(torch.float32)
    return widen(x)


def pow2(e: torch.Tensor) -> torch.Tensor:
    """Exact float64 2^e for integer tensors ``e`` in [-1022, 1023] (built from the bits)."""
    return ((e.to(_I64) + 1023) << 52).view(_F64)


def _floor_log2(a: torch.Tensor) -> torch.Tensor:
    """floor(log2(a)) as int64 for positive finite float64 ``a`` (0/Inf/NaN give -1)."""
    return torch.frexp(a)[1].to(_I64) - 1


def round_to_dtype(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """One RNE rounding of exact float64 ``x`` to a torch float ``dtype`` (overflow -> Inf).

    float32/float64 use the hardware conversion (correctly rounded); float16 and bfloat16
    are rounded directly from float64 by :func:`encode_float` (a cast through float32
    would round twice).
    """
    if dtype in (_F64, torch.float32):
        return x.to(dtype)
    spec = _HALF_SPECS.get(dtype)
    if spec is None:
        raise ValueError(f"dtype must be torch.float16/bfloat16/float32/float64, not {dtype}")
    code = encode_float(x, spec, saturate=False, u=None)
    return torch.where(code >= 1 << 15, code - (1 << 16), code).to(torch.int16).view(dtype)


def round_magnitude(r: torch.Tensor, u: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Split non-negative float64 ``r`` into (floor as int64, round-up flag).

    RNE (``u`` is None): up when the fraction is above 1/2, or exactly 1/2 with an odd floor.
    Stochastic: up when ``u < fraction``.
    """
    fl = torch.floor(r)
    frac = r - fl
    fli = fl.to(_I64)
    if u is not None:
        return fli, u < frac
    return fli, (frac > 0.5) | ((frac == 0.5) & ((fli & 1) == 1))


# ----- floats ----------------------------------------------------------------------------

def float_nan_code(spec: FormatSpec) -> int:
    """Positive quiet NaN code: exponent all ones and the top mantissa bit (IEEE), or the
    all-ones magnitude (OCP ``allones``)."""
    mag_bits = spec.bits - int(spec.signed)
    if spec.nan == "ieee":
        return (((1 << spec.exp_bits) - 1) << spec.man_bits) | (1 << (spec.man_bits - 1))
    return (1 << mag_bits) - 1


def max_mag_code(spec: FormatSpec) -> int:
    """Magnitude code of the largest finite value."""
    return (spec.max_exp_field << spec.man_bits) | spec.max_man_field


_LUT_INDEX_BITS = 16  # top input bits that index a rounding table (plus a sticky bit)
_FLOAT_LAYOUT = {torch.float32: (torch.int32, 23, 32), torch.float64: (_I64, 52, 64)}


def encode_float(x: torch.Tensor, spec: FormatSpec, saturate: bool,
                 u: torch.Tensor | None, overwrite: bool = False) -> torch.Tensor:
    """Float32/float64 ``x`` -> integer codes of a float format (see ``golden.torch.encode``).

    RNE into a format with few mantissa bits is one lookup: the code is a function of the
    input's top 16 bits and a sticky bit (any lower bit set), tabulated once per format by
    :func:`encode_float_exact`. Everything else takes :func:`encode_float_exact`.
    ``overwrite``: ``x`` is a temporary whose memory may be reused.
    """
    if u is None and lut_applies(spec, x.dtype):
        return lut_encode(x, _rounding_lut(spec, x.dtype, bool(saturate)), overwrite)
    return encode_float_exact(x, spec, saturate, u)


def lut_applies(spec: FormatSpec, dtype: torch.dtype) -> bool:
    """True when RNE of ``dtype`` inputs to float ``spec`` depends on the top 16 bits only."""
    if dtype not in _FLOAT_LAYOUT:
        return False
    _, in_man, width = _FLOAT_LAYOUT[dtype]
    return in_man - spec.man_bits - 1 >= width - _LUT_INDEX_BITS


@lru_cache(maxsize=64)
def _rounding_lut(spec: FormatSpec, dtype: torch.dtype, saturate: bool) -> torch.Tensor:
    """Code of every (top 16 input bits, sticky bit) pair of ``dtype`` inputs, as
    :func:`code_dtype` (uint8 for <= 8 bits: the gather then writes the final codes)."""
    itype, _, width = _FLOAT_LAYOUT[dtype]
    idx = torch.arange(1 << (_LUT_INDEX_BITS + 1), dtype=_I64)
    top = idx >> 1
    top = torch.where(top >= 1 << (_LUT_INDEX_BITS - 1), top - (1 << _LUT_INDEX_BITS), top)
    bits = top * (1 << (width - _LUT_INDEX_BITS)) + (idx & 1)  # signed, no overflow
    rep = bits.to(itype).view(dtype)
    return encode_float_exact(rep, spec, saturate, None).to(code_dtype(spec))


@lru_cache(maxsize=64)
def value_lut(spec: FormatSpec, dtype: torch.dtype, saturate: bool,
              out: torch.dtype) -> torch.Tensor:
    """:func:`_rounding_lut` composed with the value table: the quantized value, in ``out``."""
    return value_table(spec, out)[_rounding_lut(spec, dtype, saturate).long()]


def lut_encode(x: torch.Tensor, table: torch.Tensor, overwrite: bool = False) -> torch.Tensor:
    """``table[index(x)]`` for float32/float64 ``x``, the index being the top 16 bits of
    ``x`` and a sticky bit (:func:`_rounding_lut`). With ``overwrite`` the index is built in
    ``x``'s memory and the result may share the sticky bits' buffer (fewer fresh pages)."""
    itype, _, width = _FLOAT_LAYOUT[x.dtype]
    low = width - _LUT_INDEX_BITS
    bits = x.view(itype)
    sticky = bits & ((1 << low) - 1)
    sticky += (1 << low) - 1
    sticky >>= low  # 1 iff a bit below the top 16 is set
    if overwrite:
        idx = bits
        idx >>= low - 1
    else:
        idx = bits >> (low - 1)
    idx &= (1 << (_LUT_INDEX_BITS + 1)) - 2
    idx |= sticky
    flat = idx.reshape(-1)
    table = table.to(x.device)
    if sticky.element_size() == table.element_size() and sticky.is_contiguous():
        out = sticky.view(table.dtype).reshape(-1)  # the sticky bits are used up
        return torch.index_select(table, 0, flat, out=out).reshape(idx.shape)
    return table.index_select(0, flat).reshape(idx.shape)


def lookup(table: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``table[idx]`` for integer ``idx`` of any shape (``index_select``: the fast gather)."""
    if idx.dtype not in (torch.int32, _I64):
        idx = idx.to(torch.int32)  # index_select takes int32/int64 indices
    return table.to(idx.device).index_select(0, idx.reshape(-1)).reshape(idx.shape)


def encode_float_exact(x: torch.Tensor, spec: FormatSpec, saturate: bool,
                       u: torch.Tensor | None) -> torch.Tensor:
    """Float ``x`` -> int64 codes of a float format, exactly, in float64 and int64 steps.

    ``|x|`` (clipped when saturating) is ``r * 2^(e - man)`` with ``e`` its exponent
    clamped to the format's normal range; ``r`` is split into floor and fraction (both
    exact), the round-up decision taken by :func:`round_magnitude`, and the code assembled
    from ``e`` and the rounded ``r`` (a carry moves to the next binade by itself).
    """
    x = x.to(_F64)
    man, emin, emax = spec.man_bits, spec.emin, spec.emax
    neg = torch.signbit(x)
    a = x.abs()
    isnan = torch.isnan(x)
    if saturate:
        lo = 0.0 if spec.subnormals else spec.min_positive
        a = torch.clamp(a, min=lo, max=spec.max_finite)  # NaN passes through
        if not spec.signed:
            a = torch.where(neg & ~isnan, torch.full_like(a, lo), a)
    big = a >= 2.0 ** (emax + 1)  # overflows whatever the rounding (Inf included)
    safe = torch.where(isnan | big, torch.zeros_like(a), a)
    e = torch.clamp(torch.where(safe == 0, emin, _floor_log2(safe)), min=emin, max=emax)
    r = safe * pow2(man - e)
    fl, up = round_magnitude(r, u)
    sig = fl + up.to(_I64)
    if spec.subnormals:
        mag = ((e - emin) << man) + sig
    else:  # no subnormals (e8m0): below 2^emin rounds up to the smallest code
        mag = torch.clamp(((e - emin) << man) + sig - (1 << man), min=0)
    max_mag = max_mag_code(spec)
    over = big | (mag > max_mag)
    if spec.inf:
        over_code = ((1 << spec.exp_bits) - 1) << man
    elif spec.has_nan:
        over_code = float_nan_code(spec)
    else:
        over_code = max_mag
    mag = torch.where(over, torch.full_like(mag, over_code), mag)
    mag = torch.where(isnan, torch.full_like(mag, float_nan_code(spec)), mag)
    if spec.signed:
        return mag | (neg.to(_I64) << (spec.bits - 1))
    if saturate:  # unsigned: negatives were clipped up to the smallest value
        return mag
    # unsigned (e8m0) without saturation: zero and negatives become NaN, as in ml_dtypes;
    # so does a value below the smallest one that stochastic rounding sends down to zero
    nonpos = (neg | (x == 0)) & ~isnan
    if u is not None and not spec.subnormals:
        nonpos = nonpos | ((sig == 0) & ~big & ~isnan)
    return torch.where(nonpos, torch.full_like(mag, float_nan_code(spec)), mag)


def decode_float(c: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """int64 codes of a float format -> exact float64 values."""
    man, ebits = spec.man_bits, spec.exp_bits
    top = (1 << ebits) - 1
    expf = (c >> man) & top
    manf = c & ((1 << man) - 1)
    if spec.subnormals:
        sub = expf == 0
        scale = torch.where(sub, torch.ones_like(expf), expf) - spec.bias - man
        sig = torch.where(sub, manf, manf + (1 << man))
    else:
        scale = expf - spec.bias - man
        sig = manf + (1 << man)
    val = sig.to(_F64) * pow2(scale)
    mag_mask = (1 << (spec.bits - int(spec.signed))) - 1
    if spec.nan == "ieee":
        special = expf == top
        val = torch.where(special & (manf != 0), torch.nan, val)
        if spec.inf:
            val = torch.where(special & (manf == 0), torch.inf, val)
    elif spec.nan == "allones":
        val = torch.where((c & mag_mask) == mag_mask, torch.nan, val)
    if spec.signed:
        val = torch.where(((c >> (spec.bits - 1)) & 1) == 1, -val, val)
    return val


# ----- integers and bin1 -----------------------------------------------------------------

def encode_int(x: torch.Tensor, spec: FormatSpec, saturate: bool,
               u: torch.Tensor | None) -> torch.Tensor:
    """Float64 ``x`` -> int64 two's complement codes of an integer format.

    The value of a code is ``code * 2^scale_exp``; NaN raises, out of range clips
    (``saturate``) or raises.
    """
    if u is None:  # RNE: a power-of-two scaling (exact) and torch.round (ties to even)
        r = torch.round(x * 2.0 ** (-spec.scale_exp))
        if saturate:
            r = torch.clamp(r, spec.int_min, spec.int_max)
        else:
            bad = (r < spec.int_min) | (r > spec.int_max)
            if bool(bad.any()):
                raise _range_error(spec, x, bad)
        return r.to(_I64) & ((1 << spec.bits) - 1)
    x = x.to(_F64)
    span = float(max(-spec.int_min, spec.int_max) + 1)
    a = x.abs() * 2.0 ** (-spec.scale_exp)
    if not saturate:
        fl, up = round_magnitude(torch.clamp(a, max=2.0 ** 62), u)
        val = fl + up.to(_I64)
        val = torch.where(torch.signbit(x), -val, val)
        bad = (val < spec.int_min) | (val > spec.int_max) | torch.isinf(x)
        if bool(bad.any()):
            raise _range_error(spec, x, bad)
    else:
        fl, up = round_magnitude(torch.clamp(a, max=span), u)
        val = fl + up.to(_I64)
        val = torch.where(torch.signbit(x), -val, val)
        val = torch.clamp(val, spec.int_min, spec.int_max)
    return val & ((1 << spec.bits) - 1)


def _range_error(spec: FormatSpec, x: torch.Tensor, bad: torch.Tensor) -> ValueError:
    return ValueError(f"value {float(x[bad].flatten()[0])!r} out of range for {spec.name} "
                      f"with saturate=False: integer range is {spec.int_min}..{spec.int_max} "
                      f"(times 2^{spec.scale_exp})")


def decode_int(c: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """int64 two's complement codes -> float64 values ``code * 2^scale_exp`` (unchecked)."""
    half = 1 << (spec.bits - 1)
    val = torch.where(c >= half, c - (1 << spec.bits), c)
    return val.to(_F64) * 2.0 ** spec.scale_exp


def encode_bin1(x: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """Float ``x`` -> bin1 codes: 1 where ``x > 0``, else 0."""
    return (x > 0).to(_I64)


def decode_bin1(c: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """bin1 codes -> -1.0 (code 0) or +1.0 (code 1)."""
    return c.to(_F64) * 2.0 - 1.0


# ----- posits ----------------------------------------------------------------------------

def encode_posit(x: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """Float ``x`` -> int64 posit codes (round to nearest on the pattern, ties to even;
    saturate at maxpos / minpos; NaN and Inf -> NaR)."""
    x = x.to(_F64)
    n, es = spec.bits, spec.es
    w = n - 1
    maxmag = (1 << w) - 1
    finite = torch.isfinite(x)
    neg = x < 0
    a = torch.where(finite, x.abs(), torch.ones_like(x))
    zero = a == 0
    a = torch.where(zero, torch.ones_like(a), a)
    scale = _floor_log2(a)
    k = scale >> es
    ex = scale & ((1 << es) - 1)
    kc = torch.clamp(k, -(n - 1), n - 2)
    reg_len = torch.where(kc >= 0, kc + 2, 1 - kc)
    regime = torch.where(kc >= 0, ((1 << (kc + 1)) - 1) << 1, torch.ones_like(kc))
    nb = torch.clamp(w - reg_len, min=0)  # exponent and fraction bits that fit
    # fraction of the significand, a in [1, 2): m - 1, in units of the last kept bit
    m1 = a * pow2(-torch.clamp(scale, -1022, 1022)) - 1.0  # saturated cases drop it
    keep_e = torch.clamp(nb, max=es)  # exponent bits kept
    cut = es - keep_e  # exponent bits below the last kept bit
    fb = nb - keep_e  # fraction bits kept
    head = (regime << nb) | ((ex >> cut) << fb)
    scaled = m1 * pow2(fb)  # fb >= 0 only when cut == 0
    fl = torch.floor(scaled)
    frac = scaled - fl
    # with exponent bits cut, the dropped part is (ex_low + m1) / 2^cut
    ex_low = ex & ((1 << cut) - 1)
    halfway = 1 << torch.clamp(cut - 1, min=0)
    above = torch.where(cut > 0, (ex_low > halfway) | ((ex_low == halfway) & (m1 > 0)),
                        frac > 0.5)
    tie = torch.where(cut > 0, (ex_low == halfway) & (m1 == 0), frac == 0.5)
    mag = head + torch.where(cut > 0, torch.zeros_like(fl), fl).to(_I64)
    mag = mag + (above | (tie & ((mag & 1) == 1))).to(_I64)
    mag = torch.clamp(mag, 1, maxmag)
    mag = torch.where(k >= n - 2, maxmag, torch.where(k <= -(n - 1), 1, mag))
    code = torch.where(neg, ((1 << n) - mag) & ((1 << n) - 1), mag)
    code = torch.where(zero, 0, code)
    return torch.where(finite, code, 1 << w)


def decode_posit(c: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """int64 posit codes -> exact float64 values (NaR -> NaN)."""
    n, es = spec.bits, spec.es
    w = n - 1
    mask_w = (1 << w) - 1
    sign = (c >> w) & 1
    nar = c == (1 << w)
    zero = c == 0
    mag = torch.where(sign == 1, ((1 << n) - c) & ((1 << n) - 1), c)
    rem = mag & mask_w
    first = (rem >> (w - 1)) & 1
    run_src = torch.where(first == 1, ~rem & mask_w, rem)
    m = w - (_floor_log2(run_src.to(_F64)) + 1)  # frexp(0) gives 0: a full run
    m = torch.where(run_src == 0, w, m)
    k = torch.where(first == 1, m - 1, -m)
    nrest = torch.clamp(w - m - 1, min=0)
    rest = rem & ((1 << nrest) - 1)
    fbits = torch.clamp(nrest - es, min=0)
    e = torch.where(nrest >= es, rest >> fbits, rest << torch.clamp(es - nrest, min=0))
    frac = rest & ((1 << fbits) - 1)
    sig = (frac + (1 << fbits)).to(_F64)
    val = sig * pow2(k * (1 << es) + e - fbits)
    val = torch.where(sign == 1, -val, val)
    val = torch.where(zero, 0.0, val)
    return torch.where(nar, torch.nan, val)


# ----- dispatch --------------------------------------------------------------------------

def check_codes(codes: object, spec: FormatSpec) -> torch.Tensor:
    """Validate codes of ``spec`` and return them as int64 (see the module docstring)."""
    if not isinstance(codes, torch.Tensor):
        a = np.asarray(codes)
        if a.dtype.kind in "fb" or a.dtype.name in _ML_FLOATS:
            raise ValueError(f"codes of {spec.name} must have an integer dtype, not {a.dtype}")
        if a.dtype.kind not in "iu":
            raise TypeError(f"codes of {spec.name} must be integers, not dtype {a.dtype}")
        codes = torch.from_numpy(a.astype(np.int64))
    if codes.dtype.is_complex:
        raise TypeError(f"codes of {spec.name} must be integers, not {codes.dtype}")
    if codes.dtype.is_floating_point or codes.dtype == torch.bool:
        raise ValueError(f"codes of {spec.name} must have an integer dtype, not {codes.dtype}")
    c = codes.to(_I64)
    if c.numel():
        lo, hi = int(c.min()), int(c.max())
        if lo < 0 or hi >= 1 << spec.bits:
            bad = lo if lo < 0 else hi
            raise ValueError(f"code {bad} out of range for {spec.name}: "
                             f"codes are 0..{spec.n_codes - 1}")
        if spec.kind == "int" and spec.int_min > -(1 << (spec.bits - 1)):
            val = torch.where(c >= 1 << (spec.bits - 1), c - (1 << spec.bits), c)
            bad = (val < spec.int_min) | (val > spec.int_max)
            if bool(bad.any()):
                raise ValueError(f"code {int(c[bad].flatten()[0]):#x} is not a code of "
                                 f"{spec.name}: values are {spec.int_min}..{spec.int_max}")
    return c


def encode_codes(x: torch.Tensor, spec: FormatSpec, saturate: bool,
                 u: torch.Tensor | None, overwrite: bool = False) -> torch.Tensor:
    """Float32/float64 ``x`` -> integer codes (int32 or int64) of element format ``spec``.

    No NaN check here (the public API does it); ``u`` (float64 draws) selects stochastic
    rounding for floats and integers; ``overwrite``: ``x`` is a temporary that may be reused.
    """
    if spec.kind == "float":
        return encode_float(x, spec, saturate, u, overwrite)
    if spec.kind == "int":
        return encode_int(x, spec, saturate, u)
    if spec.kind == "bin1":
        return encode_bin1(x, spec)
    if spec.kind == "posit":
        return encode_posit(x, spec)
    raise ValueError(f"format {spec.name!r} is a block format; use quantize/dequantize")


@lru_cache(maxsize=64)
def value_table(spec: FormatSpec, dtype: torch.dtype) -> torch.Tensor:
    """The value of every code of a format of <= 16 bits, rounded once to ``dtype``
    (exact for float64 and for ``value_dtype(spec)``)."""
    return decode_exact(torch.arange(spec.n_codes, dtype=_I64), spec).to(dtype)


def decode_codes(c: torch.Tensor, spec: FormatSpec,
                 dtype: torch.dtype = _F64) -> torch.Tensor:
    """Integer codes (unchecked) -> values in ``dtype`` (a table lookup up to 16 bits)."""
    if spec.bits <= 16:
        return lookup(value_table(spec, dtype), c)
    if (spec.kind, spec.exp_bits, spec.man_bits, spec.bias) == ("float", 8, 23, 127):
        # IEEE binary32 itself: the bits are the value (NaN payloads kept, as in NumPy)
        c32 = torch.where(c >= 1 << 31, c - (1 << 32), c).to(torch.int32)
        return c32.view(torch.float32).to(dtype)
    return decode_exact(c.to(_I64), spec).to(dtype)


def decode_exact(c: torch.Tensor, spec: FormatSpec) -> torch.Tensor:
    """int64 codes of element format ``spec`` -> exact float64 values."""
    if spec.kind == "float":
        return decode_float(c, spec)
    if spec.kind == "int":
        return decode_int(c, spec)
    if spec.kind == "bin1":
        return decode_bin1(c, spec)
    if spec.kind == "posit":
        return decode_posit(c, spec)
    raise ValueError(f"format {spec.name!r} is a block format; use quantize/dequantize")
