"""What a poll says to a reader: the --once report, its formats, and the history's reports."""
