"""Isolated execution of untrusted generated code."""
