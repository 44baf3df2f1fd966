"""Account: the calling account's figures, positions, settings, private event stream, income and
liquidation records."""

from collections.abc import AsyncIterator, Mapping
from typing import Any

from paperex.engine.commands import AdjustIsolatedMargin, SetAssetMode, SetLeverage, SetMarginMode, SetPositionMode
from paperex.engine.instruments import Instrument
from paperex.server.core.exchange_commands import CreatePriceAlert, DeletePriceAlert
from paperex.server.core.queries import AccountOverview, FlatPosition, HeldPosition, SymbolLimits
from paperex.server.grpc_api.auth import Context
from paperex.server.grpc_api.services.base import Runtime, streaming, unary
from paperex.server.wire import parse, render
from paperex.server.wire.errors import WireError
from paperex.server.wire.user_events import user_event
from paperex.v1 import account_pb2, account_pb2_grpc, common_pb2

ASSET = "USDT"
"""The settlement asset of every figure an account shows."""


def symbol_settings(limits: SymbolLimits) -> account_pb2.SymbolSettings:
    return render.symbol_settings(limits.symbol, limits.settings, limits.max_notional)


def account_summary(overview: AccountOverview, instruments: Mapping[str, Instrument]) -> account_pb2.AccountSummary:
    return render.account_summary(
        overview.summary,
        overview.name,
        ASSET,
        instruments,
        [symbol_settings(limits) for limits in overview.limits],
        overview.cursor,
        overview.ts,
        overview.adl_quantiles,
        overview.multi_assets,
        overview.assets,
    )


def position(held: HeldPosition | FlatPosition, instruments: Mapping[str, Instrument], ts: int) -> common_pb2.Position:
    if isinstance(held, FlatPosition):
        return render.flat_position(held.symbol, held.settings, held.mark_price, instruments[held.symbol], ts)
    figures = held.figures
    return render.position(figures, instruments[figures.symbol], ts, held.adl_quantile)


