"""The account commands: create an account, deposit and withdraw any asset, set leverage, margin mode,
position mode and asset mode, move isolated margin, and the operator's insurance-fund top-up; each
refused with its figures or applied with its ``BalanceChanged``, ``SettingsChanged``,
``PositionModeChanged``, ``AssetModeChanged`` or ``InsuranceFundChanged``."""

from paperex.engine.accounts import HEDGE, NO_ORDERS, ONE_WAY, Account, MarginMode
from paperex.engine.collateral import USDT, margin_value, withdrawable
from paperex.engine.commands import (
    AdjustIsolatedMargin,
    CreateAccount,
    Deposit,
    FundInsurance,
    SetAssetMode,
    SetLeverage,
    SetMarginMode,
    SetPositionMode,
    Withdraw,
)
from paperex.engine.events import (
    AccountCreated,
    AssetModeChanged,
    BalanceChanged,
    BalanceReason,
    FundReason,
    InsuranceFundChanged,
    PositionModeChanged,
    SettingsChanged,
)
from paperex.engine.margin import initial_margin, maintenance_margin, max_leverage_for, max_notional_for, unrealized_pnl
from paperex.engine.market import Market
from paperex.engine.orders import BOTH, SHORT
from paperex.engine.reasons import RejectReason
from paperex.engine.refusals import Figure, count, money, shortfall
from paperex.engine.risk import available_balance, removable_margin, summarize
from paperex.engine.state import EngineState


