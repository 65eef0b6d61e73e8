"""Synthesis with Yosys + ABC (models/synth.py, ``lowbit synth``): figures of tiny designs
whose answers are countable by hand, the cache, a registry unit, and the CLI's errors.

Hand counts use the gate set of ``abc -g cmos2`` and Yosys's CMOS transistor estimate:
NOT 2, NAND2 4, NOR2 4, D flip-flop 16 transistors. Amaranth's ``sync`` domain has a
synchronous reset, so a register ``r <= x`` becomes ``r <= ~rst & x`` in front of a plain
flip-flop.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from amaranth import Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from models.pe_costs import _rows as pe_rows
from models.synth import synthesize, unit_synth

REPO = Path(__file__).resolve().parent.parent


class AndGate(wiring.Component):
    """``y = a & b``, combinational: one NAND2 and one NOT, two gate levels."""

    def __init__(self) -> None:
        super().__init__({"a": In(1), "b": In(1), "y": Out(1)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        m.d.comb += self.y.eq(self.a & self.b)
        return m


class NotReg(wiring.Component):
    """``y <= ~a`` over ``width`` bits: per bit ``~rst & ~a`` = one NOR2, one flip-flop."""

    def __init__(self, width: int) -> None:
        super().__init__({"a": In(width), "y": Out(width)})

    def elaborate(self, platform: object) -> Module:
        m = Module()
        r = Signal(len(self.a))
        m.d.sync += r.eq(~self.a)
        m.d.comb += self.y.eq(r)
        return m


def test_and_gate_counted_by_hand(tmp_path: Path) -> None:
    r = synthesize(AndGate(), "and_gate", root=tmp_path)
    assert r.cells_by_type == {"$_NAND_": 1, "$_NOT_": 1}
    assert (r.flip_flop_bits, r.transistors, r.depth_gates) == (0, 4 + 2, 2)
    assert r.nand2_eq == 1.5 and not r.cached


@pytest.mark.parametrize("width", [1, 4, 13])
def test_register_counted_by_hand(width: int, tmp_path: Path) -> None:
    r = synthesize(NotReg(width), f"not_reg{width}", root=tmp_path)
    assert r.cells_by_type == {"$_DFF_P_": width, "$_NOR_": width}
    assert r.flip_flop_bits == width
    assert r.transistors == width * (16 + 4)
    assert r.depth_gates == 1


def test_cache_hit_and_corrupt_entry(tmp_path: Path) -> None:
    first = synthesize(NotReg(3), "not_reg3", root=tmp_path)
    again = synthesize(NotReg(3), "not_reg3", root=tmp_path)
    assert again.cached and again.key == first.key
    assert again.to_dict() | {"cached": 0, "seconds": 0} == first.to_dict() | {"cached": 0,
                                                                               "seconds": 0}
    entry = tmp_path / "synth" / f"not_reg3-{first.key}.json"
    entry.write_text("{not json")
    redone = synthesize(NotReg(3), "not_reg3", root=tmp_path)
    assert not redone.cached and redone.transistors == first.transistors
    other = synthesize(NotReg(4), "not_reg3", root=tmp_path)  # other Verilog, other key
    assert other.key != first.key


def test_registry_unit(tmp_path: Path) -> None:
    r = unit_synth("mac", "int8", root=tmp_path)
    assert r.unit == "mac" and r.toplevel == "mac_int8"
    # int32 accumulator + its valid bit + the registered product stage and its flags
    assert r.flip_flop_bits >= 33
    assert set(r.cells_by_type) == {"$_DFF_P_", "$_NAND_", "$_NOR_", "$_NOT_"}
    assert r.transistors == sum(n * {"$_DFF_P_": 16, "$_NAND_": 4, "$_NOR_": 4, "$_NOT_": 2}[k]
                                for k, n in r.cells_by_type.items())
    assert "abc -g cmos2" in r.source and r.tools["pyosys"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.mark.parametrize("args,word", [
    (("synth",), "--format"), (("synth", "--format", "fp9"), "fp9"),
    (("synth", "--format", "mxfp4", "--unit", "mac"), "dot"),
    (("synth", "--all", "--format", "int8"), "--all"),
    (("synth", "--all", "--unit", "mac"), "--all"),
    (("synth", "--format", "int8", "--unit", "bogus"), "bogus"),
    (("synth", "--format", "posit8", "--unit", "codec", "--stimulus", "zero"), "codec"),
    (("synth", "--format", "int8", "--stimulus", "pink"), "stimulus"),
    (("synth", "--format", "int8", "--tech", "missing.toml"), "missing.toml"),
    (("synth", "--format", "int8", "--plot", "x.png"), "--plot"),
    (("calibrate", "--tech", "missing.toml"), "missing.toml"),
])
def test_cli_bad_input_one_line_exit_2(args: tuple[str, ...], word: str) -> None:
    p = _cli(*args)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and word in lines[0], p.stderr


def test_cli_json(tmp_path: Path) -> None:
    p = _cli("synth", "--format", "int4", "--unit", "mac", "--json")
    assert p.returncode == 0, p.stderr
    (row,) = json.loads(p.stdout)
    assert row["unit"] == "mac" and row["format"] == "int4" and row["transistors"] > 0
    # energy per MAC from the netlist's toggles, by part, under the default stimulus
    assert row["stimulus"] == "gaussian" and row["ops"] == 4096
    parts = ("datapath_pj", "registers_pj", "clock_pj", "leakage_pj")
    assert all(row[k] > 0 for k in parts)
    assert abs(sum(row[k] for k in parts) - row["energy_pj"]) < 1e-12
    assert row["area_um2"] == pytest.approx(row["transistors"] / 5.0)
    assert "matched golden at gate level" in row["source"] and "generic45" in row["source"]
    # the PE table whole networks are priced with (models/data/pe_costs.json) holds this
    # very measurement: a hardware or testbench change must re-measure it (make pe-costs)
    shipped = pe_rows()[("array", "int4")]
    for key in ("transistors", "flip_flop_bits", "cells", "ops", "cycles", "toggles_by_cell"):
        assert shipped[key] == row[key], (key, "re-measure the PE table: make pe-costs")
    zero = json.loads(_cli("synth", "--format", "int4", "--unit", "mac", "--json",
                           "--stimulus", "zero").stdout)[0]
    # all-zero operands: the datapath barely switches; clock and leakage stay the same
    assert zero["datapath_pj"] < 0.1 * row["datapath_pj"]
    assert zero["clock_pj"] == pytest.approx(row["clock_pj"], rel=0.01)


def test_cli_bad_technology_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "tech.toml"
    bad.write_text('name = "x"\n[toggle_weight]\nNOT = 1\n')
    p = _cli("synth", "--format", "int4", "--unit", "mac", "--tech", str(bad))
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and "toggle_weight" in lines[0], p.stderr
