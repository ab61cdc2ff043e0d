"""Configuration: defaults, TOML, AIOS_* overrides, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aios.cli import main
from aios.config import LlamaCppCoreConfig, OpenAICoreConfig, load_config
from aios.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    cfg = load_config()
    assert cfg.data_dir == tmp_path / "xdg" / "aios"  # XDG data home
    assert cfg.port == 8731 and cfg.host == "127.0.0.1"
    assert cfg.scheduler.policy == "rr"
    assert isinstance(cfg.llm.cores[0], LlamaCppCoreConfig)
    assert cfg.llm.resolved_default_model == "smollm2"
    assert cfg.resolved_database_url == f"sqlite:///{cfg.data_dir / 'aios.db'}"


def test_toml_file_in_the_data_dir_is_read(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "config.toml").write_text('port = 9001\n[scheduler]\npolicy = "fifo"\n')
    cfg = load_config(data_dir=data)
    assert cfg.port == 9001 and cfg.scheduler.policy == "fifo"


def test_env_beats_toml_and_flags_beat_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "c.toml"
    f.write_text('port = 9001\n[scheduler]\npolicy = "fifo"\nquantum_tokens = 7\n')
    monkeypatch.setenv("AIOS_CONFIG", str(f))
    monkeypatch.setenv("AIOS_PORT", "9002")
    monkeypatch.setenv("AIOS_SCHEDULER__POLICY", "priority")
    cfg = load_config()
    assert cfg.port == 9002
    assert cfg.scheduler.policy == "priority" and cfg.scheduler.quantum_tokens == 7  # merged
    assert load_config(port=9003).port == 9003


def test_cores_from_env_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIOS_LLM__CORES",
        json.dumps(
            [
                {"kind": "llamacpp", "name": "a", "n_gpu_layers": -1},
                {
                    "kind": "openai",
                    "name": "b",
                    "model": "big",
                    "base_url": "http://h:1/v1",
                    "api_key": "sk-secret",
                },
            ]
        ),
    )
    cfg = load_config()
    assert isinstance(cfg.llm.cores[1], OpenAICoreConfig)
    assert cfg.llm.cores[0].n_gpu_layers == -1
    assert cfg.show()["llm"]["cores"][1]["api_key"] == "***"


def test_model_path_shorthand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIOS_MODEL_PATH", "/models/x.gguf")
    core = load_config().llm.cores[0]
    assert isinstance(core, LlamaCppCoreConfig) and str(core.model_path) == "/models/x.gguf"


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("prot = 1\n", "prot"),
        ('[scheduler]\npolicy = "lottery"\n', "scheduler.policy"),
        ('port = "high"\n', "port"),
        (
            '[[llm.cores]]\nkind = "llamacpp"\nname = "a"\n'
            '[[llm.cores]]\nkind = "llamacpp"\nname = "a"\n',
            "duplicate core names",
        ),
        ('[llm]\ndefault_model = "nope"\n', "served by no core"),
        ("port = [\n", "cannot read config file"),
    ],
)
def test_bad_configuration_is_a_clear_error(tmp_path: Path, toml: str, needle: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(f)
    assert needle in err.value.message
    assert "Traceback" not in err.value.message


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "none.toml")


def test_config_show_prints_effective_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIOS_SCHEDULER__QUANTUM_TOKENS", "5")
    assert main(["config", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["scheduler"]["quantum_tokens"] == 5 and shown["port"] == 8731


def test_cli_reports_config_errors_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("prot = 1\n")
    assert main(["config", "show", "--config", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aios: invalid configuration") and err.count("\n") == 1
