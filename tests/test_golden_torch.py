"""golden.torch against the NumPy golden, bit for bit, and against ml_dtypes directly.

The NumPy golden (golden.codec, golden.posit, golden.block, golden.dot) is the oracle here:
its own tests check it against ml_dtypes, softposit and exact fractions. Every comparison
below is on raw bits: codes as integers, floats viewed as unsigned integers (NaN included).
Inputs are the NumPy tests' kinds of data: every code of every format <= 16 bits, every
rounding boundary (midpoints and +-1 ulp around them), zeros, subnormals, max finite and
beyond, NaN/Inf, 10^5 seeded random values per format, directed and random blocks.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch

import golden.torch as gt
from golden import _torch_codec as tc
from golden import block as npb
from golden import codec as npc
from golden import dot as npd
from golden.formats import block_format_names, element_format_names, get_format, posit
from golden.posit import posit_decode

ELEMENTS = element_format_names()
SMALL = [n for n in ELEMENTS if get_format(n).bits <= 16]
WIDE = [n for n in ELEMENTS if get_format(n).bits > 16]
BLOCKS = block_format_names()
NOT_POSIT = [n for n in ELEMENTS if get_format(n).kind != "posit"]
# (format, saturate): saturate does not apply to posits, so they run once
ENCODE_CASES = [(n, s) for n in ELEMENTS for s in (True, False)
                if s or get_format(n).kind != "posit"]
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


# ----- comparison helpers ---------------------------------------------------------------

def _np(t: torch.Tensor) -> np.ndarray:
    """A torch tensor as NumPy (bfloat16 as ml_dtypes.bfloat16, same bits)."""
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.numpy()


def _t(a: np.ndarray) -> torch.Tensor:
    """A NumPy array as a torch tensor with the same values (bfloat16 bits kept)."""
    a = np.ascontiguousarray(a)
    if a.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(a)


def _bits(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a.view(_UINT[a.dtype.itemsize]) if a.dtype.kind == "f" or a.dtype == \
        ml_dtypes.bfloat16 else a.astype(np.int64)


def _hex(a: np.ndarray) -> str:
    a = np.asarray(a)
    w = 2 * a.dtype.itemsize
    return " ".join(f"{int(v):0{w}x}" for v in _bits(a).ravel()[:8])


def assert_same(exp: np.ndarray, got: torch.Tensor, inputs: np.ndarray, what: str,
                seed: object = None) -> None:
    """Codes equal as integers / floats equal bit for bit (same dtype width), else report."""
    g = _np(got)
    assert g.shape == exp.shape, f"{what}: shape {g.shape} != {exp.shape}"
    if exp.dtype.kind == "f":
        assert g.dtype == exp.dtype, f"{what}: dtype {g.dtype} != {exp.dtype}"
        bad = _bits(exp) != _bits(g)
    else:
        bad = exp.astype(np.int64) != g.astype(np.int64)
    if bad.any():
        i = np.flatnonzero(bad.ravel())
        x = np.asarray(inputs)
        xin = x.ravel()[i] if x.shape == exp.shape else x.ravel()[:4]
        raise AssertionError(
            f"{what} seed={seed}: {len(i)} mismatches; inputs {_hex(xin)}; "
            f"expected {_hex(exp.ravel()[i])}; got {_hex(g.ravel()[i])}")


# ----- input sets -----------------------------------------------------------------------

def _valid_codes(spec) -> np.ndarray:
    codes = np.arange(spec.n_codes, dtype=np.int64)
    if spec.kind == "int":
        val = np.where(codes >= spec.n_codes // 2, codes - spec.n_codes, codes)
        codes = codes[(val >= spec.int_min) & (val <= spec.int_max)]
    return codes


def _code_values(spec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(values, values of the tie points) of adjacent codes, as float64.

    Up to 16 bits every code; wider formats 20000 random codes and their neighbours. A
    posit's tie point is the value of the pattern one bit longer (posit<n+1, es>, code
    2c + 1); a float's is the arithmetic midpoint.
    """
    if spec.bits <= 16:
        codes = _valid_codes(spec)
    else:
        codes = rng.integers(0, spec.n_codes, 20000, dtype=np.int64)
    if spec.kind == "posit":
        half = spec.n_codes // 2
        c = codes[(codes > 0) & (codes < half - 1)]
        vals = posit_decode(np.concatenate([c, c + 1]), spec)
        if spec.bits < 32:
            ties = posit_decode(2 * c + 1, posit(spec.bits + 1, spec.es))
        else:
            lo, hi = posit_decode(c, spec), posit_decode(c + 1, spec)
            ties = (lo + hi) / 2
        return vals, np.concatenate([ties, -ties])
    if spec.bits > 16:  # fp32: neighbours by code
        codes = np.concatenate([codes, codes + 1]) % spec.n_codes
    with np.errstate(invalid="ignore"):  # signalling NaN codes of fp32
        vals = npc.decode(codes.astype(spec.code_dtype), spec).astype(np.float64)
    vals = np.unique(vals[np.isfinite(vals)])
    return vals, (vals[:-1] + vals[1:]) / 2


