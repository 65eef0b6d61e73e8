"""cocotb test module of every stream unit (add/mul, MACs, block dot units, posit units,
and any unit registered with a precomputed job): one file, every unit and format."""

import cocotb

from verif.tb_common import run_stream


@cocotb.test()
async def stream(dut: object) -> None:
    """Stream the run's ``job.npz`` through the DUT; every output checked against golden."""
    await run_stream(dut)
