"""Operator tools behind the ``herald`` command."""
