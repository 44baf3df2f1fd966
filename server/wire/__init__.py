"""The public API's values: wire messages parsed into engine values, engine values rendered into messages, and
reason codes with their gRPC status."""
