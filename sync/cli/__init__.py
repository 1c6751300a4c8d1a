"""The ``crmsync`` command line.

Each command lives in its own module under ``sync.cli`` and registers itself on :data:`cli`
(``sync.cli.app``); this package imports them so ``crmsync --help`` lists every command.
"""

from __future__ import annotations

from sync.cli import commands as _commands  # noqa: F401  (registers the commands)
from sync.cli.app import cli, main

__all__ = ["cli", "main"]
