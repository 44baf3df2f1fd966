"""paperex server: hosts the engine (the gRPC service arrives with the service issue)."""
