"""``lowbit cost`` and ``lowbit sweep`` from the shell: tables, JSON, CSV, plots, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from models.zoo import zoo_workload
from sim.cli import main


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``lowbit ARGS`` as a user runs it (a new process)."""
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                          text=True, timeout=600)


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> subprocess.CompletedProcess[str]:
    """``lowbit ARGS`` in this process (the zoo is traced once per test worker)."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_cost_resnet50_mxfp4_from_the_shell() -> None:
    p = _cli("cost", "--net", "resnet50", "--format", "mxfp4", "--array", "16x16")
    assert p.returncode == 0, p.stderr
    assert "resnet50 (54 GEMM layers, 4.09 GMAC) on array 16x16, mxfp4" in p.stdout
    assert "total:" in p.stdout and "pJ/MAC" in p.stdout


@pytest.mark.parametrize("fmt", ["mxfp4", "int8"])
def test_cost_resnet50_prints_the_table(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    p = _main(capsys, "cost", "--net", "resnet50", "--format", fmt, "--array", "16x16",
              "--rows", "0")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "resnet50 (54 GEMM layers, 4.09 GMAC) on array 16x16" in out
    assert "layer1.0.conv1" in out and "layer4.2.conv3" in out and "fc" in out
    assert "total:" in out and "pJ/MAC" in out and "energy: pe_datapath" in out


def test_cost_json_csv_and_plot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    csv, png = tmp_path / "r.csv", tmp_path / "r.png"
    p = _main(capsys, "cost", "--net", "llama2_7b_decode", "--format", "mxfp4", "--array", "16x16",
             "--json", "--csv", str(csv), "--plot", str(png))
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    wl = zoo_workload("llama2_7b_decode")
    assert d["totals"]["macs"] == wl.macs and len(d["layers"]) == len(wl)
    assert d["totals"]["layers"] == len(wl)
    # decode is one token: every linear layer streams its weights from DRAM
    assert d["totals"]["memory_bound_layers"] > len(wl) // 2
    assert sum(r["energy_pj"] for r in d["layers"]) == pytest.approx(d["totals"]["energy_pj"])
    df = pd.read_csv(csv)
    assert len(df) == len(wl) and set(df["bound"]) <= {"memory", "compute"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_writes_csv_and_plot(tmp_path: Path) -> None:
    csv, png = tmp_path / "s.csv", tmp_path / "s.png"
    p = _cli("sweep", "--net", "resnet18", "--formats", "int8,mxfp4,nvfp4",
             "--arrays", "8x8,16x16", "--buffer-kib", "256,1024", "--csv", str(csv),
             "--plot", str(png))
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(csv)
    assert len(df) == 3 * 2 * 2
    assert set(df["format"]) == {"int8", "mxfp4", "nvfp4"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "on the energy-latency Pareto front" in p.stdout


@pytest.mark.parametrize(("args", "word"), [
    (("cost", "--net", "resnet51", "--format", "int8"), "unknown network 'resnet51'"),
    (("cost", "--net", "resnet50", "--format", "fp12"), "fp12"),
    (("cost", "--net", "resnet50", "--format", "fp16"), "no PE for format fp16"),
    (("cost", "--net", "resnet50", "--format", "int8", "--array", "16by16"),
     "array shape must look like 16x16"),
    (("cost", "--net", "resnet50", "--format", "int8", "--array", "0x16"),
     "array shape must look like 16x16"),
    (("cost", "--net", "resnet50", "--format", "int8", "--engine", "gpu"),
     "engine must be one of array, lut"),
    (("cost", "--net", "resnet50", "--format", "mxfp4", "--engine", "lut"),
     "lut engine has no PE for format mxfp4"),
    (("cost", "--net", "resnet50", "--format", "int8", "--buffer-kib", "1,1,1"),
     "does not fit"),
    (("cost", "--net", "resnet50", "--format", "int8", "--buffer-kib", "a,b,c"),
     "sizes in KiB"),
    (("sweep", "--net", "resnet50", "--formats", "int8,foo"), "foo"),
    (("sweep", "--net", "vgg", "--formats", "int8"), "unknown network 'vgg'"),
    (("sweep", "--net", "resnet50", "--arrays", "16x"), "array shape must look like"),
])
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str],
                                      args: tuple[str, ...], word: str) -> None:
    p = _main(capsys, *args)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2 and len(lines) == 1 and word in lines[0], p.stderr
