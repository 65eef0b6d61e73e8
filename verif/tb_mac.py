"""cocotb test module for ``ScalarMac`` (unit ``mac``), every element format through one file."""

import cocotb

from verif.jobs import Job, mac_job
from verif.tb_common import run_stream


def _job(p: dict[str, object]) -> Job:
    return mac_job(str(p["format"]), p["format_b"], p["vectors"], int(p["seed"]))


@cocotb.test()
async def mac_stream(dut: object) -> None:
    """Every code pair (or corners + random) through the MAC; acc checked after every input."""
    await run_stream(dut, _job)
