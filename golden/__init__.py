"""lowbit golden model: bit-exact NumPy models of every format and of the hardware arithmetic.

Public API (NumPy in, NumPy out; a format is a name or a :class:`FormatSpec`):

- :func:`get_format`, :func:`format_names`, :class:`FormatSpec` - the format registry.
- :func:`encode` / :func:`decode` - element codecs (floats, integers, posits).
- :func:`quantize` / :func:`dequantize` - OCP MX and NVFP4 block quantization.
- :func:`block_dot` / :func:`gemm` - dot products and GEMM with the products, rounding
  points and accumulation order that the hardware uses (``docs/numerics.md``).

The torch twin of this API lives in :mod:`golden.torch` (imported on demand): its
``encode``, ``decode``, ``quantize``, ``dequantize`` and ``fake_quant`` compute in native
torch ops (``quantize`` returns the NumPy :class:`BlockTensor`), while its ``block_dot`` and
``gemm`` convert to NumPy and call the functions of this package.
"""

from golden.block import BlockTensor, dequantize, quantize
from golden.codec import QTensor, decode, encode
from golden.dot import block_dot, gemm
from golden.formats import (
    FormatSpec,
    block_format_names,
    element_format_names,
    format_names,
    get_format,
    posit,
)

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
