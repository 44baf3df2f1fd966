"""An account's event values (``paperex.server.state.user_events``) as gRPC's ``UserEvent`` messages."""

from collections.abc import Callable, Mapping
from typing import Any

from paperex.engine.accounts import SymbolSettings
from paperex.engine.collateral import USDT
from paperex.engine.events import (
    AssetModeChanged,
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
    PositionDeleveraged,
    PositionLiquidated,
    SettingsChanged,
    TrailingStopMoved,
)
from paperex.engine.instruments import Instrument
from paperex.engine.margin import max_notional_for
from paperex.server.state.user_events import (
    AccountNotice,
    AlertFired,
    BalanceUpdate,
    OrderUpdate,
    PositionUpdate,
    UserEvent,
    position_figures,
)
from paperex.server.wire import render
from paperex.server.wire.rejections import refusal
from paperex.v1 import account_pb2

Specs = Mapping[str, Instrument]
Body = dict[str, Any]
"""Keyword arguments of ``UserEvent`` naming the oneof member, e.g. {"order_filled": OrderFilled(...)}."""


def user_event(event: UserEvent, specs: Specs) -> account_pb2.UserEvent:
    """The message of one event: its cursor and time, then its body."""
    body = _BODIES[type(event)](event, specs)
    cursor = {"sequence": event.sequence, "index": event.event_index}
    return account_pb2.UserEvent(cursor=cursor, time=render.stamp(event.ts), **body)


_ORDER_MESSAGES: dict[type, tuple[str, Any]] = {
    OrderAccepted: ("order_accepted", account_pb2.OrderAccepted),
    OrderCanceled: ("order_canceled", account_pb2.OrderCanceled),
    OrderExpired: ("order_expired", account_pb2.OrderExpired),
    TrailingStopMoved: ("trailing_stop_moved", account_pb2.TrailingStopMoved),
}


def _order(update: OrderUpdate, specs: Specs) -> Body:
    spec = specs[update.record.symbol]
    order = render.order_at(update.record, update.state, spec)
    kind = update.kind
    if kind is OrderFilled:
        assert update.fill is not None
        return {"order_filled": account_pb2.OrderFilled(order=order, fill=render.fill(update.fill, spec))}
    if kind is OrderTriggered:
        trigger = render.price(update.trigger_price, spec)
        return {"order_triggered": account_pb2.OrderTriggered(order=order, trigger_price=trigger)}
    if kind is OrderAmended:
        return {"order_amended": account_pb2.OrderAmended(order=order, priority_kept=update.priority_kept)}
    name, message = _ORDER_MESSAGES[kind]
    return {name: message(order=order)}


def _position(update: PositionUpdate, specs: Specs) -> Body:
    spec = specs[update.symbol]
    held = position_figures(update, spec)
    if held is None:
        settings = SymbolSettings(update.mode, update.leverage)
        position = render.flat_position(
            update.symbol, settings, update.mark_price, spec, update.ts, update.position_side
        )
    else:
        position = render.position(held, spec, update.ts)
    return {"position_changed": account_pb2.PositionChanged(position=position)}


def _balance(change: BalanceUpdate, specs: Specs) -> Body:
    if change.asset != USDT:  # another asset: its change and balance, the USDT cross fields empty
        reason = render.BALANCE_REASONS[change.reason]
        body = account_pb2.BalanceChanged(
            reason=reason, change=render.money(change.cross_change), wallet_balance=render.money(change.cross_wallet),
            asset=change.asset,
        )  # fmt: skip
        return {"balance_changed": body}
    isolated = change.isolated_change != 0 or change.isolated_wallet != 0
    body = account_pb2.BalanceChanged(
        reason=render.BALANCE_REASONS[change.reason],
        change=render.money(change.cross_change + change.isolated_change),
        symbol=change.symbol,
        trade_id=change.trade_id,
        wallet_balance=render.money(change.cross_wallet + change.isolated_total),
        cross_wallet_balance=render.money(change.cross_wallet),
        isolated_wallet=render.money(change.isolated_wallet) if isolated else "",
        cross_change=render.money(change.cross_change),
        isolated_change=render.money(change.isolated_change) if isolated else "",
        asset=USDT,
        position_side=render.hedge_leg(change.position_side),
    )
    return {"balance_changed": body}


