"""Small helpers every layer may use: errors, clocks, text cleaning, redaction, retries, durations, signals, locks, disk work; they import nothing above them."""
