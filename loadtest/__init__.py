"""Load and throughput measurements: the engine micro-benchmark, gRPC load and soak, a simulated day."""
