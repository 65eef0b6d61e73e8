"""Switching activity of a gate-level run: toggles per cell type, from Verilator coverage.

A gate-level run (``lowbit sim --level gate``) builds the synthesized netlist with
``verilator --coverage-toggle`` and writes ``coverage.dat`` in its run directory: for every
bit of every named net, how often it rose (``0->1``) and fell (``1->0``). Synthesis
(:mod:`models.synth`) names every net (``rename -enumerate``: Verilator leaves nets whose
names start with ``_`` out of its coverage) and writes, beside the netlist, which nets
each cell type drives. Joining the two gives the toggles of every cell output, summed per
cell type: the input of the energy model (:mod:`models.energy`).

Verilator counts in zero delay, one evaluation per clock edge: a net toggles at most once
per settled change, so glitches (transient toggles before the logic settles) are not
counted. The technology file's calibration absorbs their average share.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Activity", "activity", "net_toggles", "verilator_name"]

_POINT = re.compile(r"\x01o\x02([^\x01']*):(?:0->1|1->0)[\x01'].*' (\d+)\s*$")
_SPECIAL = re.compile(r"[^A-Za-z0-9_\[\]]")


@dataclass(frozen=True)
class Activity:
    """Toggles of one gate-level run.

    ``toggles_by_cell`` - cell type (``$_NAND_``, ``$_NOR_``, ``$_NOT_``, ``$_DFF_P_``) ->
    output toggles of all its cells; ``cycles`` - rising clock edges; ``nets`` - cell outputs
    joined with a coverage point; ``unmatched`` - cell outputs without one (their toggles are
    missing from the counts; 0 or a handful of constant nets Verilator removed).
    """

    toggles_by_cell: dict[str, int]
    cycles: int
    nets: int
    unmatched: int

    @property
    def toggles(self) -> int:
        return sum(self.toggles_by_cell.values())


def verilator_name(name: str) -> str:
    """The name Verilator's coverage gives Yosys net ``name`` (``\\$signal`` -> ``__024signal``:
    a character outside ``[A-Za-z0-9_]`` becomes ``__0`` and its two hex digits)."""
    base, idx = (name[:name.rindex("[")], name[name.rindex("["):]) if name.endswith("]") \
        else (name, "")
    base = base.removeprefix("\\")
    return _SPECIAL.sub(lambda m: f"__0{ord(m[0]):02x}", base) + idx


def net_toggles(coverage: str | Path) -> dict[str, int]:
    """Net bit (``name`` or ``name[i]``) -> rises + falls, from a Verilator ``coverage.dat``."""
    out: dict[str, int] = {}
    with open(coverage, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = _POINT.search(line)
            if m:
                out[m[1]] = out.get(m[1], 0) + int(m[2])
    if not out:
        raise ValueError(f"{coverage} holds no toggle coverage points (was the design built "
                         "with --coverage-toggle?)")
    return out


def activity(coverage: str | Path, drivers: str | Path, clock: str = "clk") -> Activity:
    """Toggles per cell type of a run: ``coverage`` (its ``coverage.dat``) joined with
    ``drivers`` (the synthesis result's ``drivers`` file: cell type -> nets driven)."""
    toggles = net_toggles(coverage)
    driven: dict[str, list[str]] = json.loads(Path(drivers).read_text())
    by_cell: dict[str, int] = {}
    nets = unmatched = 0
    for cell, names in driven.items():
        total = 0
        for name in names:
            n = toggles.get(verilator_name(name))
            if n is None:
                unmatched += 1
            else:
                nets += 1
                total += n
        by_cell[cell] = total
    return Activity(toggles_by_cell=by_cell, cycles=toggles.get(clock, 0) // 2, nets=nets,
                    unmatched=unmatched)