class AccountCommands:
    """Handlers of the account commands over ``EngineState``."""

    def __init__(self, state: EngineState) -> None:
        self.state = state

    def create_account(self, cmd: CreateAccount) -> None:
        accounts = self.state.accounts
        account_id = cmd.account_id or max(accounts, default=0) + 1
        if account_id in accounts or account_id < 0:
            return self.state.reject(cmd, RejectReason.ACCOUNT_ALREADY_EXISTS)
        accounts[account_id] = Account(account_id, cmd.liquidatable)
        self.state.events.append(AccountCreated(account_id, cmd.liquidatable))
        return None

    def deposit(self, cmd: Deposit) -> None:
        account = self.state.accounts.get(cmd.account_id)
        if account is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if cmd.amount <= 0:
            return self.state.reject(cmd, RejectReason.INVALID_AMOUNT)
        if cmd.asset != USDT:
            if cmd.asset not in self.state.collateral:
                return self.state.reject(cmd, RejectReason.UNKNOWN_ASSET)
            self._move_asset(account, cmd.asset, cmd.amount, BalanceReason.DEPOSIT)
            return None
        self._move_wallet(account, cmd.amount, BalanceReason.DEPOSIT)
        self.state.net_deposits += cmd.amount
        return None

    def withdraw(self, cmd: Withdraw) -> None:
        state = self.state
        account = state.accounts.get(cmd.account_id)
        if account is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if cmd.amount <= 0:
            return self.state.reject(cmd, RejectReason.INVALID_AMOUNT)
        if cmd.asset != USDT:
            return self._withdraw_asset(account, cmd)
        summary = summarize(account, state.markets)
        if cmd.amount > summary.max_withdraw:
            figures = (*shortfall(cmd.amount, summary.available_balance), money("max_withdraw", summary.max_withdraw))
            return self.state.reject(cmd, RejectReason.INSUFFICIENT_BALANCE, None, figures)
        self._move_wallet(account, -cmd.amount, BalanceReason.WITHDRAWAL)
        state.net_deposits -= cmd.amount
        return None

    def _withdraw_asset(self, account: Account, cmd: Withdraw) -> None:
        """Another asset than USDT leaves up to its balance; in Multi-Assets mode only as far as its
        margin value is not needed (it is taken off the available balance). A refusal names the most
        that may leave (``max_withdraw``, in the asset)."""
        state = self.state
        spec = state.collateral.get(cmd.asset)
        if spec is None:
            return state.reject(cmd, RejectReason.UNKNOWN_ASSET)
        balance = account.assets.get(cmd.asset, 0)
        free = available_balance(account, state.markets) if account.collateral is not None else None
        most = money("max_withdraw", withdrawable(balance, spec, state.markets, free))
        if cmd.amount > balance:
            return state.reject(cmd, RejectReason.INSUFFICIENT_BALANCE, None, (*shortfall(cmd.amount, balance), most))
        if free is not None and (needed := margin_value(cmd.amount, spec, state.markets)) > free:
            figures = (*shortfall(needed, max(0, free)), most)
            return state.reject(cmd, RejectReason.INSUFFICIENT_BALANCE, None, figures)
        self._move_asset(account, cmd.asset, -cmd.amount, BalanceReason.WITHDRAWAL)
        return None

    def _move_asset(self, account: Account, asset: str, delta: int, reason: BalanceReason) -> None:
        """A deposit or withdrawal of another asset than USDT (counted per asset for conservation)."""
        state = self.state
        balance = account.assets.get(asset, 0) + delta
        if balance:
            account.assets[asset] = balance
        else:
            account.assets.pop(asset, None)
        state.asset_deposits[asset] = state.asset_deposits.get(asset, 0) + delta
        if not state.asset_deposits[asset]:
            del state.asset_deposits[asset]
        state.events.append(BalanceChanged(account.account_id, reason, delta, balance, asset=asset))

    def _move_wallet(self, account: Account, delta: int, reason: BalanceReason) -> None:
        account.wallet += delta
        self.state.events.append(BalanceChanged(account.account_id, reason, delta, account.wallet))

    def set_asset_mode(self, cmd: SetAssetMode) -> None:
        """Binance's rules: no switch with open orders or positions (either hedge leg) on any symbol;
        Multi-Assets mode is cross only; back to single-asset mode only without a USDT debt. Hedge
        mode and Multi-Assets mode go together (Binance allows both at once)."""
        state = self.state
        account = state.accounts.get(cmd.account_id)
        if account is None:
            return state.reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if any(account.holds(symbol) for symbol in (*account.positions, *account.short_legs)):
            return state.reject(cmd, RejectReason.MODE_CHANGE_WITH_OPEN_POSITION)
        if any(account_id == cmd.account_id for account_id, _ in state.account_orders):
            return state.reject(cmd, RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS)
        if cmd.multi_assets:
            if any(settings.mode is MarginMode.ISOLATED for settings in account.settings.values()):
                return state.reject(cmd, RejectReason.ISOLATED_IN_MULTI_ASSETS_MODE)
            account.collateral = state.collateral
            state.multi_assets[account.account_id] = None
        else:
            if account.wallet < 0:
                return state.reject(cmd, RejectReason.INSUFFICIENT_BALANCE, None, shortfall(0, account.wallet))
            account.collateral = None
            state.multi_assets.pop(account.account_id, None)
        state.events.append(AssetModeChanged(account.account_id, cmd.multi_assets))
        return None

    def _settings_target(
        self, cmd: SetLeverage | SetMarginMode | AdjustIsolatedMargin
    ) -> tuple[Account, Market] | None:
        """The account and market a settings command names, or None after rejecting it."""
        account = self.state.accounts.get(cmd.account_id)
        market = self.state.markets.get(cmd.symbol)
        if account is None or market is None:
            self.state.reject(cmd, RejectReason.UNKNOWN_ACCOUNT if account is None else RejectReason.UNKNOWN_SYMBOL)
            return None
        return account, market

    def set_leverage(self, cmd: SetLeverage) -> None:
        """Leverage within the instrument's range; refused when the position and orders would pass the
        new notional cap, or (lowering it) when the margin it then needs is not there."""
        target = self._settings_target(cmd)
        if target is None:
            return None
        account, market = target
        markets = self.state.markets
        instrument = market.instrument
        leverage = count("leverage", cmd.leverage)
        if not 1 <= cmd.leverage <= instrument.max_leverage:
            limit = count("max_leverage", instrument.max_leverage)
            return self.state.reject(cmd, RejectReason.INVALID_LEVERAGE, None, (leverage, limit))
        hedged = account.position_mode is HEDGE
        legs = [self.state.position(cmd.account_id, cmd.symbol)]
        if hedged:  # both legs, and the orders opening either, count toward the cap
            legs.append(self.state.position(cmd.account_id, cmd.symbol, SHORT))
        exposure = account.exposures.get(cmd.symbol) or NO_ORDERS
        price = market.mark_price or market.last_price
        held = [abs(leg.size) * price * market.notional_unit for leg in legs]
        orders = (
            (exposure.buy_notional + exposure.sell_notional)
            if hedged
            else max(exposure.buy_notional, exposure.sell_notional)
        )
        notional = sum(held) + orders
        cap = max_notional_for(instrument, cmd.leverage)
        if notional > cap:
            figures: tuple[Figure, ...] = (
                leverage,
                count("max_leverage", max_leverage_for(instrument, notional)),
                money("notional", notional),
                money("max_notional", cap),
            )
            return self.state.reject(cmd, RejectReason.LEVERAGE_TOO_HIGH, None, figures)
        existed = cmd.symbol in account.settings
        settings = account.setting(cmd.symbol)
        previous = settings.leverage
        settings.leverage = cmd.leverage
        available = available_balance(account, markets)
        isolated = [
            (initial_margin(notional, cmd.leverage) if settings.mode is MarginMode.ISOLATED and leg.size else 0, leg)
            for notional, leg in zip(held, legs, strict=True)
        ]
        short = next(((need, leg.isolated_wallet) for need, leg in isolated if leg.isolated_wallet < need), None)
        if (available < 0 or short) and cmd.leverage < previous:
            settings.leverage = previous
            if not existed:
                del account.settings[cmd.symbol]
            if short:
                figures = shortfall(*short)
            else:
                before = available_balance(account, markets)
                figures = shortfall(before - available, max(0, before))
            return self.state.reject(cmd, RejectReason.INSUFFICIENT_MARGIN, None, figures)
        self.state.events.append(SettingsChanged(cmd.account_id, cmd.symbol, settings.mode, settings.leverage))
        return None

    def set_margin_mode(self, cmd: SetMarginMode) -> None:
        target = self._settings_target(cmd)
        if target is None:
            return None
        account, _ = target
        state = self.state
        if cmd.mode is MarginMode.ISOLATED and account.collateral is not None:
            return self.state.reject(cmd, RejectReason.ISOLATED_IN_MULTI_ASSETS_MODE)
        if account.holds(cmd.symbol):
            return self.state.reject(cmd, RejectReason.MODE_CHANGE_WITH_OPEN_POSITION)
        if (cmd.account_id, cmd.symbol) in state.account_orders:
            return self.state.reject(cmd, RejectReason.MODE_CHANGE_WITH_OPEN_ORDERS)
        settings = account.setting(cmd.symbol)
        settings.mode = cmd.mode
        state.events.append(SettingsChanged(cmd.account_id, cmd.symbol, settings.mode, settings.leverage))
        return None

    def adjust_isolated_margin(self, cmd: AdjustIsolatedMargin) -> None:
        """Add from the available balance, or remove what the venue allows:
        min(isolated wallet - MM, isolated wallet + uPnL - IM at mark) (reference 1.5)."""
        target = self._settings_target(cmd)
        if target is None:
            return None
        account, market = target
        state = self.state
        if (cmd.position_side is BOTH) != (account.position_mode is ONE_WAY):
            return self.state.reject(cmd, RejectReason.POSITION_SIDE_MISMATCH)
        position = state.position(cmd.account_id, cmd.symbol, cmd.position_side)
        settings = account.peek_setting(cmd.symbol)
        if settings.mode is not MarginMode.ISOLATED or not position.size:
            return self.state.reject(cmd, RejectReason.NO_ISOLATED_POSITION)
        if cmd.amount == 0:
            return self.state.reject(cmd, RejectReason.INVALID_AMOUNT)
        if cmd.amount > 0 and cmd.amount > (available := available_balance(account, state.markets)):
            return self.state.reject(
                cmd, RejectReason.INSUFFICIENT_BALANCE, None, shortfall(cmd.amount, max(0, available))
            )
        if cmd.amount < 0:
            price = market.mark_price or market.last_price
            notional = abs(position.size) * price * market.notional_unit
            upnl = unrealized_pnl(position.size, position.entry_notional, price, market.notional_unit)
            removable = removable_margin(
                position.isolated_wallet,
                maintenance_margin(market.instrument, notional),
                upnl,
                initial_margin(notional, settings.leverage),
            )
            if -cmd.amount > removable:
                figures = shortfall(-cmd.amount, removable)
                return self.state.reject(cmd, RejectReason.MARGIN_REMOVAL_TOO_LARGE, None, figures)
        position.isolated_wallet += cmd.amount
        account.wallet -= cmd.amount
        state.events.append(
            BalanceChanged(
                account.account_id,
                BalanceReason.ISOLATED_MARGIN_TRANSFER,
                -cmd.amount,
                account.wallet,
                cmd.symbol,
                cmd.amount,
                position.isolated_wallet,
                0,
                cmd.position_side,
            )
        )
        state.moved[(cmd.account_id, cmd.symbol, cmd.position_side)] = position
        return None

    def set_position_mode(self, cmd: SetPositionMode) -> None:
        """One-way or hedge mode, switched only with no open order and no position on any symbol."""
        state = self.state
        account = state.accounts.get(cmd.account_id)
        if account is None:
            return state.reject(cmd, RejectReason.UNKNOWN_ACCOUNT)
        if account.position_mode is cmd.mode:
            return state.reject(cmd, RejectReason.POSITION_MODE_UNCHANGED)
        if any(account.holds(symbol) for symbol in (*account.positions, *account.short_legs)):
            return state.reject(cmd, RejectReason.POSITION_MODE_CHANGE_WITH_OPEN_POSITION)
        if any((cmd.account_id, symbol) in state.account_orders for symbol in state.markets):
            return state.reject(cmd, RejectReason.POSITION_MODE_CHANGE_WITH_OPEN_ORDERS)
        account.position_mode = cmd.mode
        account.short_legs.clear()  # flat legs only (a flat position's isolated wallet is empty)
        account.leg_call_levels.clear()
        state.events.append(PositionModeChanged(cmd.account_id, cmd.mode))
        return None

    def fund_insurance(self, cmd: FundInsurance) -> None:
        """The operator's contribution to a symbol's insurance fund (money from outside, as a deposit)."""
        state = self.state
        market = state.markets.get(cmd.symbol)
        if market is None:
            return self.state.reject(cmd, RejectReason.UNKNOWN_SYMBOL)
        if cmd.amount <= 0:
            return self.state.reject(cmd, RejectReason.INVALID_AMOUNT)
        market.insurance_fund += cmd.amount
        state.insurance_contributions += cmd.amount
        state.events.append(InsuranceFundChanged(cmd.symbol, FundReason.TOP_UP, cmd.amount, market.insurance_fund))
        return None
