"""``python -m paperex.client.cli ...``: the same command line as the ``paperex`` console script."""

from paperex.client.cli import main

if __name__ == "__main__":
    main()
