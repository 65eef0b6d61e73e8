"""Jobs: the vectors and golden expected outputs of one testbench run, computed up front.

A :class:`Job` holds, for every vector, the packed value of each input port and the
expected raw bits of each checked output port. Expected bits come from the golden model
(``golden.decode``, ``golden.fp32``, ``golden.block_dot``) evaluated vectorised BEFORE the
simulation, so the per-cycle work of the testbench is a few integer writes and reads.

Builders (one per unit):

- :func:`fp32_job` - fp32 ``add`` / ``mul``: :func:`verif.arith_jobs.binary_job` (every
  IEEE-style float and integer format of the ``add`` / ``mul`` units lives there).
- :func:`mac_job` - ``ScalarMac``: every (a, b) code pair in seeded shuffled order when the
  pair space is <= 2^20 (the default), else corner pairs + random pairs; ``i_first`` starts
  a new accumulation every :data:`CHAIN` inputs. Checks ``acc`` after every input.
- :func:`dot_job` - ``MxDot`` / ``Nvfp4Dot``: directed corner blocks then seeded random
  blocks (quantized float data and raw codes); ``i_first`` every :data:`CHAIN` blocks.
  Checks ``d`` (the block result), ``acc`` and, for NVFP4, ``out``.

Lane packing: :func:`hw.common.packing.pack_lanes` (lane ``i`` of a ``w``-bit operand at
bits ``[i*w, (i+1)*w)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.codec import decode
from golden.formats import FormatSpec, get_format
from golden.fp32 import fp32_add, fp32_fma, round_exact_to_fp32
from hw.common.packing import pack_lanes
from verif import vectors as vec
from verif.scoreboard import Check

__all__ = ["CHAIN", "DEFAULT_DOT_BLOCKS", "DEFAULT_FP32_VECTORS", "Job", "dot_job", "fp32_job",
           "mac_job"]

CHAIN = 4
"""Inputs per accumulation (``i_first`` is 1 on every CHAIN-th input, starting with the first)."""
DEFAULT_DOT_BLOCKS = 3000
"""Random blocks of a dot run when no vector count is given (the corner blocks come first)."""
DEFAULT_FP32_VECTORS = 4096
"""Vectors of an fp32 add/mul run when no count is given (corner x corner pairs first)."""
STIMULUS_VECTORS = 4096
"""Inputs of a scalar unit's stimulus run (:mod:`verif.stimuli`) when no count is given."""
STIMULUS_BLOCKS = 512
"""Blocks of a dot unit's stimulus run when no count is given."""
STIMULUS_CHAIN = 32
"""Inputs per accumulation in a stimulus run."""


@dataclass
class Job:
    """Inputs (port -> packed value per vector) and checks (port -> expected bits).

    ``latency`` is the unit's latency in cycles (set by the run, read by the testbench's
    monitor to know how long to wait for the last outputs).
    """

    inputs: dict[str, list[int]]
    checks: dict[str, Check]
    latency: int = 0

    @property
    def n(self) -> int:
        return len(next(iter(self.inputs.values())))


def _f32_check(values: np.ndarray) -> Check:
    v = np.asarray(values, dtype=np.float32)
    return Check(bits=v.view(np.uint32).astype(np.uint64), nan_class=np.isnan(v))


def _firsts(n: int, chain: int = CHAIN) -> np.ndarray:
    return (np.arange(n) % chain == 0).astype(np.uint32)


def _chain_fp32(terms: np.ndarray, chain: int = CHAIN) -> np.ndarray:
    """acc_k = fp32((first_k ? +0.0 : acc_{k-1}) + terms_k) for chains of ``chain`` inputs."""
    out = np.empty(len(terms), dtype=np.float32)
    for pos in range(chain):
        idx = np.arange(pos, len(terms), chain)
        prev = np.zeros(len(idx), np.float32) if pos == 0 else out[idx - 1]
        out[idx] = fp32_add(prev, terms[idx])
    return out


def stimulus_length(vectors: int | None, stimulus: str | None, default: int) -> tuple[int, int]:
    """(vectors, chain) of a stimulus run: ``vectors`` or ``default``, accumulations of
    :data:`STIMULUS_CHAIN` inputs (a reduction of a layer's length, not the verification
    runs' short chains that exercise restarts)."""
    from verif.stimuli import check_stimulus

    check_stimulus(stimulus)
    return (default if vectors is None else vectors), STIMULUS_CHAIN


# ----- fp32 add / mul -----------------------------------------------------------------------

def fp32_job(op: str, vectors: int, seed: int) -> Job:
    """Vectors for ``Fp32Add`` (``op="add"``) or ``Fp32Mul`` (``op="mul"``):
    :func:`verif.arith_jobs.binary_job` of fp32 (corners x corners, then seeded random codes
    with near exponents and exact ties)."""
    if op not in ("add", "mul"):
        raise ValueError(f"fp32 op must be 'add' or 'mul', not {op!r}")
    from verif.arith_jobs import binary_job  # imports this module

    return binary_job(op, "fp32", vectors, seed)


# ----- scalar MAC ---------------------------------------------------------------------------

