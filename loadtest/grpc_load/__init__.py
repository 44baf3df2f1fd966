"""Load on paperex over real gRPC: closed loop, pipelined OrderSession streams, open loop, and a soak.

Run ``python -m loadtest.grpc_load MODE [options]`` (or ``python -m loadtest MODE``) with MODE one of:

* ``unary``: closed loop, ``--in-flight`` concurrent unary calls (each loop sends its next call when
  the previous one is answered), the bots taken round-robin;
* ``session``: ``--streams`` OrderSession streams (one bot each), ``--batch`` commands per request,
  at most ``--window`` requests outstanding per stream (pipelined);
* ``open-loop``: unary calls at a fixed ``--rate`` per second (a comma-separated list steps through
  several rates), each scheduled at its intended send time and timed from that time, so a slow
  answer delays nobody else's measurement (no coordinated omission); the client's own lateness is
  reported apart as ``send_lag_us``;
* ``soak``: open loop at one ``--rate`` (default 200/s, 2 bots) for ``--duration`` (default 600 s) in
  a moving market, then checks of the server's memory (each process's with ``--gateways N``), its
  journal's replay, money, liquidations and faults (``soak.py``); it exits 1 when a check fails.

A bot is an account with its own order flow; ``--mix`` weighs its operations (limit adds near the
touch, cancels, amends, market orders, queries: ``flow.py``). ``--workers P`` spreads the bots,
in-flight loops, streams, rate and subscribers over P client processes whose exact samples are merged
(``workers.py``). ``--subscribers N`` adds StreamOrderBook subscribers and measures update delivery
(``subscribers.py``). Unless ``--no-baseline``, every run is repeated against an echo gRPC service with
paperex's message sizes and the same client settings, and the report states paperex as a ratio of
that grpc.aio ceiling (``echo.py``). On a shared machine that ratio moves by a fifth and more between
runs of the same code (paperex and the echo are measured at different moments); ``--rounds N``
measures the two alternately N times per rate and reports the median of the rounds' ratios, the
figure to compare two versions by. ``--plot FILE.png`` draws the run (needs matplotlib);
``--progress`` prints a line a second on stderr (the default on a terminal).

Unless ``--target HOST:PORT --admin-token T`` names a running server, the tool starts its own
(``python -m server serve --port 0`` with a temporary journal, the chosen ``--durability`` and the
order rate limit off) and stops it with SIGINT at the end; ``--profile-server FILE`` runs that
server under cProfile and prints the top entries. Setup is untimed (``paperex.py``).

What is measured, in a window of ``--duration`` seconds after ``--warmup`` seconds: every operation
started (open loop: intended) inside the window, however late its answer; its latency from send (or
intended send) to the answer, in whole microseconds, every value kept, so percentiles are exact
(nearest rank) and the histogram of ``histogram_us`` is a summary of them; throughput is successful
operations over the window. A session command's latency is its request's. Failures are counted by
status code and ErrorInfo reason (unary, or a failed stream) or by RejectReason (a session command's
rejection) and have no latency. Included: the client and the server on one machine over loopback,
without TLS, each answer sent after its journal write under the server's durability mode.

The JSON report (``--json``) is one object: ``tool``, ``timestamp``, ``command``, ``mode``,
``target``, ``own_server``, ``durability``, ``settings``, ``machine``, ``included``,
``server_profile``, ``wire_sizes`` (the bytes the echo mirrors), ``runs`` (``--rounds`` of them per
rate), ``ratio_medians`` (per rate with a baseline: ``rate``, ``rounds``, the median ``throughput``,
``p50`` and ``p99`` ratios, and ``throughput_range``, the lowest and highest round's) and ``soak``
(the soak's checks and ``pass``, else null). Each run has ``rate``, ``round`` (from 1), ``warmup_s``,
``duration_s``, ``workers``, ``ok``, ``errors``, ``throughput_per_s``, ``latency_us`` (over every
command; OrderSession: every request), ``errors_by_code``, ``fills``, ``client_cpu_cores``,
``server_cpu_cores``, ``machine_cpu_cores`` (every process on the machine: more than client plus
server means something else ran meanwhile), ``max_outstanding`` (summed over workers), ``send_lag_us``, ``mix``
(``requested`` and ``observed`` shares), ``operations``, ``subscribers`` (null without any) and
``timeline`` (``ok_per_s``, ``errors_per_s`` from the run's start); with the baseline also
``baseline`` (the echo's run, same keys) and ``ratio_to_baseline`` (``throughput``, ``p50``, ``p99``:
paperex over echo). Each operation has ``ok``, ``errors``, ``throughput_per_s``, ``latency_us``
(``p50``, ``p90``, ``p99``, ``p99.9``, ``max``, ``min``, ``mean``, or null without a success),
``errors_by_code`` and ``histogram_us`` (``[lower, upper, count]`` rows). A one-line summary of each
run, with the exact command, the durability and the machine (and with ``--rounds``: the round and the
rate's median ratios), is appended to ``loadtest/results/grpc.txt`` (``--results``).
"""

from loadtest.grpc_load.cli import main

__all__ = ["main"]
