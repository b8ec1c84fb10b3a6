"""The package's version: the one place it is written (pyproject.toml reads it via hatch)."""

__version__ = "2.0.0.dev0"
