"""The simulated market: price feeds, scenarios, the liquidity provider, the clock."""
