"""Run directories: manifest, per-sample records, metrics; resume."""
