"""GEMM jobs for the PE-array engine (unit ``array``): operands, golden C, predicted cycles.

:func:`array_job` draws seeded operands for each GEMM shape, quantizes them with golden
(element formats: random valid codes; block formats: real data with spread magnitudes,
quantized along K with ``block_size = lanes``), builds the engine's buffer images
(:func:`hw.array.engine.gemm_buffers`), the expected C bits (``golden.gemm``) and the cycle
count the analytic model predicts (``models/cycle_array.py``). :func:`engine_for` builds
the engine with buffers deep enough for the default shapes.

The array shape comes from the caller (for ``lowbit sim``, the unit registry's default);
the shapes cover one tile with one step, M and N not multiples of the array, K smaller than
the array, a partial last block, and large K.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from golden.block import quantize
from golden.codec import QTensor
from golden.dot import gemm
from golden.formats import FormatSpec, get_format
from hw.array.engine import ArrayEngine, GemmBuffers, gemm_buffers
from models.cycle_model import cycle_model

__all__ = ["ArrayJob", "array_job", "default_shapes", "engine_for"]


@dataclass
class ArrayJob:
    """One GEMM: buffer images, expected C bits (uint32, NaN mask) and predicted cycles."""

    shape: tuple[int, int, int]
    bufs: GemmBuffers
    expected: np.ndarray
    nan: np.ndarray
    predicted: int
    utilization: float


def default_shapes(rows: int, cols: int, lanes: int) -> list[tuple[int, int, int]]:
    """(M, K, N) edge shapes for an array, K in elements."""
    return [(rows, lanes, cols), (rows + 1, 3 * lanes, 2 * cols - 1), (1, 1, 1),
            (2 * rows, 16 * lanes, cols), (max(rows - 1, 1), max(lanes // 2, 1), cols + 1)]


def _lanes(spec: FormatSpec, lanes: int | None) -> int:
    return (lanes or spec.block_size) if spec.is_block else 1


def engine_for(fmt: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
               lanes: int | None = None, *, rows: int, cols: int) -> ArrayEngine:
    """The engine, with buffers deep enough for :func:`default_shapes`."""
    spec = get_format(fmt)
    ln = _lanes(spec, lanes)
    shapes = default_shapes(rows, cols, ln)
    steps = max(-(-k // ln) for _, k, _ in shapes)
    mt = max(-(-m // rows) for m, _, _ in shapes)
    nt = max(-(-n // cols) for _, _, n in shapes)
    return ArrayEngine(fmt_a=spec, fmt_b=fmt_b, rows=rows, cols=cols,
                      lanes=ln if spec.is_block else None, a_depth=mt * steps,
                      b_depth=nt * steps, c_depth=mt * nt * rows)


def _operands(sa: FormatSpec, sb: FormatSpec, M: int, K: int, N: int, rng):
    if sa.is_block:
        a = rng.standard_normal((M, K)) * 2.0 ** rng.integers(-8, 9, (M, 1))
        b = rng.standard_normal((K, N)) * 2.0 ** rng.integers(-8, 9, (1, N))
        return quantize(a, sa, axis=1), quantize(b, sb, axis=0)

    def codes(spec: FormatSpec, shape) -> QTensor:
        c = np.arange(spec.n_codes)
        if spec.kind == "int":
            v = np.where(c >= 1 << (spec.bits - 1), c - (1 << spec.bits), c)
            c = c[(v >= spec.int_min) & (v <= spec.int_max)]
        return QTensor(rng.choice(c, shape), spec)
    return codes(sa, (M, K)), codes(sb, (K, N))


def array_job(fmt: FormatSpec | str, fmt_b: FormatSpec | str | None, *, rows: int, cols: int,
              lanes: int | None, seed: int,
              shapes: list[tuple[int, int, int]] | None = None) -> list[ArrayJob]:
    """Seeded GEMMs for the engine (see the module docstring)."""
    sa = get_format(fmt)
    sb = sa if fmt_b is None else get_format(fmt_b)
    ln = _lanes(sa, lanes)
    if sa.is_block:  # golden blocks = the PE's lanes
        sa, sb = replace(sa, block_size=ln), replace(sb, block_size=ln)
    model = cycle_model("array", get_format(fmt),
                        fmt_b=None if fmt_b is None else get_format(fmt_b),
                        lanes=ln if sa.is_block else None, rows=rows, cols=cols)
    rng = np.random.default_rng(seed)
    jobs = []
    for (M, K, N) in shapes or default_shapes(rows, cols, ln):
        A, B = _operands(sa, sb, M, K, N, rng)
        with np.errstate(invalid="ignore", over="ignore"):
            want = np.asarray(gemm(A, B, sa, sb))
        bits = want.view(np.uint32)
        nan = np.isnan(want) if want.dtype.kind == "f" else np.zeros(want.shape, bool)
        v = {"M": np.int64(M), "K": np.int64(K), "N": np.int64(N)}
        jobs.append(ArrayJob((M, K, N), gemm_buffers(A, B, rows=rows, cols=cols), bits, nan,
                             int(model.evaluate(**v)), float(model.utilization(**v))))
    return jobs
