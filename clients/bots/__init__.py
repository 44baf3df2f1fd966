"""Sample bots built on the SDK, each runnable with one command against a running server:

- ``python -m paperex.client.bots.market_maker``: two-sided post-only quotes with inventory skew.
- ``python -m paperex.client.bots.trend_follower``: SMA crossover with an RSI filter, every entry protected by a
  stop-loss and a take-profit, sized by the 2% risk rule.
- ``python -m paperex.client.bots.margin_modes``: the same long under cross and isolated margin through a flash
  crash, side by side (needs the admin token).

Their decisions live in pure modules (``indicators``, ``quoting``, ``sizing``, ``trend``,
``margin_report``) tested without a server; ``launch`` holds the command line they share.
"""
