"""The package's version: the one place it is written (``pyproject.toml`` reads it from here
at build time), so that no process scans the installed distributions' metadata to learn it."""

VERSION = "0.1.0.dev0"
