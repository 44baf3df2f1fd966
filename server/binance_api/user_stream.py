"""The account's user events (what gRPC's StreamUserEvents sends) as the venue's user data stream:
``ORDER_TRADE_UPDATE``, ``ALGO_UPDATE``, ``ACCOUNT_UPDATE``, ``MARGIN_CALL``, ``ACCOUNT_CONFIG_UPDATE``.

One ``UserStream`` per connection. It keeps what the venue's messages carry and a single event does
not: each symbol's settings (a settings event says what they are, the venue says what changed), and
the positions and cross wallet a margin call lists (``refresh``ed from the account when one comes).
The events of one command arrive together, so its wallet and position changes become one
``ACCOUNT_UPDATE``, after its order updates.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from paperex.engine.accounts import MarginMode, SymbolSettings
from paperex.engine.instruments import Instrument
from paperex.server.binance_api import render
from paperex.server.core.queries import AccountOverview
from paperex.server.wire.render import money

ORDER_EVENTS = ("order_accepted", "order_triggered", "order_amended", "order_filled", "order_canceled", "order_expired")
CONDITIONAL = {
    "ORDER_TYPE_STOP_MARKET": "STOP_MARKET",
    "ORDER_TYPE_STOP_LIMIT": "STOP",
    "ORDER_TYPE_TAKE_PROFIT_MARKET": "TAKE_PROFIT_MARKET",
    "ORDER_TYPE_TAKE_PROFIT_LIMIT": "TAKE_PROFIT",
    "ORDER_TYPE_TRAILING_STOP_MARKET": "TRAILING_STOP_MARKET",
}
ORDER_TYPES = {"ORDER_TYPE_LIMIT": "LIMIT", "ORDER_TYPE_MARKET": "MARKET"} | CONDITIONAL
LIMIT_PRICED = {"ORDER_TYPE_LIMIT", "ORDER_TYPE_STOP_LIMIT", "ORDER_TYPE_TAKE_PROFIT_LIMIT"}
WORKING_TYPES = {"TRIGGER_BY_MARK": "MARK_PRICE", "TRIGGER_BY_LAST": "CONTRACT_PRICE"}
EXECUTIONS = {
    "order_accepted": "NEW",
    "order_triggered": "NEW",
    "order_amended": "AMENDMENT",
    "order_filled": "TRADE",
    "order_canceled": "CANCELED",
    "order_expired": "EXPIRED",
}
BALANCE_REASONS = {
    "BALANCE_CHANGE_REASON_DEPOSIT": "DEPOSIT",
    "BALANCE_CHANGE_REASON_WITHDRAWAL": "WITHDRAW",
    "BALANCE_CHANGE_REASON_FUNDING": "FUNDING_FEE",
    "BALANCE_CHANGE_REASON_INSURANCE_FUND_COVER": "INSURANCE_CLEAR",
    "BALANCE_CHANGE_REASON_INSURANCE_CLEAR": "INSURANCE_CLEAR",
    "BALANCE_CHANGE_REASON_AUTO_EXCHANGE": "AUTO_EXCHANGE",
}
"""The venue's ``ACCOUNT_UPDATE`` reason for a wallet change; fills' changes (PnL, fee, margin) are ORDER."""
TRADING = {"BALANCE_CHANGE_REASON_REALIZED_PNL", "BALANCE_CHANGE_REASON_FEE"}
"""Changes the venue leaves out of ``bc`` (balance change except PnL and commission)."""
MARGIN_TYPES = {"MARGIN_MODE_CROSS": "cross", "MARGIN_MODE_ISOLATED": "isolated"}


def _ms(stamp: Any) -> int:
    """A ``Timestamp`` in ms."""
    seconds: int = stamp.seconds
    nanos: int = stamp.nanos
    return seconds * 1000 + nanos // 1_000_000


def _name(message: Any, field: str) -> str:
    """The name of an enum field's value, e.g. "ORDER_TYPE_LIMIT": the events are read by name."""
    value: str = message.DESCRIPTOR.fields_by_name[field].enum_type.values_by_number[getattr(message, field)].name
    return value


