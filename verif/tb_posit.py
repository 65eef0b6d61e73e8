"""cocotb test module for the posit units (``mac``, ``codec``, ``round``), every posit format."""

import cocotb

from verif.posit_jobs import posit_job
from verif.tb_common import run_stream


@cocotb.test()
async def posit_stream(dut: object) -> None:
    """Stream the unit's job; every output code checked against golden.posit / golden.quire."""
    await run_stream(dut, posit_job)
