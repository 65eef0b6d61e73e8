"""Format specifications: the one place where every number format of lowbit is described.

A :class:`FormatSpec` is a frozen record of a format's parameters. Every other layer
(the golden codecs, the hardware generators in ``hw/``, the vector generators in
``verif/``, the cost models) derives what it needs from these fields; nothing else
in the project knows a format by its name.

Families (``FormatSpec.kind``):

``"float"``
    Sign (optional), ``exp_bits`` exponent bits with ``bias``, ``man_bits`` stored
    mantissa bits. ``nan`` says which codes are NaN: ``"none"``, ``"ieee"`` (exponent
    all ones, mantissa non-zero; with ``inf`` the mantissa-zero codes are Inf) or
    ``"allones"`` (only the all-ones magnitude, as in OCP fp8_e4m3 and e8m0).
    ``subnormals=False`` means the exponent field 0 is an ordinary normal exponent
    (e8m0 has no zero and no subnormals).
``"int"``
    Two's complement integer of ``bits`` bits, value ``code * 2**scale_exp``, range
    ``[int_min, int_max]`` (ternary: -1..+1; mxint8 elements: symmetric +-127).
``"bin1"``
    One bit: code 0 is -1, code 1 is +1.
``"posit"``
    posit<n, es> (2022 standard), ``bits = n``.
``"block"``
    A block format: ``element`` codes sharing one ``scale`` per ``block_size``
    elements, optionally with an fp32 per-tensor scale (NVFP4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

import numpy as np

Kind = Literal["float", "int", "bin1", "posit", "block"]
NanStyle = Literal["none", "ieee", "allones"]

__all__ = [
    "FormatLike",
    "FormatSpec",
    "block_format_names",
    "element_format_names",
    "format_names",
    "get_format",
    "int_format",
    "posit",
]


@dataclass(frozen=True)
class FormatSpec:
    """Parameters of one number format. Construct through the registry, not by hand.

    Attributes beyond the constructor fields are derived properties (``precision``,
    ``emin``, ``emax``, ``max_finite``, ...), so that no layer recomputes them.
    """

    name: str
    kind: Kind
    bits: int
    # float fields
    exp_bits: int = 0
    man_bits: int = 0
    bias: int = 0
    signed: bool = True
    inf: bool = False
    nan: NanStyle = "none"
    subnormals: bool = True
    # int fields
    int_min: int = 0
    int_max: int = 0
    scale_exp: int = 0
    # posit fields
    es: int = 0
    # block fields
    element: FormatSpec | None = field(default=None, compare=True)
    scale: FormatSpec | None = None
    block_size: int = 0
    tensor_scale: bool = False
    description: str = field(default="", compare=False)

    # ----- derived properties -------------------------------------------------------
    @property
    def is_block(self) -> bool:
        return self.kind == "block"

    @property
    def is_integer(self) -> bool:
        """True for formats whose products accumulate exactly in int32."""
        return self.kind in ("int", "bin1") and self.scale_exp == 0

    @property
    def n_codes(self) -> int:
        return 1 << self.bits

    @property
    def precision(self) -> int:
        """Significand bits including the implicit one (floats only)."""
        return self.man_bits + 1

    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number (floats only)."""
        return (1 if self.subnormals else 0) - self.bias

    @property
    def max_exp_field(self) -> int:
        """Largest exponent field value that holds finite numbers (floats only)."""
        top = (1 << self.exp_bits) - 1
        if self.nan == "ieee" or self.inf:
            return top - 1
        if self.nan == "allones" and self.man_bits == 0:
            return top - 1
        return top

    @property
    def max_man_field(self) -> int:
        """Largest mantissa field at ``max_exp_field`` (floats only)."""
        full = (1 << self.man_bits) - 1
        if self.nan == "allones" and self.man_bits > 0:
            return full - 1
        return full

    @property
    def emax(self) -> int:
        """Exponent of the largest power of two <= max finite (OCP MX ``emax_elem``)."""
        if self.kind == "float":
            return self.max_exp_field - self.bias
        if self.kind in ("int", "bin1"):
            top = Fraction(self.int_max) * Fraction(2) ** self.scale_exp
            return _floor_log2(top)
        if self.kind == "posit":
            return (1 << self.es) * (self.bits - 2)
        raise ValueError(f"format {self.name!r} has no element emax")

    @property
    def max_finite_exact(self) -> Fraction:
        """Largest finite magnitude as an exact fraction."""
        if self.kind == "float":
            sig = Fraction((1 << self.man_bits) + self.max_man_field, 1 << self.man_bits)
            return sig * Fraction(2) ** (self.max_exp_field - self.bias)
        if self.kind in ("int", "bin1"):
            return Fraction(self.int_max) * Fraction(2) ** self.scale_exp
        if self.kind == "posit":
            return Fraction(2) ** ((1 << self.es) * (self.bits - 2))
        raise ValueError(f"format {self.name!r} has no max finite")

    @property
    def max_finite(self) -> float:
        return float(self.max_finite_exact)

    @property
    def min_positive_exact(self) -> Fraction:
        """Smallest positive magnitude (a subnormal where the format has them)."""
        if self.kind == "float":
            if self.subnormals:
                return Fraction(2) ** (self.emin - self.man_bits)
            return Fraction(2) ** self.emin
        if self.kind in ("int", "bin1"):
            return Fraction(2) ** self.scale_exp
        if self.kind == "posit":
            return Fraction(2) ** (-(1 << self.es) * (self.bits - 2))
        raise ValueError(f"format {self.name!r} has no min positive")

    @property
    def min_positive(self) -> float:
        return float(self.min_positive_exact)

    @property
    def has_nan(self) -> bool:
        return self.nan != "none" or self.kind == "posit"

    @property
    def code_dtype(self) -> np.dtype:
        """Unsigned NumPy dtype of one code: uint8 (<= 8 bits), uint16 (<= 16), uint32 (<= 32),
        uint64 (<= 64: the wide ``int{n}`` formats)."""
        for width, dtype in ((8, np.uint8), (16, np.uint16), (32, np.uint32), (64, np.uint64)):
            if self.bits <= width:
                return np.dtype(dtype)
        raise ValueError(f"format {self.name!r} has {self.bits} bits; codes hold at most 64")

    @property
    def value_dtype(self) -> np.dtype:
        """dtype of decoded values: float32 when every value of the format is exactly a
        float32 (precision <= 24 bits, exponents within fp32's range), else float64; int64
        for the ``int{n}`` formats of n >= 54 bits (beyond float64's exact integers)."""
        spec = self.element if self.kind == "block" else self
        if spec is None:
            raise ValueError(f"block format {self.name!r} has no element format")
        if spec.kind == "float":
            prec, top, low = spec.precision, spec.emax, spec.emin - spec.man_bits
        elif spec.kind in ("int", "bin1"):
            mag = max(-spec.int_min, spec.int_max)
            prec, top = mag.bit_length(), spec.emax
            low = spec.scale_exp
            if prec > 53 and spec.scale_exp == 0:  # int{n} beyond float64's integers
                return np.dtype(np.int64)
        else:  # posit: at most n - 2 - es significand bits, exponents +-(n - 2) * 2**es
            prec = max(spec.bits - 2 - spec.es, 1)
            top = spec.emax
            low = -top
        fits = prec <= 24 and top <= 127 and low >= -149
        return np.dtype(np.float32 if fits else np.float64)

    @property
    def ml_dtypes_name(self) -> str | None:
        """Name of the matching ``ml_dtypes``/NumPy dtype, the oracle used by the tests."""
        return _ML_DTYPES.get(self.name)

    def __repr__(self) -> str:  # short: specs nest (block -> element)
        return f"FormatSpec({self.name!r})"


