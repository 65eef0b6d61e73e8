"""Speed of golden's block quantization against torchao, with a bit-exactness check.

For mxfp4, mxfp8_e4m3 and nvfp4: time ``quantize`` + ``dequantize`` (float32 out) of a
seeded 4096 x 4096 float32 normal tensor, best of N runs, and the same with torchao's
``MXTensor.to_mx(...).dequantize(...)`` / ``NVFP4Tensor.to_nvfp4(...).dequantize(...)``
in the same process; compare scale codes, element codes and dequantized values bit for
bit, and print elements/s and the speed ratio. Also times fp8_e4m3 element encoding
against ``x.astype(ml_dtypes.float8_e4m3fn)``.

Where torchao's semantics differ from the contract (docs/numerics.md), the result says so:
its MX ``ScaleCalculationMode.FLOOR`` is the OCP rule (X = floor(log2 amax) - emax) except
for blocks whose max is an fp32 subnormal and for X = -127 (it divides by 2^-126 there);
its NVFP4 multiplies by ``(1 / s_t) / s_b`` instead of dividing by ``fp32(s_b * s_t)``,
clamps ``s_b`` to at least the smallest e4m3 subnormal, and dequantizes as
``P * fp32(s_t * s_b)`` (two roundings). The NVFP4 comparison re-derives torchao's codes
from its own formula to show that this is the whole difference.

Usage: ``python -m bench.golden_bench [--quick] [--runs N] [--json PATH]``. The JSON
document goes to stdout (or PATH), the summary table to stderr (or stdout with --json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np

from golden.block import dequantize, quantize
from golden.codec import decode, encode

FORMATS = ("mxfp4", "mxfp8_e4m3", "nvfp4")
TORCHAO_HINT = "torchao is not installed: run  pip install -e '.[bench]'"


def best_time(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Best wall time and best process CPU time (s, all threads; steadier than wall time
    on a busy machine) of ``runs`` calls after one untimed warm-up, and the last result."""
    out = fn()  # warm-up (imports, caches, allocator), not timed
    best = best_cpu = float("inf")
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, out


