"""paperex engine: the pure, deterministic core of the exchange (commands in, events out)."""
