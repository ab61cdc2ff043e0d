"""The plugin manifest: what a plugin is and what it may do.

Read from ``aios-plugin.toml`` in the plugin's folder, or from ``[tool.aios]`` in
its ``pyproject.toml``::

    name = "unit-solver"
    version = "0.1.0"
    description = "Solves arithmetic and unit conversions"
    entry = "unit_solver:UnitSolver"     # module:attr, relative to the folder
    isolated = false
    [capabilities]
    tools = ["calculator"]
    fs_read = ["~", "docs"]
    llm_token_budget = 20000

The requested capabilities become the process's kernel ``Capabilities``: the kernel
enforces them, and a person approves them on the plugin's first run.

This module imports nothing of the kernel at import time (``Capabilities`` is
imported when a manifest is turned into one).
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from aios.config_plugins import McpServerConfig

if TYPE_CHECKING:
    from aios.kernel.caps import Capabilities

__all__ = [
    "MANIFEST_FILE",
    "Manifest",
    "ManifestError",
    "Plugin",
    "PluginCapabilities",
    "find_manifest",
    "load_manifest",
    "parse_manifest",
    "server_paths",
]

MANIFEST_FILE = "aios-plugin.toml"
_ENTRY = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
_MAX_MANIFEST_BYTES = 256 * 1024
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class ManifestError(ValueError):
    """A manifest that cannot be used; the message names the file and the bad key."""


class PluginCapabilities(BaseModel):
    """What a plugin asks for. Anything left out gets the kernel's least-privilege
    default (its home folder ``~``, the tools that reach no host, the default
    syscalls)."""

    model_config = ConfigDict(extra="forbid")

    tools: list[str] | None = Field(
        default=None, max_length=256, description='tool names or patterns (default "@local")'
    )
    mcp_servers: list[str] = Field(
        default_factory=list,
        max_length=64,
        description='MCP servers whose tools it may call (the tools "<server>.*")',
    )
    fs_read: list[str] | None = Field(
        default=None, max_length=256, description='LSFS folders it reads (default "~")'
    )
    fs_write: list[str] | None = Field(
        default=None, max_length=256, description='LSFS folders it writes (default "~")'
    )
    max_priority: int = Field(default=0, ge=-100, le=100)
    llm_token_budget: int | None = Field(
        default=None, ge=0, le=2**53, description="prompt+completion tokens over its life"
    )
    approvals: list[str] = Field(
        default_factory=list, max_length=256, description="calls that need a person"
    )
    syscalls: list[str] | None = Field(
        default=None, max_length=256, description="default: the least-privilege defaults"
    )

    @field_validator("mcp_servers")
    @classmethod
    def _printable(cls, values: list[str]) -> list[str]:
        for v in values:  # shown to the person who consents, as tools "<server>.*"
            if any(unicodedata.category(c) in ("Cc", "Cf") for c in v):
                raise ValueError(f"control or format characters in {v[:100]!r}")
        return values

    def to_capabilities(self, extra_servers: list[str] | None = None) -> Capabilities:
        """The kernel capabilities these requests grant (validated there too: a bad
        LSFS folder is refused by ``Capabilities``)."""
        from aios.kernel.caps import LOCAL_TOOLS, Capabilities

        servers = [*self.mcp_servers, *(extra_servers or [])]
        tools = [LOCAL_TOOLS] if self.tools is None else list(self.tools)
        tools += [f"{s}.*" for s in dict.fromkeys(servers) if f"{s}.*" not in tools]
        fields: dict[str, Any] = {
            "tools": tools,
            "approvals": list(self.approvals),
            "max_priority": self.max_priority,
            "llm_tokens": self.llm_token_budget,
        }
        for key in ("fs_read", "fs_write", "syscalls"):
            value = getattr(self, key)
            if value is not None:
                fields[key] = list(value)
        return Capabilities(**fields)


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+_-]*$", max_length=64)
    description: str = Field(default="", max_length=2000)
    entry: str | None = Field(
        default=None, pattern=_ENTRY, description="module:attr of the agent, in the folder"
    )
    isolated: bool = Field(default=False, description="always run in a confined OS process")
    capabilities: PluginCapabilities = Field(default_factory=PluginCapabilities)
    provides_tools: str | None = Field(
        default=None,
        pattern=_ENTRY,
        description="module:attr of a list of langchain-core tools (or a function "
        "returning one), registered in the daemon",
    )
    mcp_servers: list[McpServerConfig] = Field(default_factory=list, max_length=32)

    @field_validator("description")
    @classmethod
    def _plain_text(cls, text: str) -> str:
        """Lines of text: no escapes, carriage returns or bidi overrides that could
        make the consent question read otherwise than it grants."""
        for c in text:
            if (unicodedata.category(c) == "Cc" and c not in "\n\t") or c in _BIDI:
                raise ValueError(f"control or format character {c!r} in the description")
        return text

    @field_validator("mcp_servers")
    @classmethod
    def _confined_servers(cls, servers: list[McpServerConfig]) -> list[McpServerConfig]:
        """A plugin's servers start with the daemon, before anyone consents: they get
        none of the daemon's secrets, no network, and read only the plugin's folder.
        Anything more is the admin's to configure (``mcp.servers``)."""
        for s in servers:
            why = (
                "an http server (the daemon would connect to it)"
                if s.transport != "stdio"
                else "env_from (the daemon's environment)"
                if s.env_from or s.headers_from_env
                else "network = true"
                if s.network
                else "ro_paths outside the plugin folder"
                if any(p.startswith(("/", "~")) or ".." in p.split("/") for p in s.ro_paths)
                else None
            )
            if why is not None:
                raise ValueError(
                    f"MCP server {s.name!r}: a plugin's server may not have {why}; "
                    "the admin configures such servers in mcp.servers"
                )
        return servers

    @model_validator(mode="after")
    def _coherent(self) -> Manifest:
        if self.entry is None and self.provides_tools is None:
            raise ValueError("a plugin needs an 'entry' (an agent) or 'provides_tools'")
        if self.isolated and self.provides_tools is not None:
            raise ValueError(
                "an isolated plugin cannot provide in-process tools ('provides_tools' "
                "would run its code in the daemon)"
            )
        # fail here, naming the key, rather than at its first spawn
        try:
            self.to_capabilities()
        except ValidationError as exc:
            raise ValueError(f"capabilities: {_first_error(exc)}") from None
        return self

    def to_capabilities(self) -> Capabilities:
        return self.capabilities.to_capabilities([s.name for s in self.mcp_servers])


