"""Imports every command module so that each registers itself on the ``crmsync`` group."""

from __future__ import annotations

import sync.cli.demo_cmd
import sync.cli.explain_cmd
import sync.cli.preview_cmd
import sync.cli.provision_cmd
import sync.cli.retry_cmd
import sync.cli.run_cmd
import sync.cli.sandbox_cmd
import sync.cli.score_cmd
import sync.cli.status_cmd
import sync.cli.sync_cmd
import sync.cli.validate_cmd  # noqa: F401
