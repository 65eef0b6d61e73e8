"""cocotb test module for ``Nvfp4Dot`` (unit ``dot``), every NVFP4 lane count through one file."""

import cocotb

from verif.jobs import Job, dot_job
from verif.tb_common import run_stream


def _job(p: dict[str, object]) -> Job:
    return dot_job(str(p["format"]), p["format_b"], p["vectors"], int(p["seed"]),
                   int(p["lanes"]))


@cocotb.test()
async def dot_stream(dut: object) -> None:
    """Directed corner blocks and seeded random blocks; d, acc (and out) checked every block."""
    await run_stream(dut, _job)
