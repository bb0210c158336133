"""Where a reduced-precision model loses accuracy: per-layer comparison with FP32 (docs/diagnose.md)."""