def mac_pairs(fa: FormatSpec, fb: FormatSpec, vectors: int | None,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) code pairs: all pairs shuffled when ``vectors`` is None or covers the space."""
    space = len(vec.valid_codes(fa)) * len(vec.valid_codes(fb))
    if space <= vec.EXHAUSTIVE_LIMIT and (vectors is None or vectors >= space):
        a, b = vec.exhaustive_pairs(fa, fb)
        order = rng.permutation(len(a))
        a, b = a[order], b[order]
        if vectors is not None and vectors > space:
            extra = vectors - space
            a = np.concatenate([a, vec.random_codes(fa, extra, rng)])
            b = np.concatenate([b, vec.random_codes(fb, extra, rng)])
        return a, b
    n = 4096 if vectors is None else vectors
    ca, cb = vec.corner_codes(fa), vec.corner_codes(fb)
    a = np.concatenate([np.repeat(ca, len(cb)), vec.random_codes(fa, n, rng)])[:n]
    b = np.concatenate([np.tile(cb, len(ca)), vec.random_codes(fb, n, rng)])[:n]
    return a, b


def mac_job(fmt_a: str | FormatSpec, fmt_b: str | FormatSpec | None, vectors: int | None,
            seed: int, stimulus: str | None = None) -> Job:
    """Vectors for ``ScalarMac(fmt_a, fmt_b)``; see the module docstring. ``stimulus``
    (:mod:`verif.stimuli`): operands drawn from that distribution instead, in accumulations
    of :data:`STIMULUS_CHAIN`."""
    fa = get_format(fmt_a)
    fb = fa if fmt_b is None else get_format(fmt_b)
    rng = np.random.default_rng(seed)
    chain = CHAIN
    if stimulus is None:
        a, b = mac_pairs(fa, fb, vectors, rng)
    else:
        from verif.stimuli import element_codes

        n, chain = stimulus_length(vectors, stimulus, STIMULUS_VECTORS)
        a, b = element_codes(fa, n, stimulus, rng), element_codes(fb, n, stimulus, rng)
    first = _firsts(len(a), chain)
    if fa.is_integer and fb.is_integer:
        p = decode(a, fa).astype(np.int64) * decode(b, fb).astype(np.int64)
        acc = np.empty(len(p), dtype=np.int64)
        for pos in range(chain):
            idx = np.arange(pos, len(p), chain)
            acc[idx] = p[idx] + (acc[idx - 1] if pos else 0)
        bits = (acc & 0xFFFFFFFF).astype(np.uint64)
        check = Check(bits=bits, nan_class=np.zeros(len(bits), bool), exp_bits=0, man_bits=0)
    else:
        va = decode(a, fa).astype(np.float32)
        vb = decode(b, fb).astype(np.float32)
        acc32 = np.empty(len(a), dtype=np.float32)
        for pos in range(chain):
            idx = np.arange(pos, len(a), chain)
            prev = np.zeros(len(idx), np.float32) if pos == 0 else acc32[idx - 1]
            acc32[idx] = fp32_fma(va[idx], vb[idx], prev)
        check = _f32_check(acc32)
    return Job(inputs={"a": a.tolist(), "b": b.tolist(), "i_first": first.tolist()},
               checks={"acc": check})


# ----- block dot units ----------------------------------------------------------------------

def _block_tensor(spec: FormatSpec, codes: np.ndarray, scales: np.ndarray) -> object:
    """A one-block-per-row BlockTensor of ``lanes`` elements (padded with zero codes)."""
    from golden.block import BlockTensor

    n, lanes = codes.shape
    el = np.zeros((n, spec.block_size), dtype=spec.element.code_dtype)
    el[:, :lanes] = codes
    ts = np.float32(1.0) if spec.tensor_scale else None
    return BlockTensor(spec, scales.astype(spec.scale.code_dtype).reshape(n, 1), el,
                       (n, lanes), 1, ts)


def _block_d(sa: FormatSpec, sb: FormatSpec, a: np.ndarray, b: np.ndarray, xa: np.ndarray,
             xb: np.ndarray) -> np.ndarray:
    """Golden block result D per row: ``golden.block_dot`` of one block.

    ``block_dot`` returns ``acc = RNE_fp32(c + D)``; with ``c = -0.0`` that is D itself, also
    when D underflows to -0 (``+0.0 + -0.0`` would lose that sign). NVFP4 adds ``c`` after
    its tensor scales (set to 1 here), and its D never underflows (the smallest block scale
    product is 2^-18), so it runs without ``c``.
    """
    from golden.dot import block_dot

    c = None if sa.tensor_scale else np.float32(-0.0)
    return block_dot(_block_tensor(sa, a, xa), _block_tensor(sb, b, xb), c)


def _tensor_scales(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """fp32 tensor scales, constant within each chain: corners first, then random near 1."""
    corners = np.array([0x3F800000, 0x7F7FFFFF, 0x00000001, 0x00800000, 0x3E2AAAAB,
                        0x7F000000, 0x0C000000, 0x3F800001], dtype=np.uint32)
    chains = -(-n // CHAIN)
    exp = rng.integers(127 - 20, 127 + 21, size=(2, chains)).astype(np.uint32)
    man = rng.integers(0, 1 << 23, size=(2, chains)).astype(np.uint32)
    t = (exp << 23) | man
    k = min(len(corners), chains)
    t[0, :k] = corners[:k]
    t[1, :k] = corners[::-1][:k]
    return np.repeat(t[0], CHAIN)[:n], np.repeat(t[1], CHAIN)[:n]


def dot_job(fmt_a: str | FormatSpec, fmt_b: str | FormatSpec | None, vectors: int | None,
            seed: int, lanes: int, stimulus: str | None = None) -> Job:
    """Vectors for ``MxDot`` / ``Nvfp4Dot`` with ``lanes`` lanes (a block of ``lanes``).

    All :func:`verif.vectors.corner_blocks` first, then ``vectors`` (default
    :data:`DEFAULT_DOT_BLOCKS`) seeded random blocks. Block scale codes go to ``sa``/``sb``
    (e8m0 for MX, fp8_e4m3 for NVFP4); NVFP4 also takes fp32 tensor scales ``ta``/``tb``
    and checks ``out``.

    ``stimulus`` (:mod:`verif.stimuli`): ``vectors`` (default :data:`STIMULUS_BLOCKS`)
    blocks quantized from that distribution instead, accumulated :data:`STIMULUS_CHAIN`
    blocks at a time, NVFP4 with the stimulus tensors' own tensor scales.
    """
    if stimulus is not None:
        return _dot_stimulus_job(fmt_a, fmt_b, vectors, seed, lanes, stimulus)
    sa = get_format(fmt_a)
    sb = sa if fmt_b is None else get_format(fmt_b)
    if not (sa.is_block and sb.is_block):
        raise ValueError(f"dot_job needs block formats, not {sa.name!r} / {sb.name!r}")
    rng = np.random.default_rng(seed)
    ca = vec.corner_blocks(sa, lanes)
    cb = vec.corner_blocks(sb, lanes) if sb != sa else ca
    m = min(len(ca[0]), len(cb[0]))
    nr = DEFAULT_DOT_BLOCKS if vectors is None else vectors
    ra = vec.random_blocks(sa, nr, lanes, rng)
    rb = vec.random_blocks(sb, nr, lanes, rng) if sb != sa else None
    a = np.concatenate([ca[0][:m], ra[0]])
    b = np.concatenate([cb[1][:m], (rb or ra)[1]])
    xa = np.concatenate([ca[2][:m], ra[2]])
    xb = np.concatenate([cb[3][:m], (rb or ra)[3]])
    ta, tb = _tensor_scales(len(a), rng) if sa.tensor_scale else (None, None)
    return _dot_job(sa, sb, a, b, xa, xb, ta, tb, CHAIN)


def _dot_stimulus_job(fmt_a: str | FormatSpec, fmt_b: str | FormatSpec | None,
                      vectors: int | None, seed: int, lanes: int, stimulus: str) -> Job:
    from verif.stimuli import block_codes

    sa = get_format(fmt_a)
    sb = sa if fmt_b is None else get_format(fmt_b)
    n, chain = stimulus_length(vectors, stimulus, STIMULUS_BLOCKS)
    rng = np.random.default_rng(seed)
    a, xa, ta = block_codes(sa, n, lanes, stimulus, rng)
    b, xb, tb = block_codes(sb, n, lanes, stimulus, rng)
    ts = (np.full(n, ta, np.uint32), np.full(n, tb, np.uint32)) if sa.tensor_scale else (None,
                                                                                         None)
    return _dot_job(sa, sb, a, b, xa, xb, *ts, chain)


def _dot_job(sa: FormatSpec, sb: FormatSpec, a: np.ndarray, b: np.ndarray, xa: np.ndarray,
             xb: np.ndarray, ta: np.ndarray | None, tb: np.ndarray | None, chain: int) -> Job:
    """The job of blocks ``a``/``b`` (codes, one row per block) with scale codes ``xa``/``xb``
    and NVFP4 tensor scales ``ta``/``tb`` (fp32 bits per block), ``chain`` blocks per
    accumulation."""
    n = len(a)
    d = _block_d(sa, sb, a, b, xa, xb)
    acc = _chain_fp32(d, chain)
    wa, wb = sa.element.bits, sb.element.bits
    inputs = {"a": pack_lanes(a, wa).tolist(), "b": pack_lanes(b, wb).tolist(), "sa": xa.tolist(),
              "sb": xb.tolist()}
    checks = {"d": _f32_check(d), "acc": _f32_check(acc)}
    if sa.tensor_scale:
        with np.errstate(over="ignore", invalid="ignore"):
            t = round_exact_to_fp32(ta.view(np.float32).astype(np.float64)
                                    * tb.view(np.float32).astype(np.float64))
            out = round_exact_to_fp32(acc.astype(np.float64) * t.astype(np.float64))
        inputs.update({"ta": ta.tolist(), "tb": tb.tolist()})
        checks["out"] = _f32_check(out)
    inputs["i_first"] = _firsts(n, chain).tolist()
    return Job(inputs=inputs, checks=checks)
