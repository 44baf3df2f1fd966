"""The real console entry (``python -m paperex.client.cli``) in a child process: exit codes, output streams,
and the server command lines it hands over to ``python -m server``."""

from pathlib import Path

from tests.clients.child_process import ROOT, run_module
from tests.clients.conftest import ADMIN_TOKEN, LiveExchange


async def paperex(*argv: str, cwd: Path) -> tuple[int, str, str]:
    """Runs the CLI as a shell would; the test's loop keeps serving meanwhile."""
    return await run_module("paperex.client.cli", *argv, cwd=cwd, timeout=30)


async def test_the_console_entry_creates_an_account_and_reports_a_refusal(live: LiveExchange) -> None:
    code, out, err = await paperex(
        "account", "create", "zed", "--deposit", "100", "--target", live.target, "--admin-token", ADMIN_TOKEN, cwd=ROOT
    )
    assert (code, err) == (0, "")
    key = out.splitlines()[-1].removeprefix("export PAPEREX_API_KEY=")

    code, out, err = await paperex(
        *("order", "place", "BTCUSDT", "buy", "0.010", "--price", "64000.05"),
        *("--target", live.target, "--api-key", key),
        cwd=ROOT,
    )

    assert (code, out) == (1, "")
    assert err.startswith("paperex: INVALID_TICK: ") and err.count("\n") == 1


async def test_demo_is_handed_to_the_server_even_beside_a_folder_named_server(tmp_path: Path) -> None:
    """``paperex demo`` runs the server's demo; a ``server`` package in the working directory (a bot
    author's own) does not shadow the exchange's."""
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "server" / "__main__.py").write_text("raise SystemExit('the wrong server')\n", encoding="utf-8")

    code, out, err = await paperex("demo", cwd=tmp_path)

    assert (code, err) == (0, "")
    assert "LIQUIDATION of account 3 (CROSS)" in out
