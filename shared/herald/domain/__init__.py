"""Herald's domain: what a message is and how it moves, with no I/O."""
