"""``python -m clients.cli ...``: the same command line as the ``paperex`` console script."""

from clients.cli import main

if __name__ == "__main__":
    main()
