"""Observability: traces, structured logs and metrics, exported where the code runs."""
