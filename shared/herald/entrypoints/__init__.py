"""Decoding what a function receives (Eventarc, Pub/Sub push) and mapping outcomes.

Raise means retry, return means done: transient faults propagate so the
platform redelivers; an event that can never be processed is logged and acked.

Importing any of them checks the function's settings first: one meant only for the
local stack stops the function from starting (``local_settings``).
"""

import os

from herald.entrypoints.local_settings import refuse_local_settings

refuse_local_settings(os.environ)
