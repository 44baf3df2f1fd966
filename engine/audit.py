"""Audit of the engine's state: the digest that proves two engines equal, the structural invariants
tests check after every step, and the money-conservation ledger. Read-only; it reads the engine's
whole ``EngineState``, indexes included (it is their auditor)."""

import hashlib
from collections.abc import Iterator
from typing import NamedTuple

from paperex.engine.accounts import HEDGE
from paperex.engine.collateral import USDT
from paperex.engine.orders import BOTH, RESTING_TIME_IN_FORCE, STATE_FIELDS, Order, OrderStatus, Side
from paperex.engine.state import EngineState


class InvariantViolation(AssertionError):
    """A broken engine invariant: a bug, never a user error."""


def _order_state(order: Order) -> str:
    own = ":".join(str(getattr(order, name)) for name in STATE_FIELDS)
    return own if order.position_side is BOTH else f"{own}:{order.position_side}"


def state_hash(state: EngineState) -> str:
    digest = hashlib.sha256()
    for line in _state_lines(state):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _state_lines(state: EngineState) -> Iterator[str]:
    yield f"now={state.now} next_order={state.next_order_id} next_trade={state.next_trade_id}"
    for symbol, market in state.markets.items():
        yield (
            f"market {symbol} last={market.last_price} mark={market.mark_price} index={market.index_price}"
            f" fund={market.insurance_fund}"
        )
        yield f"funding {market.next_funding} {market.funding_rate} {market.premium.count} {market.premium.weighted}"
        yield "basis " + " ".join(f"{second}:{doubled}" for second, doubled in market.basis.samples)
        for book_side in (market.book.bids, market.book.asks):
            for level in book_side:
                yield " ".join(_order_state(order) for order in level.orders())
        for order_id in sorted(market.triggers.orders):
            yield "trigger " + _order_state(market.triggers.orders[order_id])
    yield (f"fees={state.fees_collected} deposits={state.net_deposits} contributions={state.insurance_contributions}")
    for account_id, account in sorted(state.accounts.items()):
        yield (
            f"account {account_id} wallet={account.wallet} calls={account.margin_call_level}"
            f" isolated_calls={sorted(account.isolated_call_levels.items())} liquidatable={account.liquidatable}"
        )
        if account.assets or account.collateral is not None:  # absent in single-asset USDT accounts
            yield f"assets {sorted(account.assets.items())} multi_assets={account.collateral is not None}"
        for symbol, settings in sorted(account.settings.items()):
            yield f"settings {symbol} {settings.mode} {settings.leverage}"
        for symbol, p in sorted(account.positions.items()):
            yield f"position {symbol} {p.size} {p.entry_notional} {p.isolated_wallet}"
        if account.position_mode is HEDGE:  # one-way accounts hash as before hedge mode existed
            yield f"hedge calls={sorted(account.leg_call_levels.items())}"
            for symbol, p in sorted(account.short_legs.items()):
                yield f"short {symbol} {p.size} {p.entry_notional} {p.isolated_wallet}"
    if state.asset_deposits or state.exchanged:
        yield f"asset_deposits={sorted(state.asset_deposits.items())} exchanged={sorted(state.exchanged.items())}"
    yield "recent " + " ".join(f"{a}:{c}:{t}" for (a, c), (_, _, t) in state.recent_client_ids.items())
    yield "expiries " + " ".join(f"{t}:{o}" for t, o in sorted(state.expiries))


def check_invariants(state: EngineState) -> None:
    """Raise InvariantViolation when the engine's structures disagree or money is not conserved."""
    try:
        _check_orders(state)
        _check_exposures(state)
        assert ledger(state).imbalance == 0, "money was created or destroyed"
        assert not any(asset_imbalances(state).values()), "an asset was created or destroyed"
    except AssertionError as exc:
        raise InvariantViolation(str(exc)) from exc


