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

__all__ = ["DEFAULT_PLUGINS", "hookimpl", "hookspec", "plugin_manager", "register", "unregister"]


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
    "hallmark.cli.plugin",  # the CLI's command groups
    "hallmark.demo.plugin",  # `hallmark demo`
)


@cache
def plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager: the default plugins, then installed third-party ones."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(HallmarkSpec)
    for name in DEFAULT_PLUGINS:
        manager.register(importlib.import_module(name), name=name)
    manager.load_setuptools_entrypoints(PROJECT)
    return manager


def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin (a module or object with @hookimpl methods) in this process; a later
    registration takes precedence where two contribute the same key."""
    plugin_manager().register(plugin, name=name)


def unregister(plugin: object) -> None:
    """Remove a plugin registered with `register`."""
    plugin_manager().unregister(plugin)
