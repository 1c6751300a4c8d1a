"""The click group every command attaches to, and the process entry point."""

from __future__ import annotations

import click

from sync import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="crmsync")
def cli() -> None:
    """crmsync: sync HubSpot and Salesforce, score leads, write MQL status and reasons back."""


def main() -> None:
    cli(prog_name="crmsync")
