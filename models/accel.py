"""An accelerator to cost networks on: engine, array, PE formats, buffers, DRAM and clock.

:class:`Accelerator` is a frozen record checked on construction: every bad field raises
:class:`AcceleratorError` with one line naming the field, the value and what is allowed.
It describes the RTL engines of ``hw/``:

- ``engine="array"``: the output-stationary ``rows x cols`` PE array of
  :mod:`hw.array.engine` (any format with a PE: element formats through the scalar MAC,
  MX / NVFP4 through the block dot unit, ``lanes`` elements of K per step);
- ``engine="lut"``: the LUT tensor core of :mod:`hw.lut.core` (low-bit weights, int8
  activations, ``g`` weights per table lookup).

Buffers are the engine's three on-chip SRAMs (operand A = activations, operand B =
weights, C = results), in bytes; ``dram_bytes_per_cycle`` is the off-chip bandwidth at the
accelerator's clock. ``clock_mhz`` None takes the technology file's clock.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from pathlib import Path

from golden.formats import FormatSpec, get_format
from models.energy import Technology, TechnologyError, load_technology

__all__ = ["ENGINES", "Accelerator", "AcceleratorError"]

ENGINES = ("array", "lut")
"""Engines an accelerator can be built around (``hw/array``, ``hw/lut``)."""

_MAX_SIDE = 1024


class AcceleratorError(ValueError):
    """A bad accelerator field or a format the accelerator cannot run; one line."""


def _positive_int(name: str, v: object, top: int) -> None:
    if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= top:
        raise AcceleratorError(f"accelerator {name} must be an integer in 1..{top}, not {v!r}")


@dataclass(frozen=True)
class Accelerator:
    """One accelerator design point (see the module docstring for the fields' meaning)."""

    engine: str = "array"
    rows: int = 16
    cols: int = 16
    formats: tuple[str, ...] = ()
    """PE formats the array carries; () accepts any format the engine takes."""
    lanes: int | None = None
    """Elements of K per PE step for block formats (None: the block size)."""
    a_buffer_bytes: int = 512 * 1024
    b_buffer_bytes: int = 512 * 1024
    c_buffer_bytes: int = 64 * 1024
    dram_bytes_per_cycle: float = 32.0
    clock_mhz: float | None = None
    tech: str | None = None
    """Technology file (TOML); None: ``models/data/generic45.toml``."""
    g: int = 4
    """LUT engine: weights per table lookup (2..6)."""

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise AcceleratorError(f"accelerator engine must be one of {', '.join(ENGINES)}, "
                                   f"not {self.engine!r}")
        _positive_int("rows", self.rows, _MAX_SIDE)
        _positive_int("cols", self.cols, _MAX_SIDE)
        for name in ("a_buffer_bytes", "b_buffer_bytes", "c_buffer_bytes"):
            _positive_int(name, getattr(self, name), 1 << 40)
        bw = self.dram_bytes_per_cycle
        if isinstance(bw, bool) or not isinstance(bw, int | float) or not (
                math.isfinite(bw) and bw > 0):
            raise AcceleratorError(f"accelerator dram_bytes_per_cycle must be a number > 0, "
                                   f"not {bw!r}")
        clk = self.clock_mhz
        if clk is not None and (isinstance(clk, bool) or not isinstance(clk, int | float)
                                or not (math.isfinite(clk) and clk > 0)):
            raise AcceleratorError(f"accelerator clock_mhz must be a number > 0 or None, "
                                   f"not {clk!r}")
        if self.lanes is not None:
            _positive_int("lanes", self.lanes, 64)
        if self.engine == "lut":
            from hw.lut.table import check_group

            try:
                check_group(self.g)
            except ValueError as exc:
                raise AcceleratorError(f"accelerator g: {exc}") from None
        if isinstance(self.formats, str):
            object.__setattr__(self, "formats", (self.formats,))
        if not isinstance(self.formats, tuple | list):
            raise AcceleratorError(f"accelerator formats must be a tuple of format names, "
                                   f"not {self.formats!r}")
        object.__setattr__(self, "formats",
                           tuple(self.check_engine_format(f).name for f in self.formats))
        if self.tech is not None:
            object.__setattr__(self, "tech", str(self.tech))
            try:
                self.technology  # noqa: B018 - read once: a bad file fails here, not later
            except TechnologyError as exc:
                raise AcceleratorError(f"accelerator tech: {exc}") from None

    # ----- derived --------------------------------------------------------------------------
    @property
    def technology(self) -> Technology:
        return _technology(self.tech)

    @property
    def clock(self) -> float:
        """The clock in MHz (the technology's when ``clock_mhz`` is None)."""
        return float(self.clock_mhz if self.clock_mhz is not None
                     else self.technology.clock_mhz)

    @property
    def shape(self) -> str:
        return f"{self.rows}x{self.cols}"

    def replace(self, **changes: object) -> Accelerator:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def check_engine_format(self, fmt: str | FormatSpec) -> FormatSpec:
        """The spec of ``fmt`` if this engine has a PE for it, else one-line
        :class:`AcceleratorError` naming the formats it takes."""
        from models.pe_costs import engine_formats

        try:
            spec = get_format(fmt)
        except (ValueError, KeyError) as exc:
            raise AcceleratorError(str(exc).strip("'\"")) from None
        allowed = engine_formats(self.engine)
        if spec.name not in allowed:
            raise AcceleratorError(f"the {self.engine} engine has no PE for format {spec.name}; "
                                   f"it takes {', '.join(allowed)}")
        return spec

    def check_format(self, fmt: str | FormatSpec) -> FormatSpec:
        """As :meth:`check_engine_format`, and ``fmt`` must be one of :attr:`formats` when
        the accelerator lists its formats."""
        spec = self.check_engine_format(fmt)
        if self.formats and spec.name not in self.formats:
            raise AcceleratorError(f"this accelerator's PEs take {', '.join(self.formats)}, "
                                   f"not {spec.name}")
        return spec

    def to_dict(self) -> dict[str, object]:
        return {**dataclasses.asdict(self), "formats": list(self.formats)}


@functools.lru_cache(maxsize=16)
def _technology(path: str | None) -> Technology:
    return load_technology(None if path is None else Path(path))
