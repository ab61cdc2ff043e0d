"""``convert_units``: an exact unit table as a langchain-core tool.

Every factor is an exact rational number (``fractions.Fraction``) taken from its
definition (the international yard and pound of 1959, the US liquid gallon of 231
cubic inches, the imperial gallon of 4.54609 litres, IEC binary prefixes), and a
conversion is computed exactly and rounded once, to the nearest float. So
``convert(1, "mi", "km")`` is 1.609344, never 1.6093440000000001.

Temperatures convert as absolute temperatures (100 °C is 212 °F), not as
differences. An unknown unit, or two units of different kinds (km to kg), is a
``ValueError`` that says which, and what was meant where it can tell.

This module imports only the standard library and langchain-core: the plugin's
``provides_tools`` entry (``unit_tools:TOOLS``) is loaded into the daemon.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from fractions import Fraction as F

from langchain_core.tools import tool

__all__ = ["TOOLS", "Unit", "convert", "convert_units", "kinds", "lookup"]


@dataclass(frozen=True)
class Unit:
    symbol: str
    kind: str
    factor: F  # the unit in the kind's base unit (m, kg, s, m3, m/s, B, m2); kelvin: see offset
    offset: F = F(0)  # temperatures: kelvin = value * factor + offset


def _u(kind: str, symbol: str, factor: F | int | str, *names: str) -> tuple[Unit, tuple[str, ...]]:
    return Unit(symbol, kind, F(factor)), names


_INCH = F("0.0254")
_FOOT = 12 * _INCH
_YARD = 3 * _FOOT
_MILE = 1760 * _YARD
_POUND = F("0.45359237")
_US_GALLON = 231 * _INCH**3
_IMP_GALLON = F("0.00454609")
_US_FLOZ = _US_GALLON / 128
_IMP_FLOZ = _IMP_GALLON / 160
_DAY = 86400
MAX_MAGNITUDE = 1e300

# (unit, names): the symbol is matched exactly first, then every name without case
_TABLE: list[tuple[Unit, tuple[str, ...]]] = [
    # length (base: metre)
    _u("length", "m", 1, "meter", "metre"),
    _u("length", "km", 1000, "kilometer", "kilometre"),
    _u("length", "cm", F(1, 100), "centimeter", "centimetre"),
    _u("length", "mm", F(1, 1000), "millimeter", "millimetre"),
    _u("length", "um", F(1, 10**6), "µm", "μm", "micrometer", "micrometre", "micron"),
    _u("length", "nm", F(1, 10**9), "nanometer", "nanometre"),
    _u("length", "in", _INCH, "inch", "inches", '"'),
    _u("length", "ft", _FOOT, "foot", "feet", "'"),
    _u("length", "yd", _YARD, "yard"),
    _u("length", "mi", _MILE, "mile", "statute mile"),
    _u("length", "nmi", 1852, "nautical mile", "NM"),
    _u("length", "au", 149_597_870_700, "astronomical unit"),
    _u("length", "ly", 9_460_730_472_580_800, "light year", "light-year", "lightyear"),
    # mass (base: kilogram)
    _u("mass", "kg", 1, "kilogram", "kilo"),
    _u("mass", "g", F(1, 1000), "gram", "gramme"),
    _u("mass", "mg", F(1, 10**6), "milligram"),
    _u("mass", "ug", F(1, 10**9), "µg", "μg", "microgram", "mcg"),
    _u("mass", "t", 1000, "tonne", "metric ton", "metric tonne"),
    _u("mass", "lb", _POUND, "lbs", "pound"),
    _u("mass", "oz", _POUND / 16, "ounce"),
    _u("mass", "st", 14 * _POUND, "stone"),
    _u("mass", "short_ton", 2000 * _POUND, "short ton", "us ton"),
    _u("mass", "long_ton", 2240 * _POUND, "long ton", "imperial ton"),
    _u("mass", "ct", F(1, 5000), "carat"),
    # time (base: second)
    _u("time", "s", 1, "sec", "secs", "second"),
    _u("time", "ms", F(1, 1000), "millisecond"),
    _u("time", "us", F(1, 10**6), "µs", "μs", "microsecond"),
    _u("time", "ns", F(1, 10**9), "nanosecond"),
    _u("time", "min", 60, "mins", "minute"),
    _u("time", "h", 3600, "hr", "hrs", "hour"),
    _u("time", "d", _DAY, "day"),
    _u("time", "wk", 7 * _DAY, "week"),
    _u("time", "fortnight", 14 * _DAY),
    _u("time", "yr", F(36525, 100) * _DAY, "year", "julian year", "yrs", "years"),
    # volume (base: cubic metre)
    _u("volume", "m3", 1, "cubic meter", "cubic metre"),
    _u("volume", "L", F(1, 1000), "l", "liter", "litre"),
    _u("volume", "dL", F(1, 10**4), "deciliter", "decilitre"),
    _u("volume", "cL", F(1, 10**5), "centiliter", "centilitre"),
    _u("volume", "mL", F(1, 10**6), "ml", "milliliter", "millilitre"),
    _u("volume", "cm3", F(1, 10**6), "cc", "cubic centimeter", "cubic centimetre"),
    _u("volume", "ft3", _FOOT**3, "cubic foot", "cubic feet"),
    _u("volume", "in3", _INCH**3, "cubic inch", "cubic inches"),
    _u("volume", "gal", _US_GALLON, "gallon", "us gallon"),
    _u("volume", "qt", _US_GALLON / 4, "quart", "us quart"),
    _u("volume", "pt", _US_GALLON / 8, "pint", "us pint"),
    _u("volume", "cup", _US_GALLON / 16, "cups", "us cup"),
    _u("volume", "floz", _US_FLOZ, "fl oz", "fluid ounce", "us fluid ounce"),
    _u("volume", "tbsp", _US_FLOZ / 2, "tablespoon"),
    _u("volume", "tsp", _US_FLOZ / 6, "teaspoon"),
    _u("volume", "imp_gal", _IMP_GALLON, "imperial gallon", "uk gallon"),
    _u("volume", "imp_pt", _IMP_GALLON / 8, "imperial pint", "uk pint"),
    _u("volume", "imp_floz", _IMP_FLOZ, "imperial fluid ounce", "uk fluid ounce"),
    # speed (base: metre per second)
    _u("speed", "m/s", 1, "mps", "meters per second", "metres per second", "meter per second"),
    _u("speed", "km/h", F(1000, 3600), "kph", "kmh", "kilometers per hour", "kilometres per hour"),
    _u("speed", "mph", _MILE / 3600, "mi/h", "miles per hour", "mile per hour"),
    _u("speed", "kn", F(1852, 3600), "kt", "knot"),
    _u("speed", "ft/s", _FOOT, "fps", "feet per second", "foot per second"),
    # data sizes (base: byte); SI prefixes are powers of 1000, IEC ones of 1024
    _u("data", "bit", F(1, 8), "bits"),
    _u("data", "B", 1, "byte"),
    _u("data", "kB", 1000, "KB", "kilobyte"),
    _u("data", "MB", 1000**2, "megabyte"),
    _u("data", "GB", 1000**3, "gigabyte"),
    _u("data", "TB", 1000**4, "terabyte"),
    _u("data", "PB", 1000**5, "petabyte"),
    _u("data", "KiB", 1024, "kibibyte"),
    _u("data", "MiB", 1024**2, "mebibyte"),
    _u("data", "GiB", 1024**3, "gibibyte"),
    _u("data", "TiB", 1024**4, "tebibyte"),
    _u("data", "PiB", 1024**5, "pebibyte"),
    _u("data", "kbit", F(1000, 8), "Kb", "kilobit"),
    _u("data", "Mbit", F(1000**2, 8), "Mb", "megabit"),
    _u("data", "Gbit", F(1000**3, 8), "Gb", "gigabit"),
    _u("data", "Tbit", F(1000**4, 8), "Tb", "terabit"),
    # area (base: square metre)
    _u("area", "m2", 1, "square meter", "square metre", "sq m"),
    _u("area", "km2", 10**6, "square kilometer", "square kilometre", "sq km"),
    _u("area", "cm2", F(1, 10**4), "square centimeter", "square centimetre"),
    _u("area", "ha", 10**4, "hectare"),
    _u("area", "acre", 4840 * _YARD**2, "ac"),
    _u("area", "ft2", _FOOT**2, "square foot", "square feet", "sq ft"),
    _u("area", "in2", _INCH**2, "square inch", "square inches", "sq in"),
    _u("area", "mi2", _MILE**2, "square mile", "sq mi"),
]
_TEMPERATURES = [
    (Unit("K", "temperature", F(1)), ("kelvin",)),
    (Unit("C", "temperature", F(1), F("273.15")), ("°C", "degC", "celsius", "centigrade")),
    (Unit("F", "temperature", F(5, 9), F("273.15") - F(32 * 5, 9)), ("°F", "degF", "fahrenheit")),
    (Unit("R", "temperature", F(5, 9)), ("°R", "rankine")),
]


def _build() -> tuple[dict[str, Unit], dict[str, list[Unit]]]:
    exact: dict[str, Unit] = {}  # symbols and names as written (MB is not Mb)
    folded: dict[str, list[Unit]] = {}  # every spelling, without case: ambiguous ones refused
    for unit, names in [*_TABLE, *_TEMPERATURES]:
        words = {unit.symbol, *names}
        for w in words:
            exact.setdefault(w, unit)
        # plurals of the spelled-out names: "meters", "miles", "inches" ...
        words |= {
            n + ("es" if n.endswith(("ch", "sh")) else "s")
            for n in names
            if len(n) >= 3 and n.replace(" ", "").isalpha()
        }
        for w in words:
            bucket = folded.setdefault(w.casefold(), [])
            if unit not in bucket:
                bucket.append(unit)
    return exact, folded


_EXACT, _FOLDED = _build()


def _spellings(name: str) -> list[str]:
    s = " ".join(name.strip().split())
    for pre in ("degrees ", "degree ", "deg "):
        if s.casefold().startswith(pre):
            s = s[len(pre) :]
    s = s.replace("²", "2").replace("³", "3").replace("^2", "2").replace("^3", "3")
    out = [s]
    if " per " in s:
        out.append(s.replace(" per ", "/"))
    return out


def lookup(name: str) -> Unit:
    """The unit ``name`` means: a symbol or name as written, else any case if only
    one unit is spelled so (``mb`` could be megabytes or megabits: refused)."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("a unit is needed, e.g. 'km' or 'miles'")
    if len(name) > 64:
        raise ValueError("a unit name is at most 64 characters")
    spellings = _spellings(name)
    for s in spellings:
        if s in _EXACT:
            return _EXACT[s]
    for s in spellings:
        found = _FOLDED.get(s.casefold(), [])
        if len(found) == 1:
            return found[0]
        if found:
            options = " or ".join(f"{u.symbol} ({u.kind})" for u in found)
            raise ValueError(f"unit {name!r} is ambiguous: write {options}")
    speed = _speed(spellings[-1])
    if speed is not None:
        return speed
    close = difflib.get_close_matches(spellings[0].casefold(), list(_FOLDED), n=3, cutoff=0.75)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown unit {name!r} (kinds: {', '.join(kinds())}){hint}")