def _or_zero(text: str) -> str:
    """A decimal as the venue writes it, and a zero or an absent one as "0" (not "0.000")."""
    return text if text and Decimal(text) else "0"


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
    def margin_called(events: Iterable[Any]) -> bool:
        return any(event.WhichOneof("event") == "margin_call_issued" for event in events)

    def messages(self, events: Iterable[Any]) -> list[dict[str, Any]]:
        """The venue's messages for these events (oldest first; a command's events kept together)."""
        messages: list[dict[str, Any]] = []
        command: list[Any] = []
        for event in events:
            if command and event.cursor.sequence != command[0].cursor.sequence:
                messages += self._command(command)
                command = []
            command.append(event)
        if command:
            messages += self._command(command)
        return messages

    def _command(self, events: list[Any]) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        balances: list[Any] = []
        positions: dict[str, dict[str, Any]] = {}
        reason = ""
        settings_changed = False
        for event in events:
            kind = event.WhichOneof("event")
            body: Any = getattr(event, kind) if kind else None
            time = _ms(event.time)
            if kind in ORDER_EVENTS:
                messages += _order_messages(kind, body, time)
            elif kind == "balance_changed":
                balances.append(body)
                reason = reason or _balance_reason(body)
            elif kind == "position_changed":
                position = _position(body.position)
                positions[position["s"]] = position
            elif kind == "symbol_settings_changed":
                settings_changed = True
                leverage, flat = self._settings(body.settings, time)
                messages += leverage
                if flat is not None:
                    positions.setdefault(flat["s"], flat)
                    reason = "MARGIN_TYPE_CHANGE"
            elif kind == "margin_call_issued":
                messages.append(self._margin_call(body, time))
        # a leverage change alone is only ACCOUNT_CONFIG_UPDATE, as on the venue
        if (balances or positions) and (reason or not settings_changed):
            messages.append(
                _account_update(reason or "ORDER", balances, list(positions.values()), _ms(events[-1].time))
            )
        return messages

    def _settings(self, settings: Any, time: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """A leverage change as ``ACCOUNT_CONFIG_UPDATE``; for a margin type change, the (flat) position
        in its new type, for the command's ``ACCOUNT_UPDATE``."""
        symbol = settings.symbol
        before = self.settings.get(symbol)
        mode = MarginMode.ISOLATED if _name(settings, "margin_mode") == "MARGIN_MODE_ISOLATED" else MarginMode.CROSS
        self.settings[symbol] = SymbolSettings(mode, settings.leverage)
        leverage = []
        if before is None or before.leverage != settings.leverage:
            leverage.append(
                {"e": "ACCOUNT_CONFIG_UPDATE", "E": time, "T": time, "ac": {"s": symbol, "l": settings.leverage}}
            )
        if before is not None and before.mode is mode:
            return leverage, None
        flat = {
            "s": symbol,
            "pa": "0",
            "ep": "0",
            "up": "0",
            "mt": MARGIN_TYPES[_name(settings, "margin_mode")],
            "iw": "0",
        }
        return leverage, flat

    def _margin_call(self, call: Any, time: int) -> dict[str, Any]:
        """The positions of the margin that crossed the threshold: every cross one, or the isolated one."""
        isolated = _name(call, "margin_mode") == "MARGIN_MODE_ISOLATED"
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


def _position(position: Any) -> dict[str, Any]:
    """A position event's figures that ``ACCOUNT_UPDATE`` shows."""
    return {
        "s": position.symbol,
        "pa": _or_zero(position.size),
        "ep": _or_zero(position.entry_price),
        "up": _or_zero(position.unrealized_pnl),
        "mt": MARGIN_TYPES[_name(position, "margin_mode")],
        "iw": _or_zero(position.isolated_wallet),
    }


def _balance_reason(change: Any) -> str:
    reason = _name(change, "reason")
    if reason == "BALANCE_CHANGE_REASON_ISOLATED_MARGIN_TRANSFER" and not change.trade_id:
        return "MARGIN_TRANSFER"
    return BALANCE_REASONS.get(reason, "ORDER")


def _account_update(reason: str, balances: list[Any], positions: list[dict[str, Any]], time: int) -> dict[str, Any]:
    wallet: list[dict[str, str]] = []
    per_asset: dict[str, list[Any]] = {}
    for change in balances:
        per_asset.setdefault(change.asset or render.ASSET, []).append(change)
    for asset, changes in per_asset.items():  # one entry per asset that moved, as in Multi-Assets mode
        outside_trading = sum((Decimal(b.change) for b in changes if _name(b, "reason") not in TRADING), Decimal(0))
        last = changes[-1]
        cross = last.cross_wallet_balance if asset == render.ASSET else last.wallet_balance
        wallet.append({"a": asset, "wb": last.wallet_balance, "cw": cross, "bc": str(outside_trading)})
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


def _order_messages(kind: str, body: Any, time: int) -> list[dict[str, Any]]:
    """``ORDER_TRADE_UPDATE`` for a working order, ``ALGO_UPDATE`` for a conditional one: alone while it
    waits for its trigger, beside the order it became once triggered (``TRIGGERED``, then ``FINISHED``)."""
    order = body.order
    conditional = _name(order, "order_type") in CONDITIONAL
    if conditional and not order.triggered:
        waiting = {"order_accepted": "NEW", "order_canceled": "CANCELED", "order_expired": "EXPIRED"}
        return [_algo_update(order, waiting[kind], time)] if kind in waiting else []
    messages = [_order_trade_update(kind, body, time)]
    if conditional and kind == "order_triggered":
        messages.insert(0, _algo_update(order, "TRIGGERED", time))
    elif conditional and _name(order, "status") not in ("ORDER_STATUS_NEW", "ORDER_STATUS_PARTIALLY_FILLED"):
        messages.append(_algo_update(order, "FINISHED", time))
    return messages


def _order_status(order: Any) -> str:
    status = _name(order, "status").removeprefix("ORDER_STATUS_")
    if status == "EXPIRED" and _name(order, "end_reason") == "END_REASON_SELF_TRADE_PREVENTION":
        return "EXPIRED_IN_MATCH"
    return status


def _common(order: Any) -> dict[str, Any]:
    """Fields both order messages carry under the same names."""
    return {
        "s": order.symbol,
        "S": _name(order, "side").removeprefix("SIDE_"),
        "f": _name(order, "time_in_force").removeprefix("TIME_IN_FORCE_"),
        "q": order.quantity,
        "p": _or_zero(order.price),
        "wt": WORKING_TYPES.get(_name(order, "trigger_by"), "CONTRACT_PRICE"),
        "ps": "BOTH",
        "cp": order.close_position,
        "pP": False,
        "R": order.reduce_only,
        "V": _name(order, "self_trade_prevention").removeprefix("SELF_TRADE_PREVENTION_"),
        "pm": "NONE",
        "gtd": _ms(order.expire_time),
    }


def _order_trade_update(kind: str, body: Any, time: int) -> dict[str, Any]:
    order = body.order
    fill = body.fill if kind == "order_filled" else None
    order_type = _name(order, "order_type")
    original = ORDER_TYPES[order_type]
    working = original if order_type not in CONDITIONAL else "LIMIT" if order_type in LIMIT_PRICED else "MARKET"
    forced = order.is_liquidation or order.is_auto_deleverage
    client_order_id = order.client_order_id
    if order.is_auto_deleverage:
        client_order_id = "adl_autoclose"
    elif order.is_liquidation and not client_order_id:
        client_order_id = f"autoclose-{_ms(order.create_time)}"
    payload: dict[str, Any] = {
        **_common(order),
        "c": client_order_id,
        "o": working,
        "ap": _or_zero(order.average_price),
        "sp": _or_zero(order.stop_price),
        "x": "CALCULATED" if fill is not None and forced else EXECUTIONS[kind],
        "X": _order_status(order),
        "i": order.order_id,
        "l": _or_zero(fill.quantity) if fill is not None else "0",
        "z": _or_zero(order.filled_quantity),
        "L": fill.price if fill is not None else "0",
        "N": fill.fee_asset if fill is not None else render.ASSET,
        "n": fill.fee if fill is not None else "0",
        "T": _ms(fill.time) if fill is not None else time,
        "t": fill.trade_id if fill is not None else 0,
        "b": "0",
        "a": "0",
        "m": fill.is_maker if fill is not None else False,
        "ot": original,
        "si": 0,
        "ss": 0,
        "rp": _or_zero(fill.realized_pnl) if fill is not None else "0",
    }
    if order_type == "ORDER_TYPE_TRAILING_STOP_MARKET":
        payload["AP"] = _or_zero(order.activation_price)
        payload["cr"] = render.callback_rate(order.callback_bps)
    return {"e": "ORDER_TRADE_UPDATE", "E": time, "T": payload["T"], "o": payload}


def _algo_update(order: Any, status: str, time: int) -> dict[str, Any]:
    order_type = _name(order, "order_type")
    trailing = order_type == "ORDER_TYPE_TRAILING_STOP_MARKET"
    payload = {
        **_common(order),
        "caid": order.client_order_id,
        "aid": order.order_id,
        "at": "CONDITIONAL",
        "o": CONDITIONAL[order_type],
        "X": status,
        "ai": str(order.order_id) if order.triggered else "",
        "ap": _or_zero(order.average_price),
        "aq": _or_zero(order.filled_quantity),
        "act": ("LIMIT" if order_type in LIMIT_PRICED else "MARKET") if order.triggered else "0",
        "tp": _or_zero(order.stop_price),
        "tt": time if status == "TRIGGERED" else 0,
    }
    if trailing:
        payload["AP"] = _or_zero(order.activation_price)
        payload["cr"] = render.callback_rate(order.callback_bps)
    return {"e": "ALGO_UPDATE", "E": time, "T": time, "o": payload}
