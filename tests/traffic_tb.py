"""cocotb module of tests/test_traffic.py: count every buffer-port event of GEMM runs.

Reads ``traffic.json`` beside the run's request file: ``{"engine": "array" | "lut" |
"lut_mac", "gemms": [...]}``. Each GEMM is run from ``start`` to ``done`` after its
operands are loaded, and its outputs are read back; ``result.json`` gets one record per
GEMM with every port event counted by cycle (sampled at the falling clock edge):

- ``array`` (:class:`hw.array.engine.ArrayEngine`, built with the internal signals it
  probes public: ``step``, ``a_in``, ``b_in``, ``c_wr__en``, ``c_wr__addr``): each GEMM
  entry holds ``m_tiles, n_tiles, k_steps, a_words, b_words`` (the layout sizes of
  ``gemm_buffers``). The testbench writes ``a_words`` (``b_words``) words into the A (B)
  buffer, word ``i`` holding the tag ``i + 1`` in every row, so that the word the array
  receives names the address it was read from. Counted: the cycles where the controller's
  ``step`` is high (a read issued), the tag on ``a_in``/``b_in`` one cycle later (the
  address read), the cycles of the run, ``idle_reads`` (cycles whose ``a_in`` changed
  although the cycle before issued no step: a read without an issue; the read enable is
  ``step``, so 0), ``c_wr__en`` with ``c_wr__addr``, and the C words read back.
- ``lut``/``lut_mac`` (:class:`hw.lut.engine.LutEngine`, ports only): each entry holds
  ``sizes``, ``a_mem``, ``w_mem`` (a :class:`verif.lut_jobs.LutJob`'s images). The
  testbench is the buffer system (synchronous read, as ``verif/tb_lut.py``); counted:
  ``a_rd``/``w_rd`` with their addresses, ``o_valid`` with ``o_addr``, and the output
  words collected (returned too, so the test can score them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from sim.protocol import REQUEST_ENV

LIMIT = 100_000


async def _reset(dut: object, fe: FallingEdge) -> None:
    dut.rst.value = 1
    for _ in range(2):
        await fe
    dut.rst.value = 0
    await fe


async def _array_gemm(dut: object, fe: FallingEdge, rows: int, cols: int, gemm: dict) -> dict:
    aw, bw = len(dut.a_wdata) // rows, len(dut.b_wdata) // cols  # bits per row / column
    for port, count, width, lanes in (("a", gemm["a_words"], aw, rows),
                                      ("b", gemm["b_words"], bw, cols)):
        for i in range(count):  # word i: the tag i + 1 in every row (column)
            getattr(dut, f"{port}_we").value = 1
            getattr(dut, f"{port}_waddr").value = i
            getattr(dut, f"{port}_wdata").value = sum((i + 1) << (r * width)
                                                      for r in range(lanes))
            await fe
        getattr(dut, f"{port}_we").value = 0
    dut.m_tiles.value, dut.n_tiles.value = gemm["m_tiles"], gemm["n_tiles"]
    dut.k_steps.value = gemm["k_steps"]
    dut.start.value = 1
    steps, a_read, b_read, c_addr, cycles, idle_reads = 0, [], [], [], 0, 0
    pending, tag = False, None
    while True:  # cycle 0 is the start cycle; the loop ends in the cycle done is high
        await fe
        dut.start.value = 0
        prev, tag = tag, (int(dut.a_in.value) & ((1 << aw) - 1)) - 1
        if pending:  # the words addressed in the previous (step) cycle
            a_read.append(tag)
            b_read.append((int(dut.b_in.value) & ((1 << bw) - 1)) - 1)
        elif prev is not None and tag != prev:  # a new word although no read was issued
            idle_reads += 1
        pending = bool(int(dut.step.value))
        steps += pending
        if int(dut.c_wr__en.value):
            c_addr.append(int(dut.c_wr__addr.value))
        cycles += 1
        if int(dut.done.value):
            break
        assert cycles < LIMIT, "engine never raised done"
    unloads = gemm["m_tiles"] * gemm["n_tiles"] * rows
    for i in range(unloads):  # the host reads every C word back (what unpack_c needs)
        dut.c_raddr.value = i
        await fe
    return {"steps": steps, "idle_reads": idle_reads, "a_read": a_read, "b_read": b_read,
            "c_addr": c_addr, "cycles": cycles, "a_loads": gemm["a_words"],
            "b_loads": gemm["b_words"], "c_unloads": unloads}


async def _lut_gemm(dut: object, fe: FallingEdge, gemm: dict) -> dict:
    a_mem, w_mem = gemm["a_mem"], gemm["w_mem"]
    for k, v in gemm["sizes"].items():
        getattr(dut, k).value = v
    dut.start.value = 1
    await fe
    dut.start.value = 0
    a_read, w_read, out, cycles = [], [], {}, 1
    pa = pw = None
    while True:
        if pa is not None:  # synchronous read: the word addressed in the previous cycle
            dut.a_data.value = a_mem[pa]
        if pw is not None:
            dut.w_data.value = w_mem[pw]
        pa = int(dut.a_addr.value) if int(dut.a_rd.value) else None
        pw = int(dut.w_addr.value) if int(dut.w_rd.value) else None
        a_read += [] if pa is None else [pa]
        w_read += [] if pw is None else [pw]
        if int(dut.o_valid.value):
            addr = int(dut.o_addr.value)
            out.setdefault(str(addr), []).append(int(dut.o_data.value))
        if int(dut.done.value):
            break
        await fe
        cycles += 1
        assert cycles < LIMIT, "engine never raised done"
    await fe
    # the buffer images the host wrote before the run, the output words it reads back
    return {"a_read": a_read, "b_read": w_read, "c_words": out, "cycles": cycles,
            "a_loads": len(a_mem), "b_loads": len(w_mem), "c_unloads": len(out)}


@cocotb.test()
async def traffic(dut: object) -> None:
    """Every GEMM of ``traffic.json``, one after the other, with its port events counted."""
    run_dir = Path(os.environ[REQUEST_ENV]).parent
    spec = json.loads((run_dir / "traffic.json").read_text())
    Clock(dut.clk, 10, unit="ns").start()
    fe = FallingEdge(dut.clk)
    dut.start.value = 0
    if spec["engine"] == "array":
        for name in ("a_we", "b_we"):
            getattr(dut, name).value = 0
        await _reset(dut, fe)
        res = [await _array_gemm(dut, fe, spec["rows"], spec["cols"], g) for g in spec["gemms"]]
    else:
        await _reset(dut, fe)
        res = [await _lut_gemm(dut, fe, g) for g in spec["gemms"]]
    (run_dir / "result.json").write_text(json.dumps(
        {"gemms": res, "vectors": len(res), "mismatches": 0, "cycles": 0,
         "outputs_sha256": "", "reports": [], "sim_seconds": 0.0}))
