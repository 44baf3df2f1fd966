"""Engine events to the private user-event stream (StreamUserEvents), one account at a time.

Captured as the command is applied, so that an order or position shows its state at that event
(an IOC accepted then filled in one command yields an accepted order, then the fill). The frequent
kinds (order events, position changes, rejections) are captured instead: the order record's
changing fields, the position's figures and so on, copied then, and rendered to protobuf only when
a subscriber (through a ``Deferred``) or a resume (``UserEventLog``) reads them. The rare kinds
are rendered at once.
"""

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import fields
from typing import Any

from paperex.engine.accounts import MarginMode, SymbolSettings
from paperex.engine.collateral import USDT
from paperex.engine.events import (
    AccountCreated,
    AssetModeChanged,
    BalanceChanged,
    BalanceReason,
    Event,
    FundingSettled,
    LiquidationTriggered,
    MarginCallIssued,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderTriggered,
    PositionChanged,
    PositionDeleveraged,
    PositionLiquidated,
    SettingsChanged,
    TrailingStopMoved,
)
from paperex.engine.instruments import Instrument
from paperex.engine.margin import max_notional_for
from paperex.engine.risk import FigureBasis, PositionFigures, figures
from paperex.server.state.alerts import Alert
from paperex.server.state.history import FillRecord, History, OrderRecord, order_state
from paperex.server.state.wallets import Wallets
from paperex.server.wire import render
from paperex.server.wire.deferred import Deferred
from paperex.server.wire.rejections import refusal
from paperex.v1 import account_pb2, common_pb2

UserEventBody = dict[str, object]
"""Keyword arguments of ``UserEvent`` naming the oneof member, e.g. {"order_filled": OrderFilled(...)}."""


Captured = tuple[Any, ...]
"""A user event as captured: (sequence, index, ts, body function, *its arguments); ``user_event``
renders it. A plain tuple, so that a snapshot pickles it at C speed."""


def user_event(captured: Captured) -> Any:
    """The ``UserEvent`` of a captured event: the cursor and time of its command, then its body."""
    sequence, index, ts, body = captured[:4]
    return account_pb2.UserEvent(
        cursor={"sequence": sequence, "index": index}, time=render.stamp(ts), **body(*captured[4:])
    )


