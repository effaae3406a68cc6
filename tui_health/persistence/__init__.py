"""What tui-health keeps between runs, keyed by target: the engine's state now, the history store next."""
