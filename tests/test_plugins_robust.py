"""A broken third-party plugin is reported and skipped, never fatal; and loading the plugins
from the services never loads the CLI (a runtime check the import-reading layering test cannot
make: default plugins are named by string)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hallmark import hookimpl, services
from hallmark.hooks import register, unregister

BROKEN = """\
raise ImportError("this plugin is broken on purpose")
"""
RAISING = """\
from hallmark import hookimpl

@hookimpl
def hallmark_cli_commands(app):
    raise RuntimeError("a hook that fails")

@hookimpl
def hallmark_readers():
    return {".weird": 42, 7: print, "noDot": print}
"""


def _site(tmp_path: Path) -> dict[str, str]:
    """A folder on PYTHONPATH holding two installed-looking plugins: one that cannot be
    imported, one whose hooks fail or return junk."""
    site = tmp_path / "site"
    (site / "brokenplug").mkdir(parents=True)
    (site / "brokenplug" / "__init__.py").write_text(BROKEN)
    (site / "raisingplug.py").write_text(RAISING)
    info = site / "thirdparty-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[hallmark]\nbroken = brokenplug\nraising = raisingplug\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return env


def test_a_broken_plugin_is_reported_and_the_cli_still_works(tmp_path: Path) -> None:
    env = _site(tmp_path)
    done = subprocess.run([sys.executable, "-m", "hallmark.cli.main", "--help"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "scan" in done.stdout and "demo" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert any("'broken'" in w and "ImportError" in w for w in warnings), done.stderr
    assert any("'raising'" in w and "RuntimeError" in w for w in warnings), done.stderr
    assert "Traceback" not in done.stderr


def test_junk_contributions_are_ignored(tmp_path: Path) -> None:
    env = _site(tmp_path)
    code = ("from hallmark.inventory.readers import SUFFIXES; "
            "print(sorted(s for s in SUFFIXES if s in ('.weird', 'nodot')))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


class _JunkRules:
    @hookimpl
    def hallmark_audit_rules(self) -> list[Any]:
        return [object(), None]


def test_a_rule_that_is_not_a_rule_is_ignored() -> None:
    before = services.audit.rules()
    plugin = _JunkRules()
    register(plugin)
    try:
        assert services.audit.rules() == before
    finally:
        unregister(plugin)


def test_the_services_never_load_the_cli() -> None:
    code = ("import sys\n"
            "from hallmark import services\n"
            "from hallmark.inventory.readers import SUFFIXES\n"
            "from hallmark.marks.scheme import schemes\n"
            "services.audit.rules(); assert SUFFIXES and schemes()\n"
            "loaded = [m for m in sys.modules if m.startswith(('hallmark.cli', 'typer', "
            "'hallmark.demo.project', 'hallmark.api'))]\n"
            "print(loaded)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
