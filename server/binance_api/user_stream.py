"""The account's user events (what gRPC's StreamUserEvents sends) as the venue's user data stream:
``ORDER_TRADE_UPDATE``, ``ALGO_UPDATE``, ``ACCOUNT_UPDATE``, ``MARGIN_CALL``, ``ACCOUNT_CONFIG_UPDATE``.

One ``UserStream`` per connection. It keeps what the venue's messages carry and a single event does
not: each symbol's settings (a settings event says what they are, the venue says what changed), and
the positions and cross wallet a margin call lists (``refresh``ed from the account when one comes).
The events of one command arrive together, so its wallet and position changes become one
``ACCOUNT_UPDATE``, after its order updates. An order's fields are the ones the REST routes show
(``render.order``, ``render.algo_order``) under the stream's names: the venue's order is mapped from
the order record in one place.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from paperex.engine.accounts import MarginMode, SymbolSettings
from paperex.engine.events import (
    BalanceReason,
    MarginCallIssued,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderTriggered,
    SettingsChanged,
)
from paperex.engine.instruments import Instrument
from paperex.engine.orders import CONDITIONAL_TYPES, OrderStatus, OrderType
from paperex.server.binance_api import render
from paperex.server.core.queries import AccountOverview
from paperex.server.core.records import (
    AccountNotice,
    BalanceUpdate,
    OrderUpdate,
    PositionUpdate,
    UserEvent,
    position_figures,
)
from paperex.server.wire.render import money

LIMIT_PRICED = {OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.TAKE_PROFIT_LIMIT}
EXECUTIONS = {
    OrderAccepted: "NEW",
    OrderTriggered: "NEW",
    OrderAmended: "AMENDMENT",
    OrderFilled: "TRADE",
    OrderCanceled: "CANCELED",
    OrderExpired: "EXPIRED",
}
"""The order events the venue streams (a trailing stop's move is not one), by execution type."""
WAITING = {OrderAccepted, OrderCanceled, OrderExpired}
"""The events of a conditional order waiting for its trigger that the venue shows (``ALGO_UPDATE`` NEW,
CANCELED, EXPIRED)."""
BALANCE_REASONS = {
    BalanceReason.DEPOSIT: "DEPOSIT",
    BalanceReason.WITHDRAWAL: "WITHDRAW",
    BalanceReason.FUNDING: "FUNDING_FEE",
    BalanceReason.INSURANCE_FUND_COVER: "INSURANCE_CLEAR",
    BalanceReason.INSURANCE_CLEAR: "INSURANCE_CLEAR",
    BalanceReason.AUTO_EXCHANGE: "AUTO_EXCHANGE",
}
"""The venue's ``ACCOUNT_UPDATE`` reason for a wallet change; fills' changes (PnL, fee, margin) are ORDER."""
TRADING = {BalanceReason.REALIZED_PNL, BalanceReason.FEE}
"""Changes the venue leaves out of ``bc`` (balance change except PnL and commission)."""


class UserStream:
    """Renders one account's user events, command by command, as the venue's user data messages."""

    def __init__(self, view: AccountOverview, instruments: Mapping[str, Instrument]) -> None:
        self.instruments = instruments
        self.settings: dict[str, SymbolSettings] = {limits.symbol: limits.settings for limits in view.limits}
        self.cross_wallet = ""
        self.positions: dict[str, dict[str, Any]] = {}
        self.refresh(view)

    def refresh(self, view: AccountOverview) -> None:
        """Take the positions and the cross wallet from ``view``: a margin call shows them at its mark,
        which the events before it do not carry (a mark price move changes no position event)."""
        summary = view.summary
        self.cross_wallet = money(summary.wallet)
        self.positions = {}
        for figures in summary.positions:
            spec = self.instruments[figures.symbol]
            self.positions[f"{figures.symbol} {figures.position_side}"] = {
                "s": figures.symbol,
                "ps": figures.position_side.value,
                "pa": render.signed_qty(figures.size, spec),
                "ep": render.fraction_price(figures.entry_price, spec),
                "up": money(figures.unrealized_pnl),
                "mt": render.MARGIN_TYPES[figures.mode],
                "iw": money(figures.isolated_wallet),
                "mp": render.price_text(figures.mark_price, spec),
                "mm": money(figures.maintenance_margin),
            }

    @staticmethod
    def margin_called(events: Iterable[UserEvent]) -> bool:
        return any(type(event) is AccountNotice and type(event.event) is MarginCallIssued for event in events)

    def messages(self, events: Iterable[UserEvent]) -> list[dict[str, Any]]:
        """The venue's messages for these events (oldest first; a command's events kept together)."""
        messages: list[dict[str, Any]] = []
        command: list[UserEvent] = []
        for event in events:
            if command and event.sequence != command[0].sequence:
                messages += self._command(command)
                command = []
            command.append(event)
        if command:
            messages += self._command(command)
        return messages

    def _command(self, events: list[UserEvent]) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        balances: list[BalanceUpdate] = []
        positions: dict[str, dict[str, Any]] = {}
        reason = ""
        settings_changed = False
        for event in events:
            time = render.ms(event.ts)
            if type(event) is OrderUpdate:
                messages += _order_messages(event, self.instruments[event.record.symbol], time)
            elif type(event) is BalanceUpdate:
                balances.append(event)
                reason = reason or _balance_reason(event)
            elif type(event) is PositionUpdate:
                positions[f"{event.symbol} {event.position_side}"] = _position(event, self.instruments[event.symbol])
            elif type(event) is AccountNotice and type(event.event) is SettingsChanged:
                settings_changed = True
                leverage, flat = self._settings(event.event, time)
                messages += leverage
                if flat is not None:
                    positions.setdefault(f"{flat['s']} {flat['ps']}", flat)
                    reason = "MARGIN_TYPE_CHANGE"
            elif type(event) is AccountNotice and type(event.event) is MarginCallIssued:
                messages.append(self._margin_call(event.event, time))
        # a leverage change alone is only ACCOUNT_CONFIG_UPDATE, as on the venue
        if (balances or positions) and (reason or not settings_changed):
            time = render.ms(events[-1].ts)
            messages.append(_account_update(reason or "ORDER", balances, list(positions.values()), time))
        return messages

    def _settings(self, changed: SettingsChanged, time: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """A leverage change as ``ACCOUNT_CONFIG_UPDATE``; for a margin type change, the (flat) position
        in its new type, for the command's ``ACCOUNT_UPDATE``."""
        symbol, mode, leverage = changed.symbol, changed.mode, changed.leverage
        before = self.settings.get(symbol)
        self.settings[symbol] = SymbolSettings(mode, leverage)
        updates = []
        if before is None or before.leverage != leverage:
            updates.append({"e": "ACCOUNT_CONFIG_UPDATE", "E": time, "T": time, "ac": {"s": symbol, "l": leverage}})
        if before is not None and before.mode is mode:
            return updates, None
        flat = {"s": symbol, "ps": "BOTH", "pa": "0", "ep": "0", "up": "0", "mt": render.MARGIN_TYPES[mode], "iw": "0"}
        return updates, flat

    def _margin_call(self, call: MarginCallIssued, time: int) -> dict[str, Any]:
        """The positions of the margin that crossed the threshold: every cross one, or the isolated one."""
        isolated = call.mode is MarginMode.ISOLATED
        held = [
            figures
            for figures in self.positions.values()
            if (figures["s"] == call.symbol if isolated else figures["mt"] == "cross")
        ]
        return {
            "e": "MARGIN_CALL",
            "E": time,
            "cw": self.cross_wallet,
            "p": [
                {
                    "s": figures["s"],
                    "ps": figures["ps"],
                    "pa": figures["pa"],
                    "mt": "ISOLATED" if isolated else "CROSSED",
                    "iw": figures["iw"],
                    "mp": figures["mp"],
                    "up": figures["up"],
                    "mm": figures["mm"],
                }
                for figures in held
            ],
        }


def _position(update: PositionUpdate, spec: Instrument) -> dict[str, Any]:
    """A position event's figures that ``ACCOUNT_UPDATE`` shows."""
    held, leg = position_figures(update, spec), update.position_side.value
    if held is None:
        mode = render.MARGIN_TYPES[update.mode]
        return {"s": update.symbol, "ps": leg, "pa": "0", "ep": "0", "up": "0", "mt": mode, "iw": "0"}
    return {
        "s": update.symbol,
        "ps": leg,
        "pa": render.signed_qty(held.size, spec),
        "ep": render.fraction_price(held.entry_price, spec),
        "up": money(held.unrealized_pnl),
        "mt": render.MARGIN_TYPES[held.mode],
        "iw": money(held.isolated_wallet),
    }


def _balance_reason(change: BalanceUpdate) -> str:
    if change.reason is BalanceReason.ISOLATED_MARGIN_TRANSFER and not change.trade_id:
        return "MARGIN_TRANSFER"
    return BALANCE_REASONS.get(change.reason, "ORDER")


def _account_update(
    reason: str, balances: list[BalanceUpdate], positions: list[dict[str, Any]], time: int
) -> dict[str, Any]:
    wallet: list[dict[str, str]] = []
    per_asset: dict[str, list[BalanceUpdate]] = {}
    for change in balances:
        per_asset.setdefault(change.asset, []).append(change)
    for asset, changes in per_asset.items():  # one entry per asset that moved, as in Multi-Assets mode
        outside_trading = sum(b.cross_change + b.isolated_change for b in changes if b.reason not in TRADING)
        last = changes[-1]
        wallet.append(
            {
                "a": asset,
                "wb": money(last.cross_wallet + last.isolated_total),
                "cw": money(last.cross_wallet),
                "bc": money(outside_trading),
            }
        )
    shown = [
        {
            "s": p["s"],
            "pa": p["pa"],
            "ep": p["ep"],
            "bep": p["ep"],
            "cr": "0",
            "up": p["up"],
            "mt": p["mt"],
            "iw": p["iw"],
            "ps": p["ps"],
        }
        for p in positions
    ]
    return {"e": "ACCOUNT_UPDATE", "E": time, "T": time, "a": {"m": reason, "B": wallet, "P": shown}}


def _order_messages(update: OrderUpdate, spec: Instrument, time: int) -> list[dict[str, Any]]:
    """``ORDER_TRADE_UPDATE`` for a working order, ``ALGO_UPDATE`` for a conditional one: alone while it
    waits for its trigger, beside the order it became once triggered (``TRIGGERED``, then ``FINISHED``)."""
    kind = update.kind
    if kind not in EXECUTIONS:
        return []
    conditional = update.record.order_type in CONDITIONAL_TYPES
    status, triggered = update.state[0], update.state[6]
    if conditional and not triggered:
        return [_algo_update(update, spec, time)] if kind in WAITING else []
    messages = [_order_trade_update(update, spec, time)]
    if conditional and kind is OrderTriggered:
        messages.insert(0, _algo_update(update, spec, time))  # TRIGGERED
    elif conditional and status not in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
        messages.append(_algo_update(update, spec, time))  # FINISHED
    return messages


def _renamed(shown: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The stream's fields taken from an answer the REST routes give: ``names`` maps each stream name to
    the REST one (a field the answer lacks is left out)."""
    return {stream: shown[rest] for stream, rest in names.items() if rest in shown}


ORDER_FIELDS = {
    "s": "symbol",
    "S": "side",
    "f": "timeInForce",
    "q": "origQty",
    "p": "price",
    "wt": "workingType",
    "ps": "positionSide",
    "cp": "closePosition",
    "pP": "priceProtect",
    "R": "reduceOnly",
    "V": "selfTradePreventionMode",
    "pm": "priceMatch",
    "gtd": "goodTillDate",
}
"""``ORDER_TRADE_UPDATE``'s order fields that are ``render.order``'s under other names."""
ALGO_FIELDS = {
    **ORDER_FIELDS,
    "q": "quantity",
    "caid": "clientAlgoId",
    "aid": "algoId",
    "at": "algoType",
    "o": "orderType",
    "X": "algoStatus",
    "ai": "actualOrderId",
    "ap": "actualPrice",
}
"""``ALGO_UPDATE``'s fields that are ``render.algo_order``'s under other names."""
TRAILING_FIELDS = {"AP": "activatePrice", "cr": "priceRate"}
ALGO_TRAILING_FIELDS = {"AP": "activatePrice", "cr": "callbackRate"}


def _order_trade_update(update: OrderUpdate, spec: Instrument, time: int) -> dict[str, Any]:
    """The order as ``render.order`` shows it, under the stream's names, with this event's execution."""
    record, fill = update.record, update.fill
    shown = render.order((record, update.state), spec)
    conditional = record.order_type in CONDITIONAL_TYPES
    working = shown["type"] if not conditional else "LIMIT" if record.order_type in LIMIT_PRICED else "MARKET"
    forced = record.liquidation or record.auto_deleverage
    payload: dict[str, Any] = {
        **_renamed(shown, ORDER_FIELDS),
        "c": shown["clientOrderId"],
        "o": working,
        "ap": shown["avgPrice"],
        "sp": shown["stopPrice"],
        "x": "CALCULATED" if fill is not None and forced else EXECUTIONS[update.kind],
        "X": shown["status"],
        "i": record.order_id,
        "l": render.signed_qty(fill.quantity, spec) if fill is not None else "0",
        "z": shown["executedQty"],
        "L": render.price_text(fill.price, spec) if fill is not None else "0",
        "N": spec.quote if fill is not None else render.ASSET,
        "n": money(fill.fee) if fill is not None else "0",
        "T": render.ms(fill.time) if fill is not None else time,
        "t": fill.trade_id if fill is not None else 0,
        "b": "0",
        "a": "0",
        "m": fill.is_maker if fill is not None else False,
        "ot": shown["origType"],
        "si": 0,
        "ss": 0,
        "rp": money(fill.realized_pnl) if fill is not None else "0",
        **_renamed(shown, TRAILING_FIELDS),
    }
    return {"e": "ORDER_TRADE_UPDATE", "E": time, "T": payload["T"], "o": payload}


def _algo_update(update: OrderUpdate, spec: Instrument, time: int) -> dict[str, Any]:
    """The conditional order as ``render.algo_order`` shows it, under the stream's names."""
    record, triggered = update.record, update.state[6]
    shown = render.algo_order((record, update.state), spec)
    payload = {
        **_renamed(shown, ALGO_FIELDS),
        "aq": render.signed_qty(update.state[1], spec),
        "act": ("LIMIT" if record.order_type in LIMIT_PRICED else "MARKET") if triggered else "0",
        "tp": shown["triggerPrice"],
        "tt": time if shown["algoStatus"] == "TRIGGERED" else 0,
    }
    if record.order_type is OrderType.TRAILING_STOP_MARKET:
        payload |= _renamed(shown, ALGO_TRAILING_FIELDS)
    return {"e": "ALGO_UPDATE", "E": time, "T": time, "o": payload}
