"""Imports every command module so that each registers itself on the ``crmsync`` group."""

from __future__ import annotations
