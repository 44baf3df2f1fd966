"""The exchange's records as text: orders, fills, positions, the account summary and the account list,
a book ladder, tickers and instruments.

Each function takes SDK models and returns the block a command prints, so ``account show``,
``positions`` and ``watch`` show a position with the same columns.
"""

from collections.abc import Sequence
from decimal import Decimal

from paperex.client import models
from paperex.client.cli.render import MISSING, fields, percent, table, text
from paperex.client.enums import MarginMode, OrderType

DISTANCE_STEP = Decimal("0.0001")
"""Liquidation distance in percent to four decimals (a hundredth of a basis point)."""


def orders_table(orders: Sequence[models.Order]) -> str:
    """One row per order, with what is filled and why it ended."""
    if not orders:
        return "no orders"
    rows = [
        [
            str(order.order_id),
            order.symbol,
            order.side.name,
            order.order_type.name,
            text(order.time_in_force),
            order.status.name,
            text(order.price),
            text(order.stop_price),
            text(order.quantity),
            text(order.filled_quantity),
            text(order.average_price),
            _order_flags(order),
            text(order.end_reason),
            order.client_order_id or MISSING,
        ]
        for order in orders
    ]
    headers = ["ID", "SYMBOL", "SIDE", "TYPE", "TIF", "STATUS", "PRICE", "STOP", "QTY", "FILLED", "AVG PRICE"]
    return table([*headers, "FLAGS", "END", "CLIENT ID"], rows)


def _order_flags(order: models.Order) -> str:
    conditional = order.order_type not in (OrderType.LIMIT, OrderType.MARKET)
    flags = [
        name
        for name, on in (
            ("reduce-only", order.reduce_only),
            ("close-position", order.close_position),
            ("triggered", conditional and order.triggered),
            ("awaiting-trigger", conditional and not order.triggered),
            ("liquidation", order.is_liquidation),
        )
        if on
    ]
    return ",".join(flags) or MISSING


def fills_table(fills: Sequence[models.Fill]) -> str:
    """One row per fill: price, quantity, maker or taker, fee and realized PnL."""
    if not fills:
        return "no fills"
    rows = [
        [
            str(fill.trade_id),
            str(fill.order_id),
            fill.symbol,
            fill.side.name,
            text(fill.price),
            text(fill.quantity),
            "maker" if fill.is_maker else "taker",
            f"{text(fill.fee)} {fill.fee_asset}".strip(),
            text(fill.realized_pnl),
        ]
        for fill in fills
    ]
    return table(["TRADE", "ORDER", "SYMBOL", "SIDE", "PRICE", "QTY", "ROLE", "FEE", "REALIZED PNL"], rows)


def liquidation_distance(position: models.Position) -> Decimal | None:
    """How far the mark may move before liquidation, in percent of the mark (None: cannot be liquidated)."""
    mark, liquidation = position.mark_price, position.liquidation_price
    if mark is None or liquidation is None or mark == 0:
        return None
    return (abs(mark - liquidation) / mark * 100).quantize(DISTANCE_STEP)


def position_margin_ratio(position: models.Position, cross_ratio: Decimal | None) -> Decimal | None:
    """An isolated position's own ratio; a cross position shares the account's cross ratio."""
    return cross_ratio if position.margin_mode == MarginMode.CROSS else position.margin_ratio


def positions_table(positions: Sequence[models.Position], cross_ratio: Decimal | None) -> str:
    """Size, entry, mark, uPnL, liquidation price and its distance, mode x leverage, margin ratio."""
    if not positions:
        return "no open positions"
    rows = []
    for position in positions:
        distance = liquidation_distance(position)
        rows.append(
            [
                position.symbol,
                text(position.size),
                text(position.entry_price),
                text(position.mark_price),
                text(position.unrealized_pnl),
                text(position.liquidation_price),
                MISSING if distance is None else f"{distance:.2f}%",
                f"{text(position.margin_mode)} {position.leverage}x",
                percent(position_margin_ratio(position, cross_ratio)),
            ]
        )
    headers = ["SYMBOL", "SIZE", "ENTRY", "MARK", "UPNL", "LIQ PRICE", "LIQ DIST", "MARGIN", "MARGIN RATIO"]
    return table(headers, rows)


