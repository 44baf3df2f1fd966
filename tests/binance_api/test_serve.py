"""``paperex serve`` starts the Binance-compatible API beside gRPC, on by default."""

import asyncio
import os
import re
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from paperex.server.__main__ import binance_port, parser
from tests.installed_names import ROOT
from tests.server.test_recovery import DEADLINE, serve_command, server_env

REST_LINE = re.compile(rb"Binance USD\S+ compatible REST API on (http://127\.0\.0\.1:\d+)/fapi")


@pytest.mark.parametrize(
    ("options", "port"),
    [
        ([], 50052),  # beside the default gRPC port, 50051
        (["--port", "6000"], 6001),
        (["--port", "0"], 0),  # a free one, as the gRPC port is
        (["--binance-port", "7000"], 7000),
        (["--binance", "off"], None),
    ],
)
def test_where_the_rest_api_listens(options: list[str], port: int | None) -> None:
    assert binance_port(parser().parse_args(["serve", *options])) == port


async def test_paperex_serve_prints_the_base_url_and_answers_there(tmp_path: Path) -> None:
    """The startup lines name the REST base URL; it answers ping; SIGTERM stops both APIs (exit 0)."""
    process = await asyncio.create_subprocess_exec(
        *serve_command(tmp_path / "journal.db"),
        cwd=ROOT,
        env=server_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + DEADLINE
        found = None
        while found is None:
            line = await asyncio.wait_for(process.stdout.readline(), deadline - time.monotonic())
            assert line, f"the server exited ({await process.wait()})"
            found = REST_LINE.search(line)
        async with aiohttp.ClientSession() as http, http.get(f"{found.group(1).decode()}/fapi/v1/ping") as reply:
            assert (reply.status, await reply.json()) == (200, {})
        os.kill(process.pid, signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
