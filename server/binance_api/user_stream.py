"""The account's user events (what gRPC's StreamUserEvents sends) as the venue's user data stream:
``ORDER_TRADE_UPDATE``, ``ALGO_UPDATE``, ``ACCOUNT_UPDATE``, ``MARGIN_CALL``, ``ACCOUNT_CONFIG_UPDATE``.

One ``UserStream`` per connection. It keeps what the venue's messages carry and a single event does
not: each symbol's settings (a settings event says what they are, the venue says what changed), and
the positions and cross wallet a margin call lists (``refresh``ed from the account when one comes).
The events of one command arrive together, so its wallet and position changes become one
``ACCOUNT_UPDATE``, after its order updates.
"""

from collections.abc import Iterable, Mapping
from fractions import Fraction
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
from paperex.engine.reasons import EndReason
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
from paperex.server.wire.render import exact_price, money, steps_text

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
WAITING = {OrderAccepted: "NEW", OrderCanceled: "CANCELED", OrderExpired: "EXPIRED"}
"""What a conditional order waiting for its trigger shows as ``ALGO_UPDATE``."""
BALANCE_REASONS = {
    BalanceReason.DEPOSIT: "DEPOSIT",
    BalanceReason.WITHDRAWAL: "WITHDRAW",
    BalanceReason.FUNDING: "FUNDING_FEE",
    BalanceReason.INSURANCE_FUND_COVER: "INSURANCE_CLEAR",
    BalanceReason.INSURANCE_CLEAR: "INSURANCE_CLEAR",
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
            self.positions[figures.symbol] = {
                "s": figures.symbol,
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
                positions[event.symbol] = _position(event, self.instruments[event.symbol])
            elif type(event) is AccountNotice and type(event.event) is SettingsChanged:
                settings_changed = True
                leverage, flat = self._settings(event.event, time)
                messages += leverage
                if flat is not None:
                    positions.setdefault(flat["s"], flat)
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
        flat = {"s": symbol, "pa": "0", "ep": "0", "up": "0", "mt": render.MARGIN_TYPES[mode], "iw": "0"}
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
                    "ps": "BOTH",
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
    held = position_figures(update, spec)
    if held is None:
        return {"s": update.symbol, "pa": "0", "ep": "0", "up": "0", "mt": render.MARGIN_TYPES[update.mode], "iw": "0"}
    return {
        "s": update.symbol,
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
    if balances:
        outside_trading = sum(b.cross_change + b.isolated_change for b in balances if b.reason not in TRADING)
        last = balances[-1]
        wallet = [
            {
                "a": render.ASSET,
                "wb": money(last.cross_wallet + last.isolated_total),
                "cw": money(last.cross_wallet),
                "bc": money(outside_trading),
            }
        ]
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
            "ps": "BOTH",
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
        return [_algo_update(update, spec, WAITING[kind], time)] if kind in WAITING else []
    messages = [_order_trade_update(update, spec, time)]
    if conditional and kind is OrderTriggered:
        messages.insert(0, _algo_update(update, spec, "TRIGGERED", time))
    elif conditional and status not in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
        messages.append(_algo_update(update, spec, "FINISHED", time))
    return messages


def _order_status(status: OrderStatus, end_reason: EndReason | None) -> str:
    if status is OrderStatus.EXPIRED and end_reason is EndReason.SELF_TRADE_PREVENTION:
        return "EXPIRED_IN_MATCH"
    return status.value


def _average_price(filled: int, fill_cost: int, spec: Instrument) -> str:
    return exact_price(Fraction(fill_cost, filled), spec) if filled else "0"


def _common(update: OrderUpdate, spec: Instrument) -> dict[str, Any]:
    """Fields both order messages carry under the same names."""
    record, quantity, price = update.record, update.state[3], update.state[4]
    return {
        "s": record.symbol,
        "S": record.side.name,
        "f": record.time_in_force.value,
        "q": steps_text(quantity, spec.lot_size) if quantity else "",
        "p": render.price_text(price, spec),
        "wt": render.WORKING_TYPES[record.trigger_by],
        "ps": "BOTH",
        "cp": record.close_position,
        "pP": False,
        "R": record.reduce_only,
        "V": record.stp.value,
        "pm": "NONE",
        "gtd": render.ms(record.expire_at),
    }


def _trailing(update: OrderUpdate, spec: Instrument) -> dict[str, str]:
    """A trailing stop's activation price and callback rate; nothing for other orders."""
    record = update.record
    if record.order_type is not OrderType.TRAILING_STOP_MARKET:
        return {}
    return {"AP": render.price_text(record.activation_price, spec), "cr": render.callback_rate(record.callback_bps)}


def _order_trade_update(update: OrderUpdate, spec: Instrument, time: int) -> dict[str, Any]:
    record, fill = update.record, update.fill
    status, filled, fill_cost, _, _, _, _, end_reason, stop_price = update.state
    order_type = record.order_type
    original = render.VENUE_TYPES.get(order_type, order_type.value)
    conditional = order_type in CONDITIONAL_TYPES
    working = original if not conditional else "LIMIT" if order_type in LIMIT_PRICED else "MARKET"
    forced = record.liquidation or record.auto_deleverage
    client_order_id = record.client_order_id
    if record.auto_deleverage:
        client_order_id = "adl_autoclose"
    elif record.liquidation and not client_order_id:
        client_order_id = f"autoclose-{render.ms(record.created)}"
    payload: dict[str, Any] = {
        **_common(update, spec),
        "c": client_order_id,
        "o": working,
        "ap": _average_price(filled, fill_cost, spec),
        "sp": render.price_text(stop_price, spec),
        "x": "CALCULATED" if fill is not None and forced else EXECUTIONS[update.kind],
        "X": _order_status(status, end_reason),
        "i": record.order_id,
        "l": render.signed_qty(fill.quantity, spec) if fill is not None else "0",
        "z": render.signed_qty(filled, spec),
        "L": render.price_text(fill.price, spec) if fill is not None else "0",
        "N": spec.quote if fill is not None else render.ASSET,
        "n": money(fill.fee) if fill is not None else "0",
        "T": render.ms(fill.time) if fill is not None else time,
        "t": fill.trade_id if fill is not None else 0,
        "b": "0",
        "a": "0",
        "m": fill.is_maker if fill is not None else False,
        "ot": original,
        "si": 0,
        "ss": 0,
        "rp": money(fill.realized_pnl) if fill is not None else "0",
        **_trailing(update, spec),
    }
    return {"e": "ORDER_TRADE_UPDATE", "E": time, "T": payload["T"], "o": payload}


def _algo_update(update: OrderUpdate, spec: Instrument, status: str, time: int) -> dict[str, Any]:
    record = update.record
    _, filled, fill_cost, _, _, _, triggered, _, stop_price = update.state
    payload = {
        **_common(update, spec),
        "caid": record.client_order_id,
        "aid": record.order_id,
        "at": "CONDITIONAL",
        "o": render.VENUE_TYPES.get(record.order_type, record.order_type.value),
        "X": status,
        "ai": str(record.order_id) if triggered else "",
        "ap": _average_price(filled, fill_cost, spec),
        "aq": render.signed_qty(filled, spec),
        "act": ("LIMIT" if record.order_type in LIMIT_PRICED else "MARKET") if triggered else "0",
        "tp": render.price_text(stop_price, spec),
        "tt": time if status == "TRIGGERED" else 0,
        **_trailing(update, spec),
    }
    return {"e": "ALGO_UPDATE", "E": time, "T": time, "o": payload}