def _speed(s: str) -> Unit | None:
    """A length per a time ("kilometer/hour", "ft per min") as a unit of speed."""
    num, slash, den = s.partition("/")
    if not slash or "/" in den:
        return None
    try:
        a, b = lookup(num), lookup(den)
    except ValueError:
        return None
    if a.kind != "length" or b.kind != "time":
        return None
    return Unit(f"{a.symbol}/{b.symbol}", "speed", a.factor / b.factor)


def kinds() -> list[str]:
    return sorted({u.kind for u in _EXACT.values()})


def convert(value: float | int | str, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit``, converted to ``to_unit``, exactly then rounded once."""
    src, dst = lookup(from_unit), lookup(to_unit)
    if src.kind != dst.kind:
        raise ValueError(f"cannot convert {src.kind} ({src.symbol}) to {dst.kind} ({dst.symbol})")
    exact = _exact(value)
    base = exact * src.factor + src.offset
    if src.kind == "temperature" and base < 0:
        raise ValueError(f"{value} {src.symbol} is below absolute zero")
    out = (base - dst.offset) / dst.factor
    if abs(out) > MAX_MAGNITUDE:
        raise ValueError("the result is too large")
    return float(out)


def _exact(value: float | int | str) -> F:
    if isinstance(value, bool):
        raise ValueError("the value must be a number")
    if isinstance(value, str):
        text = value
        try:
            value = float(text.strip()[:64])
        except ValueError:
            raise ValueError(f"not a number: {text[:40]!r}") from None
    if not isinstance(value, (int, float)):
        raise ValueError("the value must be a number")
    if not (isinstance(value, int) or math.isfinite(value)) or abs(value) > MAX_MAGNITUDE:
        raise ValueError(
            f"the value must be a finite number of magnitude at most {MAX_MAGNITUDE:g}"
        )
    # str() of a float is its shortest decimal form: 0.1 means one tenth, not 0.1000000000000000055
    return F(value) if isinstance(value, int) else F(repr(value))


@tool
def convert_units(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a quantity between units of length, mass, time, temperature, volume,
    speed, area or data size, e.g. value=5, from_unit="km", to_unit="mi". Returns the
    number in to_unit."""
    return convert(value, from_unit, to_unit)


TOOLS = [convert_units]
