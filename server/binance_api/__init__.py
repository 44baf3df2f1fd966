"""The Binance USDⓈ-M compatible REST API: an adapter on the application core beside gRPC."""
