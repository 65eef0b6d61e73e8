"""Memory of a GEMM on an accelerator: bits per element, DRAM blocking and traffic.

Storage per element (:func:`bits_per_element`) counts the format's shared scales: an MX
element carries 8 / 32 bits of its block's E8M0 scale (mxfp4: 4.25 bits), an NVFP4
element 8 / 16 bits of its E4M3 scale (4.5 bits) plus one fp32 tensor scale per tensor
(:func:`tensor_bits`); element formats and posits are their width.

DRAM blocking (:func:`dram_schedule`): the engine runs ``C = A x B`` out of its three
buffers and never splits K (each output's whole reduction runs through one PE, which is
what makes it equal to golden), so a layer is cut into runs of ``mb`` rows of A by ``nb``
columns of B, whole multiples of the array's ``R`` x ``C`` tiles, as large as half of
each buffer holds (the other half is loading the next run: double buffering):

- A block: ``ceil(mb / R) * S`` A words; B block: ``ceil(nb / C) * S`` B words; the run's
  results: ``ceil(mb/R) * ceil(nb/C) * R`` C words (the layouts of :mod:`hw.array.engine`
  and :mod:`hw.lut.engine`);
- loop order: m-blocks outer (an A block stays while every B block streams past it: A is
  read from DRAM once, B once per m-block unless all of B fits) or n-blocks outer (the
  mirror image); the order with less DRAM traffic is taken, per layer;
- DRAM traffic is the data itself at :func:`bits_per_element` (A, B; C written back in
  the layer's activation format, as the next layer reads it); the SRAM side counts words,
  padding included (:mod:`models.traffic`).

A layer whose single tile row of A (``R x K``) or column of B (``K x C``) does not fit in
half its buffer cannot run: :class:`BufferOverflowError` names the layer and the bytes it needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.formats import FormatSpec, get_format

__all__ = ["BufferOverflowError", "DramSchedule", "bits_per_element", "dram_schedule",
           "tensor_bits"]


class BufferOverflowError(ValueError):
    """A layer's smallest run does not fit in the accelerator's buffers; one line."""


def bits_per_element(fmt: str | FormatSpec) -> float:
    """Stored bits of one element including its share of the block scale."""
    s = get_format(fmt)
    if s.is_block:
        return s.element.bits + s.scale.bits / s.block_size
    return float(s.bits)


def tensor_bits(fmt: str | FormatSpec) -> int:
    """Bits stored once per tensor (NVFP4's fp32 tensor scale; 0 for every other format)."""
    return 32 if get_format(fmt).tensor_scale else 0


def _ceil(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    return -(-a // b)


@dataclass(frozen=True)
class DramSchedule:
    """Per-layer blocking (numpy arrays, one entry per layer).

    ``mb``/``nb``: rows of A / columns of B per run (full blocks; the last block of each
    dimension may be smaller: ``m_edge``/``n_edge``, 0 when it divides); ``m_blocks`` /
    ``n_blocks``: runs along M / N; ``m_outer``: loop order (True: m-blocks outer);
    ``a_fetches`` / ``b_fetches``: times A / B is read from DRAM.
    """

    mb: np.ndarray
    nb: np.ndarray
    m_edge: np.ndarray
    n_edge: np.ndarray
    m_blocks: np.ndarray
    n_blocks: np.ndarray
    m_outer: np.ndarray
    a_fetches: np.ndarray
    b_fetches: np.ndarray

    @property
    def runs(self) -> np.ndarray:
        return self.m_blocks * self.n_blocks


def dram_schedule(m: np.ndarray, n: np.ndarray, k_steps: np.ndarray, *, rows: int, cols: int,
                  a_word_bits: np.ndarray, b_word_bits: np.ndarray, c_word_bits: int,
                  a_bytes: int, b_bytes: int, c_bytes: int, a_dram_bits: np.ndarray,
                  b_dram_bits: np.ndarray, names: list[str] | None = None) -> DramSchedule:
    """Blocking of every layer (see the module docstring). Word widths in bits per buffer
    word, ``*_bytes`` the buffers' sizes, ``*_dram_bits`` each operand's DRAM size in bits
    (used to pick the loop order). Raises :class:`BufferOverflowError` for a layer that does
    not fit."""
    mt, nt = _ceil(m, rows), _ceil(n, cols)
    a_tile_bits = k_steps * a_word_bits           # one tile row of A: R rows x all of K
    b_tile_bits = k_steps * b_word_bits
    c_tile_bits = rows * c_word_bits              # one output tile
    cap_a, cap_b, cap_c = a_bytes * 4, b_bytes * 4, c_bytes * 4  # half of each, in bits
    mtb = np.minimum(cap_a // a_tile_bits, mt)
    ntb = np.minimum(cap_b // b_tile_bits, nt)
    # the run's outputs must fit in half the C buffer: shrink the blocks (the larger first)
    ctiles = cap_c // c_tile_bits
    over = mtb * ntb > ctiles
    if np.any(over):
        ntb = np.where(over, np.maximum(ctiles // np.maximum(mtb, 1), 1), ntb)
        mtb = np.where(mtb * ntb > ctiles, np.maximum(ctiles // np.maximum(ntb, 1), 1), mtb)
    bad = (mtb < 1) | (ntb < 1) | (ctiles < 1)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        name = names[i] if names else f"layer {i}"
        need = {"A": a_tile_bits[i] // 4, "B": b_tile_bits[i] // 4, "C": c_tile_bits // 4}
        raise BufferOverflowError(
            f"{name} does not fit: one run needs {need['A']:,} B of A buffer, "
            f"{need['B']:,} B of B buffer and {need['C']:,} B of C buffer (twice the block, "
            f"double-buffered); the accelerator has {a_bytes:,} / {b_bytes:,} / {c_bytes:,} B")
    mb, nb = mtb * rows, ntb * cols
    m_blocks, n_blocks = _ceil(mt, mtb), _ceil(nt, ntb)
    # m outer: A once, B once per m-block unless all of B is one block; n outer: mirrored
    b_f_mo = np.where(n_blocks == 1, 1, m_blocks)
    a_f_no = np.where(m_blocks == 1, 1, n_blocks)
    m_outer = a_dram_bits + b_f_mo * b_dram_bits <= a_f_no * a_dram_bits + b_dram_bits
    a_fetches = np.where(m_outer, 1, a_f_no)
    b_fetches = np.where(m_outer, b_f_mo, 1)
    return DramSchedule(mb=mb, nb=nb, m_edge=m % mb, n_edge=n % nb, m_blocks=m_blocks,
                        n_blocks=n_blocks, m_outer=m_outer, a_fetches=a_fetches,
                        b_fetches=b_fetches)
