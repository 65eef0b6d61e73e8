"""golden.arith (scalar add / multiply of one format), int{n} formats and the add/mul jobs,
checked against oracles written here from the IEEE 754 definition: exact ``Fraction``
values rounded once by ``oracles.float_rne``, two's complement integers in Python, NumPy
float16 and ml_dtypes bfloat16 arithmetic. Exhaustive where the pair space is <= 2^20
(fp8_e5m2, int8, int4), corners + seeded random codes otherwise. Codes are compared bit
for bit; the only NaN code allowed is the canonical quiet NaN."""

from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from oracles import float_binary, float_rne, float_value, int_binary, quiet_nan

import golden
from golden.arith import float_add, float_mul, int_add, int_mul
from golden.formats import FormatSpec, format_names, get_format, int_format
from verif.arith_jobs import arith_corners, binary_job

FLOATS = ["fp8_e5m2", "fp16", "bf16", "fp32"]
INTS = ["int4", "int8", "int16", "int32"]


# ----- oracle ---------------------------------------------------------------------------------

def oracle(op: str, a: np.ndarray, b: np.ndarray, spec: FormatSpec) -> np.ndarray:
    """The oracle's result code of every pair (float_binary / int_binary of oracles.py)."""
    if spec.kind == "float":
        return np.array([float_binary(op, int(x), int(y), spec)
                         for x, y in zip(a, b, strict=True)], dtype=np.uint64)
    return np.array([int_binary(op, int(x), int(y), spec.bits)
                     for x, y in zip(a, b, strict=True)], dtype=np.uint64)


def signed(code: int, bits: int) -> int:
    return code - (1 << bits) if code >> (bits - 1) else code


def assert_codes(got, want, a, b, seed, what: str) -> None:
    got, want = np.asarray(got, np.uint64), np.asarray(want, np.uint64)
    bad = np.flatnonzero(got != want)
    if bad.size:
        rows = [f"a={int(a[i]):#x} b={int(b[i]):#x}: expected {int(want[i]):#x}, "
                f"got {int(got[i]):#x}" for i in bad[:6]]
        pytest.fail(f"{what}: {bad.size}/{got.size} mismatches (seed {seed})\n"
                    + "\n".join(rows))


