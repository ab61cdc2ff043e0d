"""Configuration: a TOML file plus ``AIOS_*`` environment overrides.

Precedence, highest first: command-line flags, ``AIOS_*`` variables, the TOML file
(``--config`` / ``AIOS_CONFIG``, default ``<data_dir>/config.toml``), defaults.
Nested keys use ``__`` in the environment: ``AIOS_SCHEDULER__POLICY=fifo``;
lists take JSON: ``AIOS_LLM__CORES='[{"kind": "openai", "base_url": "..."}]'``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from aios.config_plugins import AgentsConfig, McpConfig, McpServerConfig
from aios.config_sections import (
    BUNDLED_MODEL_NAME,
    ApiConfig,
    ApprovalsConfig,
    ChromaConfig,
    CompilerConfig,
    FsConfig,
    HttpToolConfig,
    LlamaCppCoreConfig,
    LLMConfig,
    OpenAICoreConfig,
    ProcessesConfig,
    SandboxConfig,
    SchedulerConfig,
    ShellToolConfig,
    ToolsConfig,
)
from aios.errors import ConfigError

__all__ = [
    "BUNDLED_MODEL_NAME",
    "AgentsConfig",
    "ApiConfig",
    "ApprovalsConfig",
    "ChromaConfig",
    "CompilerConfig",
    "Config",
    "FsConfig",
    "HttpToolConfig",
    "LLMConfig",
    "LlamaCppCoreConfig",
    "McpConfig",
    "McpServerConfig",
    "OpenAICoreConfig",
    "ProcessesConfig",
    "SandboxConfig",
    "SchedulerConfig",
    "ShellToolConfig",
    "ToolsConfig",
    "default_data_dir",
    "load_config",
]

DEFAULT_PORT = 8731


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "aios"


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AIOS_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    config_file: Path | None = Field(default=None, exclude=True)
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite in the data dir"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    shutdown_deadline_s: float = Field(default=10.0, ge=0)
    model_path: Path | None = Field(
        default=None, description="shorthand: the GGUF of the first llama.cpp core"
    )
    llm: LLMConfig = Field(default_factory=LLMConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    tools: ToolsConfig = Field(default_factory=ToolsConfig)
    compiler: CompilerConfig = Field(default_factory=CompilerConfig)
    fs: FsConfig = Field(default_factory=FsConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    approvals: ApprovalsConfig = Field(default_factory=ApprovalsConfig)
    processes: ProcessesConfig = Field(default_factory=ProcessesConfig)
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    mcp: McpConfig = Field(default_factory=McpConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = getattr(init_settings, "init_kwargs", {}).get("config_file")
        return (init_settings, env_settings, _TomlSource(settings_cls, path))

    @model_validator(mode="after")
    def _apply_shorthands(self) -> Config:
        self.data_dir = self.data_dir.expanduser()
        if self.model_path is not None:
            for core in self.llm.cores:
                if isinstance(core, LlamaCppCoreConfig):
                    core.model_path = self.model_path
                    break
            else:
                raise ValueError("model_path is set but no llama.cpp core is configured")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'aios.db'}"

    def show(self) -> dict[str, Any]:
        """The effective configuration, with secrets masked."""
        data = self.model_dump(mode="json")
        for core in data["llm"]["cores"]:
            if core.get("api_key"):
                core["api_key"] = "***"
        return data


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if path is not None and Path(path).exists():
            try:
                self._data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from exc

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def load_config(config_file: str | Path | None = None, **overrides: Any) -> Config:
    """Build the effective configuration.

    ``overrides`` are command-line values (None means "not given"). Raises
    ``ConfigError`` with every problem listed, never a raw traceback.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    explicit = config_file or os.environ.get("AIOS_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
    else:
        data_dir = given.get("data_dir") or os.environ.get("AIOS_DATA_DIR")
        path = Path(data_dir).expanduser() if data_dir else default_data_dir()
        path = path / "config.toml"
    try:
        return Config(config_file=path, **given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration ({path}): {problems}") from None
