"""cocotb test module for the fp32 units ``Fp32Add`` (unit ``add``) and ``Fp32Mul`` (``mul``)."""

import cocotb

from verif.jobs import DEFAULT_FP32_VECTORS, Job, fp32_job
from verif.tb_common import run_stream


def _job(p: dict[str, object]) -> Job:
    return fp32_job(str(p["unit"]), p["vectors"] or DEFAULT_FP32_VECTORS, int(p["seed"]))


@cocotb.test()
async def fp32_stream(dut: object) -> None:
    """Corners x corners and seeded random fp32 pairs; every result bit-exact (NaN a class)."""
    await run_stream(dut, _job)
