"""Design-space sweeps: a network over array shape x format x buffer size.

:func:`sweep` evaluates every combination with :func:`models.evaluate.evaluate_arrays` and
returns one row per design point (whole-network totals); :func:`pareto` marks the points
no other point beats in both latency and energy. The A and B buffers take each size of
the sweep, the C buffer a quarter of it (at least 16 KiB). A point whose buffers cannot
hold some layer's smallest run is left out and counted in ``attrs["skipped"]``.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence

import numpy as np

from models.accel import Accelerator
from models.evaluate import evaluate_arrays, totals
from models.memory import BufferOverflowError
from models.workload import Workload

__all__ = ["DEFAULT_FORMATS", "SWEEP_COLUMNS", "c_buffer_bytes", "pareto", "sweep"]

SWEEP_COLUMNS = ("format", "engine", "rows", "cols", "buffer_kib", "cycles", "time_us",
                 "energy_pj", "energy_uj", "pj_per_mac", "area_um2", "area_mm2",
                 "utilization", "dram_bytes", "memory_bound_layers", "pe_datapath_pj",
                 "pe_clock_pj", "sram_pj", "dram_pj", "leakage_pj")


DEFAULT_FORMATS = {
    "array": ("int8", "fp8_e4m3", "posit8", "mxint8", "mxfp8_e4m3", "mxfp6_e2m3", "mxfp4",
              "nvfp4"),
    "lut": ("int4", "fp4_e2m1", "int2", "ternary", "bin1"),
}
"""Formats a sweep takes when none are given: the 8-bit and block formats networks run in
(the array's 1- and 2-bit PEs exist too, but no network keeps its accuracy in them), and
every LUT-core weight format."""


def c_buffer_bytes(ab_bytes: int) -> int:
    """The C buffer that goes with A and B buffers of ``ab_bytes`` in a sweep."""
    return max(16 * 1024, ab_bytes // 4)


def sweep(workload: Workload, formats: Sequence[str], shapes: Sequence[tuple[int, int]],
          buffer_bytes: Sequence[int], *, engine: str = "array", bandwidth: float = 32.0,
          clock_mhz: float | None = None, tech: str | None = None,
          progress: bool = False):  # -> pandas.DataFrame
    """Every (format, shape, buffer size) point of ``workload``: a DataFrame with
    :data:`SWEEP_COLUMNS`. ``progress``: a tqdm bar on stderr."""
    import pandas as pd

    base = Accelerator(engine=engine, dram_bytes_per_cycle=bandwidth, clock_mhz=clock_mhz,
                       tech=tech)
    for f in formats:
        base.check_format(f)  # a bad format fails before the sweep starts
    points = list(itertools.product(shapes, buffer_bytes, formats))
    rows: list[dict[str, object]] = []
    skipped = 0
    it = points
    if progress:
        from tqdm import tqdm

        it = tqdm(points, unit="pt", file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
    for (r, c), size, fmt in it:
        acc = base.replace(rows=r, cols=c, a_buffer_bytes=size, b_buffer_bytes=size,
                           c_buffer_bytes=c_buffer_bytes(size))
        try:
            t = totals(evaluate_arrays(workload, acc, fmt), acc)
        except BufferOverflowError:
            skipped += 1
            continue
        rows.append({"format": fmt, "engine": engine, "rows": r, "cols": c,
                     "buffer_kib": size / 1024, **{k: t[k] for k in SWEEP_COLUMNS if k in t},
                     "energy_uj": t["energy_pj"] * 1e-6, "area_mm2": t["area_um2"] * 1e-6})
    df = pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))
    df.attrs["skipped"] = skipped
    df.attrs["workload"] = workload.name
    return df


def pareto(df, x: str = "time_us", y: str = "energy_pj") -> np.ndarray:
    """Boolean mask of the rows on the lower-left Pareto front of ``x`` and ``y`` (no other
    row is at least as good in both and better in one)."""
    if len(df) == 0:
        return np.zeros(0, bool)
    xv, yv = df[x].to_numpy(float), df[y].to_numpy(float)
    order = np.lexsort((yv, xv))
    mask = np.zeros(len(df), bool)
    best = np.inf
    for i in order:
        if yv[i] < best:
            mask[i] = True
            best = yv[i]
    return mask
