"""Technology files and the energy of one operation from switching activity.

Energy of a run of a synthesized unit (toggles from :mod:`models.activity`):

    datapath  = sum over combinational cells of toggles x toggle_fj x toggle_weight[cell]
    registers = flip-flop Q toggles x toggle_fj x toggle_weight["DFF"]
    clock     = flip-flops x cycles x clock.flip_flop_fj_per_cycle
    leakage   = transistors x cycles x leakage.nw_per_transistor / clock_mhz  (nW x us = fJ)

divided by the operations the run performed (a MAC's products, a dot unit's lane products)
for the energy per operation. A :class:`Technology` is read from a TOML file (the default,
``models/data/generic45.toml``, is calibrated to Horowitz, ISSCC 2014: ``docs/costs.md``);
every field is checked, and a bad file raises :class:`TechnologyError` with one line naming
the field and what is allowed.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models.activity import Activity

__all__ = ["CELLS", "DEFAULT_TECH", "EnergyBreakdown", "Technology", "TechnologyError",
           "energy_per_op", "load_technology"]

DEFAULT_TECH = Path(__file__).parent / "data" / "generic45.toml"
"""The default technology file."""

CELLS = {"$_NOT_": "NOT", "$_NAND_": "NAND", "$_NOR_": "NOR", "$_DFF_P_": "DFF"}
"""Yosys cell type -> the technology file's cell name (the gate set of :mod:`models.synth`)."""


class TechnologyError(ValueError):
    """A technology file that cannot be used; the message is one line."""


@dataclass(frozen=True)
class SramMacro:
    bytes: int
    read_pj_per_bit: float
    write_pj_per_bit: float


@dataclass(frozen=True)
class Technology:
    """One technology: cell, clock, leakage, SRAM and DRAM energies, clock and density."""

    name: str
    description: str
    node_nm: float
    voltage_v: float
    clock_mhz: float
    transistors_per_um2: float
    toggle_fj: float
    toggle_weight: dict[str, float]
    flip_flop_fj_per_cycle: float
    leakage_nw_per_transistor: float
    sram: tuple[SramMacro, ...]
    dram_pj_per_bit: float
    sram_um2_per_bit: float
    path: str = ""

    def toggle_energy_fj(self, cell: str) -> float:
        """Energy of one output toggle of Yosys cell type ``cell``."""
        name = CELLS.get(cell, cell)
        if name not in self.toggle_weight:
            raise TechnologyError(f"technology {self.name} has no toggle_weight for cell "
                                  f"{name}; it has {', '.join(self.toggle_weight)}")
        return self.toggle_fj * self.toggle_weight[name]

    def area_um2(self, transistors: int) -> float:
        return transistors / self.transistors_per_um2

    def sram_pj_per_bit(self, size_bytes: int, write: bool = False) -> float:
        """Access energy per bit of an SRAM macro of ``size_bytes``: log-log interpolation
        between the file's macros (the nearest one's per-bit energy outside their range)."""
        pts = sorted(self.sram, key=lambda m: m.bytes)
        val = [m.write_pj_per_bit if write else m.read_pj_per_bit for m in pts]
        if size_bytes <= pts[0].bytes:
            return val[0]
        for lo, hi, vlo, vhi in zip(pts, pts[1:], val, val[1:], strict=False):
            if size_bytes <= hi.bytes:
                t = math.log(size_bytes / lo.bytes) / math.log(hi.bytes / lo.bytes)
                return math.exp(math.log(vlo) + t * (math.log(vhi) - math.log(vlo)))
        return val[-1]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _num(d: dict[str, Any], key: str, where: str, *, positive: bool = True) -> float:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise TechnologyError(f"{where}: field {key!r} must be a number, not {v!r}")
    if v < 0 or (positive and v == 0):
        raise TechnologyError(f"{where}: field {key!r} must be "
                              f"{'> 0' if positive else '>= 0'}, not {v}")
    return float(v)