class AccountService(account_pb2_grpc.AccountServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _symbol_or_all(self, symbol: str) -> str:
        return parse.instrument(self.runtime.instruments, symbol).symbol if symbol else ""

    @unary
    async def GetAccount(self, request: account_pb2.GetAccountRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        overview = await self.runtime.app.account(account_id)
        return account_pb2.GetAccountResponse(account=account_summary(overview, self.runtime.instruments))

    @unary
    async def ListPositions(self, request: account_pb2.ListPositionsRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = self._symbol_or_all(request.symbol)
        held, ts = await self.runtime.app.positions(account_id, symbol)
        instruments = self.runtime.instruments
        return account_pb2.ListPositionsResponse(positions=[position(one, instruments, ts) for one in held])

    @unary
    async def SetLeverage(self, request: account_pb2.SetLeverageRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol
        if not request.leverage:
            raise WireError("MISSING_FIELD", "leverage", "leverage is required")
        command = SetLeverage(account_id=account_id, symbol=symbol, leverage=request.leverage)
        limits = await self.runtime.app.change_settings(command)
        return account_pb2.SetLeverageResponse(settings=symbol_settings(limits))

    @unary
    async def SetMarginMode(self, request: account_pb2.SetMarginModeRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol
        command = SetMarginMode(account_id=account_id, symbol=symbol, mode=parse.margin_mode(request.margin_mode))
        limits = await self.runtime.app.change_settings(command)
        return account_pb2.SetMarginModeResponse(settings=symbol_settings(limits))

    @unary
    async def SetAssetMode(self, request: account_pb2.SetAssetModeRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        command = SetAssetMode(account_id=account_id, multi_assets=request.multi_assets_mode)
        multi_assets = await self.runtime.app.set_asset_mode(command)
        return account_pb2.SetAssetModeResponse(multi_assets_mode=multi_assets)

    @unary
    async def GetAssetMode(self, request: account_pb2.GetAssetModeRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        return account_pb2.GetAssetModeResponse(multi_assets_mode=await self.runtime.app.multi_assets(account_id))

    @unary
    async def AdjustIsolatedMargin(self, request: account_pb2.AdjustIsolatedMarginRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        symbol = parse.instrument(self.runtime.instruments, request.symbol).symbol
        command = AdjustIsolatedMargin(
            account_id=account_id,
            symbol=symbol,
            amount=parse.isolated_adjustment(request),
            position_side=parse.position_side(request.position_side),
        )
        adjusted = await self.runtime.app.adjust_isolated_margin(command)
        return account_pb2.AdjustIsolatedMarginResponse(
            position=position(adjusted.position, self.runtime.instruments, adjusted.ts),
            cross_wallet_balance=render.money(adjusted.cross_wallet),
        )

    @unary
    async def GetPositionMode(self, request: account_pb2.GetPositionModeRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        mode = await self.runtime.app.position_mode(account_id)
        return account_pb2.GetPositionModeResponse(position_mode=render.POSITION_MODES[mode])

    @unary
    async def SetPositionMode(self, request: account_pb2.SetPositionModeRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        command = SetPositionMode(account_id=account_id, mode=parse.position_mode(request.position_mode))
        mode = await self.runtime.app.set_position_mode(command)
        return account_pb2.SetPositionModeResponse(position_mode=render.POSITION_MODES[mode])

    @streaming
    async def StreamUserEvents(
        self, request: account_pb2.StreamUserEventsRequest, context: Context
    ) -> AsyncIterator[account_pb2.StreamUserEventsResponse]:
        """Backlog after the cursor, then live events, with neither a gap nor a duplicate between them."""
        account_id = self.runtime.reader(context)
        cursor = request.resume_after
        after = (cursor.sequence, cursor.index) if request.HasField("resume_after") else None
        specs = self.runtime.instruments
        async with self.runtime.app.user_events(account_id, after) as (backlog, live):
            for event in backlog:
                yield account_pb2.StreamUserEventsResponse(event=user_event(event, specs))
            async for event in live:
                yield account_pb2.StreamUserEventsResponse(event=user_event(event, specs))

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
        alert = await self.runtime.app.create_alert(command)
        return account_pb2.CreatePriceAlertResponse(alert=render.price_alert(alert, spec))

    @unary
    async def ListPriceAlerts(self, request: account_pb2.ListPriceAlertsRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = self._symbol_or_all(request.symbol)
        instruments = self.runtime.instruments
        alerts = await self.runtime.app.alerts(account_id, symbol)
        return account_pb2.ListPriceAlertsResponse(
            alerts=[render.price_alert(alert, instruments[alert.symbol]) for alert in alerts]
        )

    @unary
    async def DeletePriceAlert(self, request: account_pb2.DeletePriceAlertRequest, context: Context) -> Any:
        account_id = self.runtime.auth.account(context)
        if not request.alert_id:
            raise WireError("MISSING_FIELD", "alert_id", "alert_id is required")
        await self.runtime.app.delete_alert(DeletePriceAlert(account_id=account_id, alert_id=request.alert_id))
        return account_pb2.DeletePriceAlertResponse()

    @unary
    async def ListIncome(self, request: account_pb2.ListIncomeRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = self._symbol_or_all(request.symbol)
        income_type = parse.income_type(request.income_type)
        start, end = parse.time_range(request)
        size, after = parse.page_size(request.page_size), parse.page_token(request.page_token)
        page, next_after = await self.runtime.app.income_page(account_id, symbol, income_type, start, end, after, size)
        return account_pb2.ListIncomeResponse(
            incomes=[render.income(record) for record in page], next_page_token=str(next_after or "")
        )

    @unary
    async def ListLiquidations(self, request: account_pb2.ListLiquidationsRequest, context: Context) -> Any:
        account_id = self.runtime.reader(context)
        symbol = self._symbol_or_all(request.symbol)
        size, before = parse.page_size(request.page_size), parse.page_token(request.page_token)
        page, next_before = await self.runtime.app.liquidations_page(account_id, symbol, before, size)
        instruments = self.runtime.instruments
        return account_pb2.ListLiquidationsResponse(
            liquidations=[render.liquidation(record, instruments) for record in page],
            next_page_token=str(next_before or ""),
        )