def _floor_log2(x: Fraction) -> int:
    n, d = x.numerator, x.denominator
    e = n.bit_length() - d.bit_length()
    if Fraction(2) ** e > x:
        e -= 1
    return e


def _float(name: str, exp_bits: int, man_bits: int, bias: int, *, inf: bool = False,
           nan: NanStyle = "none", signed: bool = True, subnormals: bool = True,
           description: str = "") -> FormatSpec:
    bits = int(signed) + exp_bits + man_bits
    return FormatSpec(name=name, kind="float", bits=bits, exp_bits=exp_bits,
                      man_bits=man_bits, bias=bias, inf=inf, nan=nan, signed=signed,
                      subnormals=subnormals, description=description)


def _int(name: str, bits: int, int_min: int, int_max: int, scale_exp: int = 0,
         description: str = "") -> FormatSpec:
    return FormatSpec(name=name, kind="int", bits=bits, int_min=int_min, int_max=int_max,
                      scale_exp=scale_exp, description=description)


def posit(n: int, es: int = 2) -> FormatSpec:
    """The posit<n, es> format, named ``posit{n}`` for es = 2 and ``posit{n}_es{es}`` else."""
    if not isinstance(n, int) or not 2 <= n <= 32:
        raise ValueError(f"posit width n must be an integer in 2..32, not {n!r}")
    if not isinstance(es, int) or not 0 <= es <= 4:
        raise ValueError(f"posit exponent size es must be an integer in 0..4, not {es!r}")
    name = f"posit{n}" if es == 2 else f"posit{n}_es{es}"
    return FormatSpec(name=name, kind="posit", bits=n, es=es,
                      int_min=0, int_max=0, description=f"posit<{n},{es}> (Posit Standard 2022)")


