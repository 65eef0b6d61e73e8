"""posit<n, es> decoder: code -> sign, regime, exponent, fraction and a raw record.

Follows the stages of :func:`golden.posit.posit_fields` (Posit Standard 2022): a negative
code is replaced by its two's complement, a leading-zero counter on the n - 1 bits after the
sign (inverted when they start with a one) measures the regime run ``m``, the same shifter
moves the run and its terminating bit out, and the exponent and fraction are read from the
top of what remains (bits cut off by the end of the pattern read as zeros).
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec
from golden.posit import posit_spec
from hw.common.decode import signed_width

__all__ = [
    "DECODE_MUTATIONS",
    "PositDecoder",
    "check_posit_mutation",
    "fraction_width",
    "regime_width",
    "scale_width",
]

DECODE_MUTATIONS = ("regime",)


def fraction_width(spec: FormatSpec) -> int:
    """Most fraction bits any code of posit<n, es> carries: ``max(n - 3 - es, 0)``."""
    return max(spec.bits - 3 - spec.es, 0)


def regime_width(spec: FormatSpec) -> int:
    """Width of the signed regime k (covers ``-(n-1) .. n-1``, one beyond either end)."""
    return signed_width(-(spec.bits - 1), spec.bits - 1)


def scale_width(spec: FormatSpec) -> int:
    """Width of the signed scale ``k * 2^es + e`` (covers one regime beyond either end)."""
    return signed_width(-(spec.bits - 1) << spec.es, spec.bits << spec.es)


def check_posit_mutation(unit: str, mutation: str | None, allowed: tuple[str, ...]) -> None:
    """Raise ``ValueError`` unless ``mutation`` is ``None`` or one of ``allowed``."""
    if mutation is not None and mutation not in allowed:
        raise ValueError(f"{unit} mutation must be None or one of {', '.join(allowed)}, "
                         f"not {mutation!r}")


def _run_shift(m: Module, x, r, name: str) -> tuple[Signal, Signal]:
    """Shift ``x`` left until its msb is set, moving ``r`` (as wide or wider) in lockstep.

    Returns ``(count, r_shifted)``: a log-depth chain of conditional shifts by 2^j. ``count``
    is the number of leading zeros of ``x`` (for ``x == 0`` it is at least ``len(x)`` and
    ``r`` shifts by the same amount, truncated to its width).
    """
    w, rw = len(x), len(r)
    stages = max(1, w.bit_length())
    count = Signal(stages, name=f"{name}_count")
    cx, cr = x, r
    for j in reversed(range(stages)):
        step = 1 << j
        top_zero = ~cx[max(w - step, 0):].any()
        nx, nr = Signal(w, name=f"{name}_x{j}"), Signal(rw, name=f"{name}_r{j}")
        m.d.comb += [nx.eq(Mux(top_zero, cx << step, cx)), nr.eq(Mux(top_zero, cr << step, cr)),
                     count[j].eq(top_zero)]
        cx, cr = nx, nr
    return count, cr


class PositDecoder(wiring.Component):
    """Decode one posit<n, es> code. Combinational.

    For a code other than zero and NaR: ``value = (-1)**sign * 2**scale * (1 + fraction /
    2**frac_width)`` with ``scale = regime * 2**es + exponent``, the same numbers as
    :func:`golden.posit.posit_fields` except that ``fraction`` is left-aligned to the fixed
    ``frac_width`` bits (golden's ``f << (frac_width - fraction_bits)``). As a raw record:
    ``value = (-1)**sign * sig * 2**exp`` with ``sig = {1, fraction}`` and
    ``exp = scale - frac_width``. Zero and NaR give ``regime = exponent = fraction = 0``,
    ``sig = 0`` and their flag (``sign`` is 0 for zero, 1 for NaR).

    Parameters
    ----------
    fmt : FormatSpec or str
        A posit format (kind ``"posit"``, 2 <= n <= 32, 0 <= es <= 4).
    mutation : str or None
        ``None`` or ``"regime"`` (a deliberate bug for mutation tests: the regime is one too
        large, as if the run length were miscounted).

    Attributes
    ----------
    code : In(n)
        The posit code.
    sign, is_zero, is_nar : Out(1)
        Sign bit and class flags.
    regime : Out(signed(regime_width))
        k: ``m - 1`` for a run of ``m`` ones, ``-m`` for a run of ``m`` zeros.
    exponent : Out(max(es, 1))
        e (absent bits read as 0); a constant 0 bit when es = 0.
    fraction : Out(max(frac_width, 1))
        Fraction bits after the exponent, left-aligned (a constant 0 bit when frac_width
        is 0: ports are never zero bits wide, which Verilog cannot express).
    scale : Out(signed(scale_width))
        ``regime * 2**es + exponent``, in ``[-(n-2) * 2**es, (n-2) * 2**es]``.
    sig : Out(frac_width + 1)
        ``{hidden, fraction}`` with hidden = 1 except for zero and NaR.
    exp : Out(signed(scale_width + 1))
        ``scale - frac_width``: the weight of ``sig``'s lsb.
    frac_width, regime_width, scale_width : int
        Widths derived from the format.
    """

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        if not isinstance(fmt, FormatSpec | str):
            raise TypeError(f"PositDecoder fmt must be a format name or FormatSpec, "
                            f"not {type(fmt).__name__}")
        self.fmt = posit_spec(fmt)
        check_posit_mutation("PositDecoder", mutation, DECODE_MUTATIONS)
        self.mutation = mutation
        n, es = self.fmt.bits, self.fmt.es
        self.frac_width = fraction_width(self.fmt)
        self.regime_width = regime_width(self.fmt)
        self.scale_width = scale_width(self.fmt)
        super().__init__({
            "code": In(n),
            "sign": Out(1), "is_zero": Out(1), "is_nar": Out(1),
            "regime": Out(signed(self.regime_width)),
            "exponent": Out(max(es, 1)),
            "fraction": Out(max(self.frac_width, 1)),
            "scale": Out(signed(self.scale_width)),
            "sig": Out(self.frac_width + 1),
            "exp": Out(signed(self.scale_width + 1)),
        })

    def elaborate(self, platform) -> Module:
        m = Module()
        n, es, fw = self.fmt.bits, self.fmt.es, self.frac_width
        w = n - 1
        code = self.code
        sign = code[w]
        special = Signal()
        m.d.comb += [
            self.sign.eq(sign),
            self.is_zero.eq(~code.any()),
            self.is_nar.eq(sign & ~code[:w].any()),
            special.eq(~code[:w].any()),
        ]
        # Two's complement of negative codes: the magnitude's n - 1 bits after the sign.
        rem = Signal(w)
        m.d.comb += rem.eq(Mux(sign, -code, code)[:w])
        first = rem[w - 1]
        run = Signal(w)  # the regime run as leading zeros
        m.d.comb += run.eq(Mux(first, ~rem, rem))
        body_w = max(w, es + fw)
        body_in = Signal(body_w)
        m.d.comb += body_in.eq(Cat(Const(0, body_w - w), rem))
        count, shifted = _run_shift(m, run, body_in, "regime")
        run_len = Signal(range(w + 1))
        m.d.comb += run_len.eq(Mux(count >= w, w, count))
        # Drop the terminating bit: exponent, then fraction, at the top.
        body = Signal(body_w)
        m.d.comb += body.eq(shifted << 1)
        k = Signal(signed(self.regime_width))
        m.d.comb += k.eq(Mux(first, run_len - 1, -run_len))
        if self.mutation == "regime":
            k_out = Signal(signed(self.regime_width))
            m.d.comb += k_out.eq(k + 1)
        else:
            k_out = k
        e = body[body_w - es:] if es else Const(0, 1)
        frac = body[body_w - es - fw:body_w - es] if fw else Const(0, 1)
        m.d.comb += [
            self.regime.eq(Mux(special, 0, k_out)),
            self.scale.eq(Mux(special, 0, (k_out << es) | e)),
            self.exp.eq(self.scale - fw),
            self.sig.eq(Mux(special, 0, Cat(frac if fw else Const(0, 0), Const(1, 1)))),
        ]
        m.d.comb += [self.exponent.eq(Mux(special, 0, e)),
                     self.fraction.eq(frac << (len(self.fraction) - len(frac)))]
        return m
