"""``python -m loadtest MODE [options]``: one entry for the load tools.

``unary``, ``session``, ``open-loop`` and ``soak`` run ``loadtest.grpc_load`` (gRPC load on a server);
``engine`` runs ``loadtest.bench_engine`` (the engine micro-benchmark); ``server-path`` runs
``loadtest.bench_server`` (the server's own cost per command, stage by stage, without gRPC); ``crash``
runs ``loadtest.crash`` (kill -9 under load, restart, no acknowledged order lost). ``--help`` after a
mode shows its options.
"""

import sys
from collections.abc import Sequence

from loadtest import bench_engine, bench_server, crash, grpc_load
from loadtest.grpc_load.settings import MODES


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["engine"]:
        return bench_engine.main(args[1:])
    if args[:1] == ["server-path"]:
        return bench_server.main(args[1:])
    if args[:1] == ["crash"]:
        return crash.main(args[1:])
    if args[:1] and args[0] in MODES:
        return grpc_load.main(args)
    modes = ",".join((*MODES, "engine", "server-path", "crash"))
    print(f"usage: python -m loadtest {{{modes}}} [options]\n\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
