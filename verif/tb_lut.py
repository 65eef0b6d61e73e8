"""cocotb test module of the LUT tensor core and its MAC baseline (units ``lut``, ``lut_mac``).

The testbench is the engine's buffer system: it serves the activation and weight buffer
words of a :class:`~verif.lut_jobs.LutJob` with a one-cycle synchronous read, collects the
output-buffer writes, scores every output bit for bit against ``golden.gemm`` and the
cycles from ``start`` to ``done`` against the cycle model (``models/cycle_lut.py``), both
through the one Scoreboard. The GEMM is :func:`verif.lut_jobs.default_job` of the run
request (weight format, unit, seed, vectors, stimulus). ``result.json`` adds ``cycles``,
``predicted_cycles``, ``utilization`` and ``ops`` (multiply-accumulates, ``M * K * N``).
Inputs are driven and outputs sampled at the falling clock edge.
"""

from __future__ import annotations

import time

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from hw.lut.weights import weight_int
from sim.protocol import load_request
from verif.lut_jobs import default_job, unpack_outputs
from verif.tb_common import score_gemms, write_result


@cocotb.test()
async def lut_gemm(dut: object) -> None:
    """One GEMM through the engine: every output and the cycle count checked."""
    req = load_request()
    job = default_job(req.format, req.unit, req.seed, req.vectors, rows=req.array[0],
                      cols=req.array[1], stimulus=req.stimulus)
    Clock(dut.clk, 10, unit="ns").start()
    fe = FallingEdge(dut.clk)
    dut.rst.value = 1
    dut.start.value = 0
    for k, v in job.sizes.items():
        getattr(dut, k).value = v
    for _ in range(2):
        await fe
    dut.rst.value = 0
    await fe
    t0 = time.perf_counter()
    dut.start.value = 1
    await fe
    dut.start.value = 0
    out: dict[int, int] = {}
    cycles, pa, pw = 1, None, None
    limit = 10 * job.predicted_cycles + 100
    while cycles < limit:
        if pa is not None:  # synchronous read: the word addressed in the previous cycle
            dut.a_data.value = job.a_mem[pa]
        if pw is not None:
            dut.w_data.value = job.w_mem[pw]
        pa = int(dut.a_addr.value) if int(dut.a_rd.value) else None
        pw = int(dut.w_addr.value) if int(dut.w_rd.value) else None
        if int(dut.o_valid.value):
            out[int(dut.o_addr.value)] = int(dut.o_data.value)
        if int(dut.done.value):
            break
        await fe
        cycles += 1
    sim_s = time.perf_counter() - t0
    got = unpack_outputs(out, job.M, job.N, job.R, job.C)
    nan = np.zeros(job.expected.shape, bool)  # int32 and exactly rounded fp4 sums: no NaN
    sb = score_gemms(req, [(job.M, job.K, job.N)], [job.expected], [nan], [got], [cycles],
                     [job.predicted_cycles])
    # peak: R * C * g / P multiply-accumulates per cycle (P bit-planes per k-group)
    planes = weight_int(job.fmt_w).planes if job.unit == "lut" else 1
    util = job.M * job.K * job.N * planes / (cycles * job.R * job.C * job.g)
    dut._log.info(f"{job.unit} {job.fmt_w.name} x int8, M,K,N={job.M},{job.K},{job.N} on "
                  f"R,C,g={job.R},{job.C},{job.g}: cycles measured {cycles}, predicted "
                  f"{job.predicted_cycles}, utilization {100 * util:.1f}%")
    write_result(dut, sb, cycles=cycles, predicted_cycles=job.predicted_cycles,
                 utilization=util, ops=job.ops, sim_seconds=round(sim_s, 3))
