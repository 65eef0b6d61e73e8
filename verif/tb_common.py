"""What every cocotb test module of lowbit shares: read the run's parameters, stream, score.

Parameters arrive in environment variables set by :func:`sim.run.simulate`:
``LOWBIT_UNIT``, ``LOWBIT_FORMAT``, ``LOWBIT_FORMAT_B`` (optional second operand format),
``LOWBIT_VECTORS`` (empty: the unit's default), ``LOWBIT_SEED``, ``LOWBIT_LANES``,
``LOWBIT_LATENCY``, ``LOWBIT_PROGRESS`` (log every N vectors), ``LOWBIT_REPLAY`` (the
command that replays the run), ``LOWBIT_JOB`` (a pickled precomputed :class:`Job`, used
instead of building one) and ``LOWBIT_RESULT`` (where the JSON result goes).
"""

from __future__ import annotations

import json
import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path

from verif.jobs import Job
from verif.scoreboard import Scoreboard
from verif.stream import StreamTestbench

__all__ = ["env_params", "run_stream"]


def env_params() -> dict[str, object]:
    """The run parameters from the environment (see the module docstring)."""
    vectors = os.environ.get("LOWBIT_VECTORS", "")
    fmt_b = os.environ.get("LOWBIT_FORMAT_B", "")
    return {
        "unit": os.environ.get("LOWBIT_UNIT", ""),
        "format": os.environ.get("LOWBIT_FORMAT", ""),
        "format_b": fmt_b or None,
        "vectors": int(vectors) if vectors else None,
        "seed": int(os.environ.get("LOWBIT_SEED", "1")),
        "lanes": int(os.environ.get("LOWBIT_LANES", "0")),
    }


async def run_stream(dut: object, make_job: Callable[[dict[str, object]], Job]) -> None:
    """Build the job (or load ``LOWBIT_JOB``), stream it through ``dut``, score, write JSON.

    Fails the cocotb test (AssertionError) when anything mismatched.
    """
    params = env_params()
    t0 = time.perf_counter()
    job_path = os.environ.get("LOWBIT_JOB", "")
    if job_path:
        with open(job_path, "rb") as fh:
            job = pickle.load(fh)
    else:
        job = make_job(params)
    golden_s = time.perf_counter() - t0
    tb = StreamTestbench(dut, job.inputs, list(job.checks),
                         latency=int(os.environ.get("LOWBIT_LATENCY", "0")),
                         progress_every=int(os.environ.get("LOWBIT_PROGRESS", "0")))
    samples = await tb.run()
    sb = Scoreboard(job.inputs, job.checks, seed=int(params["seed"]),
                    replay=os.environ.get("LOWBIT_REPLAY", "(no replay command)"))
    for port, got in samples.items():
        sb.compare(port, got)
    result = sb.summary()
    result.update({"cycles": tb.cycles, "sim_seconds": round(tb.sim_seconds, 3),
                   "golden_seconds": round(golden_s, 3), "unit": params["unit"],
                   "format": params["format"]})
    out = os.environ.get("LOWBIT_RESULT", "")
    if out:
        Path(out).write_text(json.dumps(result, indent=1))
    for line in result["reports"]:
        dut._log.error(line)
    dut._log.info("%d vectors, %d mismatches, %d cycles in %.2f s (%.0f cycles/s)",
                  sb.vectors, sb.mismatches, tb.cycles, tb.sim_seconds,
                  tb.cycles / max(tb.sim_seconds, 1e-9))
    assert sb.mismatches == 0, f"{sb.mismatches} mismatches in {sb.vectors} vectors"
