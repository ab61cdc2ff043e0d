"""Configuration loading for the ingest service."""

import json


def parse_config_v2(path):
    """Read a version-2 configuration file and fill in defaults."""
    with open(path) as fh:
        data = json.load(fh)
    data.setdefault("workers", 4)
    data.setdefault("retries", 3)
    return data
