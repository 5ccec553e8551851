"""Publishing events to their topics: the relay's only outlet."""
