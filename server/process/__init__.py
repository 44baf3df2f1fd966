"""The processes of ``paperex serve --gateways N``: one sequencer process, N gateway processes in front
of it, and the supervisor that starts and restarts them (``docs/architecture.md``, "Processes")."""
