"""What the person configured: the settings model (a leaf that reads the registries), targets, paths."""
