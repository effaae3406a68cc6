"""One module per way to run (once, headless, console); only here does the console meet the monitor."""
