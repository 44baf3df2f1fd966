"""Load and throughput measurements (engine micro-benchmark, later the gRPC load generator)."""
