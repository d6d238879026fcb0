"""Plugin hooks (pluggy). Hallmark's own format readers, audit rules, mark schemes and CLI
commands are default plugins registered through these same hooks, so a third party adds one
from its own package: implement a hook with `@hookimpl` in a module and name that module under
the `hallmark` entry-point group (`[project.entry-points.hallmark] myplugin = "pkg.module"`),
or call `register(module)` from Python."""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

import pluggy

PROJECT = "hallmark"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["DEFAULT_PLUGINS", "contributions", "hookimpl", "hookspec", "plugin_manager",
           "problems", "register", "unregister"]


class HallmarkSpec:
    """The hooks a plugin may implement; each returns its contributions (or adds them)."""

    @hookspec
    def hallmark_readers(self) -> dict[str, Any]:  # type: ignore[empty-body]
        """Metadata readers by lower-case file suffix (".gguf"): each a function from a path
        to a metadata dict that parses, never executes, and is bounded."""

    @hookspec
    def hallmark_audit_rules(self) -> list[Any]:  # type: ignore[empty-body]
        """Audit rules: objects with `id`, `severity`, `description` and `check(ctx)`."""

    @hookspec
    def hallmark_mark_schemes(self) -> list[Any]:  # type: ignore[empty-body]
        """Mark schemes implementing `hallmark.marks.scheme.MarkScheme`."""

    @hookspec
    def hallmark_cli_commands(self, app: Any) -> None:
        """Add commands to the Typer app."""

    @hookspec
    def hallmark_api_routes(self, router: Any) -> None:
        """Add routes to the API's router (the REST API issue)."""

    @hookspec
    def hallmark_report_sections(self) -> list[Any]:  # type: ignore[empty-body]
        """Sections a report may include."""


# Hallmark's own contributions, each a module of @hookimpl functions.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "hallmark.inventory.readers.plugin",  # the format readers
    "hallmark.audit.plugin",  # the audit rules
    "hallmark.marks.plugin",  # the mark schemes
)
# (The CLI registers its own command groups when it starts; `hallmark demo` arrives like any
# installed plugin, through the entry point in pyproject.toml: the services never load either.)

_problems: list[str] = []


def _note(problem: str) -> None:
    if problem not in _problems:
        _problems.append(" ".join(problem.split())[:300])


def problems() -> list[str]:
    """Plugins that could not be loaded or whose hooks failed, one line each: a broken
    third-party plugin is skipped and reported, never fatal."""
    return list(_problems)


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager: the default plugins, then installed third-party ones."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HallmarkSpec)
    for name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(name), name=name)
    for entry in _entry_points():
        if manager.has_plugin(entry.name) or manager.is_blocked(entry.name):
            continue
        try:
            manager.register(entry.load(), name=entry.name)
        except Exception as exc:  # noqa: BLE001 - someone else's package: report, go on
            _note(f"plugin {entry.name!r} ({entry.value}) not loaded: "
                  f"{type(exc).__name__}: {exc}")
    return manager


def _entry_points() -> Any:
    """The installed plugins' entry points (the `hallmark` group)."""
    from importlib import metadata

    return metadata.entry_points(group=PROJECT)


def contributions(hook: str, **kwargs: Any) -> list[Any]:
    """What each plugin's implementation of `hook` returns, oldest registration first (so a
    later one can override by key); an implementation that raises is skipped and noted."""
    out = []
    for impl in getattr(plugin_manager().hook, hook).get_hookimpls():
        try:
            out.append(impl.function(*[kwargs[name] for name in impl.argnames]))
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
            _note(f"plugin {impl.plugin_name!r} failed in {hook}: {type(exc).__name__}: {exc}")
    return out


def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin (a module or object with @hookimpl methods) in this process; a later
    registration takes precedence where two contribute the same key. Registering the same
    plugin again does nothing."""
    manager = plugin_manager()
    if not manager.is_registered(plugin):
        manager.register(plugin, name=name)


def unregister(plugin: object) -> None:
    """Remove a plugin registered with `register`."""
    plugin_manager().unregister(plugin)
