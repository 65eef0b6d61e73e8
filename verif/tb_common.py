"""What every cocotb test module of lowbit shares: read the run request, stream, score, report.

A run directory holds ``request.json`` (:class:`sim.protocol.RunRequest`, path in
``$LOWBIT_REQUEST``) and, for stream units, ``job.npz`` (:mod:`verif.jobfile`: the vectors
and golden expected bits, computed before the simulation). The testbench writes
``result.json`` beside them: the :class:`~verif.scoreboard.Scoreboard` summary plus the
measured cycles and timings. A GEMM engine's testbench builds its GEMMs from the request
itself (seeded, so the same request gives the same GEMMs) and scores them through the same
Scoreboard (:func:`score_gemms`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sim.protocol import REQUEST_ENV, RunRequest, load_request
from verif.jobfile import load_job
from verif.scoreboard import Check, Scoreboard
from verif.stream import StreamTestbench

__all__ = ["run_dir", "run_stream", "score_gemms", "write_result"]


def run_dir() -> Path:
    """The running testbench's run directory (where its request file lies)."""
    return Path(os.environ[REQUEST_ENV]).parent


def write_result(dut: object, sb: Scoreboard, **figures: object) -> dict[str, object]:
    """Write ``result.json`` (the scoreboard's summary + ``figures``), log, and fail the
    cocotb test (AssertionError) when anything mismatched."""
    result = sb.summary()
    result.update(figures)
    (run_dir() / "result.json").write_text(json.dumps(result, indent=1))
    for line in result["reports"]:
        dut._log.error(line)
    dut._log.info("%d vectors, %d mismatches, %s cycles", sb.vectors, sb.mismatches,
                  figures.get("cycles"))
    assert sb.mismatches == 0, f"{sb.mismatches} mismatches in {sb.vectors} vectors"
    return result


async def run_stream(dut: object) -> None:
    """Stream ``job.npz`` through ``dut``, score every output, write ``result.json``."""
    req = load_request()
    job = load_job(run_dir() / "job.npz")
    tb = StreamTestbench(dut, job.inputs, list(job.checks), latency=job.latency,
                         progress_every=req.progress)
    samples = await tb.run()
    sb = Scoreboard(job.inputs, job.checks, seed=req.seed, replay=req.replay_command())
    for port, got in samples.items():
        sb.compare(port, got)
    write_result(dut, sb, cycles=tb.cycles, sim_seconds=round(tb.sim_seconds, 3))


def score_gemms(req: RunRequest, shapes: Sequence[tuple[int, int, int]],
                expected: Sequence[np.ndarray], nan: Sequence[np.ndarray],
                got: Sequence[np.ndarray], cycles: Sequence[int],
                predicted: Sequence[int]) -> Scoreboard:
    """Score GEMM results: every C element (port ``c``, reported with its GEMM index, row
    and column; NaN a class where golden is NaN) and every GEMM's cycle count against the
    cycle model (port ``cycles``, reported with M, K, N)."""
    gi, rows, cols = [], [], []
    for g, e in enumerate(expected):
        r, c = np.indices(e.shape)
        gi.append(np.full(e.size, g))
        rows.append(r.ravel())
        cols.append(c.ravel())
    cat = np.concatenate
    idx = {"gemm": cat(gi).tolist(), "row": cat(rows).tolist(), "col": cat(cols).tolist()}
    c_check = Check(bits=cat([np.asarray(e, np.uint64).ravel() for e in expected]),
                    nan_class=cat([np.asarray(m, bool).ravel() for m in nan]))
    shape_in = {"M": [s[0] for s in shapes], "K": [s[1] for s in shapes],
                "N": [s[2] for s in shapes]}
    checks = {"c": c_check, "cycles": Check.integers(predicted, inputs=shape_in)}
    sb = Scoreboard(idx, checks, seed=req.seed, replay=req.replay_command())
    sb.compare("c", cat([np.asarray(x, np.uint64).ravel() for x in got]).tolist())
    sb.compare("cycles", list(cycles))
    return sb