def _check_orders(state: EngineState) -> None:
    waiting = 0
    for market in state.markets.values():
        market.book.check()
        for order in market.book.orders.values():
            assert state.orders.get(order.order_id) is order
            assert order.triggered and order.status in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED)
            assert order.time_in_force in RESTING_TIME_IN_FORCE
        for order in market.triggers.orders.values():
            assert state.orders.get(order.order_id) is order and not order.triggered
        waiting += len(market.book.orders) + len(market.triggers.orders)
    assert waiting == len(state.orders), "an open order is neither resting nor waiting"
    assert sum(len(orders) for orders in state.account_orders.values()) == len(state.orders)
    for (account_id, symbol), orders in state.reduce_only.items():
        for side in Side:
            resting = sum(o.remaining for o in orders.values() if o.side is side)
            assert resting <= state.closable(account_id, symbol, side), "reduce-only orders exceed the position"
    for (account_id, client_id), (order, _) in state.client_ids.items():
        assert order.account_id == account_id and order.client_order_id == client_id
        assert state.orders.get(order.order_id) is order


def _check_exposures(state: EngineState) -> None:
    """Each account's incremental order exposure equals a recount of its resting orders."""
    for account in state.accounts.values():
        for symbol, exposure in account.exposures.items():
            unit = state.markets[symbol].notional_unit
            resting = [
                o
                for o in state.account_orders.get((account.account_id, symbol), {}).values()
                if o.triggered and not o.reduce_only
            ]
            for side, lots, notional in (
                (Side.BUY, exposure.buy_lots, exposure.buy_notional),
                (Side.SELL, exposure.sell_lots, exposure.sell_notional),
            ):
                mine = [o for o in resting if o.side is side]
                assert lots == sum(o.remaining for o in mine), "order exposure lots drifted"
                assert notional == sum(o.remaining * o.price * unit for o in mine), "order exposure drifted"


class Ledger(NamedTuple):
    """Where the money is, in exact units: the terms of the conservation sum, which an operator (or a
    soak) can check from outside, where the exchange's own accounts and the fees are not visible."""

    net_deposits: int
    """Deposits less withdrawals, ever."""
    insurance_contributions: int
    """What the operator put into the insurance funds: their starting balances and top-ups."""
    wallets: int
    """Every account's cross wallet, the exchange's internal accounts included."""
    isolated_margin: int
    """Margin held by isolated positions."""
    fees_collected: int
    insurance_fund: int
    open_positions: int
    """Open positions at their entry notional: a short is owed its entry notional (+), a long owes
    its own (-). Unrealized PnL is left out, so the sum holds whatever the prices did."""
    exchanged: int = 0
    """The USDT the auto-exchange paid into wallets for other assets (<= 0: it left the venue's desk)."""

    @property
    def money_in_system(self) -> int:
        """Net deposits and contributions as the books add them up: wallets, isolated margin, fees,
        the insurance funds and the open positions' entry notional."""
        return (
            self.wallets
            + self.isolated_margin
            + self.fees_collected
            + self.insurance_fund
            + self.open_positions
            + self.exchanged
        )

    @property
    def imbalance(self) -> int:
        """``money_in_system - net_deposits - insurance_contributions``: 0 while money is conserved;
        anything else is a bug."""
        return self.money_in_system - self.net_deposits - self.insurance_contributions


def ledger(state: EngineState) -> Ledger:
    """The engine's ledger now; ``check_invariants`` requires a zero imbalance after every command."""
    wallets = isolated = positions = 0
    for account in state.accounts.values():
        wallets += account.wallet
        for held in (account.positions, account.short_legs):
            for position in held.values():
                isolated += position.isolated_wallet
                positions += -position.entry_notional if position.size > 0 else position.entry_notional
    return Ledger(
        state.net_deposits,
        state.insurance_contributions,
        wallets,
        isolated,
        state.fees_collected,
        sum(market.insurance_fund for market in state.market_list),
        positions,
        state.exchanged.get(USDT, 0),
    )


def asset_imbalances(state: EngineState) -> dict[str, int]:
    """Per asset besides USDT: balances plus what the auto-exchange took, less net deposits (0 while
    conserved)."""
    held = dict(state.exchanged)
    held.pop(USDT, None)
    for account in state.accounts.values():
        for asset, amount in account.assets.items():
            held[asset] = held.get(asset, 0) + amount
    assets = held.keys() | state.asset_deposits.keys()
    return {asset: held.get(asset, 0) - state.asset_deposits.get(asset, 0) for asset in sorted(assets)}
