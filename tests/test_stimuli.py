"""Data stimuli (verif/stimuli.py) and their use in jobs and requests: distributions,
quantization by golden, the scaling rule, and the one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

from golden.codec import decode, encode
from golden.formats import get_format
from sim.protocol import RunRequest
from sim.units import UsageError, resolve
from verif.jobs import STIMULUS_CHAIN, dot_job, mac_job
from verif.stimuli import STIMULI, block_codes, element_codes, values


def test_distributions() -> None:
    rng = np.random.default_rng(3)
    n = 200_000
    g, lap, u = (values(s, n, rng) for s in ("gaussian", "laplace", "uniform"))
    assert abs(g.std() - 1) < 0.01 and abs(lap.std() - 1) < 0.01
    assert u.min() >= -1 and u.max() < 1 and abs(u.std() - 1 / np.sqrt(3)) < 0.01
    # the Laplace has the heavier tails: more mass beyond 3 sigma
    assert np.mean(np.abs(lap) > 3) > 2 * np.mean(np.abs(g) > 3)
    sp = values("sparse", n, rng)
    assert abs(np.mean(sp == 0) - 0.5) < 0.01
    assert not values("zero", (3, 4), rng).any()
    with pytest.raises(ValueError, match="unknown stimulus 'normal'; stimuli: gaussian"):
        values("normal", 4, rng)


@pytest.mark.parametrize("fmt", ["int8", "int4", "int2", "ternary"])
def test_int_codes_take_the_least_squares_scale(fmt: str) -> None:
    """Oracle: the documented search (clipping thresholds amax * k / 64, k = 1..64, the
    first least squared error wins) with NumPy's own round-half-even and clip."""
    spec = get_format(fmt)
    c = element_codes(spec, 4096, "gaussian", np.random.default_rng(1))
    x = values("gaussian", 4096, np.random.default_rng(1))  # the same draw
    amax = np.abs(x).max()
    best, best_err = None, np.inf
    for k in range(1, 65):
        s = spec.int_max / (amax * k / 64)
        q = np.clip(np.rint(x * s), spec.int_min, spec.int_max)
        e = float(np.sum((q / s - x) ** 2))
        if e < best_err:
            best, best_err = q, e
    assert np.array_equal(decode(c, spec), best)
    if spec.bits == 2:  # a 2-bit tensor keeps its nonzero values (absmax scaling: ~none)
        assert np.mean(best != 0) > 0.5


@pytest.mark.parametrize("fmt", ["fp16", "fp8_e4m3", "bf16"])
def test_float_codes_are_unscaled_when_the_data_fits(fmt: str) -> None:
    spec = get_format(fmt)
    c = element_codes(spec, 1000, "gaussian", np.random.default_rng(2))
    x = values("gaussian", 1000, np.random.default_rng(2))
    assert np.array_equal(c, encode(x, spec).astype(np.uint64))


def test_float_codes_scaled_down_onto_the_largest_value() -> None:
    spec = get_format("fp4_e2m1")  # largest value 6: a Laplace tensor of 4096 exceeds it
    c = element_codes(spec, 4096, "laplace", np.random.default_rng(5))
    x = values("laplace", 4096, np.random.default_rng(5))
    assert np.abs(x).max() > 6
    assert np.array_equal(c, encode(x * (6 / np.abs(x).max()), spec).astype(np.uint64))
    assert np.abs(decode(c, spec)).max() == 6


def test_zero_and_sparse_codes() -> None:
    for fmt in ("int8", "fp8_e4m3", "posit8"):
        spec = get_format(fmt)
        assert not element_codes(spec, 64, "zero", np.random.default_rng(1)).any()
        sp = element_codes(spec, 4000, "sparse", np.random.default_rng(1))
        assert 0.45 < np.mean(decode(sp, spec) == 0) < 0.6


def test_block_codes_quantize_each_block_with_golden() -> None:
    from golden.block import quantize

    spec = get_format("mxfp4")
    codes, scales, t = block_codes(spec, 10, 32, "gaussian", np.random.default_rng(4))
    x = values("gaussian", (10, 32), np.random.default_rng(4))
    q = quantize(x, spec, axis=-1)
    assert np.array_equal(codes, q.elements.reshape(10, 32))
    assert np.array_equal(scales, q.scales.reshape(10))
    assert t == 0x3F800000
    _, _, t_nv = block_codes(get_format("nvfp4"), 10, 16, "gaussian", np.random.default_rng(4))
    assert t_nv != 0x3F800000  # NVFP4 carries the stimulus tensor's own fp32 scale


def test_stimulus_jobs_chain_over_a_reduction() -> None:
    job = mac_job("int8", None, 256, 7, stimulus="laplace")
    first = np.array(job.inputs["i_first"])
    assert np.flatnonzero(first).tolist() == list(range(0, 256, STIMULUS_CHAIN))
    a, b = (decode(np.array(job.inputs[k], np.uint64), get_format("int8")) for k in "ab")
    p = a.astype(np.int64) * b.astype(np.int64)
    want = np.concatenate([np.cumsum(c) for c in p.reshape(-1, STIMULUS_CHAIN)])
    assert np.array_equal(job.checks["acc"].bits, (want & 0xFFFFFFFF).astype(np.uint64))
    dj = dot_job("mxfp4", None, 64, 7, 32, stimulus="gaussian")
    assert len(dj.inputs["a"]) == 64 and sum(dj.inputs["i_first"]) == 64 // STIMULUS_CHAIN


def test_requests_check_the_stimulus() -> None:
    assert RunRequest(unit="mac", format="int8", stimulus="sparse").key() != \
        RunRequest(unit="mac", format="int8").key()
    with pytest.raises(ValueError, match="'stimulus' must be one of gaussian"):
        RunRequest.from_dict({"unit": "mac", "format": "int8", "stimulus": "pink"})
    with pytest.raises(UsageError, match="unit codec takes no stimulus; units with stimuli"):
        resolve(RunRequest(unit="codec", format="posit8", stimulus="gaussian"))
    with pytest.raises(UsageError, match="unknown stimulus 'pink'"):
        resolve(RunRequest(unit="mac", format="int8", stimulus="pink"))
    assert "--stimulus zero" in RunRequest(unit="mac", format="int8",
                                           stimulus="zero").replay_command()
    assert set(STIMULI) == {"gaussian", "laplace", "uniform", "sparse", "zero"}
