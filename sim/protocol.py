"""The run protocol: one :class:`RunRequest` in, one :class:`RunResult` out, both plain JSON.

A request names everything that decides a simulation run (unit, formats, seed, vector
count, lanes, array shape, mutation, waves); the same request always builds the same design
and drives the same vectors, so a run replays bit for bit from its request file, in a fresh
process or on another machine (``lowbit sim --request run.json``). :meth:`RunRequest.key`
is a stable name derived from the request's content: it names the run directory.

Files of one run, all in its run directory (:func:`run_dir`):

- ``request.json`` - the request (written by the caller, read by the testbench);
- ``job.npz`` - precomputed vectors and golden expected bits (:mod:`verif.jobfile`), for
  units whose jobs are computed before the simulation starts;
- ``result.json`` - what the testbench measured (vectors, mismatches, cycles, the digest
  of every output sample, the first mismatches with their replay command);
- ``results.xml`` (JUnit) and ``waves.fst`` when waves were asked for.

Nothing travels by environment variable except ``LOWBIT_REQUEST``, the path of the request
file, and nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["LEVELS", "REQUEST_ENV", "RunRequest", "RunResult", "load_request"]

REQUEST_ENV = "LOWBIT_REQUEST"
"""The one environment variable of a run: the path of its ``request.json``."""

_KEY_FIELDS = ("unit", "format", "format_b", "seed", "vectors", "lanes", "array", "mutation",
               "waves", "level", "stimulus")
LEVELS = ("rtl", "gate")
"""What is simulated: the generated RTL, or its gate-level netlist from synthesis."""


@dataclass(frozen=True)
class RunRequest:
    """Everything that decides one simulation run.

    ``unit`` - registry name (``lowbit units``); ``format`` / ``format_b`` - operand formats
    (``format_b`` None: the same as ``format``); ``seed`` - seed of every random draw;
    ``vectors`` - vector count, None for the unit's default; ``lanes`` - lanes of a block
    unit, None for its default; ``array`` - ``(rows, cols)`` of a GEMM engine, None for its
    default; ``mutation`` - a deliberately broken variant (mutation tests) or None;
    ``waves`` - write an FST waveform; ``level`` - ``"rtl"`` (the generated Verilog) or
    ``"gate"`` (its netlist from :mod:`models.synth`, scored against golden the same way);
    ``stimulus`` - None for the unit's verification vectors, or a data distribution
    (:data:`verif.stimuli.STIMULI`) quantized to the format, for switching activity;
    ``progress`` - log every N vectors (0: never; not part of the key: it changes no
    result).
    """

    unit: str
    format: str
    format_b: str | None = None
    seed: int = 1
    vectors: int | None = None
    lanes: int | None = None
    array: tuple[int, int] | None = None
    mutation: str | None = None
    waves: bool = False
    level: str = "rtl"
    stimulus: str | None = None
    progress: int = 0

    def __post_init__(self) -> None:
        if self.array is not None:
            object.__setattr__(self, "array", tuple(int(v) for v in self.array))

    # ----- JSON ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["array"] = list(self.array) if self.array is not None else None
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunRequest:
        """A request from a dict; one-line ``ValueError`` naming a bad or unknown field."""
        if not isinstance(d, dict):
            raise ValueError(f"a run request must be a JSON object, not {type(d).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown run request field(s) {', '.join(unknown)}; "
                             f"fields: {', '.join(sorted(names))}")
        if d.get("level", "rtl") not in LEVELS:
            raise ValueError(f"run request field 'level' must be one of {', '.join(LEVELS)}, "
                             f"not {d.get('level')!r}")
        stim = d.get("stimulus")
        if stim is not None:
            from verif.stimuli import STIMULI

            if stim not in STIMULI:
                raise ValueError(f"run request field 'stimulus' must be one of "
                                 f"{', '.join(STIMULI)} or null, not {stim!r}")
        for req in ("unit", "format"):
            if not isinstance(d.get(req), str):
                raise ValueError(f"run request field {req!r} must be a string, "
                                 f"not {d.get(req)!r}")
        for k in ("seed", "vectors", "lanes", "progress"):
            v = d.get(k)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise ValueError(f"run request field {k!r} must be an integer, not {v!r}")
        arr = d.get("array")
        if arr is not None and (not isinstance(arr, list | tuple) or len(arr) != 2
                                or not all(isinstance(v, int) for v in arr)):
            raise ValueError(f"run request field 'array' must be [rows, cols], not {arr!r}")
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> RunRequest:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a run request must be JSON: {exc}") from None
        return cls.from_dict(d)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")
        return path

    # ----- naming -------------------------------------------------------------------------

    def key(self) -> str:
        """Stable name of the run: ``<unit>-<formats>-<hash of every deciding field>``."""
        ident = {k: self.to_dict()[k] for k in _KEY_FIELDS}
        digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.unit}-{self.tag}-{digest}"

    @property
    def tag(self) -> str:
        """The formats as one identifier: ``mxfp4`` or ``fp4_e2m1_x_int8``."""
        if self.format_b is None or self.format_b == self.format:
            return self.format
        return f"{self.format}_x_{self.format_b}"

    def replay_command(self) -> str:
        """The ``lowbit sim`` command line that runs this request again."""
        parts = ["lowbit", "sim", "--format", self.format, "--unit", self.unit,
                 "--seed", str(self.seed)]
        for flag, v in (("--format-b", self.format_b), ("--vectors", self.vectors),
                        ("--lanes", self.lanes), ("--mutation", self.mutation),
                        ("--stimulus", self.stimulus)):
            if v is not None:
                parts += [flag, str(v)]
        if self.array is not None:
            parts += ["--array", "{}x{}".format(*self.array)]
        if self.waves:
            parts.append("--waves")
        if self.level != "rtl":
            parts += ["--level", self.level]
        return shlex.join(parts)

    def with_(self, **changes: Any) -> RunRequest:
        return replace(self, **changes)


def load_request(path: str | os.PathLike[str] | None = None) -> RunRequest:
    """The request of the running testbench: ``path`` or ``$LOWBIT_REQUEST``."""
    p = path or os.environ.get(REQUEST_ENV, "")
    if not p:
        raise RuntimeError(f"no run request: ${REQUEST_ENV} is not set")
    return RunRequest.from_json(Path(p).read_text())


@dataclass
class RunResult:
    """What one run measured. Figures come from the testbench (``result.json``) and the
    build; ``passed`` needs at least one vector and no mismatch.

    ``vectors`` - outputs (or output sets) checked; ``mismatches`` - outputs that differ
    from golden, plus cycle counts that differ from the cycle model; ``cycles`` - measured
    clock cycles; ``predicted_cycles`` / ``utilization`` - the cycle model's figures (GEMM
    engines only); ``latency`` - the unit's latency in cycles (stream units); ``ops`` - the
    multiply-accumulates a GEMM engine's testbench reports (None for stream units: there
    an operation is one vector, or one lane of a block);
    ``outputs_sha256`` - digest of every output sample in order (equal digests: equal
    outputs, bit for bit); ``reports`` - the first mismatches, formatted, each with the
    replay command; ``build_seconds`` / ``golden_seconds`` / ``sim_seconds`` - timings;
    ``cached`` - the build came from the cache; ``run_dir`` / ``request_file`` / ``junit``
    / ``waves`` - paths of the run's files.
    """

    request: RunRequest
    vectors: int
    mismatches: int
    cycles: int
    latency: int = 0
    predicted_cycles: int | None = None
    utilization: float | None = None
    ops: int | None = None
    outputs_sha256: str = ""
    reports: list[str] = field(default_factory=list)
    build_seconds: float = 0.0
    golden_seconds: float = 0.0
    sim_seconds: float = 0.0
    cached: bool = False
    run_dir: str = ""
    request_file: str = ""
    junit: str = ""
    waves: str | None = None

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.vectors > 0

    @property
    def vectors_per_s(self) -> float:
        return self.vectors / self.sim_seconds if self.sim_seconds > 0 else 0.0

    @property
    def replay(self) -> str:
        return self.request.replay_command()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["request"] = self.request.to_dict()
        d["passed"] = self.passed
        d["vectors_per_s"] = round(self.vectors_per_s, 1)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        d = {k: v for k, v in d.items() if k not in ("passed", "vectors_per_s")}
        return cls(**{**d, "request": RunRequest.from_dict(d["request"])})
