"""aios: an agent operating system daemon."""

__version__ = "0.1.0"
