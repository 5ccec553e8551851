"""Decoding what a function receives (Eventarc, Pub/Sub push) and mapping outcomes.

Raise means retry, return means done: transient faults propagate so the
platform redelivers; an event that can never be processed is logged and acked.
"""
