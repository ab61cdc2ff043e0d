import os
import socket
from pathlib import Path

import requests
from cerebrum.agents.base import BaseAgent


class NetProbe(BaseAgent):
    """Tries what a confined agent must not do: reach the network (TCP, DNS, and
    an HTTP request to the internet) and read the host's files (the task names one). Reports each
    attempt's outcome; the test asserts every one failed."""

    def __init__(self, agent_name, task_input, config_):
        super().__init__(agent_name, task_input, config_)
        self.task_input = task_input

    def run(self):
        out = {}

        def attempt(name, fn):
            try:
                out[name] = "ok: " + str(fn())[:200]
            except Exception as exc:  # the expected outcome
                out[name] = f"failed: {type(exc).__name__}: {exc}"[:300]

        attempt("tcp", lambda: socket.create_connection(("1.1.1.1", 80), timeout=3))
        attempt("dns", lambda: socket.getaddrinfo("example.com", 80))
        attempt("http", lambda: requests.get("http://example.com/", timeout=3).status_code)
        attempt("passwd", lambda: Path("/etc/passwd").read_text())
        attempt("root_home", lambda: os.listdir("/root"))
        attempt("task_path", lambda: Path(self.task_input).read_text())
        return out
