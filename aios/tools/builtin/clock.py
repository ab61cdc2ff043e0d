"""The current date and time."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from langchain_core.tools import tool

__all__ = ["current_time", "resolve_zone"]


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _by_city() -> dict[str, str]:
    """Each IANA zone's city (``tokyo``, ``new_york``) to the zone, first one winning."""
    out: dict[str, str] = {}
    for name in sorted(_zones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            out.setdefault(name.rsplit("/", 1)[1].casefold(), name)
    return out


def resolve_zone(timezone: str) -> str | None:
    """An IANA zone name for ``timezone``: itself, or the zone a city names
    ("tokyo": "Asia/Tokyo", "new york": "America/New_York"); None if none."""
    text = timezone.strip()
    if not text or len(text) > 64:
        return None
    if text in _zones():  # never a raw path into the zone database ("Europe" is a folder)
        return text
    return _by_city().get("_".join(text.replace("-", " ").split()).casefold())


@tool
def current_time(timezone: str = "UTC") -> str:
    """What time or date it is now, in a timezone (an IANA name such as "Europe/Paris",
    or a city such as "Tokyo")."""
    name = resolve_zone(timezone)
    if name is None:
        raise ValueError(f"unknown timezone {timezone[:64]!r} (an IANA name or a city)")
    return datetime.now(ZoneInfo(name)).isoformat(timespec="seconds")
