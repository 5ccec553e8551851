"""The service layer: one service per pipeline stage, free of transport concerns."""
