"""What a network costs on an accelerator: ``evaluate(workload, accel, precision)``.

Per layer (and in total): cycles, time, energy in pJ by part, area, utilization and
whether the layer is compute- or memory-bound, as a pandas DataFrame with units in the
column names. Every term comes from a model that is checked against the RTL or measured
on it:

- **compute cycles**: the engine's cycle model (:mod:`models.cycle_array`,
  :mod:`models.cycle_lut`, equal to the RTL cycle for cycle) summed over the layer's runs
  (:func:`models.memory.dram_schedule`: the blocks its buffers hold), times ``repeat``;
- **DRAM**: the blocks' traffic in the formats' stored bits (scales included,
  :func:`models.memory.bits_per_element`); ``dram_cycles`` = bytes / bandwidth. Loads of
  the next run overlap the current one (double-buffered), so a layer takes
  ``max(compute, dram)`` cycles and is ``memory``-bound when DRAM is the larger;
- **SRAM**: every buffer word each run reads and writes (:func:`models.traffic.engine_traffic`,
  equal to the buffer-port activity of a cocotb run) plus the words loaded from and
  written to DRAM, at the technology's access energy for each buffer's size;
- **PE energy**: useful MACs x the PE's measured datapath + register energy per MAC
  (:mod:`models.pe_costs`, gate-level toggles under a gaussian stimulus); the PEs' clock
  (flip-flops x cycles) and leakage (transistors x cycles) for every PE of the array over
  the layer's cycles, idle PEs included (no clock or power gating);
- **area**: ``rows x cols`` PEs of every format the evaluation uses (no datapath shared
  between formats) plus the three buffers at the technology's SRAM area per bit.

Not modelled (stated so the numbers are read right): the quantizer that writes each
layer's outputs in its activation format, non-GEMM operators (norms, softmax,
activations), SRAM leakage, on-chip reuse of activations between layers (every layer
reads its inputs from and writes its outputs to DRAM), and DRAM refresh/page effects.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from golden.formats import get_format
from models.accel import Accelerator
from models.memory import bits_per_element, dram_schedule, tensor_bits
from models.pe_costs import PeCost, pe_cost
from models.traffic import a_word_bits, b_word_bits, c_word_bits, engine_traffic
from models.workload import Workload

__all__ = ["COLUMNS", "EvaluationError", "area_um2", "evaluate", "evaluate_arrays", "totals"]

COLUMNS = (
    "layer", "format", "m", "k", "n", "repeat", "macs", "runs", "compute_cycles",
    "dram_cycles", "cycles", "time_us", "utilization", "bound", "dram_bytes",
    "sram_read_bits", "sram_write_bits", "macs_per_dram_byte", "pe_datapath_pj",
    "pe_clock_pj", "sram_pj", "dram_pj", "leakage_pj", "energy_pj",
)
"""Columns of :func:`evaluate`'s per-layer frame, in order."""

class EvaluationError(ValueError):
    """A precision that does not match the workload or the accelerator; one line."""


def _precision(workload: Workload, accel: Accelerator,
               precision: str | Mapping[str, str]) -> list[str]:
    """One format name per layer."""
    if isinstance(precision, str):
        return [accel.check_format(precision).name] * len(workload)
    if not isinstance(precision, Mapping):
        raise EvaluationError(f"precision must be a format name or {{layer: format}}, not "
                              f"{type(precision).__name__}")
    names = [lay.name for lay in workload.layers]
    unknown = [k for k in precision if k not in set(names)]
    if unknown:
        raise EvaluationError(f"precision names layer {unknown[0]!r}, which {workload.name} "
                              f"does not have (e.g. {', '.join(names[:3])})")
    missing = [n for n in names if n not in precision]
    if missing:
        raise EvaluationError(f"precision gives no format for {len(missing)} layer(s) of "
                              f"{workload.name}, e.g. {missing[0]!r}")
    checked = {f: accel.check_format(f).name for f in set(precision.values())}
    return [checked[precision[n]] for n in names]


