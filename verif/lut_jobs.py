"""GEMM jobs for the LUT tensor core and its MAC baseline: operands, buffer images, golden.

A :class:`LutJob` holds one GEMM ``Y = A @ W`` (``A`` int8 codes (M, K), ``W`` weight codes
(K, N)), the buffer words the engine reads (layout of :mod:`hw.lut.engine`), the expected
output bits from ``golden.gemm(A, W, "int8", fmt_w)`` (int32 or fp32 patterns, as uint32)
and the cycle count the model (:mod:`models.cycle_lut`) predicts. Both testbenches (the
amaranth.sim tests and the cocotb ``verif/tb_lut.py``) model the buffers from these images.

Operands are either verification data (:func:`lut_job`: every valid code equally likely, or
corners) or a data stimulus (:func:`stimulus_job`, :mod:`verif.stimuli`: real values of a
distribution quantized by golden, per-tensor absmax scaling; for switching activity and
energy) on one layer-like GEMM of :data:`STIMULUS_GEMM`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.codec import QTensor
from golden.dot import gemm
from golden.formats import FormatSpec, get_format
from hw.common.packing import pack_lanes
from models.cycle_lut import lut_cycle_model
from verif import vectors as vec

__all__ = ["DEFAULT_GEMM", "GROUP", "STIMULUS_GEMM", "LutJob", "default_job", "lut_job",
           "run_amaranth", "stimulus_job", "unpack_outputs"]

GROUP = 4
"""Group size ``g`` of the engines that ``lowbit sim --unit lut|lut_mac`` builds (their
array shape is the unit registry's, :mod:`sim.builtin_units`)."""
DEFAULT_GEMM = (21, 37, 19)
"""(M, K, N) of the default ``lowbit sim`` GEMM: not multiples of 4, K not a multiple of g."""
STIMULUS_GEMM = (32, 64, 32)
"""(M, K, N) of a stimulus run: one GEMM the size of a small layer (64 output tiles of a
4 x 4 array, 16 k-groups each), short enough for a gate-level run."""


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _tiled(codes: np.ndarray, tile: int, g: int, kg: int, pad: int) -> np.ndarray:
    """(tiles * kg, tile * g) lanes: lane ``t * g + i`` of word ``j * kg + k`` is
    ``codes[j*tile + t, k*g + i]`` (``codes`` is (rows, K); ``pad`` outside)."""
    rows, k = codes.shape
    nt = _ceil(rows, tile)
    full = np.full((nt * tile, kg * g), pad, dtype=np.uint64)
    full[:rows, :k] = codes
    return full.reshape(nt, tile, kg, g).transpose(0, 2, 1, 3).reshape(nt * kg, tile * g)


def unpack_outputs(words: dict[int, int], M: int, N: int, R: int, C: int) -> np.ndarray:
    """(M, N) uint32 results from output-buffer words (address -> ``C`` 32-bit lanes).

    A missing word leaves its outputs at 0xDEADBEEF (never a result of the sizes tested
    here), so the comparison reports it.
    """
    nt = _ceil(N, C)
    out = np.full((_ceil(M, R) * R, nt * C), 0xDEADBEEF, dtype=np.uint64)
    for addr, word in words.items():
        t, r = divmod(addr, R)
        mt, ntt = divmod(t, nt)
        for c in range(C):
            out[mt * R + r, ntt * C + c] = (word >> (32 * c)) & 0xFFFFFFFF
    return out[:M, :N].astype(np.uint32)


@dataclass
class LutJob:
    """One GEMM for a LUT engine (see the module docstring)."""

    fmt_w: FormatSpec
    unit: str
    M: int
    K: int
    N: int
    R: int
    C: int
    g: int
    seed: int
    a_codes: np.ndarray
    w_codes: np.ndarray
    a_mem: list[int]
    w_mem: list[int]
    expected: np.ndarray
    predicted_cycles: int

    @property
    def ops(self) -> int:
        """Multiply-accumulates of the GEMM, ``M * K * N``."""
        return self.M * self.K * self.N

    @property
    def sizes(self) -> dict[str, int]:
        """The engine's size ports: m_tiles, n_tiles, k_groups."""
        return {"m_tiles": _ceil(self.M, self.R), "n_tiles": _ceil(self.N, self.C),
                "k_groups": _ceil(self.K, self.g)}

    def mismatches(self, got: np.ndarray, limit: int = 5) -> list[str]:
        """One line per differing output (at most ``limit``): indices, operands in hex."""
        bad = np.argwhere(got != self.expected)
        lines = []
        for m, n in bad[:limit]:
            a = " ".join(f"{int(x):02x}" for x in self.a_codes[m])
            w = " ".join(f"{int(x):x}" for x in self.w_codes[:, n])
            lines.append(f"{self.unit} {self.fmt_w.name} M,K,N={self.M},{self.K},{self.N} "
                         f"R,C,g={self.R},{self.C},{self.g} seed={self.seed}: Y[{m},{n}] "
                         f"expected {int(self.expected[m, n]):#010x} got {int(got[m, n]):#010x}"
                         f"; A row {a}; W col {w}")
        if len(bad) > limit:
            lines.append(f"... {len(bad)} mismatches in total")
        return lines


def lut_job(fmt_w: FormatSpec | str, M: int, K: int, N: int, *, R: int, C: int, g: int = 4,
            seed: int = 1, unit: str = "lut", corners: bool = False) -> LutJob:
    """A seeded random GEMM (every valid code equally likely) for a LUT engine.

    ``corners=True`` uses extreme operands instead: activations -128 and 127 alternating by
    row, weights at the format's most negative and most positive values (the largest
    partial sums and table entries).
    """
    spec = get_format(fmt_w)
    act = get_format("int8")
    rng = np.random.default_rng(seed)
    if corners:
        a = np.where(np.arange(M)[:, None] % 2 == 0, 0x80, 0x7F) * np.ones((1, K), np.int64)
        cc = vec.corner_codes(spec)
        vals = QTensor(cc, spec).values().astype(np.float64)
        lo, hi = cc[np.argmin(vals)], cc[np.argmax(vals)]
        w = np.where((np.arange(K)[:, None] + np.arange(N)[None, :]) % 3 == 0, hi, lo)
    else:
        a = vec.random_codes(act, (M, K), rng)
        w = vec.random_codes(spec, (K, N), rng)
    return _job(spec, unit, a, w, R=R, C=C, g=g, seed=seed)


def _job(spec: FormatSpec, unit: str, a: np.ndarray, w: np.ndarray, *, R: int, C: int, g: int,
         seed: int) -> LutJob:
    """The :class:`LutJob` of int8 codes ``a`` (M, K) and weight codes ``w`` (K, N): buffer
    images, golden expected bits, predicted cycles."""
    act = get_format("int8")
    a = np.asarray(a, dtype=np.uint8)
    w = np.asarray(w, dtype=spec.code_dtype)
    (M, K), N = a.shape, w.shape[1]
    y = gemm(QTensor(a, act), QTensor(w, spec), act, spec)
    expected = np.asarray(y).view(np.uint32).copy()
    kg = _ceil(K, g)
    a_mem = pack_lanes(_tiled(a, R, g, kg, 0), act.bits).tolist()
    w_mem = pack_lanes(_tiled(w.T, C, g, kg, 0), spec.bits).tolist()
    model = lut_cycle_model(spec, unit=unit, g=g)
    cyc = int(model.evaluate(M=M, K=K, N=N, R=R, C=C))
    return LutJob(spec, unit, M, K, N, R, C, g, seed, a, w, a_mem, w_mem, expected, cyc)


def stimulus_job(fmt_w: FormatSpec | str, stimulus: str, M: int, K: int, N: int, *, R: int,
                 C: int, g: int = 4, seed: int = 1, unit: str = "lut") -> LutJob:
    """A GEMM whose operands are ``stimulus`` data (:mod:`verif.stimuli`), for energy runs.

    Activations ``A`` (M, K) and weights ``W`` (K, N) are each one tensor of ``stimulus``
    values quantized by golden (:func:`verif.stimuli.element_codes`: per-tensor absmax onto
    the format's largest value, RNE; int8 activations therefore in -127..127, ternary and
    int2 weights in -1..1, bin1 the sign). Raises a one-line ``ValueError`` for an unknown
    stimulus, or if a quantized weight lies outside the engine's integer range (it cannot:
    the scaling stays within ``max_finite``).
    """
    from hw.lut.weights import weight_int
    from verif.stimuli import element_codes

    spec = get_format(fmt_w)
    wi = weight_int(spec)
    rng = np.random.default_rng(seed)
    a = element_codes(get_format("int8"), M * K, stimulus, rng).reshape(M, K)
    w = element_codes(spec, K * N, stimulus, rng).reshape(K, N)
    vw = np.asarray(QTensor(w.astype(spec.code_dtype), spec).values(), np.float64) * 2.0 ** -wi.lsb
    if ((vw < wi.vw_min) | (vw > wi.vw_max) | (vw != np.round(vw))).any():
        raise ValueError(f"stimulus {stimulus!r} gave {spec.name} codes outside the LUT "
                         f"engines' range {wi.vw_min}..{wi.vw_max} (x 2^{wi.lsb})")
    return _job(spec, unit, a, w, R=R, C=C, g=g, seed=seed)


def default_job(fmt_w: str, unit: str, seed: int, vectors: int | None = None, *,
                rows: int, cols: int, stimulus: str | None = None) -> LutJob:
    """The GEMM ``lowbit sim --unit lut|lut_mac`` runs on a ``rows x cols`` engine.

    Without ``stimulus``: verification data (:func:`lut_job`) on :data:`DEFAULT_GEMM`;
    with one (a :data:`verif.stimuli.STIMULI` name): :func:`stimulus_job` on
    :data:`STIMULUS_GEMM`. ``vectors`` (optional) is the number of outputs wanted:
    ``M = ceil(vectors / N)`` with ``K`` and ``N`` of that shape.
    """
    M, K, N = DEFAULT_GEMM if stimulus is None else STIMULUS_GEMM
    if vectors is not None:
        M = max(1, _ceil(vectors, N))
    if stimulus is not None:
        return stimulus_job(fmt_w, stimulus, M, K, N, R=rows, C=cols, g=GROUP, seed=seed,
                            unit=unit)
    return lut_job(fmt_w, M, K, N, R=rows, C=cols, g=GROUP, seed=seed, unit=unit)


def run_amaranth(engine: object, job: LutJob, limit: int = 100_000) -> tuple[np.ndarray, int]:
    """Run ``job`` on a LUT engine in Amaranth's simulator with the buffers modelled here.

    The buffers read synchronously (the word addressed in cycle t is driven in cycle
    t + 1). Returns (results (M, N) as uint32 bit patterns, cycles from the ``start`` cycle
    to the ``done`` cycle). Raises ``RuntimeError`` if ``done`` does not come within
    ``limit`` cycles or an output word is written twice.
    """
    from amaranth.sim import Simulator

    out: dict[int, int] = {}
    cycles: list[int] = []

    async def bench(ctx) -> None:
        for k, v in job.sizes.items():
            ctx.set(getattr(engine, k), v)
        ctx.set(engine.start, 1)
        await ctx.tick()
        ctx.set(engine.start, 0)
        cyc, pa, pw = 1, None, None
        while True:
            if pa is not None:  # the word addressed last cycle (synchronous read)
                ctx.set(engine.a_data, job.a_mem[pa])
            if pw is not None:
                ctx.set(engine.w_data, job.w_mem[pw])
            pa = ctx.get(engine.a_addr) if ctx.get(engine.a_rd) else None
            pw = ctx.get(engine.w_addr) if ctx.get(engine.w_rd) else None
            if ctx.get(engine.o_valid):
                addr = ctx.get(engine.o_addr)
                if addr in out:
                    raise RuntimeError(f"output word {addr} written twice")
                out[addr] = ctx.get(engine.o_data)
            if ctx.get(engine.done):
                break
            await ctx.tick()
            cyc += 1
            if cyc >= limit:
                raise RuntimeError(f"no done within {limit} cycles")
        cycles.append(cyc)

    sim = Simulator(engine)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    return unpack_outputs(out, job.M, job.N, job.R, job.C), cycles[0]
