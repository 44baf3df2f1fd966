"""Read models folded from events: order and fill history, user events, income, liquidations, candles, tickers,
alerts, the ADL ranking."""
