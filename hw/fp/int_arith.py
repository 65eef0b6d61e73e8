"""Exact two's complement integer adder and multiplier (the integer twins of FloatAdd/FloatMul).

Both take one ``"int"`` :class:`~golden.formats.FormatSpec` (int8, int4, or any ``int{n}``
of :func:`golden.formats.get_format`) and keep the full result: ``IntAdd`` outputs the
``bits + 1``-bit sum, ``IntMul`` the ``2 * bits``-bit product, so neither ever overflows or
rounds. Same stream interface as the float units (valid-only, latency 1, registered output).
"""

from __future__ import annotations

from amaranth import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from golden.formats import FormatSpec, get_format
from hw.common.float_round import check_mutation

__all__ = ["INT_ADD_MUTATIONS", "INT_MUL_MUTATIONS", "IntAdd", "IntMul", "check_int_format"]

INT_ADD_MUTATIONS = ("no_carry",)
INT_MUL_MUTATIONS = ("unsigned",)


def check_int_format(unit: str, fmt: FormatSpec | str) -> FormatSpec:
    """The spec of ``fmt`` if it is an unscaled two's complement integer format, else
    ``ValueError`` (block elements with a scale such as mxint8's are rejected)."""
    spec = get_format(fmt)
    if spec.kind != "int" or spec.scale_exp != 0:
        raise ValueError(f"{unit} fmt must be an unscaled two's complement integer format "
                         f"(int8, int4, int{{n}}), not {spec.name!r}")
    return spec


class _IntBinary(wiring.Component):
    """Shared constructor and pipeline of :class:`IntAdd` and :class:`IntMul`."""

    latency = 1
    _port = ""
    _mutations: tuple[str, ...] = ()

    def __init__(self, *, fmt: FormatSpec | str, mutation: str | None = None) -> None:
        unit = type(self).__name__
        check_mutation(unit, mutation, self._mutations)
        self.fmt = check_int_format(unit, fmt)
        self.mutation = mutation
        n = self.fmt.bits
        self.out_width = self._out_width(n)
        super().__init__({"i_valid": In(1), "a": In(n), "b": In(n),
                          "o_valid": Out(1), self._port: Out(self.out_width)})

    @staticmethod
    def _out_width(bits: int) -> int:
        raise NotImplementedError

    def _result(self, a, b):
        raise NotImplementedError

    def elaborate(self, platform) -> Module:
        m = Module()
        out = getattr(self, self._port)
        m.d.sync += self.o_valid.eq(self.i_valid)
        with m.If(self.i_valid):
            m.d.sync += out.eq(self._result(self.a.as_signed(), self.b.as_signed()))
        return m


class IntAdd(_IntBinary):
    """Exact integer adder: ``sum = a + b`` as a ``fmt.bits + 1``-bit two's complement code.

    Stream interface: valid-only pipeline, ``latency = 1``; the output register loads on a
    cycle with ``i_valid`` and holds otherwise. Matches ``golden.arith.int_add``.

    Parameters
    ----------
    fmt : FormatSpec or str
        An unscaled two's complement integer format (``kind == "int"``, ``scale_exp == 0``):
        int4, int8, ``int{n}``.
    mutation : str or None
        ``None`` or ``"no_carry"`` (the sum wraps to ``fmt.bits`` bits and is sign-extended:
        overflow is lost), a deliberate bug for mutation tests.

    Attributes
    ----------
    i_valid : In(1)
        ``a`` and ``b`` hold an input.
    a, b : In(fmt.bits)
        Two's complement operand codes.
    o_valid : Out(1)
        ``sum`` holds the result of the input accepted ``latency`` cycles earlier.
    sum : Out(fmt.bits + 1)
        Two's complement code of the exact sum.
    latency : int
        1.
    """

    _port = "sum"
    _mutations = INT_ADD_MUTATIONS

    @staticmethod
    def _out_width(bits: int) -> int:
        return bits + 1

    def _result(self, a, b):
        if self.mutation == "no_carry":
            return (a + b)[:self.fmt.bits].as_signed()
        return a + b


class IntMul(_IntBinary):
    """Exact integer multiplier: ``prod = a * b`` as a ``2 * fmt.bits``-bit two's complement
    code.

    Stream interface: valid-only pipeline, ``latency = 1``; the output register loads on a
    cycle with ``i_valid`` and holds otherwise. Matches ``golden.arith.int_mul``.

    Parameters
    ----------
    fmt : FormatSpec or str
        An unscaled two's complement integer format (``kind == "int"``, ``scale_exp == 0``):
        int4, int8, ``int{n}``.
    mutation : str or None
        ``None`` or ``"unsigned"`` (the codes are multiplied as unsigned integers), a
        deliberate bug for mutation tests.

    Attributes
    ----------
    i_valid : In(1)
        ``a`` and ``b`` hold an input.
    a, b : In(fmt.bits)
        Two's complement operand codes.
    o_valid : Out(1)
        ``prod`` holds the result of the input accepted ``latency`` cycles earlier.
    prod : Out(2 * fmt.bits)
        Two's complement code of the exact product.
    latency : int
        1.
    """

    _port = "prod"
    _mutations = INT_MUL_MUTATIONS

    @staticmethod
    def _out_width(bits: int) -> int:
        return 2 * bits

    def _result(self, a, b):
        if self.mutation == "unsigned":
            return a.as_unsigned() * b.as_unsigned()
        return a * b
