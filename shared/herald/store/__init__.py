"""Persistence: small repository interfaces, a Firestore backend and an in-memory twin."""
