"""fp32 addition: :class:`Fp32Add`, the binary32 instance of :class:`~hw.fp.float_add.FloatAdd`.

``RawFloatAdd``, ``connect_raw`` and ``ADD_MUTATIONS`` live in :mod:`hw.fp.float_add` and
are re-exported here (the scalar MAC and the block units import them from this module).
"""

from __future__ import annotations

from hw.fp.float_add import ADD_MUTATIONS, FloatAdd, RawFloatAdd, connect_raw

__all__ = ["ADD_MUTATIONS", "Fp32Add", "RawFloatAdd", "connect_raw"]


class Fp32Add(FloatAdd):
    """IEEE 754 binary32 adder ``FloatAdd(fmt="fp32")``: ``sum = RNE_fp32(a + b)``, latency 1.

    Ports ``i_valid``, ``a(32)``, ``b(32)`` -> ``o_valid``, ``sum(32)``; a NaN result is
    ``0x7FC00000``. Matches ``golden.fp32.fp32_add`` (NumPy float32 addition, NaN as a
    class). See :class:`~hw.fp.float_add.FloatAdd`.

    Parameters
    ----------
    mutation : str or None
        ``None`` or one of ``ADD_MUTATIONS`` (see :class:`RawFloatAdd`), for mutation tests.
    """

    def __init__(self, *, mutation: str | None = None) -> None:
        super().__init__(fmt="fp32", mutation=mutation)
