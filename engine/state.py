"""The engine's state: everything its jobs read and write, in one object.

The jobs (``order_commands``, ``execution``, ``settlement``, ``account_commands``, ``liquidator``,
``prices``, ``trigger_runner``, with ``open_orders`` keeping the order indexes) are operations over
this one state; they hold no data of their own. So a snapshot is this object alone, ``audit`` digests
and checks it, and moving an operation between jobs never changes what is stored.
"""

from collections import OrderedDict
from collections.abc import Mapping

from paperex.engine.accounts import Account
from paperex.engine.collateral import DEFAULT_COLLATERAL, CollateralAsset
from paperex.engine.commands import Command, PlaceOrder
from paperex.engine.events import Event, OrderRejected
from paperex.engine.instruments import Instrument
from paperex.engine.market import Market
from paperex.engine.native import Reduced, reduced
from paperex.engine.orders import BOTH, Order, PositionSide, Side
from paperex.engine.positions import Position
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import Figure
from paperex.engine.units import Lots

EXPIRIES_SWEPT_FROM = 1_024
"""The smallest expiry heap that is swept of ended orders' entries (then twice what stays in it)."""


class EngineState:
    """Markets, accounts, open orders and their indexes, counters, what the current command moved, and
    the events it has emitted so far."""

    def __init__(
        self, instruments: Mapping[str, Instrument], collateral: Mapping[str, CollateralAsset] = DEFAULT_COLLATERAL
    ) -> None:
        self.markets = {symbol: Market(spec) for symbol, spec in instruments.items()}
        self.market_list = tuple(self.markets.values())
        self.collateral = {
            a: spec for a, spec in collateral.items() if not spec.index_symbol or spec.index_symbol in instruments
        }
        """The assets accounts may hold besides USDT (those priced by a symbol these markets lack are left out)."""
        self.accounts: dict[int, Account] = {}
        self.multi_assets: dict[int, None] = {}
        """Accounts in Multi-Assets mode: every mark move rechecks their margin (their collateral may have moved)."""
        self.now = 0
        self.next_funding = 0
        """The earliest funding time of any market (0 before the first command)."""
        self.next_order_id = 1
        self.next_trade_id = 1
        self.fees_collected = 0
        self.net_deposits = 0
        self.insurance_contributions = sum(market.insurance_fund for market in self.market_list)
        self.asset_deposits: dict[str, int] = {}
        """Deposits less withdrawals of each asset besides USDT (``net_deposits`` is USDT's)."""
        self.exchanged: dict[str, int] = {}
        """What the venue's auto-exchange holds of each asset: the assets it took (> 0), the USDT it paid (< 0)."""

        # Open orders (resting or waiting for a trigger), indexed for each way they are looked up.
        self.orders: dict[int, Order] = {}
        self.account_orders: dict[tuple[int, str], dict[int, Order]] = {}
        self.reduce_only: dict[tuple[int, str], dict[int, Order]] = {}
        """Resting reduce-only orders per (account, symbol), trimmed as positions move."""
        self.client_ids: dict[tuple[int, str], tuple[Order, PlaceOrder]] = {}
        self.recent_client_ids: OrderedDict[tuple[int, str], tuple[Order, PlaceOrder, int]] = OrderedDict()
        """Finished orders' client ids with the time they finished, oldest first: late retries."""
        self.expiries: list[tuple[int, int]] = []
        """A heap of (expire_at, order_id); entries of orders ended early stay until swept."""
        self.expiries_limit = EXPIRIES_SWEPT_FROM
        """Entries the expiry heap may hold before the ones of orders already ended are swept out."""

        # What the current command moved: its consequences are settled and published before it ends.
        self.at_risk: dict[int, None] = {}
        """Accounts whose margin must be rechecked."""
        self.touched: dict[tuple[int, str], None] = {}
        """(account, symbol) whose resting reduce-only orders may now exceed the position."""
        self.moved: dict[tuple[int, str, PositionSide], Position] = {}
        """Positions (account, symbol, leg) to publish as ``PositionChanged``, in first-moved order."""
        self.prices_moved = False
        """A market traded or had its mark moved since consequences were last settled."""
        self.events: list[Event] = []

    def __reduce__(self) -> Reduced:
        return reduced(self, {market.symbol: market.instrument for market in self.market_list}, self.collateral)

    def position(self, account_id: int, symbol: str, leg: PositionSide = BOTH) -> Position:
        """The account's position in ``symbol`` (its ``leg`` in hedge mode; a flat one when there is none)."""
        account = self.accounts.get(account_id)
        position = account.legs(leg).get(symbol) if account else None
        return position or Position()

    def closable(self, account_id: int, symbol: str, side: Side) -> Lots:
        """Lots an order on ``side`` could take off the account's position in ``symbol`` (in hedge mode,
        off the leg that side closes)."""
        account = self.accounts.get(account_id)
        found = account.closing_leg(symbol, side) if account else None
        return abs(found[1].size) if found else 0

    def reject(
        self, cmd: Command, reason: RejectReason, order: Order | None = None, figures: tuple[Figure, ...] = ()
    ) -> None:
        """Emit the one event of a refused command (which changes nothing else)."""
        self.events.append(
            OrderRejected(
                type(cmd).__name__,
                getattr(cmd, "account_id", 0),
                getattr(cmd, "symbol", ""),
                reason,
                order.order_id if order else getattr(cmd, "order_id", 0),
                getattr(cmd, "client_order_id", ""),
                figures,
            )
        )