_E8M0 = _float("e8m0", 8, 0, 127, nan="allones", signed=False, subnormals=False,
               description="OCP MX shared scale: unsigned power of two 2^-127..2^127, 0xFF NaN")
_E4M3 = _float("fp8_e4m3", 4, 3, 7, nan="allones", description="OCP FP8 E4M3 (no Inf)")

_ELEMENTS: list[FormatSpec] = [
    _float("fp4_e2m1", 2, 1, 1, description="OCP MX FP4 (E2M1), no Inf/NaN"),
    _float("fp6_e2m3", 2, 3, 1, description="OCP MX FP6 (E2M3), no Inf/NaN"),
    _float("fp6_e3m2", 3, 2, 3, description="OCP MX FP6 (E3M2), no Inf/NaN"),
    _E4M3,
    _float("fp8_e5m2", 5, 2, 15, inf=True, nan="ieee", description="OCP FP8 E5M2 (IEEE-like)"),
    _int("int8", 8, -128, 127, description="two's complement int8"),
    _int("int4", 4, -8, 7, description="two's complement int4"),
    _int("int2", 2, -2, 1, description="two's complement int2"),
    _int("ternary", 2, -1, 1, description="ternary {-1,0,+1}, 2-bit two's complement code"),
    FormatSpec(name="bin1", kind="bin1", bits=1, int_min=-1, int_max=1,
               description="binary {-1,+1}: code 0 is -1, code 1 is +1"),
    _E8M0,
    _float("fp16", 5, 10, 15, inf=True, nan="ieee", description="IEEE 754 binary16"),
    _float("bf16", 8, 7, 127, inf=True, nan="ieee", description="bfloat16"),
    _float("fp32", 8, 23, 127, inf=True, nan="ieee", description="IEEE 754 binary32"),
    posit(8, 2),
    posit(16, 2),
    posit(32, 2),
]

_MXINT8_ELEMENT = _int("mxint8_element", 8, -127, 127, scale_exp=-6,
                       description="int8 with implicit 2^-6 scale, symmetric +-127")


def _mx(name: str, element: FormatSpec) -> FormatSpec:
    return FormatSpec(name=name, kind="block", bits=element.bits, element=element,
                      scale=_E8M0, block_size=32,
                      description=f"OCP MX: 32 x {element.name} sharing one e8m0 scale")


