"""lowbit hardware: Amaranth 0.5 components that match the golden model bit for bit.

Every unit is a :class:`amaranth.lib.wiring.Component` parameterised by
:class:`~golden.formats.FormatSpec` objects (see ``docs/hardware.md``):

- :class:`Fp32Round` - the one shared fp32 RNE rounding module (combinational).
- :class:`ElementDecoder` - element code -> raw record (sign, sig, exp, class flags).
- :class:`RawFloatAdd` - fused add of two raw values, rounded once to fp32 (combinational).
- :class:`Fp32Add`, :class:`Fp32Mul` - IEEE binary32 add / multiply (latency 1).
- :class:`ScalarMac` - element x element multiply-accumulate into fp32 or int32 (latency 2).
- :class:`MxDot`, :class:`Nvfp4Dot` - block dot-product units (imported on first use).
"""

from __future__ import annotations

import importlib

from hw.common.decode import ElementDecoder
from hw.common.fp32_round import FP32_QNAN, Fp32Round
from hw.fp.fp32_add import Fp32Add, RawFloatAdd
from hw.fp.fp32_mul import Fp32Mul
from hw.fp.mac import ScalarMac

__all__ = [
    "FP32_QNAN",
    "ElementDecoder",
    "Fp32Add",
    "Fp32Mul",
    "Fp32Round",
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
