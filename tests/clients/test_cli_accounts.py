"""The operator's account commands: ``account list`` and ``account rotate-key`` (a new API key for a lost
one), against a real server, across a graceful restart and a replay of the journal alone."""

import contextlib
import hashlib
import re
import sqlite3

from paperex.client import models
from paperex.v1 import admin_pb2
from tests.clients.cli_harness import cli, new_account, ok
from tests.clients.conftest import LiveExchange
from tests.server.test_recovery import crash_image, snapshot_sequences

EXPORT = "export PAPEREX_API_KEY="


async def test_account_list_shows_every_account_in_id_order(live: LiveExchange) -> None:
    """alice deposits 10,000 and bob 250; nothing traded, so margin balance = available = wallet."""
    await new_account(live, "alice", "10000")
    await new_account(live, "bob", "250")

    listed = await ok(live, "account", "list", admin=True)
    first = (await ok(live, "account", "list", "--limit", "1", "--json", admin=True)).json()

    rows = [line.split() for line in listed.out.splitlines()[1:]]
    assert [row[:5] for row in rows] == [["1", "alice", "10000", "10000", "10000"], ["2", "bob", "250", "250", "250"]]
    assert [(item["name"], item["wallet_balance"]) for item in first["accounts"]] == [("alice", "10000")]


async def test_account_list_needs_the_admin_token(live: LiveExchange) -> None:
    key = await new_account(live, "alice", "1")

    with_a_key = await cli(live, "account", "list", "--admin-token", key)

    assert with_a_key.code == 4 and with_a_key.err.startswith("paperex: PERMISSION_DENIED: ")


async def show(live: LiveExchange, key: str) -> tuple[int, str]:
    """``account show --json`` with ``key``: the exit code and the wallet (or the error line)."""
    result = await cli(live, "account", "show", "--json", key=key)
    return (0, result.json()["wallet_balance"]) if result.code == 0 else (result.code, result.err)


async def test_a_rotated_key_replaces_the_old_one_at_once_and_after_restarts(live: LiveExchange) -> None:
    """The old key is refused (UNAUTHENTICATED, exit 4) from the rotation's answer on and the new one
    reads the 500 deposited; the same after a graceful restart (the stop's snapshot) and after a
    restart that replays the journal alone. The journal holds the new key's hash, never the key."""
    old = await new_account(live, "alice", "500")

    rotated = await ok(live, "account", "rotate-key", "1", admin=True)

    first_line, key_line, secret_line, export = rotated.out.splitlines()
    assert first_line == "account 1 (alice) has a new API key; the old one no longer works"
    new = export.removeprefix(EXPORT)
    assert new.startswith("pk_") and new != old and key_line == f"api key: {new}"
    assert re.fullmatch("api secret: [0-9a-f]{64}", secret_line)  # HMAC-SHA256 key: 32 random bytes in hex
    refused = (4, "paperex: UNAUTHENTICATED: unknown API key\n")
    assert (await show(live, old), await show(live, new)) == (refused, (0, "500"))

    journal, image = live.path / "journal.db", live.path / "crash-image.db"
    with contextlib.closing(sqlite3.connect(journal)) as connection:
        bodies = " ".join(body for (body,) in connection.execute("SELECT body FROM commands"))
    assert hashlib.sha256(new.encode()).hexdigest() in bodies and new not in bodies
    crash_image(journal, image)  # what a crash now leaves: the journal, no snapshot
    assert snapshot_sequences(image) == []

    await live.stop()
    await live.start()
    assert (await show(live, old), await show(live, new)) == (refused, (0, "500"))
    await live.stop()

    replayed = LiveExchange(live.path, {"db": str(image)})
    await replayed.start()
    try:
        assert (await show(replayed, old), await show(replayed, new)) == (refused, (0, "500"))
    finally:
        await replayed.stop()


async def test_rotating_an_unknown_account_is_refused_with_its_id(live: LiveExchange) -> None:
    result = await cli(live, "account", "rotate-key", "99", admin=True)

    assert (result.code, result.out) == (1, "")
    assert result.err == "paperex: UNKNOWN_ACCOUNT: no account 99\n"


async def test_the_sdk_rotates_with_the_create_account_record(live: LiveExchange) -> None:
    """RotateApiKey answers what CreateAccount answers, so the SDK returns the same record for both."""
    assert live.admin is not None
    created = await live.admin.create_account("carol", "5")

    rotated = await live.admin.rotate_api_key(created.account_id)

    assert isinstance(rotated, models.CreateAccountResponse)
    assert (rotated.account_id, rotated.name) == (created.account_id, "carol") and rotated.api_key != created.api_key
    fields = {field.name for field in admin_pb2.RotateApiKeyResponse.DESCRIPTOR.fields}
    assert fields == {field.name for field in admin_pb2.CreateAccountResponse.DESCRIPTOR.fields}
