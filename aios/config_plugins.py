"""The configuration's sections for plugins: agents (discovery, Cerebrum venvs) and
the MCP servers used as tools."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from aios.config_sections import _Section

__all__ = ["AgentsConfig", "McpConfig", "McpServerConfig"]


class AgentsConfig(_Section):
    """Agent plugins: where they are found, how isolated ones run (docs/AGENTS.md)."""

    plugin_dirs: list[Path] = Field(
        default_factory=list,
        description="more folders of plugins, beside the repository's plugins/ and "
        "<data_dir>/plugins",
    )
    repo_plugins: bool = Field(
        default=True, description="also the example plugins in the repository's plugins/"
    )
    cerebrum_venvs: Literal["build", "refuse"] = Field(
        default="build",
        description="a Cerebrum agent's virtualenv (<data_dir>/agent-venvs) that does not "
        "exist yet: build it (pip, wheels only), or refuse to run the agent",
    )
    cerebrum_venv_dir: Path | None = Field(
        default=None,
        description="where Cerebrum agents' virtualenvs live; default <data_dir>/agent-venvs",
    )
    cerebrum_venv_timeout_s: float = Field(
        default=300.0, gt=0, le=3600, description="the longest a virtualenv build may take"
    )
    cerebrum_python: str = Field(
        default="/usr/bin/python3",
        description="the interpreter Cerebrum agents' virtualenvs are made with; it must "
        "lie in a folder confined programs see (tools.sandbox.ro_paths)",
    )


class McpServerConfig(_Section):
    """One MCP server whose tools become aios tools named ``<name>.<tool>``."""

    # no dash: "<name>.<tool>" must stay a name the plan language can write
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    transport: Literal["stdio", "http"] = "stdio"
    enabled: bool = True
    # stdio: a program run confined (the sandbox), never unconfined
    command: list[str] = Field(
        default_factory=list, max_length=256, description="stdio: argv, e.g. ['python3', 'srv.py']"
    )
    env: dict[str, str] = Field(default_factory=dict, description="stdio: its environment")
    env_from: dict[str, str] = Field(
        default_factory=dict,
        description="stdio: variables set from the daemon's environment (name -> host "
        "variable), for secrets that must not sit in the config file",
    )
    ro_paths: list[str] = Field(
        default_factory=list, description="stdio: host paths it may read (its code, its data)"
    )
    network: bool = Field(default=False, description="stdio: may it use the network")
    cpu_s: int = Field(
        default=24 * 3600, ge=1, description="stdio: CPU seconds over its life (then restarted)"
    )
    memory_bytes: int | None = Field(default=None, ge=16 * 1024 * 1024)
    max_message_bytes: int = Field(
        default=8 * 2**20,
        ge=1024,
        description="longest JSON-RPC message or HTTP answer it may send",
    )
    # http: the streamable HTTP transport
    url: str | None = Field(default=None, description="http: e.g. http://127.0.0.1:8765/mcp")
    headers: dict[str, str] = Field(default_factory=dict, description="http: plain headers")
    headers_from_env: dict[str, str] = Field(
        default_factory=dict,
        description="http: headers set from the daemon's environment (header -> variable), "
        'e.g. {"Authorization" = "GITHUB_MCP_AUTH"}; never logged',
    )
    # both
    connect_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    call_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    ping_interval_s: float = Field(default=30.0, gt=0, description="liveness check")
    backoff_max_s: float = Field(default=60.0, gt=0, description="longest wait to reconnect")
    max_tools: int = Field(default=256, ge=1, le=10_000)
    max_result_chars: int = Field(default=100_000, ge=100)
    require_approval: list[str] = Field(
        default_factory=lambda: ["destructive"],
        description="calls that wait for a person: risk hints (destructive, open_world, "
        "not_read_only, *) or tool:NAME patterns (a bare NAME is this server's tool); "
        "hints come from the server's annotations, which can only add to these",
    )

    @model_validator(mode="after")
    def _check(self) -> McpServerConfig:
        if self.transport == "stdio" and not self.command:
            raise ValueError(f"mcp server {self.name}: a stdio server needs a command")
        if self.transport == "http" and not (
            self.url and self.url.startswith(("http://", "https://"))
        ):
            raise ValueError(f"mcp server {self.name}: an http server needs an http(s) url")
        return self


class McpConfig(_Section):
    """MCP servers used as tools (the client side; docs/MCP.md)."""

    servers: list[McpServerConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> McpConfig:
        names = [s.name for s in self.servers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"mcp.servers: duplicate names {dupes}")
        return self
