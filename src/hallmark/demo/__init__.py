"""`hallmark demo`: a sample AI project and a walk through Hallmark over it. Not a product
module: it drives the public services like any user would, and contributes its command
through the CLI hook (`hallmark.demo.plugin`). Loaded on first use, so that the hook costs
nothing until the command runs."""

from __future__ import annotations

from typing import Any

__all__ = ["build_sample_project", "run_demo"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from hallmark.demo import project

        return getattr(project, name)
    raise AttributeError(f"module 'hallmark.demo' has no attribute {name!r}")
