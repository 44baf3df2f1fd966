"""Server options: --tls-cert/--tls-key (TLS), --config (an instruments file), and the one-line refusal
of a start the options make impossible.

The certificate in tls/ is a self-signed test fixture for localhost/127.0.0.1 (100-year validity)."""

import socket
from pathlib import Path

import grpc
import pytest

from paperex.server.grpc_api.app import ExchangeServer
from paperex.v1 import market_data_pb2, market_data_pb2_grpc
from tests.server.conftest import config
from tests.server.test_journal_safety import serve

TLS = Path(__file__).parent / "tls"


async def test_a_tls_server_answers_a_client_that_trusts_its_certificate(tmp_path: Path) -> None:
    server = ExchangeServer(
        config(tmp_path, tls_cert=str(TLS / "cert.pem"), tls_key=str(TLS / "key.pem"), host="127.0.0.1")
    )
    port = await server.start()
    try:
        trusted = grpc.ssl_channel_credentials((TLS / "cert.pem").read_bytes())
        async with grpc.aio.secure_channel(f"127.0.0.1:{port}", trusted) as channel:
            reply = await market_data_pb2_grpc.MarketDataStub(channel).ListInstruments(
                market_data_pb2.ListInstrumentsRequest(), timeout=10
            )
            assert {instrument.symbol for instrument in reply.instruments} == {"BTCUSDT", "ETHUSDT"}
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as plain:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await market_data_pb2_grpc.MarketDataStub(plain).ListInstruments(
                    market_data_pb2.ListInstrumentsRequest(), timeout=5
                )
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, "plaintext is not served"
    finally:
        await server.stop()


SOL_TOML = """
[instruments.SOLUSDT]
base = "SOL"
tick_size = 0.01
lot_size = 1
min_qty = 1
max_qty = 100000
max_market_qty = 10000
min_price = 0.42
max_price = 6857
min_notional = 5
price_band = 0.05
maker_fee = 0.0002
taker_fee = 0.0005
funding_interval_hours = 8
funding_cap = 0.003
funding_floor = -0.003
interest_rate = 0.0001
brackets = [{ cap = 50000, max_leverage = 50, mmr = 0.01 }, { cap = 9223372036, max_leverage = 1, mmr = 0.5 }]
"""


async def test_an_instruments_file_adds_to_the_built_in_ones(tmp_path: Path) -> None:
    """--config instruments.toml: a venue's extra instrument is listed with its filters."""
    (tmp_path / "instruments.toml").write_text(SOL_TOML, encoding="utf-8")
    server = ExchangeServer(config(tmp_path, instruments_toml=str(tmp_path / "instruments.toml")))
    port = await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await market_data_pb2_grpc.MarketDataStub(channel).ListInstruments(
                market_data_pb2.ListInstrumentsRequest(), timeout=10
            )
        listed = {instrument.symbol: instrument for instrument in reply.instruments}
        assert set(listed) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
        sol = listed["SOLUSDT"]
        assert (sol.tick_size, sol.lot_size, sol.max_leverage, sol.min_notional) == ("0.01", "1", 50, "5")
    finally:
        await server.stop()


def test_a_start_the_options_make_impossible_is_one_line_on_stderr(tmp_path: Path) -> None:
    """An unknown scenario, a broken or missing instruments or liquidity file, a journal folder that does not
    exist, a folder given as the journal and a taken port each end the start with exit code 1; an option
    value out of range with exit code 2 (usage). Either way stderr holds one ``paperex...`` line naming what
    to change: no traceback, no log line before it, no line of gRPC's own."""
    (tmp_path / "broken.toml").write_text("[instruments.SOLUSDT]\nbase = 'SOL'\n")
    (tmp_path / "quotes.toml").write_text("[BTCUSDT]\nlevels = 'many'\n")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = str(holder.getsockname()[1])
        cases = [
            (tmp_path / "a.db", ("--scenario", "no-such"), "paperex: UNKNOWN_SCENARIO: unknown scenario 'no-such'", 1),
            (tmp_path / "b.db", ("--config", str(tmp_path / "broken.toml")), "paperex: SOLUSDT: missing field", 1),
            (
                tmp_path / "c.db",
                ("--config", str(tmp_path / "none.toml")),
                f"paperex: {tmp_path / 'none.toml'}: No such",
                1,
            ),
            (
                tmp_path / "d.db",
                ("--liquidity-config", str(tmp_path / "quotes.toml")),
                f"paperex: {tmp_path / 'quotes.toml'}: BTCUSDT.levels",
                1,
            ),
            (tmp_path / "missing" / "e.db", (), f"paperex: {tmp_path / 'missing' / 'e.db'}", 1),
            (tmp_path, (), f"paperex: {tmp_path}: not a usable journal", 1),
            (tmp_path / "f.db", ("--port", taken), f"paperex: 127.0.0.1:{taken}: cannot listen there", 1),
            (tmp_path / "g.db", ("--port", "99999"), "paperex serve: error: argument --port: not a port", 2),
            (tmp_path / "h.db", ("--order-rate", "-5"), "paperex serve: error: argument --order-rate", 2),
            (tmp_path / "i.db", ("--order-burst", "0"), "paperex serve: error: argument --order-burst", 2),
            (tmp_path / "j.db", ("--snapshot-every", "0"), "paperex serve: error: argument --snapshot-every", 2),
            (tmp_path / "k.db", ("--log-level", "loud"), "paperex serve: error: argument --log-level", 2),
        ]
        for db, extra, start, code in cases:
            refused = serve(db, *extra)
            assert refused is not None, extra
            assert refused[0] == code and refused[1].count("\n") == 1, (extra, refused)
            assert refused[1].startswith(start), (extra, refused)