def _alert(fired: AlertFired, specs: Specs) -> Body:
    spec = specs[fired.alert.symbol]
    body = account_pb2.PriceAlertTriggered(
        alert=render.price_alert(fired.alert, spec), price=spec.ticks_to_price(fired.price)
    )
    return {"price_alert_triggered": body}


def _notice(notice: AccountNotice, specs: Specs) -> Body:
    return _NOTICES[type(notice.event)](notice, specs)


def _rejected(notice: AccountNotice, specs: Specs) -> Body:
    """The stream's rejection: the same ``Rejection`` the command's own caller got."""
    e = notice.event
    assert isinstance(e, OrderRejected)
    body = account_pb2.OrderRejected(
        command=e.command,
        symbol=e.symbol,
        order_id=e.order_id,
        client_order_id=e.client_order_id,
        rejection=refusal(e, specs.get(e.symbol)).rejection(),
    )
    return {"order_rejected": body}


def _funding(notice: AccountNotice, specs: Specs) -> Body:
    e = notice.event
    assert isinstance(e, FundingSettled)
    spec = specs[e.symbol]
    body = account_pb2.FundingSettled(
        symbol=e.symbol,
        funding_rate=render.money(e.rate),
        mark_price=render.price(e.mark, spec),
        position_size=render.signed_qty(e.size, spec),
        payment=render.money(e.payment),
        funding_time=render.timestamp(notice.ts),
        position_side=render.hedge_leg(e.position_side),
    )
    return {"funding_settled": body}


def _margin_call(notice: AccountNotice, specs: Specs) -> Body:
    assert isinstance(notice.event, MarginCallIssued)
    return {"margin_call_issued": render.margin_call(notice.event)}


def _liquidation_started(notice: AccountNotice, specs: Specs) -> Body:
    e = notice.event
    assert isinstance(e, LiquidationTriggered)
    body = account_pb2.LiquidationStarted(
        margin_mode=render.MARGIN_MODES[e.mode],
        symbol=e.symbol,
        margin_balance=render.money(e.margin_balance),
        maintenance_margin=render.money(e.maintenance_margin),
        position_side=render.hedge_leg(e.position_side),
    )
    return {"liquidation_started": body}


def _position_liquidated(notice: AccountNotice, specs: Specs) -> Body:
    e = notice.event
    assert isinstance(e, PositionLiquidated) and notice.order is not None
    return {"position_liquidated": render.position_liquidated(e, notice.order, specs[e.symbol])}


def _deleveraged(notice: AccountNotice, specs: Specs) -> Body:
    e = notice.event
    assert isinstance(e, PositionDeleveraged)
    spec = specs[e.symbol]
    body = account_pb2.PositionDeleveraged(
        symbol=e.symbol,
        quantity=render.signed_qty(-e.side * e.quantity, spec),
        price=spec.ticks_to_price(e.price),
        realized_pnl=render.money(e.realized_pnl),
        order_id=e.order_id,
        position_side=render.hedge_leg(e.position_side),
    )
    return {"position_deleveraged": body}


def _settings_changed(notice: AccountNotice, specs: Specs) -> Body:
    e = notice.event
    assert isinstance(e, SettingsChanged)
    settings = SymbolSettings(e.mode, e.leverage)
    body = render.symbol_settings(e.symbol, settings, max_notional_for(specs[e.symbol], e.leverage))
    return {"symbol_settings_changed": account_pb2.SymbolSettingsChanged(settings=body)}


def _asset_mode_changed(notice: AccountNotice, specs: Specs) -> Body:
    e = notice.event
    assert isinstance(e, AssetModeChanged)
    return {"asset_mode_changed": account_pb2.AssetModeChanged(multi_assets_mode=e.multi_assets)}


_NOTICES: dict[type, Callable[[AccountNotice, Specs], Body]] = {
    OrderRejected: _rejected,
    FundingSettled: _funding,
    MarginCallIssued: _margin_call,
    LiquidationTriggered: _liquidation_started,
    PositionLiquidated: _position_liquidated,
    PositionDeleveraged: _deleveraged,
    SettingsChanged: _settings_changed,
    AssetModeChanged: _asset_mode_changed,
}
_BODIES: dict[type, Callable[[Any, Specs], Body]] = {
    OrderUpdate: _order,
    PositionUpdate: _position,
    BalanceUpdate: _balance,
    AccountNotice: _notice,
    AlertFired: _alert,
}
