"""`evaluate` metric scripts (one folder per metric, `NAME/NAME.py`), loaded with `evaluate.load(path)`."""
