"""The gRPC adapter: servicers, authentication, reflection and the server process that hosts them."""
