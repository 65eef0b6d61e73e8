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

With a data ``stimulus`` (:mod:`verif.stimuli`, for switching activity and energy) the
operands are real values of that distribution quantized by golden instead (element formats:
:func:`verif.stimuli.element_codes`, per-tensor absmax scaling; block formats:
``golden.quantize`` along K), on one layer-like GEMM split along M into
:data:`STIMULUS_GEMMS` GEMMs of the largest shape the buffers of :func:`engine_for` hold
(:func:`buffer_shape`: ``2R x 16 lanes x 2C``; the engine has no C input, so K is not split).
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

__all__ = ["STIMULUS_GEMMS", "ArrayJob", "array_job", "buffer_shape", "default_shapes",
           "engine_for", "stimulus_shapes"]

STIMULUS_GEMMS = 4
"""GEMMs of :func:`buffer_shape` in a stimulus run when ``vectors`` is not given."""


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


def _capacity(rows: int, cols: int, ln: int) -> tuple[int, int, int]:
    """(m-tiles, k-steps, n-tiles) the buffers of :func:`engine_for` hold."""
    shapes = default_shapes(rows, cols, ln)
    steps = max(-(-k // ln) for _, k, _ in shapes)
    mt = max(-(-m // rows) for m, _, _ in shapes)
    nt = max(-(-n // cols) for _, _, n in shapes)
    return mt, steps, nt


def buffer_shape(rows: int, cols: int, lanes: int) -> tuple[int, int, int]:
    """The largest (M, K, N) one GEMM on the buffers of :func:`engine_for` can have
    (``lanes``: elements per k-step, 1 for element formats)."""
    mt, steps, nt = _capacity(rows, cols, lanes)
    return mt * rows, steps * lanes, nt * cols


def stimulus_shapes(rows: int, cols: int, lanes: int, vectors: int | None = None
                    ) -> list[tuple[int, int, int]]:
    """GEMM shapes of a stimulus run: :data:`STIMULUS_GEMMS` of :func:`buffer_shape`, or as
    many as give at least ``vectors`` outputs."""
    M, K, N = buffer_shape(rows, cols, lanes)
    n = STIMULUS_GEMMS if vectors is None else max(1, -(-vectors // (M * N)))
    return [(M, K, N)] * n


def engine_for(fmt: FormatSpec | str, fmt_b: FormatSpec | str | None = None,
               lanes: int | None = None, *, rows: int, cols: int) -> ArrayEngine:
    """The engine, with buffers deep enough for :func:`default_shapes` (and so for
    :func:`stimulus_shapes`)."""
    spec = get_format(fmt)
    ln = _lanes(spec, lanes)
    mt, steps, nt = _capacity(rows, cols, ln)
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


def _stimulus_operands(sa: FormatSpec, sb: FormatSpec, M: int, K: int, N: int,
                       stimulus: str, rng: np.random.Generator) -> tuple[QTensor, QTensor]:
    """A (M, K) and B (K, N) of ``stimulus`` data quantized by golden (see module docstring)."""
    from verif.stimuli import element_codes, values

    if sa.is_block:
        return (quantize(values(stimulus, (M, K), rng), sa, axis=1),
                quantize(values(stimulus, (K, N), rng), sb, axis=0))
    return (QTensor(element_codes(sa, M * K, stimulus, rng).reshape(M, K), sa),
            QTensor(element_codes(sb, K * N, stimulus, rng).reshape(K, N), sb))


def array_job(fmt: FormatSpec | str, fmt_b: FormatSpec | str | None, *, rows: int, cols: int,
              lanes: int | None, seed: int,
              shapes: list[tuple[int, int, int]] | None = None,
              stimulus: str | None = None, vectors: int | None = None) -> list[ArrayJob]:
    """Seeded GEMMs for the engine (see the module docstring).

    ``shapes``: (M, K, N) of each GEMM (default :func:`default_shapes`, or with a
    ``stimulus`` :func:`stimulus_shapes` of ``vectors``); ``stimulus``: None for
    verification data, else a :data:`verif.stimuli.STIMULI` name (one-line ``ValueError``
    for an unknown one).
    """
    sa = get_format(fmt)
    sb = sa if fmt_b is None else get_format(fmt_b)
    ln = _lanes(sa, lanes)
    if sa.is_block:  # golden blocks = the PE's lanes
        sa, sb = replace(sa, block_size=ln), replace(sb, block_size=ln)
    if stimulus is not None:
        from verif.stimuli import check_stimulus

        check_stimulus(stimulus)
        shapes = shapes or stimulus_shapes(rows, cols, ln, vectors)
    model = cycle_model("array", get_format(fmt),
                        fmt_b=None if fmt_b is None else get_format(fmt_b),
                        lanes=ln if sa.is_block else None, rows=rows, cols=cols)
    rng = np.random.default_rng(seed)
    jobs = []
    for (M, K, N) in shapes or default_shapes(rows, cols, ln):
        if stimulus is None:
            A, B = _operands(sa, sb, M, K, N, rng)
        else:
            A, B = _stimulus_operands(sa, sb, M, K, N, stimulus, rng)
        with np.errstate(invalid="ignore", over="ignore"):
            want = np.asarray(gemm(A, B, sa, sb))
        bits = want.view(np.uint32)
        nan = np.isnan(want) if want.dtype.kind == "f" else np.zeros(want.shape, bool)
        v = {"M": np.int64(M), "K": np.int64(K), "N": np.int64(N)}
        jobs.append(ArrayJob((M, K, N), gemm_buffers(A, B, rows=rows, cols=cols), bits, nan,
                             int(model.evaluate(**v)), float(model.utilization(**v))))
    return jobs
