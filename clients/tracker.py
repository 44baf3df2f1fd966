"""An account's positions, balances and open orders, kept current from its user-event stream.

Start from GetAccount (whose cursor names the last event its figures include) and the open orders,
then apply every event after that cursor. Events carry the full state of what they touch (an order
after the event, a position after the fill), so applying them in order converges on the exchange's
state even where the two starting queries straddle an event. When the server no longer holds the
events after our cursor (CursorExpired), start over from a fresh GetAccount.

Balances: every move of the cross wallet or an isolated wallet (a fill's PnL and fee, funding,
transfers, liquidation fees and clearing) is a BalanceChanged event carrying the balances right after
it, as Binance's ACCOUNT_UPDATE does, so the wallets are kept from the stream alone. ``summary`` is the
last GetAccount reading: its mark-dependent figures (unrealized PnL, margin ratio) age until the next
``sync``.
"""

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import TYPE_CHECKING

from paperex.client import models
from paperex.client.errors import CursorExpired

if TYPE_CHECKING:
    from paperex.client.client import AsyncClient

ORDER_EVENTS = (
    models.OrderAccepted,
    models.OrderTriggered,
    models.OrderAmended,
    models.TrailingStopMoved,
    models.OrderFilled,
    models.OrderCanceled,
    models.OrderExpired,
)


class AccountTracker:
    """Local state of one account; ``async for event in tracker.events()`` keeps it current."""

    def __init__(self, client: "AsyncClient") -> None:
        self.client = client
        self.summary: models.AccountSummary | None = None
        self.positions: dict[str, models.Position] = {}
        self.open_orders: dict[int, models.Order] = {}
        self.settings: dict[str, models.SymbolSettings] = {}
        self.wallet_balance = Decimal(0)
        self.cross_wallet_balance = Decimal(0)
        self.isolated_wallets: dict[str, Decimal] = {}
        """Each isolated position's wallet (symbols whose isolated wallet is not zero)."""
        self.assets: dict[str, Decimal] = {}
        """The balances of other assets than USDT (those not at zero)."""
        self.cursor: models.EventCursor | None = None
        self.resyncs = 0

    async def sync(self) -> None:
        """Replaces the local state with the exchange's (GetAccount and ListOpenOrders)."""
        orders = await self.client.open_orders()
        summary = await self.client.account()
        self.summary = summary
        self.positions = {position.symbol: position for position in summary.positions if position.size}
        self.open_orders = {order.order_id: order for order in orders}
        self.settings = {settings.symbol: settings for settings in summary.symbol_settings}
        self.wallet_balance = summary.wallet_balance
        self.cross_wallet_balance = summary.cross_wallet_balance
        self.isolated_wallets = {p.symbol: p.isolated_wallet for p in summary.positions if p.isolated_wallet}
        self.assets = {balance.asset: balance.wallet_balance for balance in summary.assets}
        self.cursor = summary.cursor

    async def events(self) -> AsyncIterator[models.UserEvent]:
        """Every event of the account once applied to the local state (syncing first unless ``sync``
        ran already); resyncs when the server no longer holds the events after the cursor."""
        if self.summary is None:
            await self.sync()
        while True:
            try:
                async for event in self.client.user_events(resume_after=self.cursor):
                    self.apply(event)
                    yield event
            except CursorExpired:
                self.resyncs += 1
                await self.sync()

    def apply(self, event: models.UserEvent) -> None:
        """Folds one event into the local state (events at or before the cursor are ignored)."""
        if self.cursor is not None and event.cursor <= self.cursor:
            return
        self.cursor = event.cursor
        payload = event.event
        if isinstance(payload, ORDER_EVENTS):
            order = payload.order
            if order.is_open:
                self.open_orders[order.order_id] = order
            else:
                self.open_orders.pop(order.order_id, None)
        elif isinstance(payload, models.PositionChanged):
            position = payload.position
            if position.size:
                self.positions[position.symbol] = position
            else:
                self.positions.pop(position.symbol, None)
        elif isinstance(payload, models.BalanceChanged) and payload.asset not in ("", "USDT"):
            if payload.wallet_balance:
                self.assets[payload.asset] = payload.wallet_balance
            else:
                self.assets.pop(payload.asset, None)
        elif isinstance(payload, models.BalanceChanged):
            self.wallet_balance = payload.wallet_balance
            self.cross_wallet_balance = payload.cross_wallet_balance
            if payload.isolated_wallet:
                self.isolated_wallets[payload.symbol] = payload.isolated_wallet
            elif payload.isolated_wallet is not None:
                self.isolated_wallets.pop(payload.symbol, None)
        elif isinstance(payload, models.SymbolSettingsChanged):
            self.settings[payload.settings.symbol] = payload.settings

    def position_size(self, symbol: str) -> Decimal:
        """Signed size (zero when flat)."""
        position = self.positions.get(symbol)
        return position.size if position else Decimal(0)
