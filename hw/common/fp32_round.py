"""fp32 instance of the shared float rounding module :class:`~hw.common.float_round.FloatRound`.

Every unit of ``hw/`` that produces an fp32 result computes an exact (or exact-enough, see
``sticky``) raw value ``(-1)**sign * mag * 2**exp`` and hands it to :class:`Fp32Round`,
which rounds it ONCE to IEEE 754 binary32 with round-to-nearest, ties-to-even. The helpers
``normalize``, ``check_mutation`` and ``ROUND_MUTATIONS`` live in
:mod:`hw.common.float_round` and are re-exported here.
"""

from __future__ import annotations

from hw.common.float_round import ROUND_MUTATIONS, FloatRound, check_mutation, normalize

__all__ = ["FP32_QNAN", "ROUND_MUTATIONS", "Fp32Round", "check_mutation", "normalize"]

FP32_QNAN = 0x7FC00000
"""The canonical quiet NaN every fp32 unit outputs for a NaN result."""


class Fp32Round(FloatRound):
    """``FloatRound(fmt="fp32", ...)``: round a raw value once to IEEE binary32 (RNE,
    subnormals kept, overflow to Inf); ``out`` is 32 bits, a NaN result ``0x7FC00000``.

    Parameters
    ----------
    mag_width, exp_width, mutation
        As for :class:`~hw.common.float_round.FloatRound`.
    """

    def __init__(self, *, mag_width: int, exp_width: int, mutation: str | None = None) -> None:
        super().__init__(fmt="fp32", mag_width=mag_width, exp_width=exp_width,
                         mutation=mutation)