def boundary_inputs(name: str, seed: int = 1) -> np.ndarray:
    """float64 inputs at every rounding boundary of a format and at its corners."""
    spec = get_format(name)
    vals, ties = _code_values(spec, np.random.default_rng(seed))
    top = spec.max_finite
    tiny = spec.min_positive
    corners = np.array([0.0, tiny, tiny / 2, tiny / 4, tiny * 0.75, top, top * (1 + 2.0**-12),
                        top * 1.03125, top * 1.5, 2 * top, 1e30, 3.4e38, 1e300, 5e-324,
                        2.0**-149, 2.0**-126, 2.0**-127, 1.0, 0.5, np.inf])
    near = np.concatenate([ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf),
                           np.nextafter(vals, np.inf), np.nextafter(vals, -np.inf)])
    x = np.concatenate([vals, near, corners, -corners, -vals])
    with np.errstate(over="ignore"):
        f32 = np.float32(x).astype(np.float64)  # float32 versions of the same points
        x = np.concatenate([x, f32, np.nextafter(f32.astype(np.float32), np.float32(np.inf)),
                            np.nextafter(f32.astype(np.float32), np.float32(-np.inf))])
    if spec.has_nan:
        x = np.concatenate([x, [np.nan, -np.nan]])
    return x


def _in_int_range(x: np.ndarray, spec) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        r = np.rint(np.ldexp(x, -spec.scale_exp))
    return (r >= spec.int_min) & (r <= spec.int_max)


