"""The public HTTP API: Courier's routes over Herald's services."""
