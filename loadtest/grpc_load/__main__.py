"""``python -m loadtest.grpc_load``: see the package's docstring."""

import sys

from loadtest.grpc_load.cli import main

if __name__ == "__main__":
    sys.exit(main())
