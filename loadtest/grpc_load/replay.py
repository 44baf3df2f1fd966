"""Does the journal replay to the same state? Checked on a stopped server's journal, over gRPC.

A paperex restart loads the newest snapshot and replays only what follows it, and a graceful stop
writes a snapshot of the final state, so a plain restart would replay nothing. Instead the command
tape alone (every journaled command, no snapshot; with the history retention the journal records,
so the replay trims order history alike) is copied into a new journal through the server's own
``Journal`` class, and a server started on that copy replays every command from an empty exchange.
It runs on a simulated clock with the liquidity provider off, so that it sequences nothing of its
own after the replay; its ``Admin.Snapshot`` must report the sequence and state hash of the
final snapshot the stopped server recorded from its live state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc

from loadtest.grpc_load.paperex import bearer
from loadtest.grpc_load.servers import PAPEREX_READY, ChildServer, paperex_command
from paperex.server.core.history_retention import HISTORY_RETENTION_SETTING
from paperex.server.persistence.journal import Durability, Journal
from paperex.v1 import admin_pb2, admin_pb2_grpc

REPLAY_START_TIMEOUT_S = 1800.0
"""Replaying a long soak's journal before the server listens can take minutes."""


def tape_copy(journal_path: Path, tape_path: Path) -> tuple[tuple[int, str] | None, int]:
    """Copy the commands (no snapshot) of a stopped server's journal; returns the journal's final
    snapshot (sequence, state hash), or None, and its last command's sequence."""
    journal = Journal(journal_path, Durability.OFF)
    try:
        snapshot = journal.latest_snapshot()
        last = journal.last_sequence()
        rows = list(journal.tail(0))
        retention = journal.setting(HISTORY_RETENTION_SETTING)
    finally:
        journal.close()
    tape = Journal(tape_path, Durability.OFF)
    try:
        if retention is not None:
            tape.set_setting(HISTORY_RETENTION_SETTING, retention)
        tape.append(rows)
    finally:
        tape.close()
    return (snapshot.sequence, snapshot.state_hash) if snapshot else None, last


async def replayed_state(tape_path: Path, admin_token: str, log_path: Path) -> tuple[int, str]:
    """Start a server on ``tape_path`` (it replays every command), take its snapshot, stop it."""
    extra = ("--clock", "simulated", "--liquidity", "off")
    command = paperex_command(tape_path, admin_token, Durability.OFF.value, extra=extra)
    server = ChildServer("replay", command, PAPEREX_READY, log_path, REPLAY_START_TIMEOUT_S)
    address = await server.start()
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            admin: Any = admin_pb2_grpc.AdminStub(channel)
            reply = await admin.Snapshot(admin_pb2.SnapshotRequest(), metadata=bearer(admin_token))
    finally:
        await server.stop_or_explain()
    return reply.sequence, reply.state_hash


async def replay(
    workdir: Path, journal_path: Path, admin_token: str
) -> tuple[tuple[int, str] | None, int, tuple[int, str]]:
    """(recorded final snapshot, last journaled sequence, what replaying the tape gives)."""
    tape_path = workdir / "tape.db"
    recorded, last = tape_copy(journal_path, tape_path)
    return recorded, last, await replayed_state(tape_path, admin_token, workdir / "replay.log")
