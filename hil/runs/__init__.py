"""Suites to board jobs: what to run where, the per-board job, and the run that drives them.

run.py `Run` is the library object every caller uses (hil run, suites, deployments): simulated boards,
leases, pre-flight, recovery ladder, store writes, health, deadlines and signals. job.py runs one board's
jobs.
"""
