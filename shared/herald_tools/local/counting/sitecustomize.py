"""Imported by Python at start-up in the benchmark stack's function processes, whose
PYTHONPATH begins with this folder: every Firestore client they make counts its
operations. The runtime itself knows nothing of it."""

from herald_tools.local.firestore_counts import install_from_environment

install_from_environment()
