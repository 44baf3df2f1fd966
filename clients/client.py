"""The asyncio SDK: ``AsyncClient`` for an account (its API key), ``AsyncAdmin`` for the operator.

Every answer is converted to the dataclasses of ``paperex.client.models`` and every refusal raised as the
typed exception of its reason (``paperex.client.errors``). Queries and PlaceOrder are retried on transient
failures (see ``paperex.client.retry``); streams are async iterators that reconnect by themselves.

    async with AsyncClient("127.0.0.1:50051", api_key=key) as client:
        placed = await client.place_order(PlaceOrder("BTCUSDT", Side.BUY, "0.010", price="64000"))
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from paperex.client import models
from paperex.client.commands import AmendOrder, CancelAllOrders, CancelOrder, Number, PlaceOrder, order_key
from paperex.client.convert import decimal_text, enum_number, from_proto, user_event
from paperex.client.enums import (
    AlertDirection,
    CandleInterval,
    CandlePrice,
    IncomeType,
    MarginAdjustment,
    MarginMode,
    PositionMode,
    PositionSide,
    TriggerBy,
)
from paperex.client.errors import from_rpc_error
from paperex.client.retry import RetryPolicy
from paperex.client.session import OrderSession
from paperex.client.streams import SequenceGap, resubscribing
from paperex.v1 import (
    account_pb2,
    account_pb2_grpc,
    admin_pb2,
    admin_pb2_grpc,
    market_data_pb2,
    market_data_pb2_grpc,
    trading_pb2,
    trading_pb2_grpc,
)

T = TypeVar("T")
DEFAULT_TARGET = "127.0.0.1:50051"
DEFAULT_RETRY = RetryPolicy()
STREAM_RECONNECT = RetryPolicy(attempts=20, initial_backoff=0.1, max_backoff=2.0)


class _Connection:
    """One channel and one credential; every call goes through ``_call`` (errors, deadline, retries)."""

    def __init__(
        self,
        target: str,
        credential: str | None,
        *,
        channel: grpc.aio.Channel | None = None,
        root_certificates: bytes | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        reconnect: RetryPolicy = STREAM_RECONNECT,
    ) -> None:
        self.target = target
        self._own_channel = channel is None
        if channel is None:
            channel = (
                grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates))
                if root_certificates is not None
                else grpc.aio.insecure_channel(target)
            )
        self.channel = channel
        self.metadata = (("authorization", f"Bearer {credential}"),) if credential else ()
        self.timeout = timeout
        self.retry = retry
        self.reconnect = reconnect

    async def close(self) -> None:
        if self._own_channel:
            await self.channel.close()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def wait_until_ready(self, timeout: float = 10.0) -> None:
        """Waits for the channel to connect (the server is up), raising TimeoutError otherwise."""
        await asyncio.wait_for(self.channel.channel_ready(), timeout)

    async def _call(self, method: Callable[..., Awaitable[Any]], request: Message, *, repeatable: bool = True) -> Any:
        """One call under the retry policy; one that is not ``repeatable`` (it may have been carried out
        when it failed) is retried only after a rate limit (``paperex.client.retry``)."""

        async def attempt() -> Any:
            try:
                return await method(request, metadata=self.metadata, timeout=self.timeout)
            except grpc.aio.AioRpcError as error:
                raise from_rpc_error(error) from None

        return await self.retry.run(attempt, repeatable=repeatable)

    async def _pages(self, method: Callable[..., Awaitable[Any]], request: Any, items: str) -> AsyncIterator[Any]:
        """Every item of a paged list, fetching the next page as the reader gets there."""
        while True:
            reply = await self._call(method, request)
            for item in getattr(reply, items):
                yield item
            if not reply.next_page_token:
                return
            request.page_token = reply.next_page_token


class AsyncClient(_Connection):
    """An account's view of the exchange: market data, its orders, its positions and its events."""

    def __init__(self, target: str = DEFAULT_TARGET, *, api_key: str | None, **options: Any) -> None:
        """``api_key=None`` connects without a key: enough for the public market data."""
        super().__init__(target, api_key, **options)
        self._market = market_data_pb2_grpc.MarketDataStub(self.channel)
        self._trading = trading_pb2_grpc.TradingStub(self.channel)
        self._account = account_pb2_grpc.AccountStub(self.channel)

    # Market data

    async def instruments(self) -> list[models.Instrument]:
        reply = await self._call(self._market.ListInstruments, market_data_pb2.ListInstrumentsRequest())
        return [from_proto(models.Instrument, item) for item in reply.instruments]

    async def order_book(self, symbol: str, depth: int = 0) -> models.OrderBook:
        reply = await self._call(
            self._market.GetOrderBook, market_data_pb2.GetOrderBookRequest(symbol=symbol, depth=depth)
        )
        return from_proto(models.OrderBook, reply.book)

    async def ticker(self, symbol: str) -> models.Ticker:
        reply = await self._call(self._market.GetTicker, market_data_pb2.GetTickerRequest(symbol=symbol))
        return from_proto(models.Ticker, reply.ticker)

    async def candles(
        self,
        symbol: str,
        interval: CandleInterval | str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 0,
        price: CandlePrice | str = CandlePrice.LAST,
    ) -> list[models.Candle]:
        """Oldest first; the last one may still be open. ``price``: the candles of trades (the default),
        of the mark price or of the index price."""
        request = market_data_pb2.GetCandlesRequest(
            symbol=symbol,
            interval=enum_number(CandleInterval, interval),
            limit=limit,
            price=enum_number(CandlePrice, price),
        )
        _set_times(request, start_time=start, end_time=end)
        reply = await self._call(self._market.GetCandles, request)
        return [from_proto(models.Candle, item) for item in reply.candles]

    async def funding_rates(
        self, symbol: str = "", *, start: datetime | None = None, end: datetime | None = None, limit: int = 0
    ) -> list[models.FundingRate]:
        """Settled funding rates with the mark each was charged at, oldest first (every symbol's when
        ``symbol`` is empty): from ``start`` the first ``limit`` (0: 100), else the most recent ones."""
        request = market_data_pb2.ListFundingRatesRequest(symbol=symbol, limit=limit)
        _set_times(request, start_time=start, end_time=end)
        reply = await self._call(self._market.ListFundingRates, request)
        return [from_proto(models.FundingRate, item) for item in reply.funding_rates]

    def stream_order_book(self, symbol: str) -> AsyncIterator[models.OrderBook | models.OrderBookUpdate]:
        """A snapshot, then its updates; after a gap or a reconnect, a fresh snapshot to start over from."""

        async def subscribe() -> AsyncIterator[models.OrderBook | models.OrderBookUpdate]:
            call = self._market.StreamOrderBook(
                market_data_pb2.StreamOrderBookRequest(symbol=symbol), metadata=self.metadata
            )
            sequence = -1
            async for message in call:
                if message.HasField("snapshot"):
                    book = from_proto(models.OrderBook, message.snapshot)
                    sequence = book.sequence
                    yield book
                    continue
                update = from_proto(models.OrderBookUpdate, message.update)
                if update.follows != sequence:
                    call.cancel()
                    raise SequenceGap(f"{symbol} book update {update.follows + 1} after {sequence}")
                sequence = update.sequence
                yield update

        return resubscribing(subscribe, self.reconnect)

    def stream_trades(self, symbol: str) -> AsyncIterator[list[models.Trade]]:
        """Each command's trades in execution order (a reconnect may miss trades meanwhile)."""
        request = market_data_pb2.StreamTradesRequest(symbol=symbol)
        return self._resubscribing(
            self._market.StreamTrades, request, lambda message: [from_proto(models.Trade, t) for t in message.trades]
        )

    def stream_tickers(
        self, symbols: list[str] | None = None, interval: timedelta | None = None
    ) -> AsyncIterator[models.Ticker]:
        request = market_data_pb2.StreamTickersRequest(symbols=symbols or [])
        if interval is not None:
            request.interval.FromTimedelta(interval)
        return self._resubscribing(
            self._market.StreamTickers, request, lambda message: from_proto(models.Ticker, message.ticker)
        )

    def stream_candles(self, symbol: str, interval: CandleInterval | str) -> AsyncIterator[models.Candle]:
        """The current candle as it changes, then the closed one, interval after interval."""
        request = market_data_pb2.StreamCandlesRequest(symbol=symbol, interval=enum_number(CandleInterval, interval))
        return self._resubscribing(
            self._market.StreamCandles,
            request,
            lambda message: from_proto(models.Candle, message.candle) if message.HasField("candle") else None,
        )

    # Orders

    async def place_order(self, order: PlaceOrder) -> models.PlaceOrderResponse:
        """Retried on transient failures: the client_order_id turns a repeat into ``duplicate=True``."""
        reply = await self._call(self._trading.PlaceOrder, order.to_proto())
        return from_proto(models.PlaceOrderResponse, reply)

    async def amend_order(self, amend: AmendOrder) -> models.AmendOrderResponse:
        reply = await self._call(self._trading.AmendOrder, amend.to_proto(), repeatable=False)
        return from_proto(models.AmendOrderResponse, reply)

    async def cancel_order(self, symbol: str, *, order_id: int = 0, client_order_id: str = "") -> models.Order:
        request = CancelOrder(symbol, order_id, client_order_id).to_proto()
        reply = await self._call(self._trading.CancelOrder, request, repeatable=False)
        return from_proto(models.Order, reply.order)

    async def cancel_all_orders(self, symbol: str) -> list[models.Order]:
        reply = await self._call(self._trading.CancelAllOrders, CancelAllOrders(symbol).to_proto(), repeatable=False)
        return [from_proto(models.Order, item) for item in reply.orders]

    async def get_order(self, symbol: str, *, order_id: int = 0, client_order_id: str = "") -> models.Order:
        request = trading_pb2.GetOrderRequest(symbol=symbol, **order_key(order_id, client_order_id))
        reply = await self._call(self._trading.GetOrder, request)
        return from_proto(models.Order, reply.order)

    async def open_orders(self, symbol: str = "") -> list[models.Order]:
        reply = await self._call(self._trading.ListOpenOrders, trading_pb2.ListOpenOrdersRequest(symbol=symbol))
        return [from_proto(models.Order, item) for item in reply.orders]

    async def orders(
        self, symbol: str = "", *, start: datetime | None = None, end: datetime | None = None, page_size: int = 0
    ) -> AsyncIterator[models.Order]:
        """Open and finished orders, newest first, paging on demand."""
        request = trading_pb2.ListOrdersRequest(symbol=symbol, page_size=page_size)
        _set_times(request, start_time=start, end_time=end)
        async for item in self._pages(self._trading.ListOrders, request, "orders"):
            yield from_proto(models.Order, item)

    async def fills(
        self,
        symbol: str = "",
        *,
        order_id: int = 0,
        start: datetime | None = None,
        end: datetime | None = None,
        page_size: int = 0,
    ) -> AsyncIterator[models.Fill]:
        """The account's own fills, newest first, paging on demand."""
        request = trading_pb2.ListTradesRequest(symbol=symbol, order_id=order_id, page_size=page_size)
        _set_times(request, start_time=start, end_time=end)
        async for item in self._pages(self._trading.ListTrades, request, "fills"):
            yield from_proto(models.Fill, item)

    async def preview_order(self, order: PlaceOrder) -> models.PreviewOrderResponse:
        """What the order would cost and do, under the symbol's margin mode and under the other one."""
        reply = await self._call(self._trading.PreviewOrder, trading_pb2.PreviewOrderRequest(order=order.to_proto()))
        return from_proto(models.PreviewOrderResponse, reply)

    def order_session(self, *, window: int = 64) -> OrderSession:
        """A pipelined OrderSession stream (``async with``): at most ``window`` requests in flight; the
        client's retry policy repeats the commands of a batch that are safe to repeat."""
        return OrderSession(lambda: self._trading.OrderSession(metadata=self.metadata), window=window, retry=self.retry)

    # Account

    async def account(self) -> models.AccountSummary:
        reply = await self._call(self._account.GetAccount, account_pb2.GetAccountRequest())
        return from_proto(models.AccountSummary, reply.account)

    async def positions(self, symbol: str = "") -> list[models.Position]:
        reply = await self._call(self._account.ListPositions, account_pb2.ListPositionsRequest(symbol=symbol))
        return [from_proto(models.Position, item) for item in reply.positions]

    async def set_leverage(self, symbol: str, leverage: int) -> models.SymbolSettings:
        reply = await self._call(
            self._account.SetLeverage, account_pb2.SetLeverageRequest(symbol=symbol, leverage=leverage)
        )
        return from_proto(models.SymbolSettings, reply.settings)

    async def set_margin_mode(self, symbol: str, mode: MarginMode | str) -> models.SymbolSettings:
        request = account_pb2.SetMarginModeRequest(symbol=symbol, margin_mode=enum_number(MarginMode, mode))
        reply = await self._call(self._account.SetMarginMode, request)
        return from_proto(models.SymbolSettings, reply.settings)

    async def position_mode(self) -> PositionMode:
        """ONE_WAY or HEDGE (Binance's dualSidePosition)."""
        reply = await self._call(self._account.GetPositionMode, account_pb2.GetPositionModeRequest())
        return PositionMode(reply.position_mode)

    async def set_position_mode(self, mode: PositionMode | str) -> PositionMode:
        """Switch between one-way and hedge mode (refused with an open order or position on any symbol)."""
        request = account_pb2.SetPositionModeRequest(position_mode=enum_number(PositionMode, mode))
        reply = await self._call(self._account.SetPositionMode, request, repeatable=False)
        return PositionMode(reply.position_mode)

    async def set_asset_mode(self, multi_assets: bool) -> bool:
        """Multi-Assets mode on (True) or off: only without open orders or positions."""
        request = account_pb2.SetAssetModeRequest(multi_assets_mode=multi_assets)
        reply: account_pb2.SetAssetModeResponse = await self._call(self._account.SetAssetMode, request)
        return reply.multi_assets_mode

    async def asset_mode(self) -> bool:
        """Whether the account is in Multi-Assets mode."""
        reply: account_pb2.GetAssetModeResponse = await self._call(
            self._account.GetAssetMode, account_pb2.GetAssetModeRequest()
        )
        return reply.multi_assets_mode

    async def adjust_isolated_margin(
        self,
        symbol: str,
        adjustment: MarginAdjustment | str,
        amount: Number,
        position_side: PositionSide | str | None = None,
    ) -> models.AdjustIsolatedMarginResponse:
        """``position_side``: the hedge leg (LONG or SHORT) whose margin moves; None in one-way mode."""
        request = account_pb2.AdjustIsolatedMarginRequest(
            symbol=symbol,
            adjustment=enum_number(MarginAdjustment, adjustment),
            amount=decimal_text(amount),
            position_side=enum_number(PositionSide, position_side),
        )
        reply = await self._call(self._account.AdjustIsolatedMargin, request, repeatable=False)
        return from_proto(models.AdjustIsolatedMarginResponse, reply)

    def user_events(self, resume_after: models.EventCursor | None = None) -> AsyncIterator[models.UserEvent]:
        """The account's events in order, without gap or repeat across reconnects (each resumes after the
        last cursor delivered). Raises CursorExpired when the server no longer holds that history."""
        last = resume_after

        async def subscribe() -> AsyncIterator[models.UserEvent]:
            nonlocal last
            request = account_pb2.StreamUserEventsRequest()
            if last is not None:
                request.resume_after.sequence = last.sequence
                request.resume_after.index = last.index
            async for message in self._account.StreamUserEvents(request, metadata=self.metadata):
                event = user_event(message.event)
                last = event.cursor
                yield event

        return resubscribing(subscribe, self.reconnect)

    async def create_price_alert(
        self,
        symbol: str,
        direction: AlertDirection | str,
        price: Number,
        *,
        price_source: TriggerBy | str = TriggerBy.MARK,
        repeating: bool = False,
        note: str = "",
    ) -> models.PriceAlert:
        request = account_pb2.CreatePriceAlertRequest(
            symbol=symbol,
            price_source=enum_number(TriggerBy, price_source),
            direction=enum_number(AlertDirection, direction),
            price=decimal_text(price),
            repeating=repeating,
            note=note,
        )
        reply = await self._call(self._account.CreatePriceAlert, request, repeatable=False)
        return from_proto(models.PriceAlert, reply.alert)

    async def price_alerts(self, symbol: str = "") -> list[models.PriceAlert]:
        reply = await self._call(self._account.ListPriceAlerts, account_pb2.ListPriceAlertsRequest(symbol=symbol))
        return [from_proto(models.PriceAlert, item) for item in reply.alerts]

    async def delete_price_alert(self, alert_id: int) -> None:
        await self._call(
            self._account.DeletePriceAlert, account_pb2.DeletePriceAlertRequest(alert_id=alert_id), repeatable=False
        )

    async def income(
        self,
        symbol: str = "",
        *,
        income_type: IncomeType | str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        page_size: int = 0,
    ) -> AsyncIterator[models.Income]:
        """The account's money moves (Binance's income history), oldest first, paging on demand."""
        request = account_pb2.ListIncomeRequest(
            symbol=symbol, income_type=enum_number(IncomeType, income_type), page_size=page_size
        )
        _set_times(request, start_time=start, end_time=end)
        async for item in self._pages(self._account.ListIncome, request, "incomes"):
            yield from_proto(models.Income, item)

    async def liquidations(self, symbol: str = "", *, page_size: int = 0) -> AsyncIterator[models.Liquidation]:
        """The account's liquidations, newest first, paging on demand: what each did and what led to it."""
        request = account_pb2.ListLiquidationsRequest(symbol=symbol, page_size=page_size)
        async for item in self._pages(self._account.ListLiquidations, request, "liquidations"):
            yield from_proto(models.Liquidation, item)

    def _resubscribing(
        self, method: Callable[..., Any], request: Message, convert: Callable[[Any], T | None]
    ) -> AsyncIterator[T]:
        async def subscribe() -> AsyncIterator[T]:
            async for message in method(request, metadata=self.metadata):
                item = convert(message)
                if item is not None:
                    yield item

        return resubscribing(subscribe, self.reconnect)