def _table(d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    v = d.get(key)
    if not isinstance(v, dict):
        raise TechnologyError(f"{where}: missing table [{key}]")
    return v


def load_technology(path: str | Path | None = None) -> Technology:
    """Read a technology TOML file (None: :data:`DEFAULT_TECH`); see the default file for
    the fields. Raises :class:`TechnologyError` (one line) for a missing or bad file."""
    p = Path(DEFAULT_TECH if path is None else path)
    where = f"technology file {p}"
    try:
        d = tomllib.loads(p.read_text())
    except OSError as exc:
        raise TechnologyError(f"cannot read {where}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TechnologyError(f"{where} is not valid TOML: {str(exc).splitlines()[0]}") from None
    for key in ("name", "description"):
        if not isinstance(d.get(key, ""), str):
            raise TechnologyError(f"{where}: field {key!r} must be a string")
    weights = _table(d, "toggle_weight", where)
    missing = [c for c in CELLS.values() if c not in weights]
    if missing:
        raise TechnologyError(f"{where}: [toggle_weight] needs {', '.join(CELLS.values())}; "
                              f"missing {', '.join(missing)}")
    w = {c: _num(weights, c, f"{where} [toggle_weight]") for c in weights}
    macros = d.get("sram")
    if not isinstance(macros, list) or not macros or not all(isinstance(m, dict) for m in macros):
        raise TechnologyError(f"{where}: needs one or more [[sram]] macros (bytes, "
                              "read_pj_per_bit, write_pj_per_bit)")
    sram = tuple(SramMacro(int(_num(m, "bytes", f"{where} [[sram]]")),
                           _num(m, "read_pj_per_bit", f"{where} [[sram]]"),
                           _num(m, "write_pj_per_bit", f"{where} [[sram]]")) for m in macros)
    return Technology(
        name=str(d.get("name", p.stem)), description=str(d.get("description", "")),
        node_nm=_num(d, "node_nm", where), voltage_v=_num(d, "voltage_v", where),
        clock_mhz=_num(d, "clock_mhz", where),
        transistors_per_um2=_num(d, "transistors_per_um2", where),
        toggle_fj=_num(d, "toggle_fj", where, positive=False), toggle_weight=w,
        flip_flop_fj_per_cycle=_num(_table(d, "clock", where), "flip_flop_fj_per_cycle",
                                    f"{where} [clock]", positive=False),
        leakage_nw_per_transistor=_num(_table(d, "leakage", where), "nw_per_transistor",
                                       f"{where} [leakage]", positive=False),
        sram=sram, dram_pj_per_bit=_num(_table(d, "dram", where), "pj_per_bit",
                                        f"{where} [dram]"),
        sram_um2_per_bit=_num(d, "sram_um2_per_bit", where),
        path=str(p))


@dataclass(frozen=True)
class EnergyBreakdown:
    """Energy per operation in pJ, by part (see the module docstring)."""

    datapath_pj: float
    registers_pj: float
    clock_pj: float
    leakage_pj: float

    @property
    def total_pj(self) -> float:
        return self.datapath_pj + self.registers_pj + self.clock_pj + self.leakage_pj

    def to_dict(self) -> dict[str, float]:
        return {**asdict(self), "total_pj": self.total_pj}


def energy_per_op(act: Activity, flip_flops: int, transistors: int, ops: int,
                  tech: Technology) -> EnergyBreakdown:
    """Energy per operation of a run with activity ``act`` of a design with ``flip_flops``
    and ``transistors`` that performed ``ops`` operations."""
    if ops <= 0:
        raise ValueError(f"a run must perform at least one operation, not {ops}")
    data_fj = reg_fj = 0.0
    for cell, toggles in act.toggles_by_cell.items():
        e = toggles * tech.toggle_energy_fj(cell)
        if CELLS.get(cell) == "DFF":
            reg_fj += e
        else:
            data_fj += e
    clock_fj = flip_flops * act.cycles * tech.flip_flop_fj_per_cycle
    leak_fj = transistors * act.cycles * tech.leakage_nw_per_transistor / tech.clock_mhz
    k = 1e-3 / ops  # fJ per run -> pJ per operation
    return EnergyBreakdown(datapath_pj=data_fj * k, registers_pj=reg_fj * k,
                           clock_pj=clock_fj * k, leakage_pj=leak_fj * k)
