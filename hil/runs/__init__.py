"""Suites to board jobs: what to run where, the per-board job, and the parallel scheduler."""