def _mismatch(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Count of differing entries (raw bits; floats compared as unsigned integers)."""
    if a.dtype.kind == "f":
        u = {4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
        a, b = a.view(u), b.view(u)
    bad = np.flatnonzero(a.ravel() != b.ravel())
    res: dict[str, Any] = {"mismatches": int(bad.size), "total": int(a.size)}
    if bad.size:
        i = int(bad[0])
        res["first"] = {"flat_index": i, "golden": hex(int(a.ravel()[i])),
                        "torchao": hex(int(b.ravel()[i]))}
    return res


def _unpack_fp4(packed: np.ndarray) -> np.ndarray:
    """torchao's ``pack_uint4`` layout: element 2i in the low nibble, 2i+1 in the high."""
    out = np.empty((*packed.shape[:-1], packed.shape[-1] * 2), np.uint8)
    out[..., 0::2] = packed & 0xF
    out[..., 1::2] = packed >> 4
    return out


def _torchao_mx(torch: Any, x: np.ndarray, name: str, runs: int) -> tuple[float, float, dict]:
    from torchao.prototype.mx_formats.mx_tensor import MXTensor

    elem = {"mxfp4": torch.float4_e2m1fn_x2, "mxfp8_e4m3": torch.float8_e4m3fn}[name]
    xt = torch.from_numpy(x)

    def run() -> tuple[Any, Any]:
        m = MXTensor.to_mx(xt, elem, 32)
        return m, m.dequantize(torch.float32)

    t, c, (m, y) = best_time(run, runs)
    codes = m.qdata.view(torch.uint8).numpy()
    if name == "mxfp4":
        codes = _unpack_fp4(codes)
    return t, c, {"scales": m.scale.view(torch.uint8).numpy().reshape(x.shape[0], -1),
               "elements": codes.reshape(x.shape), "values": y.numpy()}


def _torchao_nvfp4(torch: Any, x: np.ndarray, runs: int) -> tuple[float, float, dict]:
    from torchao.prototype.mx_formats.nvfp4_tensor import (
        NVFP4Tensor,
        per_tensor_amax_to_scale,
    )

    xt = torch.from_numpy(x)

    def run() -> tuple[Any, Any]:
        s_t = per_tensor_amax_to_scale(torch.max(torch.abs(xt)))
        m = NVFP4Tensor.to_nvfp4(xt, per_tensor_scale=s_t)
        return m, m.dequantize(torch.float32)

    t, c, (m, y) = best_time(run, runs)
    return t, c, {"scales": m.scale.view(torch.uint8).numpy().reshape(x.shape[0], -1),
               "elements": _unpack_fp4(m.qdata.view(torch.uint8).numpy()).reshape(x.shape),
               "values": y.numpy(),
               "tensor_scale": np.float32(m.per_tensor_scale.item())}


def _explain_nvfp4(x: np.ndarray, theirs: dict) -> dict[str, Any]:
    """Recompute torchao's element codes with its own formula, with golden's fp4 encoder:
    ``RNE_sat_fp4(x * fp32(fp32(1 / s_t) / s_b))``."""
    f32 = np.float32
    s_t = theirs["tensor_scale"]
    s_b = decode(theirs["scales"], "fp8_e4m3")
    recip = (f32(1) / s_t) / s_b
    q = x.reshape(*s_b.shape, -1) * recip[..., None]
    codes = encode(q.reshape(x.shape), "fp4_e2m1")
    vals = decode(theirs["elements"], "fp4_e2m1").reshape(q.shape) * (s_t * s_b)[..., None]
    return {"torchao_formula": "codes RNE_sat_fp4(x * fp32(fp32(1/s_t) / s_b)), "
                               "values fp32(P * fp32(s_t * s_b))",
            "torchao_codes_reproduced": bool(np.array_equal(codes, theirs["elements"])),
            "torchao_values_reproduced": _mismatch(vals.reshape(x.shape),
                                                   theirs["values"])["mismatches"] == 0}


def bench_block(name: str, x: np.ndarray, runs: int, torch: Any) -> dict[str, Any]:
    def run() -> tuple[Any, np.ndarray]:
        bt = quantize(x, name)
        return bt, dequantize(bt)

    t_g, c_g, (bt, y) = best_time(run, runs)
    res: dict[str, Any] = {"format": name, "golden_s": t_g, "golden_cpu_s": c_g,
                           "golden_melem_per_s": x.size / t_g / 1e6}
    if torch is None:
        return res
    if name == "nvfp4":
        t_t, c_t, theirs = _torchao_nvfp4(torch, x, runs)
    else:
        t_t, c_t, theirs = _torchao_mx(torch, x, name, runs)
    res.update(torchao_s=t_t, torchao_cpu_s=c_t, torchao_melem_per_s=x.size / t_t / 1e6,
               speed_ratio=t_t / t_g, cpu_time_ratio=c_t / c_g)
    cmp = {"scales": _mismatch(bt.scales, theirs["scales"]),
           "elements": _mismatch(bt.elements, theirs["elements"]),
           "values": _mismatch(y, theirs["values"])}
    if name == "nvfp4":
        cmp["tensor_scale"] = _mismatch(np.array([bt.tensor_scale]),
                                        np.array([theirs["tensor_scale"]]))
    res["compare"] = cmp
    res["bit_exact"] = all(c["mismatches"] == 0 for c in cmp.values())
    if name == "nvfp4":
        res["semantics"] = _explain_nvfp4(x, theirs)
        res["semantics"]["note"] = (
            "torchao multiplies by (1/s_t)/s_b where the contract divides by fp32(s_b*s_t), "
            "and dequantizes as P*fp32(s_t*s_b) (two roundings) where the contract rounds "
            "P*s_b*s_t once; scales and s_t follow the same steps")
    else:
        res["semantics"] = {"torchao_scaling_mode": "FLOOR", "note": (
            "FLOOR equals OCP MX 6.3 for normal block maxima; it differs for fp32-subnormal "
            "maxima and divides by 2^-126 where X = -127")}
    return res


def bench_fp8_encode(x: np.ndarray, runs: int) -> dict[str, Any]:
    t_g, _, codes = best_time(lambda: encode(x, "fp8_e4m3", saturate=False), runs)
    t_m, _, ref = best_time(lambda: x.astype(ml_dtypes.float8_e4m3fn), runs)
    return {"format": "fp8_e4m3", "golden_s": t_g, "ml_dtypes_s": t_m,
            "golden_melem_per_s": x.size / t_g / 1e6, "ml_dtypes_melem_per_s": x.size / t_m / 1e6,
            "speed_ratio": t_m / t_g,
            "compare": _mismatch(codes, ref.view(np.uint8)), "saturate": False}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="512 x 512 instead of 4096 x 4096")
    ap.add_argument("--runs", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="PATH", help="write the JSON document here")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error(f"--runs must be >= 1, not {args.runs}")
    n = 512 if args.quick else 4096
    x = np.random.default_rng(args.seed).standard_normal((n, n)).astype(np.float32)

    try:
        import torch
        import torchao
    except ImportError:
        torch = torchao = None
        print(TORCHAO_HINT, file=sys.stderr)

    doc: dict[str, Any] = {
        "shape": [n, n], "dtype": "float32", "distribution": "standard normal",
        "seed": args.seed, "runs": args.runs, "timing": "best of runs, quantize + dequantize",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "ml_dtypes": ml_dtypes.__version__},
        "torchao": None if torchao is None else torchao.__version__,
        "blocks": [bench_block(name, x, args.runs, torch) for name in FORMATS],
        "fp8_encode": bench_fp8_encode(x, args.runs),
    }
    if torch is not None:
        doc["machine"]["torch"] = torch.__version__
        doc["machine"]["torch_threads"] = torch.get_num_threads()
    else:
        doc["error"] = TORCHAO_HINT

    text = json.dumps(doc, indent=2)
    table = sys.stdout if args.json else sys.stderr
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    print(f"\n{n}x{n} float32, best of {args.runs}; Melem/s of quantize+dequantize (wall); "
          "ratio = torchao time / golden time (wall, and process CPU time)", file=table)
    print(f"{'format':<12}{'golden':>10}{'torchao':>10}{'ratio':>8}{'cpu ratio':>11}  bit-exact",
          file=table)
    for r in doc["blocks"]:
        exact = "-" if "bit_exact" not in r else ("yes" if r["bit_exact"] else _why(r))
        print(f"{r['format']:<12}{r['golden_melem_per_s']:>10.1f}"
              f"{r.get('torchao_melem_per_s', float('nan')):>10.1f}"
              f"{r.get('speed_ratio', float('nan')):>8.2f}"
              f"{r.get('cpu_time_ratio', float('nan')):>11.2f}  {exact}", file=table)
    e = doc["fp8_encode"]
    print(f"{'fp8 encode':<12}{e['golden_melem_per_s']:>10.1f}{e['ml_dtypes_melem_per_s']:>10.1f}"
          f"{e['speed_ratio']:>8.2f}{'':>11}  {'yes' if e['compare']['mismatches'] == 0 else 'NO'}"
          "  (vs ml_dtypes astype)", file=table)
    return 0


def _why(r: dict[str, Any]) -> str:
    parts = [f"{k} {v['mismatches']}/{v['total']}" for k, v in r["compare"].items()
             if v["mismatches"]]
    sem = r.get("semantics", {})
    if sem.get("torchao_codes_reproduced") and sem.get("torchao_values_reproduced"):
        parts.append("(torchao's own formula reproduces its output)")
    return "NO: " + ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
