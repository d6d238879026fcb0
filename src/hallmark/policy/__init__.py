"""Agreements compiled to Cedar policies; decisions with their reasons (pure modules)."""
