"""The README's first command runs this demo until the gRPC service exists: it must tell the story."""

import pytest

from paperex.server.market.demo import main


def test_demo_shows_the_stop_saving_one_trader_and_liquidation_taking_the_other(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main()
    output = capsys.readouterr().out
    assert "stop #" in output and "of account 2 fired at mark 63000.0" in output
    assert "LIQUIDATION of account 3 (CROSS)" in output
    assert "account 3 (3 BTC at 20x, no stop): wallet 0.00 USDT" in output
    assert "OrderRejected" not in output
