"""A sample bot that cannot run says why in one line on stderr, with the CLI's exit codes, never a
traceback: run as a user runs it (``python -m paperex.client.bots.NAME``), against a real server."""

import pytest

from tests.clients.child_process import free_port, run_module
from tests.clients.conftest import LiveExchange

BOT = "python -m paperex.client.bots.market_maker"


async def bot(name: str, *argv: str) -> tuple[int, str]:
    """Runs the bot as a shell would; its exit code and stderr."""
    code, _, err = await run_module(f"paperex.client.bots.{name}", *argv)
    return code, err


async def test_refusals_by_the_exchange_are_one_line_with_their_exit_code(live: LiveExchange) -> None:
    unknown_key = await bot("market_maker", "--target", live.target, "--api-key", "pk_lost")
    unknown_symbol = await bot("trend_follower", "--target", live.target, "--api-key", "pk_lost", "--symbol", "DOGE")
    wrong_token = await bot("margin_modes", "--target", live.target, "--admin-token", "not-it")

    assert unknown_key == (4, "market_maker: UNAUTHENTICATED: unknown API key\n")
    assert unknown_symbol == (
        1,
        "trend_follower: UNKNOWN_SYMBOL: no instrument 'DOGE'; the exchange lists BTCUSDT, ETHUSDT\n",
    )
    assert wrong_token == (4, "margin_modes: UNAUTHENTICATED: invalid admin token\n")


async def test_the_margin_demonstrator_runs_the_story_asked_for(live: LiveExchange) -> None:
    """``--run hedged`` goes to the exchange (which refuses the token); an unknown run is argparse's usage
    error (exit 2) naming the runs there are."""
    hedged = await bot("margin_modes", "--run", "hedged", "--target", live.target, "--admin-token", "not-it")
    unknown = await bot("margin_modes", "--run", "nope", "--target", live.target, "--admin-token", "not-it")

    assert hedged == (4, "margin_modes: UNAUTHENTICATED: invalid admin token\n")
    assert unknown[0] == 2 and "invalid choice: 'nope'" in unknown[1] and "hedged" in unknown[1]


async def test_no_server_is_one_line_and_exit_3() -> None:
    port = free_port()

    code, err = await bot("market_maker", "--target", f"127.0.0.1:{port}", "--api-key", "pk_x")

    assert code == 3 and err.count("\n") == 1
    assert err.startswith(f"market_maker: cannot reach 127.0.0.1:{port}: UNAVAILABLE")


@pytest.mark.parametrize(
    ("argv", "start"),
    [
        ((), f"{BOT}: error: the following arguments are required: --api-key"),
        (("--api-key", "k", "--tls-ca", "no-such.pem"), f"{BOT}: error: argument --tls-ca: no-such.pem: No such file"),
        (("--api-key", "k", "--size", "lots"), f"{BOT}: error: argument --size: not a decimal number: 'lots'"),
    ],
)
async def test_a_bad_command_line_is_one_line_and_exit_2(argv: tuple[str, ...], start: str) -> None:
    code, err = await bot("market_maker", "--target", "127.0.0.1:1", *argv)

    assert code == 2 and err.count("\n") == 1 and err.startswith(start), err