@dataclass(eq=False)
class Plugin:
    """A discovered plugin. ``error``: why it cannot run (listed, never raised at
    discovery). ``source``: "builtin", "entry_point:<distribution>", "folder",
    "registered" (in-process)."""

    name: str
    manifest: Manifest | None
    folder: Path | None
    source: str
    error: str | None = None
    version: str = ""
    description: str = ""
    kind: str = "agent"  # "agent", or "tools" for a plugin that only provides tools
    entry: str | None = None  # module:attr (a folder plugin's is its manifest's)
    tools: list[str] = field(default_factory=list)
    obj: Any = None  # the loaded agent
    loader: Callable[[], Any] | None = None  # an entry point's, imported after consent

    @property
    def isolated(self) -> bool:
        return self.manifest is not None and self.manifest.isolated

    @property
    def builtin(self) -> bool:
        """Shipped with aios (or registered in-process by its owner): no consent."""
        return self.source in ("builtin", "registered")


def _first_error(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors(include_url=False)[:3]:
        loc = ".".join(str(x) for x in e["loc"]) or "(manifest)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def parse_manifest(data: Any, where: str = "manifest") -> Manifest:
    """A manifest from parsed TOML; ManifestError naming ``where`` and the bad key."""
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: a manifest is a table of keys")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ManifestError(f"{where}: {_first_error(exc)}") from None


def find_manifest(folder: Path) -> tuple[Path, bool] | None:
    """The manifest file of a plugin folder and whether it is a pyproject.toml (its
    ``[tool.aios]``), or None if the folder holds neither."""
    own = folder / MANIFEST_FILE
    if own.is_file():
        return own, False
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = _read(pyproject)
        except (OSError, ManifestError):
            return None
        if "[tool.aios]" in text:
            return pyproject, True
    return None


def _read(path: Path) -> str:
    with path.open("rb") as f:
        raw = f.read(_MAX_MANIFEST_BYTES + 1)
    if len(raw) > _MAX_MANIFEST_BYTES:
        raise ManifestError(f"{path.name}: larger than {_MAX_MANIFEST_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError(f"{path.name}: not UTF-8 text") from None


def load_manifest(folder: Path) -> Manifest:
    """The manifest of a plugin folder; ManifestError with a clear message if it is
    missing or bad."""
    found = find_manifest(folder)
    if found is None:
        raise ManifestError(f"{folder.name}: no {MANIFEST_FILE} (or [tool.aios] in pyproject.toml)")
    path, in_pyproject = found
    try:
        data = tomllib.loads(_read(path))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path.name}: not valid TOML: {exc}") from None
    except (RecursionError, MemoryError):  # tomllib recurses per nesting level
        raise ManifestError(f"{path.name}: nested too deeply") from None
    except OSError as exc:
        raise ManifestError(f"{path.name}: cannot be read: {exc.strerror}") from None
    if in_pyproject:
        tool = data.get("tool")
        table = tool.get("aios") if isinstance(tool, dict) else None
        manifest = parse_manifest(table, f"{path.name} [tool.aios]")
    else:
        manifest = parse_manifest(data, path.name)
    for s in manifest.mcp_servers:
        server_paths(s, folder, path.name)  # refused now rather than at the start
    return manifest


def server_paths(server: McpServerConfig, folder: Path, where: str) -> list[str]:
    """A plugin's MCP server's ``ro_paths`` (relative: checked by the manifest) as
    host paths inside ``folder``; ManifestError for one a link leads out of."""
    root = folder.resolve()
    paths = []
    for p in server.ro_paths:
        full = (root / p).resolve()
        if not full.is_relative_to(root):
            raise ManifestError(
                f"{where}: MCP server {server.name!r}: {p!r} leads out of the folder"
            )
        paths.append(str(full))
    return paths
