"""Small pipeline helpers shared by the hardware units."""

from __future__ import annotations

from amaranth import Module, Signal

__all__ = ["delay"]


def delay(m: Module, sig, cycles: int, name: str):
    """``sig`` delayed by ``cycles`` clock cycles (a chain of ``sync`` registers named
    ``{name}_d1``, ``{name}_d2``, ...); ``cycles = 0`` returns ``sig`` itself."""
    for k in range(cycles):
        nxt = Signal.like(sig, name=f"{name}_d{k + 1}")
        m.d.sync += nxt.eq(sig)
        sig = nxt
    return sig
