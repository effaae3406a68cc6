"""A fake Genesys Cloud: real HTTP on 127.0.0.1 for tests, ``--demo`` and benchmarks."""

from tui_health.simulator.scenario import Fault, Scenario, load_scenario, parse_fault, with_faults
from tui_health.simulator.server import SimulatorServer

__all__ = ["Fault", "Scenario", "SimulatorServer", "load_scenario", "parse_fault", "with_faults"]
