"""Timezone names: an IANA zone, or the zone a city names. Shared by the clock tool
and the planner's anchors (a timezone argument is a zone the question names)."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

__all__ = ["resolve_zone", "zones_in"]

MAX_WORDS = 3  # "buenos aires", "port of spain"
_ABBREVIATIONS = {"utc": "UTC", "gmt": "GMT"}


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


# the areas whose zones are named after cities (not Canada/Central, Brazil/East, US/...;
# not Antarctica's stations, named after people: Casey, Davis, Palmer)
_CITY_AREAS = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/",
               "Pacific/")  # fmt: skip
# last parts of zone names that are common words, never read as a city in a request
_NOT_CITIES = frozenset(
    "north south east west central eastern western pacific atlantic mountain general "
    "wake christmas easter jersey midway stanley victoria queensland tasmania act nsw "
    "lhi yancowinna canberra".split()
)


@cache
def _by_city() -> dict[str, str]:
    """Each IANA zone's city (``tokyo``, ``new_york``) to the zone, first one winning."""
    out: dict[str, str] = {}
    for name in sorted(_zones()):
        city = name.rsplit("/", 1)[-1].casefold()
        if name.startswith(_CITY_AREAS) and city not in _NOT_CITIES:
            out.setdefault(city, name)
    return out


def resolve_zone(timezone: str) -> str | None:
    """An IANA zone name for ``timezone``: itself, or the zone a city names
    ("tokyo": "Asia/Tokyo", "new york": "America/New_York"); None if none."""
    text = timezone.strip()
    if not text or len(text) > 64:
        return None
    if text in _zones():  # never a raw path into the zone database ("Europe" is a folder)
        return text
    key = "_".join(text.replace("-", " ").split()).casefold()
    return _ABBREVIATIONS.get(key) or _by_city().get(key)


def zones_in(words: list[str]) -> list[str]:
    """The zones a text's words name, in order, each once: a zone name ("Europe/Paris"),
    "UTC", or a city of one to three words ("lima", "new york")."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
            zone = resolve_zone(" ".join(words[i : i + n]))
            if zone is not None:
                if zone not in out:
                    out.append(zone)
                i += n
                break
        else:
            i += 1
    return out
