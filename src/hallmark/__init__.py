"""Hallmark: protect the intellectual property of AI assets when you collaborate."""

__version__ = "0.1.0"
