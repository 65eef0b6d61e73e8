"""lowbit golden model: bit-exact NumPy models of every format and of the hardware arithmetic.

Public API (NumPy in, NumPy out; a format is a name or a :class:`FormatSpec`):

- :func:`get_format`, :func:`format_names`, :class:`FormatSpec` - the format registry.
- :func:`encode` / :func:`decode` - element codecs (floats, integers, posits).
- :func:`quantize` / :func:`dequantize` - OCP MX and NVFP4 block quantization.
- :func:`block_dot` / :func:`gemm` - dot products and GEMM with the products, rounding
  points and accumulation order that the hardware uses (``docs/numerics.md``).

The torch twin of this API lives in :mod:`golden.torch` (imported on demand).
"""

from golden.formats import (
    FormatSpec,
    block_format_names,
    element_format_names,
    format_names,
    get_format,
    posit,
)

# Filled in as the codec, block and dot modules are imported (see __getattr__).
_LAZY = {
    "BlockTensor": "golden.block", "quantize": "golden.block", "dequantize": "golden.block",
    "QTensor": "golden.codec", "encode": "golden.codec", "decode": "golden.codec",
    "block_dot": "golden.dot", "gemm": "golden.dot",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'golden' has no attribute {name!r}")


__all__ = [
    "BlockTensor",
    "FormatSpec",
    "QTensor",
    "block_dot",
    "block_format_names",
    "decode",
    "dequantize",
    "element_format_names",
    "encode",
    "format_names",
    "gemm",
    "get_format",
    "posit",
    "quantize",
]
