"""Finding plugins: entry points and plugin folders.

- Entry points, group ``aios.agents`` (an agent each) and ``aios.tools`` (a
  langchain-core tool, a list of them, or a function returning either).
- Plugin folders: the repository's ``plugins/``, ``<data_dir>/plugins`` and
  ``agents.plugin_dirs``. A folder holding ``aios-plugin.toml`` (or ``[tool.aios]`` in
  its pyproject.toml) is a plugin; a folder of such folders is a folder of plugins.

A plugin that fails (a bad manifest, an entry that does not exist, an import error, a
name already taken) is returned with its ``error`` and never stops the others.

A folder plugin's agent code is not imported here: only checked (its module exists,
parses and defines the entry's name). It is imported at its first spawn, after a
person consented to it; an isolated plugin's never is (it runs in its own confined
process). ``provides_tools`` and a plugin's MCP servers start after consent too
(aios/agents/extras.py).
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aios.agents.manifest import ManifestError, Plugin, find_manifest, load_manifest

if TYPE_CHECKING:
    from aios.config import Config
    from aios.tools.registry import ToolRegistry

__all__ = [
    "AGENTS_GROUP",
    "TOOLS_GROUP",
    "discover_plugins",
    "folder_plugin",
    "import_entry",
    "plugin_dirs",
    "register_tools",
]

log = logging.getLogger(__name__)

AGENTS_GROUP = "aios.agents"
TOOLS_GROUP = "aios.tools"
_MAX_SOURCE_BYTES = 4 * 1024 * 1024
_MAX_FOLDERS = 1000  # plugin folders looked at in one plugin directory


def plugin_dirs(config: Config | None) -> list[Path]:
    """Where plugin folders are looked for, in order (the first of a name wins)."""
    dirs: list[Path] = []
    if config is None or config.agents.repo_plugins:
        import aios

        repo = Path(aios.__file__).resolve().parent.parent / "plugins"
        if repo.is_dir():
            dirs.append(repo)
    if config is not None:
        dirs.append(Path(config.data_dir) / "plugins")
        dirs.extend(Path(d).expanduser() for d in config.agents.plugin_dirs)
    return dirs


def discover_plugins(config: Config | None, tools: ToolRegistry | None) -> list[Plugin]:
    """Every plugin, in precedence order: entry points, then folders."""
    out = entry_point_plugins()
    if tools is not None:
        out += tool_entry_points(tools)
    return out + folder_plugins(config, tools)


def folder_plugins(
    config: Config | None, tools: ToolRegistry | None, skip: set[Path] | None = None
) -> list[Plugin]:
    """The plugins of the plugin folders (none of their code run); ``skip``: resolved
    folders already known."""
    out = []
    seen: set[Path] = set(skip or ())
    for d in plugin_dirs(config):
        for folder in _plugin_folders(d):
            key = folder.resolve()
            if key not in seen:  # the same folder reached twice (repo and plugin_dirs)
                seen.add(key)
                out.append(_checked_folder_plugin(folder, tools))
    return out


def _checked_folder_plugin(folder: Path, tools: ToolRegistry | None) -> Plugin:
    """``folder_plugin``, whatever the folder holds: one plugin never stops the
    daemon from starting."""
    try:
        return folder_plugin(folder, tools)
    except Exception as exc:  # e.g. an unreadable file met while checking
        log.warning("plugin folder %s failed: %r", folder, exc)
        why = exc.strerror if isinstance(exc, OSError) else type(exc).__name__
        return Plugin(
            name=folder.name,
            manifest=None,
            folder=folder,
            source="folder",
            error=f"cannot be read: {why}",
        )


# -- entry points --------------------------------------------------------------------


def _dist(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "", ""
    return str(dist.metadata["Name"] or ""), str(dist.version or "")


def entry_point_plugins() -> list[Plugin]:
    """aios's own agents first (a package cannot take a builtin's name); another
    package's agent is imported at its first spawn, after consent."""
    eps = sorted(
        importlib.metadata.entry_points(group=AGENTS_GROUP), key=lambda ep: _dist(ep)[0] != "aios"
    )
    out = []
    for ep in eps:
        dist, version = _dist(ep)
        builtin = dist == "aios"
        plugin = Plugin(
            name=ep.name,
            manifest=None,
            folder=None,
            source="builtin" if builtin else f"entry_point:{dist or '?'}",
            version=version,
            entry=ep.value,
        )
        if not builtin:
            plugin.loader = ep.load
            plugin.description = _summary(ep)
            plugin.error = _unfindable(ep.value)
            out.append(plugin)
            continue
        try:
            plugin.obj = ep.load()
        except (Exception, SystemExit) as exc:  # a broken package must not break the others
            log.warning("agent entry point %s (%s) failed to load: %r", ep.name, dist, exc)
            plugin.error = f"failed to import {ep.value}: {type(exc).__name__}: {exc}"
        else:
            plugin.description = _doc(plugin.obj)
        out.append(plugin)
    return out


