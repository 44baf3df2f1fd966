"""The shipped scenario files (TOML), read with ``importlib.resources`` so an installed wheel has them."""