class UserEventLog(deque[Any]):
    """One account's retained events, oldest first: ``UserEvent`` messages, or captures (tuples) of
    the frequent kinds. Every read (iteration, indexing) gives messages; a capture read is rendered
    then and the message kept in its place, so a second resume renders nothing again."""

    __slots__ = ()

    def __init__(self, items: Iterable[Any] = (), maxlen: int | None = None) -> None:
        super().__init__(items, maxlen)

    def __iter__(self) -> Iterator[Any]:
        items = list(deque.__iter__(self))
        rendered = False
        for position, item in enumerate(items):
            if type(item) is tuple:
                items[position] = user_event(item)
                rendered = True
        if rendered:
            deque.clear(self)
            deque.extend(self, items)
        return iter(items)

    def __reversed__(self) -> Iterator[Any]:
        return iter(list(self.__iter__())[::-1])

    def __getitem__(self, position: int) -> Any:  # type: ignore[override]
        item = deque.__getitem__(self, position)
        if type(item) is tuple:
            item = user_event(item)
            deque.__setitem__(self, position, item)
        return item

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as captured (deque's own pickling iterates, which would render everything)."""
        return type(self), (list(deque.__iter__(self)), self.maxlen)

    def last_cursor(self) -> tuple[int, int]:
        """The newest event's cursor, (0, 0) before any, without rendering it."""
        return _cursor(deque.__getitem__(self, -1)) if self else (0, 0)

    def after(self, sequence: int, index: int) -> list[Any] | None:
        """The events strictly after the cursor, rendering only those; None when the log no longer
        reaches back that far (``Exchange.events_after`` without its future-cursor check)."""
        if not self:
            return []
        cursor = (sequence, index)
        if cursor < _cursor(deque.__getitem__(self, 0)) and self.maxlen == len(self):
            return None
        found = []
        for position in range(len(self) - 1, -1, -1):
            item = deque.__getitem__(self, position)
            if _cursor(item) <= cursor:
                break
            if type(item) is tuple:  # rendered once, kept in place for the next reader
                item = user_event(item)
                deque.__setitem__(self, position, item)
            found.append(item)
        found.reverse()
        return found


def _cursor(item: Any) -> tuple[int, int]:
    if type(item) is tuple:
        return item[0], item[1]
    return item.cursor.sequence, item.cursor.index


def _accepted(record: OrderRecord, spec: Instrument, _: None, *state: Any) -> UserEventBody:
    return {"order_accepted": account_pb2.OrderAccepted(order=render.order_at(record, state, spec))}


def _triggered(record: OrderRecord, spec: Instrument, trigger: int, *state: Any) -> UserEventBody:
    order = render.order_at(record, state, spec)
    return {"order_triggered": account_pb2.OrderTriggered(order=order, trigger_price=render.price(trigger, spec))}


def _amended(record: OrderRecord, spec: Instrument, kept: bool, *state: Any) -> UserEventBody:
    order = render.order_at(record, state, spec)
    return {"order_amended": account_pb2.OrderAmended(order=order, priority_kept=kept)}


def _filled(record: OrderRecord, spec: Instrument, fill: FillRecord, *state: Any) -> UserEventBody:
    order = render.order_at(record, state, spec)
    return {"order_filled": account_pb2.OrderFilled(order=order, fill=render.fill(fill, spec))}


def _canceled(record: OrderRecord, spec: Instrument, _: None, *state: Any) -> UserEventBody:
    return {"order_canceled": account_pb2.OrderCanceled(order=render.order_at(record, state, spec))}


def _expired(record: OrderRecord, spec: Instrument, _: None, *state: Any) -> UserEventBody:
    return {"order_expired": account_pb2.OrderExpired(order=render.order_at(record, state, spec))}


def _trailed(record: OrderRecord, spec: Instrument, _: None, *state: Any) -> UserEventBody:
    return {"trailing_stop_moved": account_pb2.TrailingStopMoved(order=render.order_at(record, state, spec))}


def position_figures(e: PositionChanged, spec: Instrument) -> PositionFigures | None:
    """The figures of the position as ``e`` left it (None when flat)."""
    if e.basis is None:
        return None
    return figures(spec, e.mode, e.leverage, e.size, e.entry_notional, e.isolated_wallet, e.basis)


def _position(
    spec: Instrument, ts: int, mode: MarginMode, leverage: int, size: int, entry: int, isolated: int, *basis: int
) -> UserEventBody:
    """``basis``: the FigureBasis' values in field order (a tuple pickles in C); the figures are worked out
    only now, when the event is read."""
    held = figures(spec, mode, leverage, size, entry, isolated, FigureBasis(*basis))
    return {"position_changed": account_pb2.PositionChanged(position=render.position(held, spec, ts))}


def _flat_position(symbol: str, mode: MarginMode, leverage: int, mark: int, spec: Instrument, ts: int) -> UserEventBody:
    settings = SymbolSettings(mode, leverage)
    position = render.flat_position(symbol, settings, mark, spec, ts)
    return {"position_changed": account_pb2.PositionChanged(position=position)}


def price_alert_triggered(alert: Alert, spec: Instrument, price: int, sequence: int, index: int, ts: int) -> Any:
    """The ``UserEvent`` of an alert fired at ``price`` by the command ``sequence``, rendered now (alerts
    are rare), numbered ``index`` after the command's own events."""
    return account_pb2.UserEvent(
        cursor=account_pb2.EventCursor(sequence=sequence, index=index),
        time=render.timestamp(ts),
        price_alert_triggered=account_pb2.PriceAlertTriggered(
            alert=render.price_alert(alert, spec), price=spec.ticks_to_price(price)
        ),
    )


def _lazy(account_id: int, captured: Captured) -> tuple[int, Captured, Deferred]:
    return account_id, captured, Deferred(user_event, captured)


def _balance(
    reason: BalanceReason,
    cross_change: int,
    cross_wallet: int,
    symbol: str,
    isolated_change: int,
    isolated_wallet: int,
    trade_id: int,
    isolated_total: int,
) -> UserEventBody:
    """``isolated_total``: the account's isolated wallets together right after the change."""
    isolated = isolated_change != 0 or isolated_wallet != 0
    body = account_pb2.BalanceChanged(
        reason=render.BALANCE_REASONS[reason],
        change=render.money(cross_change + isolated_change),
        symbol=symbol,
        trade_id=trade_id,
        wallet_balance=render.money(cross_wallet + isolated_total),
        cross_wallet_balance=render.money(cross_wallet),
        isolated_wallet=render.money(isolated_wallet) if isolated else "",
        cross_change=render.money(cross_change),
        isolated_change=render.money(isolated_change) if isolated else "",
        asset=USDT,
    )
    return {"balance_changed": body}


def _asset_balance(reason: BalanceReason, asset: str, change: int, balance: int) -> UserEventBody:
    """Another asset than USDT moved: its change and balance (the USDT cross fields stay empty)."""
    body = account_pb2.BalanceChanged(
        reason=render.BALANCE_REASONS[reason],
        change=render.money(change),
        wallet_balance=render.money(balance),
        asset=asset,
    )
    return {"balance_changed": body}


_REJECTED_FIELDS = tuple(field.name for field in fields(OrderRejected))


def _rejected(spec: Instrument | None, *values: Any) -> UserEventBody:
    return {"order_rejected": _rejection_body(OrderRejected(*values), spec)}


def _rejection_body(e: OrderRejected, spec: Instrument | None) -> account_pb2.OrderRejected:
    """The stream's rejection: the same ``Rejection`` the command's own caller got."""
    return account_pb2.OrderRejected(
        command=e.command,
        symbol=e.symbol,
        order_id=e.order_id,
        client_order_id=e.client_order_id,
        rejection=refusal(e, spec).rejection(),
    )


class UserEventRenderer:
    """Turns one engine event into (account id, UserEvent oneof member) for the account it concerns,
    from the event, the order history as folded so far, the account's wallets as folded so far and the
    instrument table: never the engine, which may be ahead of the event."""

    def __init__(self, instruments: Mapping[str, Instrument], history: History, wallets: Wallets) -> None:
        self.instruments = instruments
        self.history = history
        self.wallets = wallets
        self.silent_accounts: set[int] = set()
        """The exchange's own accounts (created not liquidatable: the liquidity provider, the taker
        flow): no key can read their events, so none are captured."""
        self._handlers: dict[type, Callable[[object, int], tuple[int, UserEventBody] | None]] = {
            OrderAccepted: self._order_accepted,
            OrderRejected: self._order_rejected,
            OrderTriggered: self._order_triggered,
            OrderAmended: self._order_amended,
            OrderFilled: self._order_filled,
            OrderCanceled: self._order_ended,
            OrderExpired: self._order_ended,
            PositionChanged: self._position_changed,
            FundingSettled: self._funding_settled,
            MarginCallIssued: self._margin_call,
            LiquidationTriggered: self._liquidation_started,
            PositionLiquidated: self._position_liquidated,
            PositionDeleveraged: self._position_deleveraged,
            SettingsChanged: self._settings_changed,
            AssetModeChanged: self._asset_mode_changed,
        }
        self._capturers: dict[type, Callable[[Any, int, int, int], tuple[int, Any, Any] | None]] = {
            OrderAccepted: self._capture_order,
            OrderTriggered: self._capture_order,
            OrderAmended: self._capture_order,
            OrderFilled: self._capture_order,
            OrderCanceled: self._capture_order,
            OrderExpired: self._capture_order,
            TrailingStopMoved: self._capture_order,
            PositionChanged: self._capture_position,
            OrderRejected: self._capture_rejected,
            BalanceChanged: self._capture_balance,
            AccountCreated: self._account_created,
        }

    def capture(self, event: Event, sequence: int, index: int, ts: int) -> tuple[int, Any, Any] | None:
        """For an event an account should see: (account id, what its log keeps, what its stream is
        sent), else None. The frequent kinds are a capture (``Captured``) and a ``Deferred`` of its
        message; the rare ones are one message rendered now, for both."""
        if getattr(event, "account_id", 0) in self.silent_accounts:
            return None
        capturer = self._capturers.get(type(event))
        if capturer is not None:
            return capturer(event, sequence, index, ts)
        if type(event) not in self._handlers:
            return None
        cursor = account_pb2.EventCursor(sequence=sequence, index=index)
        rendered = self.render(event, ts, cursor, render.timestamp(ts))
        return None if rendered is None else (rendered[0], rendered[1], rendered[1])

    def _capture_order(self, e: Any, sequence: int, index: int, ts: int) -> tuple[int, Any, Any]:
        """One flat tuple per event (the order's changing fields spread at its end): the log keeps
        tens of thousands, each one object for the garbage collector to visit."""
        order_id = e.order_id
        record = self.history.orders[order_id]
        spec = self.instruments[record.symbol]
        state = order_state(record)
        kind = type(e)
        if kind is OrderAccepted:
            return _lazy(e.account_id, (sequence, index, ts, _accepted, record, spec, None, *state))
        if kind is OrderFilled:
            fill = self.history.last_fill(e.account_id)
            return _lazy(e.account_id, (sequence, index, ts, _filled, record, spec, fill, *state))
        if kind is OrderCanceled:
            return _lazy(e.account_id, (sequence, index, ts, _canceled, record, spec, None, *state))
        if kind is OrderExpired:
            return _lazy(e.account_id, (sequence, index, ts, _expired, record, spec, None, *state))
        if kind is OrderAmended:
            return _lazy(e.account_id, (sequence, index, ts, _amended, record, spec, e.priority_kept, *state))
        if kind is TrailingStopMoved:
            return _lazy(e.account_id, (sequence, index, ts, _trailed, record, spec, None, *state))
        return _lazy(e.account_id, (sequence, index, ts, _triggered, record, spec, e.trigger_price, *state))

    def _capture_position(self, e: PositionChanged, sequence: int, index: int, ts: int) -> tuple[int, Any, Any]:
        spec, basis = self.instruments[e.symbol], e.basis
        if basis is None:
            flat = (e.symbol, e.mode, e.leverage, e.mark_price, spec, ts)
            return _lazy(e.account_id, (sequence, index, ts, _flat_position, *flat))
        held = (spec, ts, e.mode, e.leverage, e.size, e.entry_notional, e.isolated_wallet, *basis)
        return _lazy(e.account_id, (sequence, index, ts, _position, *held))

    def _capture_balance(self, e: BalanceChanged, sequence: int, index: int, ts: int) -> tuple[int, Any, Any]:
        """The wallets read model has folded ``e`` already: its isolated total is the one right after it."""
        if e.asset != USDT:
            return _lazy(e.account_id, (sequence, index, ts, _asset_balance, e.reason, e.asset, e.delta, e.wallet))
        isolated = self.wallets.isolated(e.account_id)
        values = (e.reason, e.delta, e.wallet, e.symbol, e.isolated_delta, e.isolated_wallet, e.trade_id, isolated)
        return _lazy(e.account_id, (sequence, index, ts, _balance, *values))

    def _account_created(self, e: AccountCreated, sequence: int, index: int, ts: int) -> None:
        """The exchange's own accounts are the ones created not liquidatable: silent from here on."""
        if not e.liquidatable:
            self.silent_accounts.add(e.account_id)

    def _capture_rejected(self, e: OrderRejected, sequence: int, index: int, ts: int) -> tuple[int, Any, Any]:
        values = tuple(getattr(e, name) for name in _REJECTED_FIELDS)  # a copy: events are not frozen
        return _lazy(e.account_id, (sequence, index, ts, _rejected, self._spec(e.symbol), *values))

    def render(self, event: Event, ts: int, cursor: account_pb2.EventCursor, stamp: Any) -> tuple[int, Any] | None:
        """(account id, UserEvent) for an event an account should see, else None."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return None
        rendered = handler(event, ts)
        if rendered is None:
            return None
        account_id, body = rendered
        return account_id, account_pb2.UserEvent(cursor=cursor, time=stamp, **body)  # type: ignore[arg-type]

    def _spec(self, symbol: str) -> Instrument | None:
        """The symbol's instrument; None for a refusal that names a symbol the exchange does not have."""
        return self.instruments.get(symbol)

    def _order(self, order_id: int) -> common_pb2.Order:
        record = self.history.orders[order_id]
        return render.order(record, self.instruments[record.symbol])

    def _order_accepted(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, OrderAccepted)
        return e.account_id, {"order_accepted": account_pb2.OrderAccepted(order=self._order(e.order_id))}

    def _order_rejected(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, OrderRejected)
        return e.account_id, {"order_rejected": _rejection_body(e, self._spec(e.symbol))}

    def _order_triggered(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, OrderTriggered)
        spec = self.instruments[e.symbol]
        body = account_pb2.OrderTriggered(
            order=self._order(e.order_id), trigger_price=render.price(e.trigger_price, spec)
        )
        return e.account_id, {"order_triggered": body}

    def _order_amended(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, OrderAmended)
        body = account_pb2.OrderAmended(order=self._order(e.order_id), priority_kept=e.priority_kept)
        return e.account_id, {"order_amended": body}

    def _order_filled(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, OrderFilled)
        spec = self.instruments[e.symbol]
        fill = render.fill(self.history.last_fill(e.account_id), spec)
        return e.account_id, {"order_filled": account_pb2.OrderFilled(order=self._order(e.order_id), fill=fill)}

    def _order_ended(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        if isinstance(e, OrderCanceled):
            return e.account_id, {"order_canceled": account_pb2.OrderCanceled(order=self._order(e.order_id))}
        assert isinstance(e, OrderExpired)
        return e.account_id, {"order_expired": account_pb2.OrderExpired(order=self._order(e.order_id))}

    def _position_changed(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, PositionChanged)
        spec = self.instruments[e.symbol]
        held = position_figures(e, spec)
        if held is None:
            message = render.flat_position(e.symbol, SymbolSettings(e.mode, e.leverage), e.mark_price, spec, ts)
        else:
            message = render.position(held, spec, ts)
        return e.account_id, {"position_changed": account_pb2.PositionChanged(position=message)}

    def _funding_settled(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, FundingSettled)
        spec = self.instruments[e.symbol]
        body = account_pb2.FundingSettled(
            symbol=e.symbol,
            funding_rate=render.money(e.rate),
            mark_price=render.price(e.mark, spec),
            position_size=render.signed_qty(e.size, spec),
            payment=render.money(e.payment),
            funding_time=render.timestamp(ts),
        )
        return e.account_id, {"funding_settled": body}

    def _margin_call(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, MarginCallIssued)
        return e.account_id, {"margin_call_issued": render.margin_call(e)}

    def _liquidation_started(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, LiquidationTriggered)
        body = account_pb2.LiquidationStarted(
            margin_mode=render.MARGIN_MODES[e.mode],
            symbol=e.symbol,
            margin_balance=render.money(e.margin_balance),
            maintenance_margin=render.money(e.maintenance_margin),
        )
        return e.account_id, {"liquidation_started": body}

    def _position_liquidated(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, PositionLiquidated)
        spec = self.instruments[e.symbol]
        body = render.position_liquidated(e, self.history.orders[e.order_id], spec)
        return e.account_id, {"position_liquidated": body}

    def _position_deleveraged(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, PositionDeleveraged)
        spec = self.instruments[e.symbol]
        body = account_pb2.PositionDeleveraged(
            symbol=e.symbol,
            quantity=render.signed_qty(-e.side * e.quantity, spec),
            price=spec.ticks_to_price(e.price),
            realized_pnl=render.money(e.realized_pnl),
            order_id=e.order_id,
        )
        return e.account_id, {"position_deleveraged": body}

    def _asset_mode_changed(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, AssetModeChanged)
        body = account_pb2.AssetModeChanged(multi_assets_mode=e.multi_assets)
        return e.account_id, {"asset_mode_changed": body}

    def _settings_changed(self, e: object, ts: int) -> tuple[int, UserEventBody]:
        assert isinstance(e, SettingsChanged)
        spec = self.instruments[e.symbol]
        body = render.symbol_settings(e.symbol, SymbolSettings(e.mode, e.leverage), max_notional_for(spec, e.leverage))
        return e.account_id, {"symbol_settings_changed": account_pb2.SymbolSettingsChanged(settings=body)}
