"""A journal written before the package move (paperex 0.1.0 at c0f15ab, whose modules were the top-level
``engine``, ``server`` and ``clients``) still starts: its snapshot names modules that are gone, so the
server says so and rebuilds the state from the command tape; the rows get their checksum chain and the
journal its format version (format 1 had none).

The fixture's story, on a simulated clock with the admin token "oldtoken" and the liquidity provider on
(its account holds 1,000,000,000): mark 64,900; alice (10,000)
rests a 0.1 BTC ask at 64,900 which bob (5,000) takes (maker fee 0.02% x 6,490 = 1.298, taker fee
0.05% = 3.245), then alice rests a 0.05 BTC bid at 60,000 with client id "resting-bid"; a snapshot.
"""

import shutil
from decimal import Decimal
from pathlib import Path

from paperex import AsyncAdmin, AsyncClient, Side
from paperex.server.grpc_api.app import ExchangeServer
from paperex.server.market.liquidity import LiquidityProvider
from paperex.server.market.liquidity_v1 import LiquidityProviderV1
from paperex.server.persistence.journal import FORMAT_VERSION
from tests.server.conftest import config
from tests.server.test_journal_format import format_row

FIXTURE = Path(__file__).parent / "fixtures" / "journal-before-the-package-move.db"
ALICE_KEY = "pk_rEtgYIBLbprRxf0VMO_zAyTzevVIvqjaVBW-fDfBdSE"
BOB_KEY = "pk_FdDs9g9pqbvaxnM31bS89HiWqieQyQ_DCtlXG6zqO8A"


async def test_a_journal_from_before_the_package_move_starts_with_its_accounts_and_orders(tmp_path: Path) -> None:
    db = tmp_path / "journal.db"
    shutil.copy(FIXTURE, db)
    server = ExchangeServer(config(tmp_path, db=str(db), admin_token="oldtoken", clock="simulated"))
    port = await server.start()
    target = f"127.0.0.1:{port}"
    try:
        async with AsyncClient(target, api_key=ALICE_KEY) as alice, AsyncClient(target, api_key=BOB_KEY) as bob:
            assert (await alice.account()).wallet_balance == Decimal("9998.702")  # 10,000 - 1.298
            assert (await bob.account()).wallet_balance == Decimal("4996.755")  # 5,000 - 3.245
            [position] = await bob.positions()
            assert (position.size, position.entry_price) == (Decimal("0.1"), Decimal(64900))
            [bid] = await alice.open_orders()
            assert (bid.client_order_id, bid.side, bid.price, bid.quantity) == (
                "resting-bid",
                Side.BUY,
                Decimal(60000),
                Decimal("0.05"),
            )
        async with AsyncAdmin(target, admin_token="oldtoken") as admin:
            ledger = await admin.ledger()
            assert (ledger.net_deposits, ledger.fees_collected, ledger.imbalance) == (
                Decimal(1_000_015_000),  # the liquidity provider's deposit, alice's and bob's
                Decimal("4.543"),
                Decimal(0),
            )
    finally:
        await server.stop()
    assert format_row(db) == str(FORMAT_VERSION)


async def test_a_provider_from_an_earlier_paperex_moves_on_to_the_current_one(tmp_path: Path) -> None:
    """The fixture's provider was switched on by a command without a version: it replays as version 1
    (the event-mirroring provider). Started with the provider on, the server journals a switch to the
    current version, which takes over the provider's orders."""
    db = tmp_path / "journal.db"
    shutil.copy(FIXTURE, db)
    replayed = ExchangeServer(config(tmp_path, db=str(db), admin_token="oldtoken", clock="simulated"))
    await replayed.start()
    try:
        assert replayed.sequencer is not None
        assert isinstance(replayed.sequencer.exchange.market.provider, LiquidityProviderV1)
    finally:
        await replayed.stop()
    server = ExchangeServer(config(tmp_path, db=str(db), admin_token="oldtoken", clock="simulated", liquidity=True))
    await server.start()
    try:
        assert server.sequencer is not None
        assert isinstance(server.sequencer.exchange.market.provider, LiquidityProvider)
    finally:
        await server.stop()
