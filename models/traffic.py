"""On-chip buffer traffic of the GEMM engines' real schedules: words through every buffer port.

:func:`engine_traffic` counts, for one GEMM ``C[M, N] = A[M, K] x B[K, N]`` run from
``start`` to ``done``, the words the engine reads from its A (activation) and B (weight)
buffers and writes into its C (output) buffer, and, on the host side around the run, the
words written into the A/B buffers before it and read back from C after it. Vectorised:
``m, k, n`` are ints or NumPy integer arrays (broadcast together, one element per GEMM).
:func:`a_word_bits`, :func:`b_word_bits` and :func:`c_word_bits` give each buffer's word
width, so that ``words * bits`` is the traffic in bits (e.g. for SRAM energy).

Both engines are output-stationary and tile the output into ``R x C`` tiles, m-tiles
outer, n-tiles inner: ``MT = ceil(M / R)``, ``NT = ceil(N / C)``, ``T = MT * NT``. Each
tile reads its k-steps once, in increasing k, from the start of the buffer region of its
m-tile (A) and n-tile (B); nothing is kept across tiles, so every A word is read once per
n-tile (``NT`` times) and every B word once per m-tile (``MT`` times). With ``X`` the
k-steps per tile (``S`` or ``KG`` below)::

    a_reads  = b_reads = T * X        c_writes  = T * R
    a_loads  = MT * X                 b_loads   = NT * X        c_unloads = T * R

``engine="array"`` (:mod:`hw.array.engine`, ``X = S = ceil(K / lanes)``):

- ``a_reads``, ``b_reads``: the cycles with ``step = issuing & (cnt < S)``; each addresses
  ``a_rd.addr = a_base + cnt`` and ``b_rd.addr = b_base + cnt`` and its word enters the
  PE array one cycle later (``i_valid``). A tile's ``S`` steps are consecutive; a tile
  takes ``ii = max(S, 2R + C - 2)`` cycles (``with m.If(cnt == ii - 1)`` moves on, adding
  ``S`` to ``b_base``, or resetting ``b_base`` and adding ``S`` to ``a_base``), so
  the ``ii - S`` stall cycles between tiles issue no step. The read ports' enable is
  ``step``, so the memories are accessed exactly ``a_reads`` / ``b_reads`` times; on
  other cycles the last word holds (the test checks the array's input never changes
  then).
- ``c_writes``: ``c_wr.en = draining``, ``R`` cycles per tile (rows ``R-1`` down to
  0 of the tile, word ``(tm * NT + tn) * R + i``), each C word written exactly once.
- ``a_loads = MT * S``, ``b_loads = NT * S``: the words of :func:`hw.array.engine.gemm_buffers`
  (rows/columns beyond M/N and k beyond K are zero codes, all written); ``c_unloads = T * R``
  the words :func:`hw.array.engine.unpack_c` reads back.

``engine="lut"`` / ``"lut_mac"`` (:mod:`hw.lut.engine`, ``X = KG = ceil(K / g)``):

- ``a_reads``, ``b_reads``: the cycles with ``a_rd = w_rd = v0 & (p == 0)``,
  ``v0 = issuing & (s < steady)``: one read per k-group, at its first bit-plane step. The
  LUT core's ``P`` steps per group (``planes``) reuse the S1 registers captured from that
  one read, so ``planes`` does not enter the counts (it only lengthens the run). Bubble
  steps (``s >= steady = KG * P`` while a tile is padded to ``period = max(KG * P, R)``)
  read nothing: unlike the array engine, these ports have a real read enable.
- ``c_writes``: ``o_valid`` (the registered ``draining``), ``R`` rows per tile.
- ``a_loads = MT * KG`` (``R * g`` int8 codes per word), ``b_loads = NT * KG``
  (``C * g`` weight codes per word), zero padded (:func:`verif.lut_jobs.lut_job`'s images);
  ``c_unloads = T * R``.

``tests/test_traffic.py`` counts these port events in Verilator runs of both engines.
"""

from __future__ import annotations

import numpy as np

from golden.formats import FormatSpec, get_format

__all__ = ["ENGINES", "KEYS", "a_word_bits", "b_word_bits", "c_word_bits", "engine_traffic",
           "word_bits"]

