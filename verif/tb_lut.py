"""cocotb test module for the LUT tensor core and its MAC baseline (units ``lut``, ``lut_mac``).

The testbench is the engine's buffer system: it serves the activation and weight buffer
words of a :class:`~verif.lut_jobs.LutJob` with a one-cycle synchronous read, collects the
output-buffer writes, scores every output bit for bit against ``golden.gemm`` and compares
the cycles from ``start`` to ``done`` with the cycle model (``models/cycle_lut.py``); a
cycle difference counts as a mismatch. The job is the pickled ``LOWBIT_JOB`` if given, else
:func:`verif.lut_jobs.default_job` for ``LOWBIT_FORMAT`` / ``LOWBIT_UNIT`` / ``LOWBIT_SEED``.
Inputs are driven and outputs sampled at the falling clock edge.
"""

from __future__ import annotations

import json
import os
import pickle
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from hw.lut.weights import weight_int
from verif.lut_jobs import LutJob, default_job, unpack_outputs
from verif.tb_common import env_params


def _job() -> LutJob:
    path = os.environ.get("LOWBIT_JOB", "")
    if path:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    p = env_params()
    return default_job(str(p["format"]), str(p["unit"]), int(p["seed"]), p["vectors"])


@cocotb.test()
async def lut_gemm(dut: object) -> None:
    """One GEMM through the engine: every output and the cycle count checked."""
    job = _job()
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
    reports = job.mismatches(got)
    mismatches = int((got != job.expected).sum())
    if cycles != job.predicted_cycles:
        mismatches += 1
        reports.append(f"cycles: measured {cycles}, cycle model predicts "
                       f"{job.predicted_cycles}")
    # peak: R * C * g / P multiply-accumulates per cycle (P bit-planes per k-group)
    util = job.M * job.K * job.N * _planes(job) / (cycles * job.R * job.C * job.g)
    dut._log.info(f"{job.unit} {job.fmt_w.name} x int8, M,K,N={job.M},{job.K},{job.N} on "
                  f"R,C,g={job.R},{job.C},{job.g}: cycles measured {cycles}, predicted "
                  f"{job.predicted_cycles}, utilization {100 * util:.1f}%")
    result = {"vectors": job.M * job.N, "mismatches": mismatches, "cycles": cycles,
              "predicted_cycles": job.predicted_cycles, "utilization": util,
              "sim_seconds": round(sim_s, 3), "reports": reports, "unit": job.unit,
              "format": job.fmt_w.name}
    dest = os.environ.get("LOWBIT_RESULT", "")
    if dest:
        Path(dest).write_text(json.dumps(result, indent=1))
    for line in reports:
        dut._log.info(line)
    assert mismatches == 0, f"{mismatches} mismatches ({job.M * job.N} outputs + cycle count)"


def _planes(job: LutJob) -> int:
    return weight_int(job.fmt_w).planes if job.unit == "lut" else 1
