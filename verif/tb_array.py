"""cocotb test module for the GEMM engine (unit ``array``): every output checked, cycles vs model.

Parameters (``verif.tb_common.env_params``): ``LOWBIT_FORMAT``, ``LOWBIT_FORMAT_B``,
``LOWBIT_SEED``, ``LOWBIT_LANES``; the array shape comes from ``LOWBIT_ARRAY`` (``"RxC"``,
default :data:`verif.array_jobs.DEFAULT_ARRAY`). The JSON result carries ``vectors`` (C
elements checked), ``mismatches``, ``cycles`` (measured, start to done, summed over the
GEMMs), ``predicted_cycles`` (the cycle model), ``utilization`` and per-GEMM ``gemms``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from hw.array.engine import unpack_c
from verif.array_jobs import DEFAULT_ARRAY, array_job
from verif.tb_common import env_params


def _array_shape() -> tuple[int, int]:
    text = os.environ.get("LOWBIT_ARRAY", "")
    if not text:
        return DEFAULT_ARRAY
    r, c = text.lower().split("x")
    return int(r), int(c)


@cocotb.test()
async def gemm_array(dut: object) -> None:
    """Load buffers, run each GEMM, read C, compare bits with golden, cycles with the model."""
    p = env_params()
    rows, cols = _array_shape()
    seed = int(p["seed"])
    jobs = array_job(str(p["format"]), p["format_b"], rows=rows, cols=cols,
                     lanes=int(p["lanes"]) or None, seed=seed)
    Clock(dut.clk, 10, unit="ns").start()
    for name in ("a_we", "b_we", "start"):
        getattr(dut, name).value = 0
    dut.rst.value = 1
    fe = FallingEdge(dut.clk)
    for _ in range(2):
        await fe
    dut.rst.value = 0
    t0 = time.perf_counter()
    reports, results = [], []
    checked = mismatches = cycles = predicted = 0
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
        got = unpack_c(words, b, rows=rows, cols=cols)
        bad = (got != job.expected) & ~(job.nan & np.isnan(got.view(np.float32)))
        checked += got.size
        mismatches += int(bad.sum())
        for i, j in np.argwhere(bad)[:5]:
            reports.append(f"{p['format']} {rows}x{cols} (M,K,N)={job.shape} seed={seed}: "
                           f"C[{i},{j}] expected 0x{int(job.expected[i, j]):08x} "
                           f"got 0x{int(got[i, j]):08x}")
        if n != job.predicted:
            reports.append(f"{p['format']} {rows}x{cols} (M,K,N)={job.shape}: measured {n} "
                           f"cycles, model {job.predicted}")
        cycles += n
        predicted += job.predicted
        results.append({"shape": job.shape, "cycles": n, "predicted": job.predicted,
                        "utilization": round(job.utilization, 4)})
        dut._log.info("(M,K,N)=%s: %d cycles measured, %d predicted, utilization %.3f",
                      job.shape, n, job.predicted, job.utilization)
    macs = sum(m * k * nn for m, k, nn in (j.shape for j in jobs))
    result = {"vectors": checked, "mismatches": mismatches + sum(
        r["cycles"] != r["predicted"] for r in results), "cycles": cycles,
        "predicted_cycles": predicted, "macs": macs, "gemms": results,
        # cycle-weighted mean of the GEMMs' utilizations = useful MACs / (cycles x peak)
        "utilization": sum(r["utilization"] * r["predicted"] for r in results) / max(predicted, 1),
        "sim_seconds": round(time.perf_counter() - t0, 3), "reports": reports,
        "unit": p["unit"], "format": p["format"]}
    out = os.environ.get("LOWBIT_RESULT", "")
    if out:
        Path(out).write_text(json.dumps(result, indent=1))
    for line in reports:
        dut._log.error(line)
    assert not reports, f"{len(reports)} problems: {reports[0]}"