def _random_f32(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal(n) * np.exp2(rng.integers(-40, 40, n).astype(np.float64))
    return x.astype(np.float32)


def _check_encode(x: np.ndarray, name: str, saturate: bool, seed: object = None) -> None:
    """golden.torch.encode equals golden.encode on ``x`` (or both raise the same error)."""
    spec = get_format(name)
    if spec.kind == "int" and not saturate:
        with pytest.raises(ValueError):
            npc.encode(x, name, saturate=False)
        if not _in_int_range(x.astype(np.float64), spec).all():
            with pytest.raises(ValueError):
                gt.encode(_t(x), name, saturate=False)
        x = x[_in_int_range(x.astype(np.float64), spec)]
    exp = npc.encode(x, name, saturate=saturate)
    got = gt.encode(_t(x), name, saturate=saturate)
    assert got.dtype == gt.code_dtype(spec)
    assert_same(exp, got, x, f"encode {name} saturate={saturate} {x.dtype}", seed)


# ----- element codec --------------------------------------------------------------------

def test_torch_is_real_torch():
    assert gt.torch is torch and hasattr(gt.torch, "autograd")


@pytest.mark.parametrize("name", SMALL)
def test_decode_every_code(name):
    spec = get_format(name)
    codes = _valid_codes(spec)
    exp = npc.decode(codes, name)
    for dtype in (torch.int64, gt.code_dtype(spec)):
        got = gt.decode(torch.from_numpy(codes).to(dtype), name)
        assert_same(exp, got, codes, f"decode {name} from {dtype}")
    bad = np.setdiff1d(np.arange(spec.n_codes), codes)
    for c in [*bad[:2], spec.n_codes, -1]:
        with pytest.raises(ValueError):
            npc.decode(np.array([c]), name)
        with pytest.raises(ValueError):
            gt.decode(torch.tensor([int(c)]), name)


@pytest.mark.parametrize("name", WIDE)
def test_decode_wide_codes(name):
    spec = get_format(name)
    seed = 7
    rng = np.random.default_rng(seed)
    top = spec.n_codes - 1
    codes = np.concatenate([rng.integers(0, spec.n_codes, 100_000, dtype=np.int64),
                            [0, 1, 2, top, top - 1, top // 2, top // 2 + 1, top // 2 + 2]])
    got = gt.decode(torch.from_numpy(codes), name)
    assert_same(npc.decode(codes, name), got, codes, f"decode {name}", seed)


@pytest.mark.parametrize(("name", "saturate"), ENCODE_CASES)
def test_encode_boundaries(name, saturate):
    x = boundary_inputs(name)
    for dtype in (np.float64, np.float32):
        with np.errstate(over="ignore"):
            xd = np.unique(x.astype(dtype))
        xd = np.concatenate([xd, [dtype(np.nan)]]) if get_format(name).has_nan else xd
        _check_encode(xd, name, saturate, seed=1)


@pytest.mark.parametrize("name", [n for n in ELEMENTS if get_format(n).kind == "float"
                                  and tc.lut_applies(get_format(n), torch.float64)])
def test_exact_path_boundaries(name):
    """The exact float encoder alone, for the formats whose RNE goes through lookup tables
    (the tables are built by it; it also does their stochastic rounding)."""
    x = boundary_inputs(name)
    for saturate in (True, False):
        exp = npc.encode(x, name, saturate=saturate)
        got = tc.encode_float_exact(torch.from_numpy(x), get_format(name), saturate, None)
        assert_same(exp, got, x, f"exact encode {name} saturate={saturate}")


@pytest.mark.parametrize(("name", "saturate"), ENCODE_CASES)
def test_encode_random(name, saturate):
    seed = 2024
    rng = np.random.default_rng(seed)
    x = _random_f32(rng, 100_000)
    _check_encode(x, name, saturate, seed)
    # raw bit patterns: subnormals, Inf, NaN payloads, both widths
    for bits, dtype in ((rng.integers(0, 2**32, 50_000, dtype=np.uint32), np.float32),
                        (rng.integers(0, 2**64, 20_000, dtype=np.uint64), np.float64)):
        x = bits.view(dtype)
        if not get_format(name).has_nan:
            x = x[~np.isnan(x)]
        with np.errstate(invalid="ignore"):
            _check_encode(x, name, saturate, seed)


@pytest.mark.parametrize("name", ["fp8_e4m3", "fp4_e2m1", "bf16", "int8", "posit16", "e8m0"])
def test_encode_input_dtypes(name):
    seed = 3
    x = _random_f32(np.random.default_rng(seed), 4096)
    with np.errstate(over="ignore"):  # float16 overflows to Inf: an input like any other
        halves = [x.astype(np.float16), x.astype(ml_dtypes.bfloat16)]
    wide = np.array([2**53 + 1, 2**60 + 3, -(2**63), 2**63 - 1, -(2**62 + 2**9 + 1),
                     2**24 + 1, 2**54 + 2**30 + 2**29], dtype=np.int64)  # rounded to odd
    for arr in (*halves, np.arange(-300, 300, dtype=np.int32), wide,
                np.arange(-300, 300, dtype=np.int64), np.array([True, False])):
        with np.errstate(over="ignore"):
            exp = npc.encode(arr, name)
        assert_same(exp, gt.encode(_t(arr), name), arr, f"encode {name} from {arr.dtype}",
                    seed)


@pytest.mark.parametrize("saturate", [True, False])
@pytest.mark.parametrize("name", NOT_POSIT)
def test_encode_stochastic_same_draws(name, saturate):
    seed = 11
    spec = get_format(name)
    x = _random_f32(np.random.default_rng(seed), 20_000).astype(np.float64)
    x = np.concatenate([x, boundary_inputs(name)[:20_000]])
    if spec.kind == "int" and not saturate:
        x = x[_in_int_range(x, spec) & _in_int_range(x + np.sign(x) * 2**spec.scale_exp, spec)]
    x = x[~np.isnan(x)] if not spec.has_nan else x
    exp = npc.encode(x, name, "stochastic", saturate, rng=np.random.default_rng(seed))
    got = gt.encode(torch.from_numpy(x), name, "stochastic", saturate,
                    rng=np.random.default_rng(seed))
    assert_same(exp, got, x, f"stochastic {name} saturate={saturate}", seed)


def test_stochastic_torch_generator():
    x = torch.linspace(-5, 5, 10_001, dtype=torch.float64)
    a = gt.encode(x, "fp4_e2m1", "stochastic", generator=torch.Generator().manual_seed(5))
    b = gt.encode(x, "fp4_e2m1", "stochastic", generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    spec = get_format("fp4_e2m1")
    up = tc.encode_codes(x, spec, True, torch.zeros_like(x))  # u = 0: up whenever inexact
    down = tc.encode_codes(x, spec, True, torch.ones_like(x))  # u = 1: never up
    assert bool(((a.long() == up) | (a.long() == down)).all())
    assert bool((up != down).any())
    xq = x.reshape(-1)[:10_000].reshape(100, 100)
    q1, q2 = (gt.quantize(xq, "mxfp6_e2m3", rounding="stochastic",
                          generator=torch.Generator().manual_seed(9)) for _ in range(2))
    assert np.array_equal(q1.elements, q2.elements) and np.array_equal(q1.scales, q2.scales)
    with pytest.raises(ValueError):
        gt.quantize(xq, "mxfp4", rounding="stochastic")
    with pytest.raises(ValueError):
        gt.encode(x, "fp4_e2m1", "stochastic", rng=np.random.default_rng(0),
                  generator=torch.Generator())


# ----- ml_dtypes directly -----------------------------------------------------------------

@pytest.mark.parametrize("name", [n for n in ELEMENTS if get_format(n).ml_dtypes_name
                                  and get_format(n).kind == "float"])
def test_against_ml_dtypes(name):
    """saturate=False equals the ml_dtypes cast from float32; decode equals its view."""
    spec = get_format(name)
    seed = 5
    dt = np.dtype(getattr(ml_dtypes, spec.ml_dtypes_name, None) or spec.ml_dtypes_name)
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.concatenate([_random_f32(np.random.default_rng(seed), 50_000),
                            boundary_inputs(name).astype(np.float32)])
        if not spec.has_nan:
            x = x[~np.isnan(x)]
        if not spec.signed:  # e8m0: positive normal float32 inputs (ml_dtypes' own domain)
            x = np.abs(x)[np.abs(x) >= 2.0**-126]
        exp = x.astype(dt).view(_UINT[dt.itemsize])
        nan = np.isnan(x)  # NaN inputs are checked by the NumPy comparisons
    got = gt.encode(torch.from_numpy(x), name, saturate=False)
    assert_same(exp[~nan], got[torch.from_numpy(~nan)], x[~nan], f"ml_dtypes {name}", seed)
    if spec.bits <= 16:
        codes = np.arange(spec.n_codes, dtype=np.int64)
        ref = codes.astype(_UINT[dt.itemsize]).view(dt).astype(np.float32)
        got = gt.decode(torch.from_numpy(codes), name).numpy()
        same = (_bits(ref) == _bits(got)) | (np.isnan(ref) & np.isnan(got))
        assert same.all(), f"decode {name}: codes {_hex(codes[~same])}"


# ----- block formats ----------------------------------------------------------------------

def directed_blocks(name: str) -> dict[str, np.ndarray]:
    """Blocks at the corners of a block format, as float32 rows of two blocks each."""
    spec = get_format(name)
    k, elem = spec.block_size, spec.element
    vals, ties = _code_values(elem, np.random.default_rng(0))
    pts = np.concatenate([vals, ties, np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)])
    pts = pts[np.abs(pts) <= elem.max_finite]
    top = np.float32(elem.max_finite)
    cases = {}
    for x_exp in (-140, -127, -20, 0, 7, 100, 127):
        grid = np.resize(pts, (len(pts) + k - 1) // k * k).reshape(-1, k)
        grid[:, 0] = top  # amax fixes the shared exponent at x_exp
        with np.errstate(over="ignore", under="ignore"):
            cases[f"grid 2^{x_exp}"] = np.ldexp(grid, x_exp).astype(np.float32)
    row = np.zeros((1, 2 * k), np.float32)
    cases["zeros"] = row.copy()
    cases["neg zeros"] = -row
    sub = row.copy()
    sub[0, :3] = [1e-45, -3e-45, 2.0**-130]
    cases["subnormals"] = sub
    big = row.copy()
    big[0, :4] = [3.4e38, -3.4e38, 1.0, -1e-30]
    cases["fp32 max"] = big
    for special in (np.nan, np.inf, -np.inf):
        r = np.linspace(-3, 3, 2 * k, dtype=np.float32)[None]
        r[0, 1] = special
        cases[f"special {special}"] = r
    pow2 = row + 1
    pow2[0, :2] = [2.0**10, -(2.0**10) * 1.999]
    cases["powers of two"] = pow2
    return cases


def _check_quantize(x: np.ndarray, name: str, axis: int = -1, seed: object = None,
                    **kw: object) -> None:
    exp = npb.quantize(x, name, axis=axis, **kw)
    kw_t = dict(kw)
    if "rng" in kw_t:
        kw_t["rng"] = np.random.default_rng(seed)
    got = gt.quantize(_t(x), name, axis=axis, **kw_t)
    what = f"quantize {name} axis={axis} {x.dtype} {kw.get('rounding', 'rne')}"
    assert got.shape == exp.shape and got.axis == exp.axis
    assert_same(exp.scales, torch.from_numpy(got.scales), x, what + " scales", seed)
    assert_same(exp.elements, torch.from_numpy(got.elements), x, what + " elements", seed)
    if exp.tensor_scale is None:
        assert got.tensor_scale is None
    else:
        assert_same(np.array([exp.tensor_scale]), torch.tensor([got.tensor_scale]), x,
                    what + " tensor scale", seed)
    for np_dt, t_dt in ((np.float32, torch.float32), (np.float64, torch.float64),
                        (np.float16, torch.float16)):
        with np.errstate(over="ignore"):
            ref = npb.dequantize(exp, np_dt)
        assert_same(ref, gt.dequantize(exp, t_dt), x, f"{what} dequantize {np_dt.__name__}",
                    seed)


@pytest.mark.parametrize("name", BLOCKS)
def test_block_directed(name):
    for case, x in directed_blocks(name).items():
        try:
            _check_quantize(x, name)
            _check_quantize(x.T.copy(), name, axis=0)
        except AssertionError as err:
            raise AssertionError(f"case {case}: {err}") from None


@pytest.mark.parametrize("name", BLOCKS)
@pytest.mark.parametrize(("shape", "axis", "dtype"), [
    ((64, 256), -1, np.float32), ((7, 100), 1, np.float64), ((70, 3), 0, np.float32),
    ((2, 33, 5), 1, np.float16), ((3, 50), -1, ml_dtypes.bfloat16), ((5,), 0, np.float32)])
def test_block_random(name, shape, axis, dtype):
    seed = hash((name, shape)) % 2**32
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * np.exp2(rng.integers(-12, 12, shape))).astype(dtype)
    _check_quantize(x, name, axis, seed)


@pytest.mark.parametrize("name", BLOCKS)
def test_block_stochastic_same_draws(name):
    seed = 99
    x = _random_f32(np.random.default_rng(seed), 3 * 90).reshape(3, 90)
    _check_quantize(x, name, -1, seed, rounding="stochastic", rng=np.random.default_rng(seed))
    _check_quantize(x, name, 0, seed, rounding="stochastic", rng=np.random.default_rng(seed))


def test_block_int_input():
    x = np.arange(-40, 40).reshape(2, 40)
    for name in ("mxfp6_e3m2", "nvfp4", "mxint8"):
        _check_quantize(x, name)


# ----- dot products -----------------------------------------------------------------------

@pytest.mark.parametrize(("fa", "fb"), [
    ("fp8_e4m3", None), ("fp4_e2m1", "int8"), ("int8", None), ("ternary", "int4"),
    ("bf16", None), ("posit16", None), ("mxfp4", None), ("mxfp8_e5m2", "mxfp6_e2m3"),
    ("mxint8", None), ("nvfp4", None)])
def test_gemm(fa, fb):
    seed = 21
    rng = np.random.default_rng(seed)
    A = _random_f32(rng, 6 * 70).reshape(6, 70) / 2.0**30
    B = (rng.standard_normal((70, 5)) * 3).astype(np.float32)
    C = rng.standard_normal((6, 5)).astype(np.float32)
    spec_a = get_format(fa)
    c = C.astype(np.int32) if spec_a.is_integer else C
    exp = npd.gemm(A, B, fa, fb, c=c)
    got = gt.gemm(torch.from_numpy(A), torch.from_numpy(B), fa, fb, c=torch.from_numpy(c))
    assert_same(exp, got, A, f"gemm {fa} x {fb}", seed)


@pytest.mark.parametrize(("fa", "fb"), [("mxfp4", "mxfp4"), ("mxfp8_e4m3", "mxint8"),
                                        ("nvfp4", "nvfp4")])
def test_block_dot(fa, fb):
    seed = 8
    rng = np.random.default_rng(seed)
    a = _random_f32(rng, 4 * 96).reshape(4, 96)
    b = (rng.standard_normal((4, 96)) * 5).astype(np.float32)
    exp = npd.block_dot(npb.quantize(a, fa), npb.quantize(b, fb))
    got = gt.block_dot(gt.quantize(torch.from_numpy(a), fa), gt.quantize(torch.from_numpy(b), fb))
    assert_same(exp, got, a, f"block_dot {fa} x {fb}", seed)
    bf = torch.from_numpy(a).to(torch.bfloat16)
    got = gt.gemm(bf, bf.T.contiguous(), fa)
    assert_same(npd.gemm(_np(bf), _np(bf).T.copy(), fa), got, a, f"gemm bf16 {fa}", seed)


# ----- fake_quant -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["mxfp4", "mxfp8_e4m3", "mxint8", "nvfp4", "fp8_e5m2",
                                  "int4", "posit8", "bf16"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_fake_quant_forward_and_ste(name, dtype):
    seed = 4
    rng = np.random.default_rng(seed)
    x32 = (rng.standard_normal((8, 64)) * 3).astype(np.float32)
    x32[0, :3] = [1e6, -1e6, 1e-9]  # clipped and flushed: the gradient passes anyway
    x = torch.from_numpy(x32).to(dtype).requires_grad_(True)
    xn = _np(x.detach()).astype(np.float64)  # the exact input values
    spec = get_format(name)
    if spec.kind == "block":
        exact = npb.dequantize(npb.quantize(xn, name), np.float64)
    else:
        exact = npc.decode(npc.encode(xn, name), name).astype(np.float64)
    if dtype == torch.bfloat16:  # one rounding of the exact value (not through float32)
        ref = npc.encode(exact, "bf16", saturate=False).view(ml_dtypes.bfloat16)
    else:
        ref = exact.astype(_np(x.detach()).dtype)
    y = gt.fake_quant(x, name)
    assert y.dtype == dtype and y.shape == x.shape
    assert_same(ref, y.detach(), _np(x.detach()), f"fake_quant {name} {dtype}", seed)
    w = torch.from_numpy(rng.standard_normal((8, 64))).to(dtype)
    (y * w).sum().backward()
    assert_same(_np(w), x.grad, _np(w), f"fake_quant gradient {name} {dtype}", seed)


def test_fake_quant_axis():
    x = torch.from_numpy(_random_f32(np.random.default_rng(6), 64 * 3).reshape(64, 3))
    ref = npb.dequantize(npb.quantize(x.numpy(), "mxfp6_e2m3", axis=0))
    assert_same(ref, gt.fake_quant(x, "mxfp6_e2m3", axis=0), x.numpy(), "fake_quant axis 0")


# ----- bad input --------------------------------------------------------------------------

def _both_raise(exc: type[Exception], np_call, t_call) -> None:
    with pytest.raises(exc):
        np_call()
    with pytest.raises(exc):
        t_call()


def test_bad_input_same_errors():
    x = np.ones((2, 32), np.float32)
    xt = torch.from_numpy(x)
    nan = np.array([1.0, np.nan], np.float32)
    _both_raise(ValueError, lambda: npc.encode(x, "fp9"), lambda: gt.encode(xt, "fp9"))
    _both_raise(ValueError, lambda: npc.encode(x, "mxfp4"), lambda: gt.encode(xt, "mxfp4"))
    _both_raise(ValueError, lambda: npc.encode(nan, "fp4_e2m1"),
                lambda: gt.encode(_t(nan), "fp4_e2m1"))
    _both_raise(ValueError, lambda: npc.encode(nan, "int8"), lambda: gt.encode(_t(nan), "int8"))
    _both_raise(ValueError, lambda: npc.encode(x * 300, "int8", saturate=False),
                lambda: gt.encode(xt * 300, "int8", saturate=False))
    _both_raise(ValueError, lambda: npc.encode(x, "fp8_e4m3", "bogus"),
                lambda: gt.encode(xt, "fp8_e4m3", "bogus"))
    _both_raise(ValueError, lambda: npc.encode(x, "fp8_e4m3", "stochastic"),
                lambda: gt.encode(xt, "fp8_e4m3", "stochastic"))
    _both_raise(ValueError,
                lambda: npc.encode(x, "posit8", "stochastic", rng=np.random.default_rng(0)),
                lambda: gt.encode(xt, "posit8", "stochastic", rng=np.random.default_rng(0)))
    _both_raise(TypeError, lambda: npc.encode(x, "fp8_e4m3", saturate="yes"),
                lambda: gt.encode(xt, "fp8_e4m3", saturate="yes"))
    _both_raise(TypeError, lambda: npc.encode(np.array([1j]), "fp8_e4m3"),
                lambda: gt.encode(torch.tensor([1j]), "fp8_e4m3"))
    _both_raise(ValueError, lambda: npc.decode(x, "fp8_e4m3"), lambda: gt.decode(xt, "fp8_e4m3"))
    _both_raise(ValueError, lambda: npc.decode(x, "fp8_e4m3"), lambda: gt.decode(x, "fp8_e4m3"))
    _both_raise(TypeError, lambda: npc.decode(np.array(["a"]), "int8"),
                lambda: gt.decode(np.array(["a"]), "int8"))
    _both_raise(TypeError, lambda: npc.encode(np.array(["a"]), "int8"),
                lambda: gt.encode(np.array(["a"]), "int8"))
    _both_raise(ValueError, lambda: npc.decode(np.array([2]), "ternary"),
                lambda: gt.decode(torch.tensor([2]), "ternary"))
    _both_raise(ValueError, lambda: npc.decode(np.array([256]), "fp8_e5m2"),
                lambda: gt.decode(torch.tensor([256]), "fp8_e5m2"))
    _both_raise(ValueError, lambda: npb.quantize(x, "fp8_e4m3"),
                lambda: gt.quantize(xt, "fp8_e4m3"))
    _both_raise(ValueError, lambda: npb.quantize(x, "mxfp4", axis=2),
                lambda: gt.quantize(xt, "mxfp4", axis=2))
    _both_raise(ValueError, lambda: npb.quantize(np.float32(1), "mxfp4"),
                lambda: gt.quantize(torch.tensor(1.0), "mxfp4"))
    _both_raise(ValueError, lambda: npb.quantize(x, "mxfp4", rounding="bogus"),
                lambda: gt.quantize(xt, "mxfp4", rounding="bogus"))
    _both_raise(TypeError, lambda: npb.dequantize(x), lambda: gt.dequantize(xt))
    _both_raise(ValueError, lambda: npd.gemm(x, x, "mxfp4"), lambda: gt.gemm(xt, xt, "mxfp4"))
    with pytest.raises(ValueError):
        gt.dequantize(npb.quantize(x, "mxfp4"), dtype=torch.int32)
    with pytest.raises(TypeError):
        gt.fake_quant(torch.ones(4, dtype=torch.int32), "fp8_e4m3")
    with pytest.raises(ValueError):
        gt.fake_quant(torch.tensor([float("nan")]), "int8")