@functools.lru_cache(maxsize=512)
def _engine(accel: Accelerator, fmt: str) -> dict[str, Any]:
    """Everything of one (accelerator, format) that does not depend on the layer."""
    spec = get_format(fmt)
    pe: PeCost = pe_cost(accel.engine, fmt, accel.technology, accel.clock)
    rows, cols = accel.rows, accel.cols
    if accel.engine == "array":
        lanes = accel.lanes if (accel.lanes and spec.is_block) else (
            spec.block_size if spec.is_block else 1)
        model = _model("array", fmt, lanes if spec.is_block else None, 0)
        a_word = a_word_bits(spec, rows, lanes if spec.is_block else None)
        b_word = b_word_bits(spec, cols, lanes if spec.is_block else None)
        traffic = dict(engine="array", lanes=lanes)
        group, planes = lanes, 1
        peak = rows * cols * lanes
        a_fmt = fmt
    else:
        from hw.lut.weights import weight_int

        model = _model("lut", fmt, None, accel.g)
        planes = weight_int(spec).planes
        group = lanes = accel.g
        a_word = a_word_bits("int8", rows, group)
        b_word = b_word_bits(spec, cols, group)
        traffic = dict(engine="lut", g=group, planes=planes)
        peak = rows * cols * group / planes
        a_fmt = "int8"
    return {"pe": pe, "model": model, "group": group, "a_word": a_word, "b_word": b_word,
            "c_word": c_word_bits(cols), "traffic": traffic, "peak": peak,
            "a_bpe": bits_per_element(a_fmt), "b_bpe": bits_per_element(fmt),
            "a_tensor": tensor_bits(a_fmt), "b_tensor": tensor_bits(fmt)}


@functools.lru_cache(maxsize=64)
def _sram_pj_per_bit(accel: Accelerator) -> tuple[dict[str, float], dict[str, float]]:
    """Read and write energies per bit of the A, B and C buffers."""
    tech = accel.technology
    size = {"a": accel.a_buffer_bytes, "b": accel.b_buffer_bytes, "c": accel.c_buffer_bytes}
    return ({b: tech.sram_pj_per_bit(v) for b, v in size.items()},
            {b: tech.sram_pj_per_bit(v, write=True) for b, v in size.items()})


@functools.lru_cache(maxsize=256)
def _model(engine: str, fmt: str, lanes: int | None, g: int):
    """The engine's cycle model with ``R``, ``C`` left free (built once: sympy is slow)."""
    if engine == "array":
        from models.cycle_array import array_cycle_model

        return array_cycle_model(fmt, lanes=lanes)
    from models.cycle_lut import lut_cycle_model

    return lut_cycle_model(fmt, g=g)


