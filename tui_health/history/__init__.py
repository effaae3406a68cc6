"""The history store (one SQLite file per target): what it keeps, how it is written, read and reported."""
