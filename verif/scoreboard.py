"""Scoreboard: compares every DUT output's raw bits with golden's expected bits.

Rule (the apytypes / TestFloat shape): when golden's result is NaN, any NaN bit pattern
passes (NaN is a class); otherwise the bits must be equal. Outputs are compared in order:
the n-th output sample with o_valid set belongs to the n-th input vector.

On a mismatch the report names the vector index, its inputs in hex, the output port, the
expected and received bits in hex, the seed and the exact ``lowbit sim ...`` command that
replays the run. Every testbench scores through this one class: the stream units, the GEMM
engines (``C`` elements as vectors, each GEMM's cycle count checked against the cycle
model as an integer port of its own, see :class:`Check`'s ``inputs``).

The scoreboard also hashes every received sample in order (``outputs_sha256``): two runs
with equal digests produced the same outputs bit for bit (how a replay is checked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Check", "Mismatch", "Scoreboard"]

_U64 = (1 << 64) - 1


@dataclass(frozen=True)
class Check:
    """Expected bits of one output port for every vector.

    ``bits``: unsigned expected codes (one per vector); ``nan_class``: True where golden's
    result is NaN (then any NaN of ``exp_bits``/``man_bits`` passes); ``width``: port width.
    ``exp_bits``/``man_bits`` describe the output's float layout (fp32: 8/23), or 0/0 for an
    integer output (never NaN). ``inputs`` (optional) replaces the scoreboard's inputs in
    this port's reports, for a port whose vectors are not the input vectors (a GEMM's
    cycle count: one per GEMM, reported with its M, K, N).
    """

    bits: np.ndarray
    nan_class: np.ndarray
    width: int = 32
    exp_bits: int = 8
    man_bits: int = 23
    inputs: Mapping[str, Sequence[int]] | None = None

    @classmethod
    def integers(cls, values: Sequence[int], width: int = 32,
                 inputs: Mapping[str, Sequence[int]] | None = None) -> Check:
        """A check of integer outputs (never NaN), e.g. int32 results or cycle counts."""
        bits = np.asarray(values, dtype=np.uint64)
        return cls(bits=bits, nan_class=np.zeros(len(bits), bool), width=width, exp_bits=0,
                   man_bits=0, inputs=inputs)


@dataclass(frozen=True)
class Mismatch:
    index: int
    port: str
    expected: int
    got: int
    inputs: dict[str, int]


@dataclass
class Scoreboard:
    """Counts vectors and mismatches; keeps the first ``max_reports`` mismatches in full.

    ``inputs`` maps each input port to its per-vector values (for reports), ``checks`` maps
    each checked output port to its :class:`Check`; ``replay`` is the command that replays
    the run and ``seed`` its seed.
    """

    inputs: Mapping[str, Sequence[int]]
    checks: Mapping[str, Check]
    seed: int
    replay: str
    max_reports: int = 10
    vectors: int = 0
    mismatches: int = 0
    reports: list[Mismatch] = field(default_factory=list)
    _digest: object = field(default_factory=hashlib.sha256, repr=False)

    def compare(self, port: str, got: Sequence[int]) -> int:
        """Compare the received samples of ``port`` (in order); return its mismatch count.

        Counts vectors (once per vector, on the first port compared). A short ``got`` (the
        DUT produced fewer valid outputs than vectors) counts every missing output as a
        mismatch with ``got = -1``.
        """
        chk = self.checks[port]
        n = len(chk.bits)
        got_arr = np.full(n, -1, dtype=np.int64)
        m = min(n, len(got))
        # 64-bit ports (an int32 x int32 product) hold values >= 2^63: compare the same 64
        # bits as int64 (the expected bits are reinterpreted the same way below)
        got_arr[:m] = np.asarray(got[:m], dtype=np.uint64).view(np.int64)
        present = np.arange(n) < m
        self._digest.update(port.encode() + b"\0" + got_arr.astype("<i8").tobytes())
        exp = chk.bits.astype(np.uint64).view(np.int64)
        ok = (got_arr == exp) & present
        if chk.exp_bits:
            man_mask = (1 << chk.man_bits) - 1
            exp_mask = ((1 << chk.exp_bits) - 1) << chk.man_bits
            got_nan = ((got_arr & exp_mask) == exp_mask) & ((got_arr & man_mask) != 0)
            ok = np.where(chk.nan_class, got_nan & present, ok)
        bad = np.flatnonzero(~ok)
        if self.vectors == 0:
            self.vectors = n
        self.mismatches += len(bad)
        src = self.inputs if chk.inputs is None else chk.inputs
        for i in bad[: max(0, self.max_reports - len(self.reports))]:
            ins = {k: int(v[i]) for k, v in src.items()}
            got_i = int(got_arr[i]) & _U64 if present[i] else -1
            self.reports.append(Mismatch(int(i), port, int(exp[i]) & _U64, got_i, ins))
        return len(bad)

    def format_report(self, mm: Mismatch) -> str:
        chk = self.checks[mm.port]
        digits = (chk.width + 3) // 4
        ins = " ".join(f"{k}=0x{v:x}" for k, v in mm.inputs.items())
        exp = "NaN (any)" if bool(chk.nan_class[mm.index]) else f"0x{mm.expected:0{digits}x}"
        got = "none (no o_valid)" if mm.got < 0 else f"0x{mm.got:0{digits}x}"
        return (f"MISMATCH vector {mm.index} port {mm.port}: inputs {ins}; expected {exp}, "
                f"got {got}; seed {self.seed}; replay: {self.replay}")

    def summary(self) -> dict[str, object]:
        """A JSON-ready dict: vectors, mismatches, output digest, the first mismatches."""
        return {"vectors": self.vectors, "mismatches": self.mismatches, "seed": self.seed,
                "replay": self.replay, "outputs_sha256": self._digest.hexdigest(),
                "reports": [self.format_report(m) for m in self.reports]}
