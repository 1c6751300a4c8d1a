"""crmsync's worker: store, diff, outbox, the cycle, the long-lived service and the CLI."""

__version__ = "0.1.0"
