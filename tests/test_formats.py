"""The format registry against the table of the numeric contract (docs/numerics.md)."""

from fractions import Fraction

import pytest

from golden.formats import (
    FormatSpec,
    block_format_names,
    element_format_names,
    format_names,
    get_format,
    posit,
)

# name: (bits, max finite, min positive (subnormal), MX emax) as docs/numerics.md writes them.
CONTRACT_TABLE = {
    "fp4_e2m1": (4, Fraction(6), Fraction(1, 2), 2),
    "fp6_e2m3": (6, Fraction(15, 2), Fraction(1, 8), 2),
    "fp6_e3m2": (6, Fraction(28), Fraction(1, 16), 4),
    "fp8_e4m3": (8, Fraction(448), Fraction(1, 2**9), 8),
    "fp8_e5m2": (8, Fraction(57344), Fraction(1, 2**16), 15),
    "int8": (8, Fraction(127), Fraction(1), 6),
    "e8m0": (8, Fraction(2**127), Fraction(1, 2**127), 127),
}

ISSUE_ELEMENT_NAMES = [
    "fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "fp8_e4m3", "fp8_e5m2", "int8", "int4", "int2",
    "ternary", "bin1", "e8m0", "fp16", "bf16", "fp32", "posit8", "posit16",
]
ISSUE_BLOCK_NAMES = ["mxfp4", "mxfp6_e2m3", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8",
                     "nvfp4"]


@pytest.mark.parametrize("name", sorted(CONTRACT_TABLE))
def test_contract_table(name: str) -> None:
    bits, max_finite, min_pos, emax = CONTRACT_TABLE[name]
    spec = get_format(name)
    assert spec.bits == bits
    assert spec.max_finite_exact == max_finite
    assert spec.min_positive_exact == min_pos
    assert spec.emax == emax


def test_every_issue_format_is_registered() -> None:
    names = set(format_names())
    assert set(ISSUE_ELEMENT_NAMES) <= names
    assert set(ISSUE_BLOCK_NAMES) <= names
    assert set(block_format_names()) == set(ISSUE_BLOCK_NAMES)
    assert not set(element_format_names()) & set(block_format_names())


def test_ieee_formats() -> None:
    fp16, bf16, fp32 = get_format("fp16"), get_format("bf16"), get_format("fp32")
    assert fp16.max_finite == 65504.0
    assert fp16.min_positive == 2.0**-24
    assert bf16.max_finite == float(Fraction(2**8 - 1, 2**7) * 2**127)
    assert fp32.max_finite == float(Fraction(2**24 - 1, 2**23) * 2**127)
    assert fp32.min_positive == 2.0**-149


def test_block_formats() -> None:
    for name in ISSUE_BLOCK_NAMES[:-1]:
        spec = get_format(name)
        assert spec.is_block and spec.block_size == 32 and spec.scale.name == "e8m0"
    mxint8 = get_format("mxint8")
    assert mxint8.element.scale_exp == -6
    assert mxint8.element.max_finite_exact == Fraction(127, 64)
    assert mxint8.element.emax == 0
    nv = get_format("nvfp4")
    assert nv.block_size == 16 and nv.scale.name == "fp8_e4m3" and nv.tensor_scale
    assert nv.element.name == "fp4_e2m1"


def test_small_integer_ranges() -> None:
    assert (get_format("int4").int_min, get_format("int4").int_max) == (-8, 7)
    assert (get_format("int2").int_min, get_format("int2").int_max) == (-2, 1)
    assert (get_format("ternary").int_min, get_format("ternary").int_max) == (-1, 1)
    assert get_format("bin1").bits == 1


@pytest.mark.parametrize(("name", "n", "es"), [
    ("posit8", 8, 2), ("posit16", 16, 2), ("posit32", 32, 2),
    ("posit4_es1", 4, 1), ("posit8_es0", 8, 0), ("posit16_es1", 16, 1), ("posit2_es4", 2, 4),
])
def test_posit_names(name: str, n: int, es: int) -> None:
    spec = get_format(name)
    assert (spec.kind, spec.bits, spec.es) == ("posit", n, es)
    assert spec == posit(n, es)
    assert spec.name == name or (es == 2 and spec.name == f"posit{n}")
    useed_exp = 2**es
    assert spec.max_finite_exact == Fraction(2) ** (useed_exp * (n - 2))
    assert spec.min_positive_exact == Fraction(2) ** (-useed_exp * (n - 2))


def test_spec_passes_through_and_is_frozen() -> None:
    spec = get_format("mxfp4")
    assert get_format(spec) is spec
    with pytest.raises(AttributeError):
        spec.bits = 5  # type: ignore[misc]


@pytest.mark.parametrize("bad", ["fp5", "MXFP4", "posit", "posit8_es", ""])
def test_unknown_format_lists_valid_names(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown format") as info:
        get_format(bad)
    assert "mxfp4" in str(info.value) and "fp8_e4m3" in str(info.value)


@pytest.mark.parametrize("bad", ["posit1", "posit33", "posit8_es5"])
def test_posit_name_out_of_range(bad: str) -> None:
    with pytest.raises(ValueError, match=r"posit .* must be an integer in"):
        get_format(bad)


@pytest.mark.parametrize("bad", [3, None, 1.5, b"mxfp4"])
def test_non_string_format_is_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="format must be"):
        get_format(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("n", "es"), [(1, 2), (33, 2), (8, 5), (8, -1)])
def test_posit_parameter_errors(n: int, es: int) -> None:
    with pytest.raises(ValueError, match="posit"):
        posit(n, es)


def test_formatspec_repr_is_short() -> None:
    assert repr(get_format("nvfp4")) == "FormatSpec('nvfp4')"
    assert isinstance(get_format("nvfp4").element, FormatSpec)
