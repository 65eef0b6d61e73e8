"""Toggle counting (models/activity.py) on a netlist whose answer is countable by hand, and
the energy arithmetic and technology files (models/energy.py).

The netlist is ``y <= ~a`` over 4 bits (tests/test_synth.py pins its mapping: per bit one
NOR2 ``~(rst | a)`` and one flip-flop). With ``rst = 0`` every NOR output is ``~a[i]``
and each flip-flop copies it one clock later, so over a sequence held one cycle per value,
NOR bit i toggles as often as ``a[i]`` changes, and so does flip-flop bit i (the last value
is captured at the last rising edge). Before the sequence: Verilator evaluates the netlist
once with every input 0, before the testbench writes anything, so each NOR output rises
(``~(0 | 0)``) and falls again when the first value ``a = 1111`` is written: two toggles
per NOR, none per flip-flop (it first samples after ``a = 1111`` is written).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from models.activity import Activity, activity, net_toggles, verilator_name
from models.energy import (
    DEFAULT_TECH,
    TechnologyError,
    energy_per_op,
    load_technology,
)

WIDTH = 4
SEQ = [0b1111, 0b1110, 0b1111, 0b1110, 0b1100, 0b1101, 0b0101]


def _changes(bit: int) -> int:
    vals = [(v >> bit) & 1 for v in SEQ]
    return sum(a != b for a, b in itertools.pairwise(vals))


@pytest.mark.rtl
def test_toggles_of_a_tiny_netlist_counted_by_hand(tmp_path: Path) -> None:
    from test_synth import NotReg

    from models.synth import synthesize
    from sim.build import build
    from sim.protocol import RunRequest
    from sim.run import COVERAGE_FILE, simulate

    syn = synthesize(NotReg(WIDTH), "not_reg_tgl", root=tmp_path)
    assert syn.cells_by_type == {"$_DFF_P_": WIDTH, "$_NOR_": WIDTH}
    built = build(None, "not_reg_tgl", verilog=Path(syn.netlist).read_text(),
                  extra_args=["--coverage-toggle"], root=tmp_path)
    run_dir = tmp_path / "run"
    RunRequest(unit="toy", format="int8").save(run_dir / "request.json")
    (run_dir / "seq.json").write_text(json.dumps({"a": SEQ, "rst": [0] * len(SEQ)}))
    simulate(built, "toggle_tb", run_dir, quiet=True,
             plusargs=[f"+verilator+coverage+file+{run_dir / COVERAGE_FILE}"])
    act = activity(run_dir / COVERAGE_FILE, syn.drivers)
    per_bit = [_changes(i) for i in range(WIDTH)]
    assert per_bit == [4, 1, 0, 1]  # the hand count of SEQ, bit 0 first
    assert act.toggles_by_cell == {"$_NOR_": sum(per_bit) + 2 * WIDTH,
                                   "$_DFF_P_": sum(per_bit)}
    assert act.cycles == len(SEQ) and act.unmatched == 0 and act.nets == 2 * WIDTH
    toggles = net_toggles(run_dir / COVERAGE_FILE)
    assert [toggles[f"a[{i}]"] for i in range(WIDTH)] == [n + 1 for n in per_bit]  # 0 -> 1111


def test_verilator_names() -> None:
    assert verilator_name("\\$signal") == "__024signal"
    assert verilator_name("dec_a.code[3]") == "dec_a__02ecode[3]"
    assert verilator_name("lbw12") == "lbw12"


def test_net_toggles_parses_coverage_lines(tmp_path: Path) -> None:
    cov = tmp_path / "coverage.dat"
    line = ("C '\x01f\x02x.v\x01l\x0210\x01n\x029\x01t\x02toggle\x01page\x02v_toggle/m"
            "\x01o\x02{}:{}\x01h\x02m' {}\n")
    cov.write_text("# SystemC::Coverage-3\n" + line.format("lbw3", "0->1", 7)
                   + line.format("lbw3", "1->0", 6) + line.format("acc[2]", "0->1", 1))
    assert net_toggles(cov) == {"lbw3": 13, "acc[2]": 1}
    cov.write_text("# SystemC::Coverage-3\n")
    with pytest.raises(ValueError, match="no toggle coverage points"):
        net_toggles(cov)


def test_energy_arithmetic_by_hand() -> None:
    t = load_technology()
    act = Activity(toggles_by_cell={"$_NAND_": 1000, "$_NOT_": 400, "$_DFF_P_": 100},
                   cycles=50, nets=0, unmatched=0)
    e = energy_per_op(act, flip_flops=8, transistors=2000, ops=10, tech=t)
    w = t.toggle_weight
    assert math.isclose(e.datapath_pj, (1000 * w["NAND"] + 400 * w["NOT"]) * t.toggle_fj
                        / 10 / 1000)
    assert math.isclose(e.registers_pj, 100 * w["DFF"] * t.toggle_fj / 10 / 1000)
    assert math.isclose(e.clock_pj, 8 * 50 * t.flip_flop_fj_per_cycle / 10 / 1000)
    assert math.isclose(e.leakage_pj, 2000 * 50 * t.leakage_nw_per_transistor
                        / t.clock_mhz / 10 / 1000)
    with pytest.raises(ValueError, match="at least one operation"):
        energy_per_op(act, flip_flops=8, transistors=2000, ops=0, tech=t)


def test_default_technology_and_sram_interpolation() -> None:
    t = load_technology()
    assert t.path == str(DEFAULT_TECH) and t.toggle_fj > 0 and t.flip_flop_fj_per_cycle > 0
    assert math.isclose(t.sram_pj_per_bit(8192) * 64, 10.0)  # Horowitz 64-bit reads
    assert math.isclose(t.sram_pj_per_bit(32768) * 64, 20.0)
    assert math.isclose(t.sram_pj_per_bit(1 << 20) * 64, 100.0)
    assert 10.0 < t.sram_pj_per_bit(16384) * 64 < 20.0
    assert math.isclose(t.area_um2(5000), 5000 / t.transistors_per_um2)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s.replace("clock_mhz = 1000.0", "clock_mhz = -1"), "'clock_mhz' must be > 0"),
    (lambda s: s.replace("NOR = 1.0\n", ""), "missing NOR"),
    (lambda s: s.replace("[dram]", "[dramx]"), "missing table [dram]"),
    (lambda s: s.replace('name = "generic45"', 'name = "x'), "not valid TOML"),
    (lambda s: s.replace("transistors_per_um2 = 5.0", 'transistors_per_um2 = "many"'),
     "'transistors_per_um2' must be a number"),
])
def test_broken_technology_file_is_one_line(tmp_path: Path, edit, message: str) -> None:
    p = tmp_path / "tech.toml"
    p.write_text(edit(DEFAULT_TECH.read_text()))
    with pytest.raises(TechnologyError, match=message.replace("[", r"\[")) as exc:
        load_technology(p)
    assert "\n" not in str(exc.value)
    with pytest.raises(TechnologyError, match="cannot read"):
        load_technology(tmp_path / "missing.toml")
