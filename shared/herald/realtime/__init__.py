"""The inbox's real-time service: Courier's inbox socket, on Cloud Run."""
