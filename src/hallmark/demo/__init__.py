"""`hallmark demo`: a sample AI project and a walk through Hallmark over it. Not a product
module: it drives the public services like any user would, and contributes its command
through the CLI hook (`hallmark.demo.plugin`)."""

from hallmark.demo.project import build_sample_project, run_demo

__all__ = ["build_sample_project", "run_demo"]
