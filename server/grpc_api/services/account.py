"""Account: the calling account's figures, positions, settings, private event stream, income and
liquidation records."""

from collections.abc import AsyncIterator
from typing import Any

from paperex.engine.accounts import SymbolSettings
from paperex.engine.commands import AdjustIsolatedMargin, SetLeverage, SetMarginMode
from paperex.engine.events import SettingsChanged
from paperex.engine.margin import max_notional_for
from paperex.server.core.exchange import Applied, Exchange, user_topic
from paperex.server.core.exchange_commands import CreatePriceAlert, DeletePriceAlert
from paperex.server.grpc_api.auth import Context
from paperex.server.grpc_api.services.base import Runtime, streaming, unary
from paperex.server.state.adl import AdlBoard
from paperex.server.wire import parse, render
from paperex.server.wire.errors import Refused, WireError
from paperex.v1 import account_pb2, account_pb2_grpc, common_pb2

ASSET = "USDT"
"""The settlement asset of every figure an account shows."""


def settings_list(exchange: Exchange, account_id: int) -> list[account_pb2.SymbolSettings]:
    account = exchange.engine.accounts[account_id]
    return [
        render.symbol_settings(symbol, setting, max_notional_for(spec, setting.leverage))
        for symbol, spec in exchange.instruments.items()
        for setting in (account.peek_setting(symbol),)
    ]


def account_summary(exchange: Exchange, account_id: int, adl: AdlBoard) -> account_pb2.AccountSummary:
    entry = exchange.accounts[account_id]
    summary = exchange.engine.summary(account_id)
    return render.account_summary(
        summary,
        entry.name,
        ASSET,
        exchange.instruments,
        settings_list(exchange, account_id),
        exchange.last_cursor(account_id),
        exchange.now,
        {p.symbol: adl.quantile(exchange, p.symbol, account_id) for p in summary.positions},
    )


def positions(exchange: Exchange, account_id: int, symbol: str, adl: AdlBoard) -> list[common_pb2.Position]:
    """Open positions (every symbol, or one, shown flat when nothing is held)."""
    summary = exchange.engine.summary(account_id)
    held = [
        render.position(
            figures,
            exchange.instruments[figures.symbol],
            exchange.now,
            adl.quantile(exchange, figures.symbol, account_id),
        )
        for figures in summary.positions
        if not symbol or figures.symbol == symbol
    ]
    if symbol and not held:
        market = exchange.engine.markets[symbol]
        settings = exchange.engine.accounts[account_id].peek_setting(symbol)
        held = [render.flat_position(symbol, settings, market.mark_price, market.instrument, exchange.now)]
    return held


