"""fp32 multiplier: :class:`Fp32Mul`, the binary32 instance of :class:`~hw.fp.float_mul.FloatMul`.
"""

from __future__ import annotations

from hw.fp.float_mul import FloatMul

__all__ = ["Fp32Mul"]


class Fp32Mul(FloatMul):
    """IEEE 754 binary32 multiplier ``FloatMul(fmt="fp32")``: ``prod = RNE_fp32(a * b)``,
    latency 1.

    Ports ``i_valid``, ``a(32)``, ``b(32)`` -> ``o_valid``, ``prod(32)``: the 24 x 24-bit
    significand product is exact and rounded once; a NaN result is ``0x7FC00000``; the sign
    is ``sign(a) xor sign(b)`` also for zeros. Matches NumPy float32 multiplication. See
    :class:`~hw.fp.float_mul.FloatMul`.

    Parameters
    ----------
    mutation : str or None
        ``None``, ``"truncate"`` or ``"drop_sticky"``
        (see :class:`~hw.common.float_round.FloatRound`).
    """

    def __init__(self, *, mutation: str | None = None) -> None:
        super().__init__(fmt="fp32", mutation=mutation)
