from cerebrum.agents.base import BaseAgent


class BadRequirement(BaseAgent):
    """Never runs: no release of its requirement has that version."""

    def run(self):
        import aios_no_such_package  # noqa: F401

        return {"result": "unreachable"}
