"""Where component health comes from. Every source implements :class:`tui_health.sources.base.Source`."""
