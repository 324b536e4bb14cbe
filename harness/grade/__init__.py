"""Answer equivalence, code execution verdicts and metrics."""
