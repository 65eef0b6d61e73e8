"""cocotb module of tests/test_activity.py: drive a known sequence into a tiny netlist.

Reads ``seq.json`` beside the run's request file: ``{"port": [value per cycle]}``; each
value is written at a falling clock edge and held one cycle. Writes the ``result.json``
that ``sim.run.simulate`` expects (no outputs are scored: the test counts toggles).
"""

import json
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sim.protocol import REQUEST_ENV


@cocotb.test()
async def drive(dut: object) -> None:
    run_dir = Path(os.environ[REQUEST_ENV]).parent
    seq = json.loads((run_dir / "seq.json").read_text())
    n = len(next(iter(seq.values())))
    Clock(dut.clk, 10, unit="ns").start(start_high=False)
    for i in range(n):
        for port, values in seq.items():
            getattr(dut, port).value = values[i]
        await FallingEdge(dut.clk)
    (run_dir / "result.json").write_text(json.dumps(
        {"vectors": n, "mismatches": 0, "cycles": n, "outputs_sha256": "", "reports": [],
         "sim_seconds": 0.0}))