class AsyncAdmin(_Connection):
    """Operator calls (the admin token): accounts, prices, time and scenarios."""

    def __init__(self, target: str = DEFAULT_TARGET, *, admin_token: str, **options: Any) -> None:
        super().__init__(target, admin_token, **options)
        self._admin = admin_pb2_grpc.AdminStub(self.channel)

    async def create_account(
        self, name: str = "", initial_deposit: Number | None = None
    ) -> models.CreateAccountResponse:
        request = admin_pb2.CreateAccountRequest(name=name, initial_deposit=decimal_text(initial_deposit))
        reply = await self._call(self._admin.CreateAccount, request, repeatable=False)
        return from_proto(models.CreateAccountResponse, reply)

    async def rotate_api_key(self, account_id: int) -> models.CreateAccountResponse:
        """A new API key for the account; the old one is refused from this answer on."""
        request = admin_pb2.RotateApiKeyRequest(account_id=account_id)
        reply = await self._call(self._admin.RotateApiKey, request, repeatable=False)
        return from_proto(models.CreateAccountResponse, reply)

    async def deposit(self, account_id: int, amount: Number, asset: str = "") -> models.Balances:
        """``asset``: USDT when empty, or a collateral asset (USDC, BTC, ETH by default)."""
        request = admin_pb2.DepositRequest(account_id=account_id, amount=decimal_text(amount), asset=asset)
        return from_proto(models.Balances, await self._call(self._admin.Deposit, request, repeatable=False))

    async def withdraw(self, account_id: int, amount: Number, asset: str = "") -> models.Balances:
        request = admin_pb2.WithdrawRequest(account_id=account_id, amount=decimal_text(amount), asset=asset)
        return from_proto(models.Balances, await self._call(self._admin.Withdraw, request, repeatable=False))

    async def accounts(self, page_size: int = 0) -> AsyncIterator[models.AccountSummary]:
        """Every account in id order, paging on demand."""
        request = admin_pb2.ListAccountsRequest(page_size=page_size)
        async for item in self._pages(self._admin.ListAccounts, request, "accounts"):
            yield from_proto(models.AccountSummary, item)

    async def set_index_price(self, symbol: str, price: Number) -> models.SetIndexPriceResponse:
        request = admin_pb2.SetIndexPriceRequest(symbol=symbol, price=decimal_text(price))
        return from_proto(models.SetIndexPriceResponse, await self._call(self._admin.SetIndexPrice, request))

    async def set_mark_price(self, symbol: str, price: Number) -> Decimal:
        request = admin_pb2.SetMarkPriceRequest(symbol=symbol, price=decimal_text(price))
        reply = await self._call(self._admin.SetMarkPrice, request)
        return Decimal(reply.mark_price)

    async def insurance_fund(self) -> Decimal:
        """Every symbol's insurance fund together (``insurance_funds`` for each one)."""
        reply = await self._call(self._admin.GetInsuranceFund, admin_pb2.GetInsuranceFundRequest())
        return Decimal(reply.balance)

    async def insurance_funds(self) -> dict[str, Decimal]:
        """Each symbol's insurance fund."""
        reply = await self._call(self._admin.GetInsuranceFund, admin_pb2.GetInsuranceFundRequest())
        return {fund.symbol: Decimal(fund.balance) for fund in reply.funds}

    async def fund_insurance(self, symbol: str, amount: Number) -> Decimal:
        """Add ``amount`` to a symbol's insurance fund; returns the fund's new balance."""
        request = admin_pb2.FundInsuranceRequest(symbol=symbol, amount=decimal_text(amount))
        reply = await self._call(self._admin.FundInsurance, request, repeatable=False)
        return Decimal(reply.fund.balance)

    async def ledger(self) -> models.Ledger:
        """Where all the money is (fees and the exchange's own accounts included), to check conservation."""
        return from_proto(models.Ledger, await self._call(self._admin.GetLedger, admin_pb2.GetLedgerRequest()))

    async def snapshot(self) -> models.SnapshotResponse:
        reply = await self._call(self._admin.Snapshot, admin_pb2.SnapshotRequest(), repeatable=False)
        return from_proto(models.SnapshotResponse, reply)

    async def reset(self) -> None:
        await self._call(self._admin.Reset, admin_pb2.ResetRequest(), repeatable=False)

    async def clock(self) -> models.Clock:
        return from_proto(models.Clock, await self._call(self._admin.GetClock, admin_pb2.GetClockRequest()))

    async def advance_time(
        self, duration: timedelta | None = None, *, until: datetime | None = None
    ) -> models.AdvanceTimeResponse:
        """Simulated clock: lives through ``duration`` (or up to ``until``) step by step."""
        request = admin_pb2.AdvanceTimeRequest()
        if (duration is None) == (until is None):
            raise ValueError("give exactly one of duration and until")
        if duration is not None:
            request.duration.FromTimedelta(duration)
        else:
            request.until.FromDatetime(until)  # type: ignore[arg-type]
        reply = await self._call(self._admin.AdvanceTime, request, repeatable=False)
        return from_proto(models.AdvanceTimeResponse, reply)

    async def step(self, count: int = 1) -> models.StepResponse:
        """Simulated clock: ``count`` feed steps."""
        reply = await self._call(self._admin.Step, admin_pb2.StepRequest(count=count), repeatable=False)
        return from_proto(models.StepResponse, reply)

    async def load_scenario(self, name: str = "", *, toml: str = "", seed: int = 0) -> models.Scenario:
        if bool(name) == bool(toml):
            raise ValueError("give exactly one of name and toml")
        request = admin_pb2.LoadScenarioRequest(seed=seed, **({"name": name} if name else {"toml": toml}))
        reply = await self._call(self._admin.LoadScenario, request, repeatable=False)
        return from_proto(models.Scenario, reply.scenario)

    async def scenarios(self) -> list[models.Scenario]:
        reply = await self._call(self._admin.ListScenarios, admin_pb2.ListScenariosRequest())
        return [from_proto(models.Scenario, item) for item in reply.scenarios]

    async def set_faults(self, plan_toml: str = "", *, account_id: int = 0) -> None:
        """Make the exchange misbehave for one account (0: everyone without a plan of its own) as the
        TOML plan says (``docs/faults.md``); an empty plan clears it."""
        request = admin_pb2.SetFaultsRequest(account_id=account_id, plan_toml=plan_toml)
        await self._call(self._admin.SetFaults, request, repeatable=False)

    async def set_liquidity_provider(self, enabled: bool, config_toml: str = "") -> bool:
        request = admin_pb2.SetLiquidityProviderRequest(enabled=enabled, config_toml=config_toml)
        reply = await self._call(self._admin.SetLiquidityProvider, request, repeatable=False)
        return bool(reply.enabled)


def _set_times(request: Any, **times: datetime | None) -> None:
    for name, value in times.items():
        if value is not None:
            getattr(request, name).FromDatetime(value)