def _unfindable(value: str) -> str | None:
    """Why an entry point's module cannot be imported, found without running any
    of its code (only its top-level name is looked for), or None."""
    top = value.split(":")[0].strip().split(".")[0]
    try:
        found = top in sys.modules or importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):  # odd finders: left to the import to tell
        found = True
    if found:
        return None
    return f"failed to import {value}: ModuleNotFoundError: No module named {top!r}"


def _summary(ep: importlib.metadata.EntryPoint) -> str:
    """A package's one-line summary, read without importing it."""
    try:
        text = ep.dist.metadata["Summary"] if ep.dist is not None else None
    except Exception:
        return ""
    return str(text).strip().split("\n")[0][:200] if text else ""


def tool_entry_points(tools: ToolRegistry) -> list[Plugin]:
    out = []
    for ep in importlib.metadata.entry_points(group=TOOLS_GROUP):
        dist, version = _dist(ep)
        plugin = Plugin(
            name=ep.name,
            manifest=None,
            folder=None,
            source=f"entry_point:{dist or '?'}",
            version=version,
            kind="tools",
        )
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:
            log.warning("tool entry point %s (%s) failed to load: %r", ep.name, dist, exc)
            plugin.error = f"failed to import {ep.value}: {type(exc).__name__}: {exc}"
        else:
            _register_into(plugin, obj, tools)
        out.append(plugin)
    return out


def _doc(obj: Any) -> str:
    text = getattr(obj, "description", "") or getattr(obj, "__doc__", None) or ""
    return text.strip().split("\n")[0] if isinstance(text, str) else ""


# -- tools ------------------------------------------------------------------------------


def register_tools(obj: Any, tools: ToolRegistry) -> list[str]:
    """Register a tool, a list of tools, or what a function returns; all or none."""
    from langchain_core.tools import BaseTool

    if not isinstance(obj, BaseTool | list | tuple) and callable(obj):
        obj = obj()
    items = list(obj) if isinstance(obj, list | tuple) else [obj]
    done: list[str] = []
    try:
        for t in items:
            if not (isinstance(t, BaseTool) or callable(t)):
                raise TypeError(f"{t!r} is not a langchain-core tool")
            name = str(getattr(t, "name", None) or getattr(t, "__name__", ""))
            if "." in name:  # "<server>.<tool>": what a grant of an MCP server covers
                raise ValueError(f"tool name {name!r}: dotted names are MCP servers' tools")
            done.append(tools.register(t).name)
    except BaseException:
        for name in done:
            tools.unregister(name)
        raise
    return done


def _register_into(plugin: Plugin, obj: Any, tools: ToolRegistry) -> None:
    try:
        plugin.tools = register_tools(obj, tools)
    except (Exception, SystemExit) as exc:  # its code ran: sys.exit() included
        log.warning("plugin %s: its tools were not registered: %r", plugin.name, exc)
        msg = getattr(exc, "message", None) or str(exc)
        plugin.error = f"its tools could not be registered: {type(exc).__name__}: {msg}"


# -- folders ------------------------------------------------------------------------------


def _plugin_folders(d: Path) -> list[Path]:
    try:
        if find_manifest(d) is not None:
            return [d]
        if not d.is_dir():
            return []
        children = sorted(d.iterdir())[:_MAX_FOLDERS]
    except OSError as exc:
        log.warning("plugin folder %s cannot be read: %s", d, exc.strerror)
        return []
    out = []
    for child in children:
        try:
            if child.name.startswith((".", "_")) or not child.is_dir():
                continue
            if find_manifest(child) is not None:
                out.append(child)
        except OSError as exc:  # one unreadable folder hides only itself
            log.warning("plugin folder %s cannot be read: %s", child, exc.strerror)
    return out


