"""Stimulus jobs of the GEMM engines (``lut``, ``lut_mac``, ``array``), without a simulator.

A stimulus job (:mod:`verif.stimuli` data instead of verification codes, for energy runs)
must give codes the engine takes and expected outputs equal to an oracle written here:
weights and activations decoded by hand (two's complement, bin1, fp4_e2m1 via
``ml_dtypes``) and an exact int64 matmul (fp4: scaled to integers, one conversion to fp32).
The RTL runs of these jobs are ``lowbit sim --stimulus`` / ``models.cost.unit_cost``.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from golden.formats import get_format
from hw.lut.weights import weight_int
from verif.array_jobs import array_job, buffer_shape, engine_for, stimulus_shapes
from verif.lut_jobs import STIMULUS_GEMM, default_job
from verif.stimuli import STIMULI

LUT_WEIGHTS = ["bin1", "ternary", "int2", "int4", "fp4_e2m1", "int8"]


def _signed(codes: np.ndarray, bits: int) -> np.ndarray:
    c = codes.astype(np.int64)
    return np.where(c >= 1 << (bits - 1), c - (1 << bits), c)


def _weights(codes: np.ndarray, name: str) -> np.ndarray:
    """Exact weight values (float64), decoded here."""
    spec = get_format(name)
    if name == "bin1":
        return np.where(codes.astype(np.int64) == 1, 1.0, -1.0)
    if spec.kind == "float":
        dt = np.dtype(getattr(ml_dtypes, spec.ml_dtypes_name))
        return codes.astype(np.uint8).view(dt).astype(np.float64)
    return _signed(codes, spec.bits).astype(np.float64)


def _oracle(a_codes: np.ndarray, w_codes: np.ndarray, name: str) -> np.ndarray:
    """uint32 bits of A @ W: int32 (wrapped) for integer weights, fp32 for fp4_e2m1."""
    a = _signed(a_codes, 8)
    w = _weights(w_codes, name)
    if get_format(name).kind == "float":  # fp4 values are multiples of 0.5: 2 * dot exact
        exact = a @ (2 * w).astype(np.int64)
        assert np.abs(exact).max(initial=0) < 1 << 24
        return (exact.astype(np.float32) / np.float32(2)).view(np.uint32)
    y = (a @ w.astype(np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)
    return y.astype(np.int32).view(np.uint32)


@pytest.mark.parametrize("stimulus", STIMULI)
@pytest.mark.parametrize("fmt", LUT_WEIGHTS)
def test_lut_stimulus_job(fmt: str, stimulus: str) -> None:
    job = default_job(fmt, "lut", 3, rows=4, cols=4, stimulus=stimulus)
    assert (job.M, job.K, job.N) == STIMULUS_GEMM
    assert job.ops == job.M * job.K * job.N
    wi = weight_int(fmt)
    vw = _weights(job.w_codes, fmt) * 2.0 ** -wi.lsb
    assert (vw == np.round(vw)).all() and wi.vw_min <= vw.min() and vw.max() <= wi.vw_max
    a = _signed(job.a_codes, 8)
    assert a.min() >= -127 and a.max() <= 127  # symmetric absmax scaling: never -128
    if stimulus == "zero":
        assert not a.any() and len(np.unique(vw)) == 1  # bin1 has no zero: encode(0) = -1
        assert not vw.any() or fmt == "bin1"
    else:  # data, not a constant: most codes of a 2-bit-or-wider format occur
        assert a.max() == 127 or a.min() == -127
        assert len(np.unique(vw)) >= min(3, wi.vw_max - wi.vw_min + 1 - wi.pm1)  # bin1: +-1
    ref = _oracle(job.a_codes, job.w_codes, fmt)
    bad = np.argwhere(ref != job.expected)
    assert not len(bad), f"golden differs from the oracle at {bad[:3].tolist()}"


def test_lut_stimulus_vectors_and_errors() -> None:
    job = default_job("int4", "lut_mac", 1, 100, rows=4, cols=4, stimulus="laplace")
    assert (4, STIMULUS_GEMM[1], STIMULUS_GEMM[2]) == (job.M, job.K, job.N)
    plain = default_job("int4", "lut", 1, rows=4, cols=4)
    assert (plain.M, plain.K, plain.N) == (21, 37, 19)  # verification data unchanged
    with pytest.raises(ValueError, match="unknown stimulus 'normal'; stimuli: gaussian"):
        default_job("int4", "lut", 1, rows=4, cols=4, stimulus="normal")


@pytest.mark.parametrize(("fmt", "rows", "cols"), [("int8", 4, 4), ("int4", 4, 4),
                                                   ("int8", 2, 3)])
def test_array_stimulus_job(fmt: str, rows: int, cols: int) -> None:
    jobs = array_job(fmt, None, rows=rows, cols=cols, lanes=None, seed=2, stimulus="gaussian")
    M, K, N = buffer_shape(rows, cols, 1)
    assert [j.shape for j in jobs] == stimulus_shapes(rows, cols, 1) == [(M, K, N)] * 4
    eng = engine_for(fmt, rows=rows, cols=cols)
    rng = np.random.default_rng(2)
    from verif.stimuli import element_codes

    spec = get_format(fmt)
    for j in jobs:
        b = j.bufs
        assert len(b.a_words) <= eng.a_depth and len(b.b_words) <= eng.b_depth
        a = element_codes(spec, M * K, "gaussian", rng).reshape(M, K)
        w = element_codes(spec, K * N, "gaussian", rng).reshape(K, N)
        want = (_signed(a, spec.bits) @ _signed(w, spec.bits)).astype(np.int32)
        assert np.array_equal(j.expected, want.view(np.uint32))


def test_array_stimulus_block_and_vectors() -> None:
    jobs = array_job("mxfp4", None, rows=2, cols=2, lanes=32, seed=1, stimulus="uniform",
                     vectors=40)
    assert [j.shape for j in jobs] == [(4, 512, 4)] * 3  # ceil(40 / 16) GEMMs
    eng = engine_for("mxfp4", lanes=32, rows=2, cols=2)
    for j in jobs:
        assert len(j.bufs.a_words) <= eng.a_depth and not j.nan.any()
        assert np.isfinite(j.expected.view(np.float32)).all()
        assert (j.expected != 0).any()
