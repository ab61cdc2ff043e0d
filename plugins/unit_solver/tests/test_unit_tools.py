"""convert_units: exact against the units' definitions; clear refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

PLUGIN = Path(__file__).resolve().parents[1]


@pytest.fixture
def units(plugin_module: Callable[[Path, str], ModuleType]) -> Any:
    return plugin_module(PLUGIN, "unit_tools")


# (value, from, to, the exact result by definition)
EXACT = [
    (1, "mi", "km", 1.609344),
    (1, "in", "cm", 2.54),
    (3, "feet", "inches", 36),
    (1, "nautical mile", "m", 1852),
    (1, "yd", "m", 0.9144),
    (26.2, "miles", "km", 42.1648128),
    (1, "lb", "g", 453.59237),
    (16, "oz", "lb", 1),
    (1, "stone", "lb", 14),
    (1, "t", "kg", 1000),
    (1, "h", "s", 3600),
    (1, "week", "hours", 168),
    (1, "yr", "days", 365.25),
    (90, "min", "h", 1.5),
    (100, "C", "F", 212),
    (-40, "celsius", "fahrenheit", -40),
    (0, "K", "C", -273.15),
    (212, "°F", "K", 373.15),
    (0, "R", "K", 0),
    (1, "gal", "L", 3.785411784),
    (1, "imperial gallon", "L", 4.54609),
    (1, "cup", "floz", 8),
    (1, "tbsp", "tsp", 3),
    (1, "m3", "L", 1000),
    (1, "mL", "cm3", 1),
    (36, "km/h", "m/s", 10),
    (60, "mph", "km/h", 96.56064),
    (1, "knot", "km/h", 1.852),
    (1, "kilometer per hour", "m/s", 1 / 3.6),
    (10, "ft/min", "mm/s", 50.8),
    (1, "GiB", "B", 1024**3),
    (1, "GB", "MB", 1000),
    (1, "Gbit", "MB", 125),
    (8, "Mb", "MB", 1),
    (1, "TiB", "GiB", 1024),
    (1, "acre", "m2", 4046.8564224),
    (1, "ha", "m²", 10_000),
    (1, "mi2", "acre", 640),
]


@pytest.mark.parametrize(("value", "src", "dst", "expected"), EXACT)
def test_conversion_is_exact(units: Any, value: float, src: str, dst: str, expected: float) -> None:
    assert units.convert(value, src, dst) == expected


def test_decimal_inputs_mean_their_decimal_value(units: Any) -> None:
    # 0.1 as a float is 0.1000000000000000055...; the table takes it as one tenth
    assert units.convert(0.1, "m", "cm") == 10
    assert units.convert(0.3, "km", "m") == 300
    assert units.convert("2.5", "h", "min") == 150


def test_round_trip_is_the_identity(units: Any) -> None:
    for value in (1, 3.7, 1234.5678, 1e-9, 1e12):
        for a, b in [("mi", "km"), ("lb", "kg"), ("F", "C"), ("gal", "imp_gal"), ("KiB", "kB")]:
            assert units.convert(units.convert(value, a, b), b, a) == pytest.approx(
                value, rel=1e-15
            )


@pytest.mark.parametrize(
    ("src", "dst", "message"),
    [
        ("km", "kg", "cannot convert length (km) to mass (kg)"),
        ("C", "m", "cannot convert temperature (C) to length (m)"),
        ("GB", "s", "cannot convert data (GB) to time (s)"),
        ("mph", "km", "cannot convert speed (mph) to length (km)"),
    ],
)
def test_incompatible_units_are_refused(units: Any, src: str, dst: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        units.convert(1, src, dst)


def test_unknown_unit_names_the_kinds_and_suggests(units: Any) -> None:
    with pytest.raises(ValueError, match=r"unknown unit .blorb.*kinds: area, data, length"):
        units.convert(1, "blorb", "m")
    with pytest.raises(ValueError, match="did you mean 'meter'"):
        units.convert(1, "meterz", "m")
    with pytest.raises(ValueError, match="unknown unit 'kg/h'"):
        units.convert(1, "kg/h", "m/s")  # a mass per time is no speed


def test_ambiguous_spelling_is_refused_not_guessed(units: Any) -> None:
    # megabytes or megabits? a factor of 8 apart: ask, never guess
    with pytest.raises(ValueError, match=r"ambiguous: write MB .* or Mbit"):
        units.convert(1, "mb", "B")
    assert units.convert(1, "MB", "B") == 1_000_000
    assert units.convert(1, "Mb", "B") == 125_000


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (10**400, "magnitude"),
        ("1e999999999", "magnitude"),  # never a 10**999999999 computed
        ("twelve", "not a number"),
        (True, "must be a number"),
    ],
)
def test_bad_values_are_refused(units: Any, value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        units.convert(value, "m", "km")


def test_below_absolute_zero_and_overflow(units: Any) -> None:
    with pytest.raises(ValueError, match="below absolute zero"):
        units.convert(-300, "C", "K")
    with pytest.raises(ValueError, match="too large"):
        units.convert(1e299, "ly", "nm")
    with pytest.raises(ValueError, match="a unit is needed"):
        units.convert(1, " ", "m")
    with pytest.raises(ValueError, match="at most 64"):
        units.convert(1, "m" * 65, "m")


def test_the_tool_has_the_planners_schema(units: Any) -> None:
    tool = units.convert_units
    assert [tool] == units.TOOLS and tool.name == "convert_units"
    props = tool.tool_call_schema.model_json_schema()["properties"]
    assert set(props) == {"value", "from_unit", "to_unit"}
    assert tool.invoke({"value": 5, "from_unit": "km", "to_unit": "m"}) == 5000
    with pytest.raises(ValueError, match="cannot convert"):
        tool.invoke({"value": 5, "from_unit": "km", "to_unit": "kg"})