def folder_plugin(folder: Path, tools: ToolRegistry | None = None) -> Plugin:
    """The plugin in ``folder``: checked, its tools registered, its agent not imported."""
    try:
        manifest = load_manifest(folder)
    except ManifestError as exc:
        return Plugin(
            name=folder.name, manifest=None, folder=folder, source="folder", error=str(exc)
        )
    plugin = Plugin(
        name=manifest.name,
        manifest=manifest,
        folder=folder,
        source="folder",
        version=manifest.version,
        description=manifest.description,
        kind="agent" if manifest.entry else "tools",
        entry=manifest.entry,
    )
    try:
        if manifest.entry is not None:
            check_entry(folder, manifest.entry)
        if manifest.provides_tools is not None:
            check_entry(folder, manifest.provides_tools)
    except ManifestError as exc:
        plugin.error = str(exc)
        return plugin
    return plugin


def load_folder_tools(plugin: Plugin, tools: ToolRegistry) -> None:
    """Import a folder plugin's ``provides_tools`` and register them (its code runs
    now: after consent, aios/agents/extras.py); a failure becomes its error."""
    assert plugin.manifest is not None and plugin.folder is not None
    spec = plugin.manifest.provides_tools
    if spec is None:
        return
    try:
        obj = import_entry(plugin.folder, plugin.name, spec)
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # off the main thread: its own
        log.warning("plugin %s: its tools failed to import: %r", plugin.name, exc)
        plugin.error = f"failed to import {spec}: {type(exc).__name__}: {exc}"
        return
    try:
        _register_into(plugin, obj, tools)
    except KeyboardInterrupt:  # raised by its tools function, off the main thread
        plugin.error = "its tools could not be registered: KeyboardInterrupt"


def _module_file(folder: Path, module: str) -> Path:
    base = folder.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            try:
                inside = candidate.resolve().is_relative_to(folder.resolve())
            except OSError:
                inside = False
            if not inside:
                raise ManifestError(f"{module}: its file lies outside the plugin folder")
            return candidate
    raise ManifestError(f"entry module {module!r} not found in the plugin folder ({base.name}.py)")


def check_entry(folder: Path, spec: str) -> None:
    """Without running it: the module exists, parses, and defines the name."""
    module, attr = spec.split(":")
    path = _module_file(folder, module)
    try:
        if path.stat().st_size > _MAX_SOURCE_BYTES:
            raise ManifestError(f"{path.name}: larger than {_MAX_SOURCE_BYTES} bytes")
        tree = ast.parse(path.read_bytes(), filename=path.name)
    except SyntaxError as exc:
        raise ManifestError(f"{path.name} line {exc.lineno}: {exc.msg}") from None
    except (RecursionError, MemoryError):  # the parser's answer to absurd nesting
        raise ManifestError(f"{path.name}: nested too deeply to parse") from None
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{path.name} cannot be read: {exc}") from None
    if attr not in _top_level_names(tree) and not _star_import(tree):
        raise ManifestError(f"{path.name} defines no {attr!r} (entry {spec!r})")


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.If | ast.Try):  # e.g. try: import x except: x = None
            sub = ast.Module(body=[*node.body, *getattr(node, "orelse", [])], type_ignores=[])
            names |= _top_level_names(sub)
    return names


def _star_import(tree: ast.Module) -> bool:
    return any(
        isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in tree.body
    )


def _package_name(folder: Path, plugin: str) -> str:
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    return f"_aios_plugin_{plugin.replace('-', '_')}_{digest}"


def import_entry(folder: Path, plugin: str, spec: str) -> Any:
    """Import ``module:attr`` from a plugin folder, fresh, as a module of a package
    of its own (so plugins' module names never collide and sys.path is untouched;
    a plugin's modules import each other relatively: ``from . import helpers``)."""
    module, attr = spec.split(":")
    _module_file(folder, module)
    pkg_name = _package_name(folder, plugin)
    for name in [n for n in sys.modules if n == pkg_name or n.startswith(pkg_name + ".")]:
        del sys.modules[name]  # a fresh copy: the folder may have changed since
    pkg = types.ModuleType(pkg_name, f"aios plugin {plugin}")
    pkg.__path__ = [str(folder)]
    pkg.__package__ = pkg_name
    sys.modules[pkg_name] = pkg
    mod = importlib.import_module(f"{pkg_name}.{module}")
    try:
        return getattr(mod, attr)
    except AttributeError:
        raise AttributeError(f"module {module!r} has no attribute {attr!r}") from None