def _group(accel: Accelerator, fmt: str, m: np.ndarray, k: np.ndarray, n: np.ndarray,
           names: list[str]) -> dict[str, np.ndarray]:
    """Per-run-summed figures of the layers in one format (one GEMM each, repeat 1)."""
    e = _engine(accel, fmt)
    R, C = accel.rows, accel.cols
    S = -(-k // e["group"])
    a_dram = m * k * e["a_bpe"] + e["a_tensor"]
    b_dram = k * n * e["b_bpe"] + e["b_tensor"]
    sch = dram_schedule(m, n, S, rows=R, cols=C, a_word_bits=e["a_word"],
                        b_word_bits=e["b_word"], c_word_bits=e["c_word"],
                        a_bytes=accel.a_buffer_bytes, b_bytes=accel.b_buffer_bytes,
                        c_bytes=accel.c_buffer_bytes, a_dram_bits=a_dram,
                        b_dram_bits=b_dram, names=names)
    # four kinds of run: full / edge block along M x along N, evaluated in one call
    full_m, full_n = m // sch.mb, n // sch.nb
    edge_m, edge_n = (sch.m_edge > 0).astype(np.int64), (sch.n_edge > 0).astype(np.int64)
    mm = np.concatenate([sch.mb, sch.mb, sch.m_edge, sch.m_edge])
    nn = np.concatenate([sch.nb, sch.n_edge, sch.nb, sch.n_edge])
    count = np.concatenate([full_m * full_n, full_m * edge_n, edge_m * full_n,
                            edge_m * edge_n])
    mm, nn, kk = np.maximum(mm, 1), np.maximum(nn, 1), np.tile(k, 4)
    L = len(m)
    run_cycles = e["model"].evaluate("total", M=mm, K=kk, N=nn, R=R, C=C)
    cycles = (count * run_cycles).reshape(4, L).sum(axis=0)
    t = engine_traffic(e["traffic"]["engine"], mm, kk, nn, R, C,
                       **{x: v for x, v in e["traffic"].items() if x != "engine"})
    words = {key: (count * t[key]).reshape(4, L).sum(axis=0)
             for key in ("a_reads", "b_reads", "c_writes", "c_unloads")}
    mt, nt = -(-m // R), -(-n // C)
    a_loads = sch.a_fetches * mt * S
    b_loads = sch.b_fetches * nt * S
    c_bits_out = m * n * e["a_bpe"]
    dram_bits = sch.a_fetches * a_dram + sch.b_fetches * b_dram + c_bits_out
    return {"runs": sch.runs, "compute_cycles": cycles, "dram_bits": dram_bits,
            "a_reads": words["a_reads"], "b_reads": words["b_reads"],
            "c_writes": words["c_writes"], "c_unloads": words["c_unloads"],
            "a_loads": a_loads, "b_loads": b_loads}


def evaluate_arrays(workload: Workload, accel: Accelerator,
                    precision: str | Mapping[str, str]) -> dict[str, np.ndarray]:
    """:func:`evaluate` as a dict of per-layer NumPy arrays (the columns of
    :data:`COLUMNS`), without building the DataFrame: what sweeps call."""
    fmts = _precision(workload, accel, precision)
    a = workload.arrays()
    m, k, n, rep = a["m"], a["k"], a["n"], a["repeat"]
    names = [lay.name for lay in workload.layers]
    L = len(names)
    out = {key: np.zeros(L, np.int64) for key in (
        "runs", "compute_cycles", "dram_bits", "a_reads", "b_reads", "c_writes",
        "c_unloads", "a_loads", "b_loads")}
    per = {key: np.zeros(L) for key in ("dyn", "clk", "leak", "peak", "aw", "bw", "cw")}
    fmt_arr = np.asarray(fmts)
    used = list(dict.fromkeys(fmts))
    for fmt in used:
        idx = np.flatnonzero(fmt_arr == fmt) if len(used) > 1 else slice(None)
        g = _group(accel, fmt, m[idx], k[idx], n[idx],
                   [names[i] for i in np.arange(L)[idx]])
        for key, v in g.items():
            out[key][idx] = v
        e = _engine(accel, fmt)
        pe = e["pe"]
        per["dyn"][idx] = pe.dynamic_pj_per_mac
        per["clk"][idx] = pe.clock_pj_per_cycle
        per["leak"][idx] = pe.leakage_pj_per_cycle
        per["peak"][idx] = e["peak"]
        per["aw"][idx], per["bw"][idx], per["cw"][idx] = e["a_word"], e["b_word"], e["c_word"]
    tech = accel.technology
    pes = accel.rows * accel.cols
    macs = m * k * n * rep
    compute = out["compute_cycles"] * rep
    dram_bytes = out["dram_bits"] * rep / 8.0
    dram_cycles = np.ceil(dram_bytes / accel.dram_bytes_per_cycle).astype(np.int64)
    cycles = np.maximum(compute, dram_cycles)
    rd, wr = _sram_pj_per_bit(accel)
    a_rb = out["a_reads"] * per["aw"] * rep
    b_rb = out["b_reads"] * per["bw"] * rep
    c_ub = out["c_unloads"] * per["cw"] * rep
    a_wb = out["a_loads"] * per["aw"] * rep
    b_wb = out["b_loads"] * per["bw"] * rep
    c_wb = out["c_writes"] * per["cw"] * rep
    sram_pj = (a_rb * rd["a"] + b_rb * rd["b"] + c_ub * rd["c"]
               + a_wb * wr["a"] + b_wb * wr["b"] + c_wb * wr["c"])
    pe_datapath = macs * per["dyn"]
    pe_clock = pes * cycles * per["clk"]
    leakage = pes * cycles * per["leak"]
    dram_pj = dram_bytes * 8.0 * tech.dram_pj_per_bit
    return {
        "layer": np.asarray(names, dtype=object), "format": fmt_arr.astype(object),
        "m": m, "k": k, "n": n, "repeat": rep, "macs": macs, "runs": out["runs"] * rep,
        "compute_cycles": compute, "dram_cycles": dram_cycles, "cycles": cycles,
        "time_us": cycles / accel.clock, "utilization": macs / (cycles * per["peak"]),
        "bound": np.where(dram_cycles > compute, "memory", "compute").astype(object),
        "dram_bytes": dram_bytes, "sram_read_bits": a_rb + b_rb + c_ub,
        "sram_write_bits": a_wb + b_wb + c_wb, "macs_per_dram_byte": macs / dram_bytes,
        "pe_datapath_pj": pe_datapath, "pe_clock_pj": pe_clock, "sram_pj": sram_pj,
        "dram_pj": dram_pj, "leakage_pj": leakage,
        "energy_pj": pe_datapath + pe_clock + sram_pj + dram_pj + leakage,
    }


def area_um2(accel: Accelerator, formats: list[str] | tuple[str, ...]) -> dict[str, float]:
    """Area of the accelerator carrying a PE of each of ``formats`` in every array cell:
    ``pe_um2`` (all PEs), ``sram_um2`` (the three buffers) and ``area_um2``."""
    tech = accel.technology
    pe = accel.rows * accel.cols * sum(_engine(accel, f)["pe"].area_um2
                                       for f in dict.fromkeys(formats))
    sram = 8 * (accel.a_buffer_bytes + accel.b_buffer_bytes + accel.c_buffer_bytes) \
        * tech.sram_um2_per_bit
    return {"pe_um2": pe, "sram_um2": sram, "area_um2": pe + sram}


def evaluate(workload: Workload, accel: Accelerator,
             precision: str | Mapping[str, str]):  # -> pandas.DataFrame
    """Per-layer cost of ``workload`` on ``accel`` with ``precision`` (one format name for
    every layer, or ``{layer name: format}`` naming every layer): a DataFrame with the
    :data:`COLUMNS`, one row per layer; its ``attrs`` hold the totals (:func:`totals`),
    the area and the accelerator. Raises :class:`EvaluationError` /
    :class:`~models.accel.AcceleratorError` (one line) for a precision that names unknown
    layers or formats the engine has no PE for, and
    :class:`~models.memory.BufferOverflowError` for a layer the buffers cannot hold."""
    import pandas as pd

    cols = evaluate_arrays(workload, accel, precision)
    df = pd.DataFrame(cols, columns=list(COLUMNS), copy=False)
    df.attrs["totals"] = totals(cols, accel)
    df.attrs["accelerator"] = accel.to_dict()
    df.attrs["workload"] = workload.name
    return df


def totals(cols: Mapping[str, np.ndarray], accel: Accelerator) -> dict[str, Any]:
    """Whole-network figures of :func:`evaluate_arrays` columns: sums of cycles, time,
    traffic and energies, MAC-weighted utilization, area and energy per MAC."""
    t: dict[str, Any] = {k: float(np.sum(cols[k])) for k in (
        "macs", "compute_cycles", "dram_cycles", "cycles", "time_us", "dram_bytes",
        "sram_read_bits", "sram_write_bits", "pe_datapath_pj", "pe_clock_pj", "sram_pj",
        "dram_pj", "leakage_pj", "energy_pj")}
    for k in ("macs", "compute_cycles", "dram_cycles", "cycles"):
        t[k] = int(t[k])
    peak = float(np.sum(cols["macs"] / cols["utilization"]))  # sum of cycles x peak
    t["utilization"] = t["macs"] / peak if peak else 0.0
    t["memory_bound_layers"] = int(np.sum(cols["bound"] == "memory"))
    t["layers"] = len(cols["layer"])
    t["pj_per_mac"] = t["energy_pj"] / t["macs"] if t["macs"] else 0.0
    t.update(area_um2(accel, list(dict.fromkeys(cols["format"]))))
    return t

