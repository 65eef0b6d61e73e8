"""Lane packing: how a vector of codes sits on one wide port or buffer word.

Every lowbit unit with several lanes on one port (block dot units, the PE array's buffer
words, the LUT core's buffer words) uses the same layout: lane ``i`` of a ``width``-bit
operand sits at bits ``[i*width, (i+1)*width)``, lane 0 in the least significant bits.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack_lanes"]


def pack_lanes(codes: np.ndarray, width: int) -> np.ndarray:
    """Pack the last axis of ``codes`` into one Python int per row (lane 0 in the lsbs).

    ``codes`` holds unsigned codes below ``2**width``, as an integer array or (for lanes
    wider than 64 bits, e.g. already packed words) an object array of Python ints. Returns
    an object array of shape ``codes.shape[:-1]``; ``.tolist()`` gives plain ints.
    """
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"pack_lanes width must be a positive integer, not {width!r}")
    codes = np.asarray(codes)
    if codes.ndim == 0:
        raise ValueError("pack_lanes needs at least one axis of lanes")
    lead, lanes = codes.shape[:-1], codes.shape[-1]
    if codes.dtype == object or width > 64:
        out = np.zeros(lead, dtype=object)
        for i in range(lanes):
            out = out + (codes[..., i].astype(object) << (i * width))
        return out
    flat = codes.reshape(-1, lanes).astype(np.uint64)
    shifts = np.arange(width, dtype=np.uint64)
    bits = ((flat[:, :, None] >> shifts) & np.uint64(1)).astype(np.uint8)
    packed = np.packbits(bits.reshape(len(flat), lanes * width), axis=1, bitorder="little")
    out = np.empty(len(flat), dtype=object)
    out[:] = [int.from_bytes(row.tobytes(), "little") for row in packed]
    return out.reshape(lead)
