"""Pure functions over measurements: latency statistics, energy, accuracy, budget verdicts."""
