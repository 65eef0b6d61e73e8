"""A :class:`~verif.jobs.Job` as one ``.npz`` file (no pickle): how precomputed vectors and
golden expected bits travel from the process that computes them to the testbench.

Layout: ``in/<port>`` for each input port and ``chk/<port>/bits`` + ``chk/<port>/nan`` for
each checked output port, plus ``meta`` (a JSON text as bytes: port order, widths, float
layouts, the unit's latency). Ports up to 64 bits wide are ``uint64`` arrays; wider packed
ports (a 32-lane block is 256 bits) are ``uint8`` arrays of shape ``(vectors, bytes)``,
little-endian.
Loading uses ``allow_pickle=False``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from verif.jobs import Job
from verif.scoreboard import Check

__all__ = ["load_job", "save_job"]


def _ints_to_array(vals: list[int]) -> np.ndarray:
    top = max((int(v).bit_length() for v in vals), default=0)
    if top <= 64:
        return np.asarray(vals, dtype=np.uint64)
    nbytes = (top + 7) // 8
    buf = b"".join(int(v).to_bytes(nbytes, "little") for v in vals)
    return np.frombuffer(buf, dtype=np.uint8).reshape(len(vals), nbytes)


def _array_to_ints(arr: np.ndarray) -> list[int]:
    if arr.ndim == 1:
        return arr.astype(np.uint64).tolist()
    return [int.from_bytes(row.tobytes(), "little") for row in arr]


def save_job(job: Job, path: Path) -> Path:
    """Write ``job`` to ``path`` (``.npz``); returns the path."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, object] = {"inputs": list(job.inputs), "checks": {}, "latency": job.latency}
    for port, vals in job.inputs.items():
        arrays[f"in/{port}"] = _ints_to_array(list(vals))
    for port, chk in job.checks.items():
        arrays[f"chk/{port}/bits"] = np.asarray(chk.bits, dtype=np.uint64)
        arrays[f"chk/{port}/nan"] = np.asarray(chk.nan_class, dtype=bool)
        meta["checks"][port] = {"width": chk.width, "exp_bits": chk.exp_bits,
                                "man_bits": chk.man_bits}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def load_job(path: Path) -> Job:
    """Read a job written by :func:`save_job`."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode())
        inputs = {port: _array_to_ints(z[f"in/{port}"]) for port in meta["inputs"]}
        checks = {port: Check(bits=z[f"chk/{port}/bits"], nan_class=z[f"chk/{port}/nan"], **m)
                  for port, m in meta["checks"].items()}
    return Job(inputs=inputs, checks=checks, latency=int(meta["latency"]))
