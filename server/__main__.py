"""``paperex`` / ``python -m server``: runs the engine demo until the gRPC service lands."""

from server.demo import main

if __name__ == "__main__":
    main()
