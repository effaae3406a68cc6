"""tui-health: an on-call console for Genesys Cloud platform health."""

__version__ = "0.1.0"