ENGINES = ("array", "lut", "lut_mac")
"""Engine names, as the unit registry (:mod:`sim.builtin_units`) names them."""
KEYS = ("a_reads", "b_reads", "c_writes", "a_loads", "b_loads", "c_unloads")
"""The keys of :func:`engine_traffic`'s result, in order."""


def _pos_int(pname: str, v: object) -> int:
    if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
        raise ValueError(f"engine_traffic {pname} must be a positive integer, not {v!r}")
    return int(v)


def _sizes(pname: str, v: object) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype.kind not in "iu" or (a < 1).any():
        raise ValueError(f"engine_traffic {pname} must be positive integers (an int or an "
                         f"integer array), not {v!r}")
    return a.astype(np.int64)


def _ceil(a: np.ndarray, b: int) -> np.ndarray:
    return -(-a // b)


def engine_traffic(engine: str, m, k, n, rows: int, cols: int, *, lanes: int = 1, g: int = 4,
                   planes: int = 1) -> dict[str, np.ndarray]:
    """Buffer-port word counts of one GEMM ``(m, k, n)`` on a ``rows x cols`` engine.

    ``engine``: ``"array"`` (``lanes`` elements of K per step: 1 for element formats, the
    block size for MX / NVFP4), ``"lut"`` or ``"lut_mac"`` (``g`` elements per k-group;
    ``planes`` issue steps per group, which do not change the counts). ``m, k, n``:
    positive ints or integer arrays, broadcast together. Returns a dict of :data:`KEYS` to
    ``int64`` arrays of the broadcast shape (0-d for scalar sizes); formulas and the RTL
    they follow in the module docstring. Raises ``ValueError`` (one line) for an unknown
    engine or a non-positive size.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine_traffic engine must be one of {', '.join(ENGINES)}, not "
                         f"{engine!r}")
    rows, cols = _pos_int("rows", rows), _pos_int("cols", cols)
    per_step = _pos_int("lanes", lanes) if engine == "array" else _pos_int("g", g)
    _pos_int("planes", planes)
    m, k, n = np.broadcast_arrays(_sizes("m", m), _sizes("k", k), _sizes("n", n))
    steps = _ceil(k, per_step)  # S (array) or KG (LUT engines): k-steps of one tile
    mt, nt = _ceil(m, rows), _ceil(n, cols)
    tiles = mt * nt
    return {
        "a_reads": tiles * steps,
        "b_reads": tiles * steps,
        "c_writes": tiles * rows,
        "a_loads": mt * steps,
        "b_loads": nt * steps,
        "c_unloads": tiles * rows,
    }


def word_bits(fmt: FormatSpec | str, count: int, lanes: int | None = None) -> int:
    """Bits of one buffer word holding ``count`` rows (or columns) of ``lanes`` codes each.

    Per row: ``lanes`` element codes, then for a block format its scale code (MX: 8-bit
    e8m0, NVFP4: 8-bit e4m3, one per ``lanes`` elements), as :class:`hw.array.pe_array.PeArray`
    packs ``a_word = lanes * bits + scale_bits``. ``lanes`` defaults to the block size for
    block formats and 1 otherwise; for the LUT engines pass ``lanes = g``.
    """
    spec = get_format(fmt)
    _pos_int("count", count)
    if spec.is_block:
        lanes = spec.block_size if lanes is None else _pos_int("lanes", lanes)
        return count * (lanes * spec.element.bits + spec.scale.bits)
    return count * (1 if lanes is None else _pos_int("lanes", lanes)) * spec.bits


def a_word_bits(fmt_a: FormatSpec | str, rows: int, lanes: int | None = None) -> int:
    """Bits of an A (activation) buffer word: ``rows`` rows of A at one k-step
    (:func:`word_bits`; LUT engines: ``fmt_a = "int8"``, ``lanes = g``)."""
    return word_bits(fmt_a, rows, lanes)


def b_word_bits(fmt_b: FormatSpec | str, cols: int, lanes: int | None = None) -> int:
    """Bits of a B (weight) buffer word: ``cols`` columns of B at one k-step
    (:func:`word_bits`; LUT engines: the weight format, ``lanes = g``)."""
    return word_bits(fmt_b, cols, lanes)


def c_word_bits(cols: int) -> int:
    """Bits of a C (output) buffer word: ``cols`` 32-bit results (fp32 or int32), both
    engines."""
    return 32 * _pos_int("cols", cols)
