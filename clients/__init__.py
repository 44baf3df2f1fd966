"""paperex clients: SDK, CLI and sample bots; they use only the generated API."""
