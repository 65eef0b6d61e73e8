"""cocotb test module of the PE-array GEMM engine (unit ``array``): every C element checked,
every GEMM's cycles against the cycle model.

The GEMMs come from the run request (:func:`verif.array_jobs.array_job`: format pair,
lanes, array shape, seed, stimulus, vectors), built here in the simulator's process.
``result.json`` adds to the scoreboard summary ``cycles`` (measured, start to done, summed
over the GEMMs), ``predicted_cycles``, ``utilization``, ``ops`` (multiply-accumulates,
the sum of ``M * K * N`` over the GEMMs, K in elements) and per-GEMM figures ``gemms``.
"""

from __future__ import annotations

import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from hw.array.engine import unpack_c
from sim.protocol import load_request
from verif.array_jobs import array_job
from verif.tb_common import score_gemms, write_result


@cocotb.test()
async def gemm_array(dut: object) -> None:
    """Load buffers, run each GEMM, read C, compare bits with golden, cycles with the model."""
    req = load_request()
    rows, cols = req.array
    jobs = array_job(req.format, req.format_b, rows=rows, cols=cols, lanes=req.lanes,
                     seed=req.seed, stimulus=req.stimulus,
                     vectors=req.vectors if req.stimulus else None)
    Clock(dut.clk, 10, unit="ns").start()
    for name in ("a_we", "b_we", "start"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    fe = FallingEdge(dut.clk)
    for _ in range(2):
        await fe
    dut.rst.value = 0
    t0 = time.perf_counter()
    got, cycles = [], []
    for job in jobs:
        b = job.bufs
        for port, words in (("a", b.a_words), ("b", b.b_words)):
            for i, w in enumerate(words):
                getattr(dut, f"{port}_we").value = 1
                getattr(dut, f"{port}_waddr").value = i
                getattr(dut, f"{port}_wdata").value = w
                await fe
            getattr(dut, f"{port}_we").value = 0
        dut.m_tiles.value, dut.n_tiles.value, dut.k_steps.value = b.m_tiles, b.n_tiles, b.k_steps
        if hasattr(dut, "ta"):
            dut.ta.value, dut.tb.value = b.ta, b.tb
        dut.start.value = 1
        await fe
        dut.start.value = 0
        n = 1
        while not int(dut.done.value):
            await fe
            n += 1
            assert n < 10_000_000, "engine never raised done"
        words = []
        for i in range(b.m_tiles * b.n_tiles * rows):
            dut.c_raddr.value = i
            await fe
            words.append(int(dut.c_rdata.value))
        got.append(unpack_c(words, b, rows=rows, cols=cols))
        cycles.append(n)
        dut._log.info("(M,K,N)=%s: %d cycles measured, %d predicted, utilization %.3f",
                      job.shape, n, job.predicted, job.utilization)
    sim_s = time.perf_counter() - t0
    predicted = [j.predicted for j in jobs]
    sb = score_gemms(req, [j.shape for j in jobs], [j.expected for j in jobs],
                     [j.nan for j in jobs], got, cycles, predicted)
    gemms = [{"shape": list(j.shape), "cycles": c, "predicted": j.predicted,
              "utilization": round(j.utilization, 4)} for j, c in zip(jobs, cycles, strict=True)]
    # cycle-weighted mean of the GEMMs' utilizations = useful MACs / (cycles x peak)
    util = sum(j.utilization * j.predicted for j in jobs) / max(sum(predicted), 1)
    write_result(dut, sb, cycles=sum(cycles), predicted_cycles=sum(predicted),
                 utilization=util, ops=sum(m * k * n for m, k, n in (j.shape for j in jobs)),
                 gemms=gemms, sim_seconds=round(sim_s, 3))