class AccountService(account_pb2_grpc.AccountServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @unary
    async def GetAccount(self, request: account_pb2.GetAccountRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        await self.runtime.sequencer.settled()
        summary = account_summary(self.runtime.exchange, account_id, self.runtime.adl)
        return account_pb2.GetAccountResponse(account=summary)

    @unary
    async def ListPositions(self, request: account_pb2.ListPositionsRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol if request.symbol else ""
        await self.runtime.sequencer.settled()
        held = positions(self.runtime.exchange, account_id, symbol, self.runtime.adl)
        return account_pb2.ListPositionsResponse(positions=held)

    def _settings_response(self, applied: Applied) -> account_pb2.SymbolSettings:
        self.runtime.refuse_if_rejected(applied)
        changed = next(e for e in applied.events if isinstance(e, SettingsChanged))
        spec = self.runtime.instruments[changed.symbol]
        setting = SymbolSettings(changed.mode, changed.leverage)
        return render.symbol_settings(changed.symbol, setting, max_notional_for(spec, setting.leverage))

    @unary
    async def SetLeverage(self, request: account_pb2.SetLeverageRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol
        if not request.leverage:
            raise WireError("MISSING_FIELD", "leverage", "leverage is required")
        command = SetLeverage(account_id=account_id, symbol=symbol, leverage=request.leverage)
        settings = await self.runtime.submit(account_id, command, self._settings_response)
        return account_pb2.SetLeverageResponse(settings=settings)

    @unary
    async def SetMarginMode(self, request: account_pb2.SetMarginModeRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol
        command = SetMarginMode(account_id=account_id, symbol=symbol, mode=parse.margin_mode(request.margin_mode))
        settings = await self.runtime.submit(account_id, command, self._settings_response)
        return account_pb2.SetMarginModeResponse(settings=settings)

    @unary
    async def AdjustIsolatedMargin(self, request: account_pb2.AdjustIsolatedMarginRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol
        command = AdjustIsolatedMargin(account_id=account_id, symbol=symbol, amount=parse.isolated_adjustment(request))

        def respond(applied: Applied) -> account_pb2.AdjustIsolatedMarginResponse:
            self.runtime.refuse_if_rejected(applied)
            assert applied.position is not None
            # The ADL quantile is a ranking the board refreshes on its own schedule, not a figure of the command.
            quantile = self.runtime.adl.quantile(self.runtime.exchange, symbol, account_id)
            position = render.position(applied.position, self.runtime.instruments[symbol], applied.ts, quantile)
            _, wallet = applied.wallets
            return account_pb2.AdjustIsolatedMarginResponse(
                position=position, cross_wallet_balance=render.money(wallet)
            )

        return await self.runtime.submit(account_id, command, respond)

    @streaming
    async def StreamUserEvents(
        self, request: account_pb2.StreamUserEventsRequest, context: Context
    ) -> AsyncIterator[account_pb2.StreamUserEventsResponse]:
        """Backlog after the cursor, then live events; both read with nothing in flight, so there is
        neither a gap nor a duplicate between them."""
        account_id = self.runtime.reader(context)
        await self.runtime.sequencer.settled()
        backlog: list[account_pb2.UserEvent] = []
        if request.HasField("resume_after"):
            cursor = request.resume_after
            found = self.runtime.exchange.events_after(account_id, cursor.sequence, cursor.index)
            if found is None:
                raise Refused("CURSOR_EXPIRED", "events that old are no longer retained: GetAccount, then resume")
            backlog = found
        async with self.runtime.hub.subscribe(user_topic(account_id), self.runtime.stream_capacity) as live:
            for event in backlog:
                yield account_pb2.StreamUserEventsResponse(event=event)
            async for event in live:
                yield account_pb2.StreamUserEventsResponse(event=event)

    @unary
    async def CreatePriceAlert(self, request: account_pb2.CreatePriceAlertRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        spec = parse.instrument(self.runtime.instruments, request.symbol)
        command = CreatePriceAlert(
            account_id=account_id,
            symbol=spec.symbol,
            source=parse.trigger_by(request.price_source, "price_source"),
            direction=parse.alert_direction(request.direction),
            price=parse.reference_price(spec, request.price),
            repeating=request.repeating,
            note=parse.short_text(request.note, "note"),
        )

        def respond(applied: Applied) -> account_pb2.CreatePriceAlertResponse:
            if applied.refusal is not None:
                raise applied.refusal
            assert applied.alert is not None
            return account_pb2.CreatePriceAlertResponse(alert=render.price_alert(applied.alert, spec))

        return await self.runtime.submit(account_id, command, respond)

    @unary
    async def ListPriceAlerts(self, request: account_pb2.ListPriceAlertsRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol if request.symbol else ""
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        alerts = [
            render.price_alert(alert, exchange.instruments[alert.symbol])
            for alert in exchange.alerts.of(account_id, symbol)
        ]
        return account_pb2.ListPriceAlertsResponse(alerts=alerts)

    @unary
    async def DeletePriceAlert(self, request: account_pb2.DeletePriceAlertRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        if not request.alert_id:
            raise WireError("MISSING_FIELD", "alert_id", "alert_id is required")

        def respond(applied: Applied) -> account_pb2.DeletePriceAlertResponse:
            if applied.refusal is not None:
                raise applied.refusal
            return account_pb2.DeletePriceAlertResponse()

        command = DeletePriceAlert(account_id=account_id, alert_id=request.alert_id)
        return await self.runtime.submit(account_id, command, respond, order=False)

    @unary
    async def ListIncome(self, request: account_pb2.ListIncomeRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol if request.symbol else ""
        income_type = parse.income_type(request.income_type)
        start, end = parse.time_range(request)
        size, after = parse.page_size(request.page_size), parse.page_token(request.page_token)
        await self.runtime.sequencer.settled()
        history = self.runtime.exchange.income
        page, next_after = history.page(account_id, symbol, income_type, start, end, after, size)
        return account_pb2.ListIncomeResponse(
            incomes=[render.income(record, ASSET) for record in page], next_page_token=str(next_after or "")
        )

    @unary
    async def ListLiquidations(self, request: account_pb2.ListLiquidationsRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol if request.symbol else ""
        size, before = parse.page_size(request.page_size), parse.page_token(request.page_token)
        await self.runtime.sequencer.settled()
        exchange = self.runtime.exchange
        page, next_before = exchange.liquidations.page(account_id, symbol, before, size)
        return account_pb2.ListLiquidationsResponse(
            liquidations=[render.liquidation(record, exchange.instruments) for record in page],
            next_page_token=str(next_before or ""),
        )