def summary_fields(summary: models.AccountSummary) -> str:
    """The account's headline figures, the ones a venue's futures wallet page shows."""
    asset = summary.asset
    return fields(
        [
            ("account", f"{summary.account_id} ({summary.name})"),
            ("wallet balance", f"{text(summary.wallet_balance)} {asset}"),
            ("unrealized PnL", f"{text(summary.unrealized_pnl)} {asset}"),
            ("margin balance", f"{text(summary.margin_balance)} {asset}"),
            ("available balance", f"{text(summary.available_balance)} {asset}"),
            ("max withdraw", f"{text(summary.max_withdraw_amount)} {asset}"),
            ("initial margin", f"{text(summary.initial_margin)} {asset}"),
            ("maintenance margin", f"{text(summary.maintenance_margin)} {asset}"),
            ("margin ratio", percent(summary.margin_ratio)),
            ("effective leverage", f"{text(summary.effective_leverage)}x"),
            *_asset_fields(summary),
        ]
    )


def _asset_fields(summary: models.AccountSummary) -> list[tuple[str, str]]:
    """Multi-Assets mode and the balances besides USDT, each with the margin it gives (none when the
    account holds USDT alone in single-asset mode)."""
    shown = [("asset mode", "multi-assets")] if summary.multi_assets_mode else []
    for balance in summary.assets:
        valuation = f"x {text(balance.index_price)} x {text(balance.collateral_rate)} = {text(balance.margin_value)}"
        shown.append((f"{balance.asset} balance", f"{text(balance.wallet_balance)} ({valuation} {summary.asset})"))
    return shown


def book_ladder(symbol: str, sequence: int, bids: Sequence[models.BookLevel], asks: Sequence[models.BookLevel]) -> str:
    """Asks above bids, best prices meeting in the middle at the spread line, as a trader reads a book."""
    rows = [["ask", text(level.price), text(level.quantity), str(level.order_count)] for level in reversed(asks)]
    rows += [["bid", text(level.price), text(level.quantity), str(level.order_count)] for level in bids]
    header = f"{symbol}  sequence {sequence}  {spread_text(bids, asks)}"
    if not rows:
        return f"{header}\nempty book"
    return f"{header}\n{table(['SIDE', 'PRICE', 'QTY', 'ORDERS'], rows)}"


def spread_text(bids: Sequence[models.BookLevel], asks: Sequence[models.BookLevel]) -> str:
    """``bid 64900.0 / ask 64900.1 (spread 0.1)``, with ``-`` for an empty side."""
    bid = bids[0].price if bids else None
    ask = asks[0].price if asks else None
    spread = f" (spread {text(ask - bid)})" if bid is not None and ask is not None else ""
    return f"bid {text(bid)} / ask {text(ask)}{spread}"


def tickers_table(tickers: Sequence[models.Ticker]) -> str:
    """One row per symbol: the prices a trader checks before an order, funding, and the last 24 hours."""
    rows = [
        [
            ticker.symbol,
            text(ticker.last_price),
            text(ticker.best_bid_price),
            text(ticker.best_ask_price),
            text(ticker.mark_price),
            text(ticker.index_price),
            percent(ticker.funding_rate, places=4),
            text(ticker.next_funding_time),
            text(ticker.volume_24h),
            text(ticker.open_interest),
        ]
        for ticker in tickers
    ]
    headers = ["SYMBOL", "LAST", "BID", "ASK", "MARK", "INDEX", "FUNDING", "NEXT FUNDING", "VOLUME 24H", "OPEN INT"]
    return table(headers, rows)


def instruments_table(instruments: Sequence[models.Instrument]) -> str:
    """The filters an order must pass, the leverage ceiling and the fee rates, one row per symbol."""
    rows = [
        [
            item.symbol,
            text(item.tick_size),
            text(item.lot_size),
            text(item.min_quantity),
            text(item.min_notional),
            f"{item.max_leverage}x",
            percent(item.maker_fee_rate, places=4),
            percent(item.taker_fee_rate, places=4),
            text(item.funding_interval),
        ]
        for item in instruments
    ]
    headers = ["SYMBOL", "TICK", "LOT", "MIN QTY", "MIN NOTIONAL", "MAX LEVERAGE", "MAKER FEE", "TAKER FEE", "FUNDING"]
    return table(headers, rows)


def accounts_table(accounts: Sequence[models.AccountSummary]) -> str:
    """The operator's view: every account's balances, margin ratio, hidden leverage and open positions."""
    if not accounts:
        return "no accounts"
    rows = [
        [
            str(account.account_id),
            account.name,
            text(account.wallet_balance),
            text(account.margin_balance),
            text(account.available_balance),
            percent(account.margin_ratio),
            f"{text(account.effective_leverage)}x",
            str(len(account.positions)),
        ]
        for account in accounts
    ]
    headers = ["ID", "NAME", "WALLET", "MARGIN BALANCE", "AVAILABLE", "MARGIN RATIO", "EFF LEVERAGE", "POSITIONS"]
    return table(headers, rows)
