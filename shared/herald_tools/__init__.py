"""Herald's tooling: the `herald` command, the local stack, generators, gates and reports.

Never deployed: the functions ship only the ``herald`` package, on which this one depends.
"""
