"""cocotb test module for any stream DUT driven by a precomputed job (``LOWBIT_JOB``)."""

import cocotb

from verif.tb_common import run_stream


def _no_builder(params: dict[str, object]) -> object:
    raise RuntimeError("tb_job needs LOWBIT_JOB (a pickled verif.jobs.Job)")


@cocotb.test()
async def stream_job(dut: object) -> None:
    """Stream the pickled job through the DUT and score every output."""
    await run_stream(dut, _no_builder)
