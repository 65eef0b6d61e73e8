"""Testbench for the valid-only stream style shared by every lowbit unit.

A stream unit has ports ``clk``, ``rst``, ``i_valid`` (in), ``o_valid`` (out), packed
operand inputs and fp32/int32 result outputs, no backpressure, and accepts one input per
cycle. :class:`StreamTestbench` wraps such a DUT:

- the *driver* writes one vector's packed inputs and ``i_valid = 1`` every cycle;
- the *monitor* samples the checked output ports on every cycle where ``o_valid`` is 1;
- the :class:`~verif.scoreboard.Scoreboard` compares the samples, in order, with golden.

Timing: inputs are written and outputs sampled at the falling clock edge. Outputs read there
are settled (registers changed at the preceding rising edge, combinational logic has seen
the inputs written half a cycle earlier). One Python wake-up per cycle keeps the per-cycle
work to a few integer writes and reads.

Speed: the per-cycle writes and reads go straight to each handle's GPI object (what
``handle.value = x`` does after its per-call type and range checks): ports of <= 32 bits are
written and read as integers, wider packed ports are written as binary strings prepared
before the simulation starts. This roughly doubles the cycles per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

__all__ = ["StreamTestbench"]

_DRAIN_SLACK = 8


def _writer(handle: object, vals: Sequence[int]) -> tuple[Callable[[int, object], None], list]:
    """(GPI write function, per-vector values in the form it takes) for one input port."""
    width = len(handle)
    top = 1 << width
    bad = next((v for v in vals if not 0 <= v < top), None)
    if bad is not None:
        raise ValueError(f"value {bad:#x} does not fit the {width}-bit port {handle._name}")
    if width <= 32:
        return handle._handle.set_signal_val_int, [int(v) for v in vals]
    fmt = f"0{width}b"
    return handle._handle.set_signal_val_binstr, [format(v, fmt) for v in vals]


def _reader(handle: object) -> Callable[[], int]:
    """A function returning the port's current value as an unsigned int."""
    width = len(handle)
    if width <= 32:
        get, mask = handle._handle.get_signal_val_long, (1 << width) - 1
        return lambda: get() & mask
    get_bin = handle._handle.get_signal_val_binstr
    return lambda: int(get_bin(), 2)


class StreamTestbench:
    """Clock, reset, driver and monitor for one stream DUT.

    ``inputs`` maps each input port name to its per-vector values (Python ints, lanes
    already packed); ``outputs`` names the ports the monitor samples; ``latency`` is the
    unit's documented latency (the monitor waits ``latency + 8`` cycles after the last
    input before giving up on missing outputs). ``progress_every`` logs a line every that
    many vectors (0: never).
    """

    def __init__(self, dut: object, inputs: Mapping[str, Sequence[int]],
                 outputs: Sequence[str], latency: int, progress_every: int = 0) -> None:
        lengths = {len(v) for v in inputs.values()}
        if len(lengths) != 1:
            raise ValueError(f"every input port needs the same vector count, got {lengths}")
        self.dut = dut
        self._in_names = list(inputs)
        self.n = lengths.pop()
        self.latency = int(latency)
        self.progress_every = progress_every
        self._in = [_writer(getattr(dut, name), vals) for name, vals in inputs.items()]
        self._out_names = list(outputs)
        self._out = [_reader(getattr(dut, name)) for name in outputs]
        self.samples: dict[str, list[int]] = {name: [] for name in outputs}
        self.cycles = 0
        self.sim_seconds = 0.0

    async def reset(self) -> None:
        self.dut.i_valid.value = 0
        for name in self._in_names:
            getattr(self.dut, name).value = 0
        self.dut.rst.value = 1
        for _ in range(2):
            await FallingEdge(self.dut.clk)
        self.dut.rst.value = 0

    async def run(self) -> dict[str, list[int]]:
        """Start the clock, reset, stream every vector, collect the outputs; return them."""
        Clock(self.dut.clk, 10, unit="ns").start()  # cocotb 2.x: the clock runs its own task
        await self.reset()
        t0 = time.perf_counter()
        fe = FallingEdge(self.dut.clk)
        o_valid = _reader(self.dut.o_valid)
        i_valid = self.dut.i_valid
        outs = list(zip(self._out, (self.samples[k] for k in self._out_names), strict=True))
        ins = self._in
        last: list[int | None] = [None] * len(ins)
        n, got = self.n, 0
        log = self.dut._log
        limit = n + self.latency + _DRAIN_SLACK
        i_valid.value = 0
        cycle = 0
        while cycle < limit and got < n:
            await fe
            if o_valid():
                for read, store in outs:
                    store.append(read())
                got += 1
            if cycle < n:
                for j, (write, vals) in enumerate(ins):
                    v = vals[cycle]
                    if v != last[j]:
                        write(0, v)  # 0: GPI "deposit", as handle.value = v
                        last[j] = v
                if cycle == 0:
                    i_valid.value = 1
                if self.progress_every and cycle and cycle % self.progress_every == 0:
                    log.info("driven %d / %d vectors", cycle, n)
            elif cycle == n:
                i_valid.value = 0
            cycle += 1
        self.cycles = cycle
        self.sim_seconds = time.perf_counter() - t0
        return self.samples
