"""lowbit hardware: Amaranth 0.5 components that match the golden model bit for bit.

Every unit is a :class:`amaranth.lib.wiring.Component` parameterised by
:class:`~golden.formats.FormatSpec` objects (see ``docs/hardware.md``):

- :class:`FloatRound` - the one shared RNE rounding module to an IEEE-style float format
  (combinational); :class:`Fp32Round` is its fp32 instance.
- :class:`ElementDecoder` - element code -> raw record (sign, sig, exp, class flags).
- :class:`RawFloatAdd` - fused add of two raw values, rounded once to fp32 or another
  IEEE-style format (combinational).
- :class:`FloatAdd`, :class:`FloatMul` - add / multiply of one IEEE-style float format
  (fp16, bf16, fp32, fp8_e5m2; latency 1); :class:`Fp32Add`, :class:`Fp32Mul` are the fp32
  instances.
- :class:`IntAdd`, :class:`IntMul` - exact two's complement add / multiply (latency 1).
- :class:`ScalarMac` - element x element multiply-accumulate into fp32 or int32 (latency 2).
- :class:`MxDot`, :class:`Nvfp4Dot` - block dot-product units (imported on first use).
"""

from __future__ import annotations

import importlib

from hw.common.decode import ElementDecoder
from hw.common.float_round import FloatRound
from hw.common.fp32_round import FP32_QNAN, Fp32Round
from hw.fp.float_add import FloatAdd, RawFloatAdd
from hw.fp.float_mul import FloatMul
from hw.fp.fp32_add import Fp32Add
from hw.fp.fp32_mul import Fp32Mul
from hw.fp.int_arith import IntAdd, IntMul
from hw.fp.mac import ScalarMac

__all__ = [
    "FP32_QNAN",
    "ElementDecoder",
    "FloatAdd",
    "FloatMul",
    "FloatRound",
    "Fp32Add",
    "Fp32Mul",
    "Fp32Round",
    "IntAdd",
    "IntMul",
    "MxDot",
    "Nvfp4Dot",
    "RawFloatAdd",
    "ScalarMac",
]

_LAZY = {"MxDot": "hw.block.mx_dot", "Nvfp4Dot": "hw.block.nvfp4_dot"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hw' has no attribute {name!r}")