def sample_pairs(spec: FormatSpec, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of corner codes plus ``n`` uniform random code pairs, half of them with
    ``b`` near ``a`` (same sign bit and exponent, random low bits) for cancellations."""
    rng = np.random.default_rng(seed)
    c = arith_corners(spec)
    a = rng.integers(0, 1 << spec.bits, n, dtype=np.uint64)
    b = rng.integers(0, 1 << spec.bits, n, dtype=np.uint64)
    low = np.uint64((1 << max(spec.bits // 3, 1)) - 1)
    near = rng.random(n) < 0.5
    b = np.where(near, (a & ~low) | (b & low), b) ^ np.where(
        near & (rng.random(n) < 0.5), np.uint64(1 << (spec.bits - 1)), np.uint64(0))
    return (np.concatenate([np.repeat(c, len(c)), a]),
            np.concatenate([np.tile(c, len(c)), b]))


GOLDEN = {("add", "float"): float_add, ("mul", "float"): float_mul,
          ("add", "int"): int_add, ("mul", "int"): int_mul}


# ----- the oracle itself ----------------------------------------------------------------------

@pytest.mark.parametrize(("name", "dtype"), [("fp16", np.float16), ("fp32", np.float32),
                                             ("bf16", ml_dtypes.bfloat16)])
def test_float_rne_oracle_matches_casts(name: str, dtype) -> None:
    """float_rne of float64 values equals NumPy's / ml_dtypes' direct float64 casts."""
    seed = 3
    rng = np.random.default_rng(seed)
    spec = get_format(name)
    v = rng.standard_normal(3000) * np.exp2(rng.integers(spec.emin - spec.precision - 3,
                                                         spec.emax + 2, 3000))
    with np.errstate(over="ignore"):
        want = v.astype(dtype).view(np.dtype(f"u{spec.bits // 8}")).astype(np.uint64)
    got = np.array([float_rne(Fraction(float(x)), spec) for x in v], np.uint64)
    assert_codes(got, want, v.view(np.uint64), v.view(np.uint64), seed, f"float_rne {name}")


# ----- golden.arith against the oracle --------------------------------------------------------

@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize("name", ["fp8_e5m2", "int8", "int4"])
def test_golden_every_pair(op: str, name: str) -> None:
    spec = get_format(name)
    codes = np.arange(spec.n_codes, dtype=np.uint64)
    a, b = np.repeat(codes, spec.n_codes), np.tile(codes, spec.n_codes)
    got = GOLDEN[op, spec.kind](a.astype(spec.code_dtype), b.astype(spec.code_dtype), spec)
    assert_codes(got, oracle(op, a, b, spec), a, b, None, f"golden {op} {name} (every pair)")


@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize("name", ["fp16", "bf16", "fp32", "int16", "int32"])
def test_golden_corners_and_random(op: str, name: str) -> None:
    spec = get_format(name)
    seed = 40 + len(name)
    a, b = sample_pairs(spec, 3000, seed)
    got = GOLDEN[op, spec.kind](a.astype(spec.code_dtype), b.astype(spec.code_dtype), spec)
    assert_codes(got, oracle(op, a, b, spec), a, b, seed, f"golden {op} {name}")


def _native(op: str, a: np.ndarray, b: np.ndarray, dtype, utype) -> np.ndarray:
    fa, fb = a.astype(utype).view(dtype), b.astype(utype).view(dtype)
    with np.errstate(all="ignore"):
        r = (fa + fb) if op == "add" else (fa * fb)
    return r.view(utype).astype(np.uint64), np.isnan(r.astype(np.float32))


@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize(("name", "dtype"), [("fp16", np.float16), ("bf16", ml_dtypes.bfloat16)])
def test_golden_matches_native_arithmetic(op: str, name: str, dtype) -> None:
    """fp16 against NumPy float16, bf16 against ml_dtypes bfloat16 (both round the exact
    float32 result once more, which is exact for p <= 11 bits), NaN as a class."""
    spec = get_format(name)
    seed = 7
    a, b = sample_pairs(spec, 200_000, seed)
    want, nan = _native(op, a, b, dtype, np.uint16)
    got = GOLDEN[op, "float"](a.astype(np.uint16), b.astype(np.uint16), spec).astype(np.uint64)
    qn = quiet_nan(spec)
    assert np.all(got[nan] == qn), f"{name} {op}: a NaN result is not {qn:#x} (seed {seed})"
    assert_codes(got[~nan], want[~nan], a[~nan], b[~nan], seed, f"golden {op} {name} vs {dtype}")


def test_golden_rejects_formats_it_does_not_take() -> None:
    for bad in ("fp8_e4m3", "fp4_e2m1", "e8m0", "posit8"):
        with pytest.raises(ValueError, match="IEEE-style"):
            float_add(np.zeros(1, np.uint8), np.zeros(1, np.uint8), bad)
    with pytest.raises(ValueError, match="integer"):
        int_add(np.zeros(1, np.uint8), np.zeros(1, np.uint8), "fp8_e5m2")
    with pytest.raises(ValueError, match="at most 64"):
        int_mul(np.zeros(1, np.uint64), np.zeros(1, np.uint64), "int33")
    with pytest.raises(ValueError, match="out of range"):
        int_add(np.array([256]), np.array([0]), "int8")


# ----- int{n} formats -------------------------------------------------------------------------

def test_int_formats_on_demand() -> None:
    for n in (2, 4, 8):
        assert get_format(f"int{n}") == int_format(n)
    for n in (3, 16, 32, 64):
        s = get_format(f"int{n}")
        assert (s.kind, s.bits, s.int_min, s.int_max) == ("int", n, -(1 << (n - 1)),
                                                         (1 << (n - 1)) - 1)
    assert "int16" not in format_names() and "int32" not in format_names()
    for bad in ("int1", "int65", "int08", "int"):
        with pytest.raises(ValueError):
            get_format(bad)
    assert get_format("int16").code_dtype == np.uint16
    assert get_format("int32").code_dtype == np.uint32
    assert get_format("int64").code_dtype == np.uint64


@pytest.mark.parametrize("n", [16, 32, 53, 64])
def test_int_decode_encode_round_trip(n: int) -> None:
    """decode gives the exact two's complement value; encode of that value (as the decoded
    dtype and as int64) gives the code back; float inputs saturate at the range ends."""
    spec = get_format(f"int{n}")
    seed = n
    rng = np.random.default_rng(seed)
    top = (1 << n) - 1
    codes = np.array([0, 1, top, top >> 1, (top >> 1) + 1, 2, top - 1], dtype=np.uint64)
    codes = np.concatenate([codes, rng.integers(0, top, 500, dtype=np.uint64, endpoint=True)])
    codes = codes.astype(spec.code_dtype)
    vals = golden.decode(codes, spec)
    want = [signed(int(c), n) for c in codes]
    assert [int(v) for v in vals] == want, f"int{n} decode (seed {seed})"
    assert np.array_equal(golden.encode(vals, spec), codes), f"int{n} encode(decode) (seed {seed})"
    as_int = np.array(want, dtype=np.int64)
    assert np.array_equal(golden.encode(as_int, spec), codes), f"int{n} encode(int64)"
    ends = golden.encode(np.array([1e300, -1e300, 2.5, -2.5]), spec)
    assert [int(c) for c in ends] == [top >> 1, (top >> 1) + 1, 2, top - 1]
    with pytest.raises(ValueError, match="out of range"):
        golden.encode(np.array([1 << (n - 1)], dtype=np.uint64), spec, saturate=False)


# ----- the add / mul jobs ---------------------------------------------------------------------

@pytest.mark.parametrize("op", ["add", "mul"])
@pytest.mark.parametrize("name", ["fp16", "bf16", "fp32", "int16", "int32"])
def test_binary_job_expected_matches_oracle(op: str, name: str) -> None:
    spec = get_format(name)
    seed = 5
    job = binary_job(op, spec, 3000, seed)
    port = "sum" if op == "add" else "prod"
    chk = job.checks[port]
    a, b = np.array(job.inputs["a"], np.uint64), np.array(job.inputs["b"], np.uint64)
    assert job.n == 3000 and set(job.checks) == {port}
    want = oracle(op, a, b, spec)
    assert_codes(chk.bits, want, a, b, seed, f"binary_job {op} {name}")
    if spec.kind == "float":
        assert np.array_equal(chk.nan_class, want == quiet_nan(spec))
        assert (chk.width, chk.exp_bits, chk.man_bits) == (spec.bits, spec.exp_bits,
                                                           spec.man_bits)
    else:
        assert chk.width == (spec.bits + 1 if op == "add" else 2 * spec.bits)
        assert chk.exp_bits == 0 and not chk.nan_class.any()


@pytest.mark.parametrize("name", ["int8", "fp8_e5m2"])
def test_binary_job_small_formats_every_pair(name: str) -> None:
    spec = get_format(name)
    job = binary_job("mul", spec, None, 1)
    pairs = set(zip(job.inputs["a"], job.inputs["b"], strict=True))
    assert job.n == len(pairs) == spec.n_codes ** 2


def test_binary_job_corners_and_ties() -> None:
    """Corners come first; the random part of add holds exact ties (the rounding boundary
    hit exactly), and is seeded."""
    spec = get_format("fp16")
    job = binary_job("add", spec, 4096, 9)
    c = arith_corners(spec)
    assert job.inputs["a"][:len(c)] == [int(c[0])] * len(c)
    assert binary_job("add", spec, 4096, 9).inputs == job.inputs
    assert binary_job("add", spec, 4096, 10).inputs != job.inputs
    a = np.array(job.inputs["a"], np.uint64)
    b = np.array(job.inputs["b"], np.uint64)
    ties = 0
    eps = Fraction(1, 1 << 200)
    for x, y in zip(a[len(c) ** 2:], b[len(c) ** 2:], strict=True):
        (_, vx), (_, vy) = float_value(int(x), spec), float_value(int(y), spec)
        if isinstance(vx, Fraction) and isinstance(vy, Fraction):
            # a tie: nudging the exact sum either way changes its rounding
            ties += float_rne(vx + vy + eps, spec) != float_rne(vx + vy - eps, spec)
    assert ties > 100, f"only {ties} sums at a rounding tie (seed 9)"


def test_binary_job_stimulus() -> None:
    pytest.importorskip("verif.stimuli")
    job = binary_job("mul", "bf16", None, 2, stimulus="gaussian")
    assert job.n == 4096
    again = binary_job("mul", "bf16", None, 2, stimulus="gaussian")
    assert again.inputs == job.inputs


def test_binary_job_rejects_bad_requests() -> None:
    with pytest.raises(ValueError, match="op"):
        binary_job("div", "fp16", 10, 1)
    with pytest.raises(ValueError, match="posit"):
        binary_job("add", "posit8", 10, 1)


def test_registry_add_mul_formats() -> None:
    """``add`` / ``mul`` take the IEEE-style floats and 4..32-bit two's complement integers
    (int{n} on demand), nothing else; the component class follows ``spec.kind``."""
    from sim.protocol import RunRequest
    from sim.units import UsageError, get_unit, resolve

    for name in ("add", "mul"):
        unit = get_unit(name)
        assert unit.formats() == ["fp8_e5m2", "int8", "int4", "fp16", "bf16", "fp32"]
        for f in ("int16", "int32", "int5"):
            assert unit.takes(get_format(f)), f
        for f in ("fp8_e4m3", "fp4_e2m1", "e8m0", "int2", "ternary", "bin1", "int33", "posit8",
                  "mxint8"):
            assert not unit.takes(get_format(f)), f
        kinds = {}
        for f in ("fp16", "int32"):
            comp = unit.component(resolve(RunRequest(unit=name, format=f))[1])
            comp._MustUse__silence = True  # built to read its class, never elaborated
            kinds[f] = type(comp).__name__
        assert kinds == ({"fp16": "FloatAdd", "int32": "IntAdd"} if name == "add" else
                         {"fp16": "FloatMul", "int32": "IntMul"})
        with pytest.raises(UsageError):
            resolve(RunRequest(unit=name, format="int64"))
