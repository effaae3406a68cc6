"""The poll cycle and its wiring: sources → snapshot → engine → audit → alerts → history → state."""
