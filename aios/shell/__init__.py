"""The natural-language shell (``aios shell``): a client of the daemon's API."""
