"""Benchmarks: each module has ``run() -> list[Record]`` and runs its own baseline."""
