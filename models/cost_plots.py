"""Plots of network costs: energy per layer by part with the layers' roofline
(:func:`plot_network`), and a sweep's energy-latency Pareto plot (:func:`plot_pareto`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_network", "plot_pareto", "plot_study"]

PARTS = (("pe_datapath_pj", "PE datapath"), ("pe_clock_pj", "PE clock"),
         ("sram_pj", "SRAM"), ("dram_pj", "DRAM"), ("leakage_pj", "leakage"))
_COLOURS = ("#4c72b0", "#8da0cb", "#55a868", "#c44e52", "#999999")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_network(df, path: Path, title: str = "") -> Path:
    """Two panels of one :func:`models.evaluate.evaluate` frame: energy of every layer by
    part (stacked, in uJ), and the roofline (attained MACs per cycle against MACs per DRAM
    byte, the compute roof and the bandwidth slope of the accelerator)."""
    plt = _pyplot()
    acc = df.attrs["accelerator"]
    fig, (ax, rf) = plt.subplots(1, 2, figsize=(15, 5.2), width_ratios=(2.2, 1))
    x = np.arange(len(df))
    bottom = np.zeros(len(df))
    for (col, label), colour in zip(PARTS, _COLOURS, strict=True):
        v = df[col].to_numpy() * 1e-6
        ax.bar(x, v, bottom=bottom, color=colour, label=label, width=0.85)
        bottom += v
    ax.set_xlabel("layer (network order)")
    ax.set_ylabel("energy (uJ)")
    ax.set_title(f"energy per layer by part{': ' + title if title else ''}")
    if len(df) <= 60:
        ax.set_xticks(x, df["layer"], rotation=90, fontsize=6)
    ax.legend(fontsize=8)
    ai = df["macs_per_dram_byte"].to_numpy()
    perf = (df["macs"] / df["cycles"]).to_numpy()
    peak = float(np.max(df["macs"] / (df["cycles"] * df["utilization"])))
    bw = acc["dram_bytes_per_cycle"]
    xs = np.logspace(np.log10(max(ai.min() / 2, 1e-3)), np.log10(ai.max() * 2), 200)
    rf.loglog(xs, np.minimum(peak, bw * xs), "k-", lw=1, label=f"roof: {peak:g} MAC/cycle, "
              f"{bw:g} B/cycle")
    mem = (df["bound"] == "memory").to_numpy()
    rf.scatter(ai[~mem], perf[~mem], s=14, c="#4c72b0", label="compute-bound")
    rf.scatter(ai[mem], perf[mem], s=14, c="#c44e52", label="memory-bound")
    rf.set_xlabel("arithmetic intensity (MAC per DRAM byte)")
    rf.set_ylabel("attained MAC per cycle")
    rf.set_title("roofline of the layers")
    rf.legend(fontsize=8)
    return _save(plt, fig, path)


def plot_pareto(df, path: Path, title: str = "") -> Path:
    """Energy against latency of every sweep point, area as colour, the Pareto front
    joined and its points labelled with format and array shape."""
    from models.sweep import pareto

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 6))
    sc = ax.scatter(df["time_us"] * 1e-3, df["energy_uj"], c=df["area_mm2"], s=10,
                    cmap="viridis", norm="log", alpha=0.8)
    fig.colorbar(sc, ax=ax, label="area (mm^2)")
    front = df[pareto(df)].sort_values("time_us")
    ax.plot(front["time_us"] * 1e-3, front["energy_uj"], "r-", lw=1, label="Pareto front")
    for _, r in front.head(12).iterrows():
        ax.annotate(f"{r['format']} {r['rows']}x{r['cols']}", (r["time_us"] * 1e-3,
                    r["energy_uj"]), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("energy (uJ)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(plt, fig, path)


def plot_study(results: dict[str, dict[str, dict]], path: Path, title: str = "") -> Path:
    """The README study: for each network (one panel), each format's total energy (mJ) split
    by part, with its time written above the bar. ``results[network][format]`` is a
    :func:`models.evaluate.totals` dict."""
    plt = _pyplot()
    nets = list(results)
    fig, axes = plt.subplots(1, len(nets), figsize=(6.5 * len(nets), 4.8), squeeze=False)
    for ax, net in zip(axes[0], nets, strict=True):
        fmts = list(results[net])
        x = np.arange(len(fmts))
        bottom = np.zeros(len(fmts))
        for (col, label), colour in zip(PARTS, _COLOURS, strict=True):
            v = np.array([results[net][f][col] for f in fmts]) * 1e-9
            ax.bar(x, v, bottom=bottom, color=colour, label=label)
            bottom += v
        for xi, f in zip(x, fmts, strict=True):
            ax.annotate(f"{results[net][f]['time_us'] / 1e3:.3g} ms", (xi, bottom[xi]),
                        ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, fmts, rotation=30, fontsize=8)
        ax.set_ylabel("energy (mJ)")
        ax.set_title(net)
        ax.legend(fontsize=7)
    fig.suptitle(title)
    return _save(plt, fig, path)