_BY_NAME = {f.name: f for f in _ELEMENTS}
_BLOCKS: list[FormatSpec] = [
    _mx("mxfp4", _BY_NAME["fp4_e2m1"]),
    _mx("mxfp6_e2m3", _BY_NAME["fp6_e2m3"]),
    _mx("mxfp6_e3m2", _BY_NAME["fp6_e3m2"]),
    _mx("mxfp8_e4m3", _BY_NAME["fp8_e4m3"]),
    _mx("mxfp8_e5m2", _BY_NAME["fp8_e5m2"]),
    _mx("mxint8", _MXINT8_ELEMENT),
    FormatSpec(name="nvfp4", kind="block", bits=4, element=_BY_NAME["fp4_e2m1"], scale=_E4M3,
               block_size=16, tensor_scale=True,
               description="NVFP4: 16 x fp4_e2m1, fp8_e4m3 block scale, fp32 tensor scale"),
]
_BY_NAME.update({f.name: f for f in _BLOCKS})

_ML_DTYPES = {
    "fp4_e2m1": "float4_e2m1fn",
    "fp6_e2m3": "float6_e2m3fn",
    "fp6_e3m2": "float6_e3m2fn",
    "fp8_e4m3": "float8_e4m3fn",
    "fp8_e5m2": "float8_e5m2",
    "e8m0": "float8_e8m0fnu",
    "fp16": "float16",
    "bf16": "bfloat16",
    "fp32": "float32",
    "int8": "int8",
    "int4": "int4",
    "int2": "int2",
}

_POSIT_NAME = re.compile(r"posit(\d+)(?:_es(\d+))?")
_INT_NAME = re.compile(r"int([1-9]\d*)")
INT_BITS = (2, 64)
"""Widths ``n`` of the ``int{n}`` names :func:`get_format` builds on demand."""


def int_format(n: int) -> FormatSpec:
    """The two's complement ``int{n}`` format (``-2**(n-1) .. 2**(n-1) - 1``), 2 <= n <= 64.

    Equal to the registered int2/int4/int8 specs for those widths; other widths (int16,
    int32, ...) are built on demand and are not in :func:`format_names`.
    """
    lo, hi = INT_BITS
    if not isinstance(n, int) or isinstance(n, bool) or not lo <= n <= hi:
        raise ValueError(f"integer width n must be an integer in {lo}..{hi}, not {n!r}")
    return _int(f"int{n}", n, -(1 << (n - 1)), (1 << (n - 1)) - 1,
                description=f"two's complement int{n}")

FormatLike = str | FormatSpec
"""Anything a public API accepts as a format: a registered name or a spec."""


def format_names() -> list[str]:
    """Every registered format name (posits beyond posit8/16/32 are built on demand)."""
    return list(_BY_NAME)


def element_format_names() -> list[str]:
    return [f.name for f in _ELEMENTS]


def block_format_names() -> list[str]:
    return [f.name for f in _BLOCKS]


def get_format(fmt: str | FormatSpec) -> FormatSpec:
    """Return the :class:`FormatSpec` for a name (or pass a spec through).

    Posits of any size are accepted as ``posit{n}`` (es = 2) or ``posit{n}_es{es}``
    with 2 <= n <= 32 and 0 <= es <= 4, two's complement integers of any width as
    ``int{n}`` with 2 <= n <= 64 (:func:`int_format`). An unknown name raises
    ``ValueError`` that lists the valid names.
    """
    if isinstance(fmt, FormatSpec):
        return fmt
    if not isinstance(fmt, str):
        raise TypeError(f"format must be a name (str) or a FormatSpec, not {type(fmt).__name__}")
    spec = _BY_NAME.get(fmt)
    if spec is not None:
        return spec
    m = _POSIT_NAME.fullmatch(fmt)
    if m:
        return posit(int(m.group(1)), int(m.group(2)) if m.group(2) is not None else 2)
    m = _INT_NAME.fullmatch(fmt)
    if m:
        return int_format(int(m.group(1)))
    raise ValueError(
        f"unknown format {fmt!r}; valid formats: {', '.join(format_names())}, "
        "posit{n}_es{es} for 2 <= n <= 32, 0 <= es <= 4, and int{n} for 2 <= n <= 64"
    )
