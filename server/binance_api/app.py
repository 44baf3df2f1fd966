"""The Binance USDⓈ-M compatible REST API: an aiohttp application on its own port, on the event loop
grpc.aio runs on, calling the same ``Application`` as the gRPC adapter, so a REST bot and a gRPC bot
trade in one book.

Each route is public (market data, charged to the caller's address) or signed (``X-MBX-APIKEY``, then
``timestamp``/``recvWindow`` against the wall clock, then the HMAC ``signature``, see ``signing``).
Each route has the venue's weight beside it: under venue limits (``paperex serve --limits binance``)
every request is charged its weight on the caller's address first, and every answer shows the
minute's used weight (``X-MBX-USED-WEIGHT-1M``) and, once the account is known, its order counts
(``X-MBX-ORDER-COUNT-10S``, ``-1M``).
Refusals are the venue's ``{"code", "msg"}`` bodies (``errors``); anything unexpected is -1000 with a
request id, its traceback only in the server log.
"""

import asyncio
import contextlib
import enum
import errno
import functools
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from aiohttp import WSCloseCode, WSMsgType, web

from paperex.engine.accounts import PositionMode
from paperex.engine.commands import CancelOrder, SetAssetMode, SetPositionMode
from paperex.engine.instruments import Instrument
from paperex.engine.orders import CONDITIONAL_TYPES, Side
from paperex.engine.units import Ticks
from paperex.server.binance_api import errors, params, render, weights
from paperex.server.binance_api.errors import BinanceError, venue_error
from paperex.server.binance_api.listen_keys import VALIDITY_MS, ListenKey, ListenKeys
from paperex.server.binance_api.market_streams import MarketStreams, parse
from paperex.server.binance_api.params import Params
from paperex.server.binance_api.signing import check_signature, check_timestamp
from paperex.server.binance_api.socket_rules import SocketRules
from paperex.server.binance_api.stream_connection import PayloadSource, StreamConnection
from paperex.server.binance_api.user_stream import UserStream
from paperex.server.binance_api.weights import Weight, by_symbol, weigh
from paperex.server.core.application import Application
from paperex.server.core.credentials import key_hash
from paperex.server.core.queries import PUBLIC, HeldPosition, SigningAccount
from paperex.server.core.records import CandlePrice, OrderSnapshot
from paperex.server.core.streams import SlowConsumer, StreamClosed, Subscription
from paperex.server.wire.errors import Refused

log = logging.getLogger("paperex.server.binance")

Handler = Callable[["Call"], Awaitable[Any]]
Route = tuple[str, str, Handler, Weight]
"""Method, path, handler, and the request's weight on the caller's address (``weights``)."""
MAX_TRADES = 1000
DEFAULT_TRADES = 500
DEFAULT_INCOME = 100
DEFAULT_ALGO_ORDERS = 100
DEFAULT_FUNDING_RATES = 100
DEFAULT_HISTORICAL_TRADES, MAX_HISTORICAL_TRADES = 100, 500
DEFAULT_FORCE_ORDERS, MAX_FORCE_ORDERS = 50, 100
FORM_TYPES = ("application/x-www-form-urlencoded", "application/octet-stream")
"""Bodies read as parameters: a form, or a body sent without a content type (aiohttp's default type)."""
CANCEL_ALL_DONE = {"code": 200, "msg": "The operation of cancel all open order is done."}
SUCCESS = {"code": 200, "msg": "success"}


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Security(enum.Enum):
    """What a route asks of its caller, as the venue's endpoint security types."""

    PUBLIC = "NONE"
    KEY = "USER_STREAM"
    SIGNED = "SIGNED"


class Call(NamedTuple):
    """One request: its merged parameters and, for a signed route, the calling account (else 0)."""

    params: Params
    account_id: int


class BinanceApi:
    """``start`` listens on ``host:port`` (0 picks a free port) and returns the port; ``stop`` answers
    what is in flight, then closes."""

    def __init__(
        self, app: Application, clock_ms: Callable[[], int] = wall_ms, listen_key_validity_ms: int = VALIDITY_MS
    ) -> None:
        self.app = app
        self.clock_ms = clock_ms
        self.listen_keys = ListenKeys(clock_ms, listen_key_validity_ms)
        self.market_streams = MarketStreams(app)
        self.web = web.Application()
        self._runner: web.AppRunner | None = None
        self._sockets: set[SocketRules] = set()
        """The open WebSocket connections, by their rules (which close them)."""
        self._routes()

    # ------------------------------------------------------------------ serving

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> int:
        """Listen on ``host:port`` (0: a free port), shared with other processes when ``reuse_port``."""
        runner = self._runner = web.AppRunner(self.web, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, host, port, reuse_port=reuse_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise OSError(errno.EADDRINUSE, "cannot listen there (in use, or not allowed)", f"{host}:{port}") from None
        bound: int = runner.addresses[0][1]  # the port picked for 0
        return bound

    async def stop(self) -> None:
        for rules in self._sockets:
            rules.close(WSCloseCode.GOING_AWAY, b"the server is shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _routes(self) -> None:
        public: list[Route] = [
            ("GET", "/fapi/v1/ping", self.ping, 1),
            ("GET", "/fapi/v1/time", self.time, 1),
            ("GET", "/fapi/v1/exchangeInfo", self.exchange_info, 1),
            ("GET", "/fapi/v1/depth", self.depth, weights.depth),
            ("GET", "/fapi/v1/klines", self.klines, weights.klines),
            ("GET", "/fapi/v1/markPriceKlines", self.mark_price_klines, weights.klines),
            ("GET", "/fapi/v1/indexPriceKlines", self.index_price_klines, weights.klines),
            ("GET", "/fapi/v1/ticker/24hr", self.ticker_24hr, by_symbol(1, 40)),
            ("GET", "/fapi/v1/ticker/price", self.ticker_price, by_symbol(1, 2)),
            ("GET", "/fapi/v2/ticker/price", self.ticker_price, by_symbol(1, 2)),
            ("GET", "/fapi/v1/ticker/bookTicker", self.book_ticker, by_symbol(2, 5)),
            ("GET", "/fapi/v1/premiumIndex", self.premium_index, by_symbol(1, 10)),
            ("GET", "/fapi/v1/fundingRate", self.funding_rates, 0),  # these two share a limit of their
            ("GET", "/fapi/v1/fundingInfo", self.funding_info, 0),  # own: 500 per 5 minutes per address
            ("GET", "/fapi/v1/trades", self.trades, 5),
            ("GET", "/fapi/v1/aggTrades", self.aggregate_trades, 20),
            ("GET", "/fapi/v1/openInterest", self.open_interest, 1),
            # the venue limits it apart (1000 per 5 minutes per address, not applied here)
            ("GET", "/futures/data/openInterestHist", self.open_interest_history, 0),
        ]
        signed: list[Route] = [
            ("GET", "/fapi/v2/account", self.account_v2, 5),
            ("GET", "/fapi/v3/account", self.account_v3, 5),
            ("GET", "/fapi/v2/balance", self.balance, 5),
            ("GET", "/fapi/v3/balance", self.balance, 5),
            ("GET", "/fapi/v2/positionRisk", self.position_risk_v2, 5),
            ("GET", "/fapi/v3/positionRisk", self.position_risk_v3, 5),
            ("GET", "/fapi/v1/leverageBracket", self.leverage_bracket, 1),
            ("POST", "/fapi/v1/leverage", self.leverage, 1),
            ("POST", "/fapi/v1/marginType", self.margin_type, 1),
            ("GET", "/fapi/v1/positionSide/dual", self.position_mode, 30),
            ("POST", "/fapi/v1/positionSide/dual", self.change_position_mode, 1),
            ("POST", "/fapi/v1/order", self.place_order, 0),
            ("GET", "/fapi/v1/order", self.query_order, 1),
            ("DELETE", "/fapi/v1/order", self.cancel_order, 1),
            ("GET", "/fapi/v1/openOrders", self.open_orders, by_symbol(1, 40)),
            ("GET", "/fapi/v1/openOrder", self.open_order, 1),
            ("DELETE", "/fapi/v1/allOpenOrders", self.cancel_all, 1),
            ("GET", "/fapi/v1/userTrades", self.user_trades, 5),
            ("GET", "/sapi/v1/capital/config/getall", self.nothing, 0),  # spot's: see below
            ("GET", "/fapi/v1/income", self.income, 30),
            ("GET", "/fapi/v1/allOrders", self.all_orders, 5),
            ("GET", "/fapi/v1/multiAssetsMargin", self.multi_assets_mode, 30),
            ("POST", "/fapi/v1/multiAssetsMargin", self.change_multi_assets_mode, 1),
            ("POST", "/fapi/v1/algoOrder", self.place_algo_order, 0),
            ("GET", "/fapi/v1/algoOrder", self.query_algo_order, 1),
            ("DELETE", "/fapi/v1/algoOrder", self.cancel_algo_order, 1),
            ("GET", "/fapi/v1/openAlgoOrders", self.open_algo_orders, by_symbol(1, 40)),
            ("GET", "/fapi/v1/allAlgoOrders", self.all_algo_orders, 5),
            ("DELETE", "/fapi/v1/algoOpenOrders", self.cancel_algo_open_orders, 1),
            ("PUT", "/fapi/v1/order", self.amend_order, 0),
            ("POST", "/fapi/v1/batchOrders", self.place_orders, 5),
            ("PUT", "/fapi/v1/batchOrders", self.amend_orders, 5),
            ("DELETE", "/fapi/v1/batchOrders", self.cancel_orders, 1),
            ("POST", "/fapi/v1/positionMargin", self.position_margin, 1),
            ("GET", "/fapi/v1/positionMargin/history", self.position_margin_history, 1),
            ("GET", "/fapi/v1/forceOrders", self.force_orders, by_symbol(20, 50)),
            ("GET", "/fapi/v1/adlQuantile", self.adl_quantile, 5),
            ("GET", "/fapi/v1/commissionRate", self.commission_rate, 20),
            ("GET", "/fapi/v1/accountConfig", self.account_config, 5),
        ]
        # Spot and margin calls a default ccxt configuration makes while loading (its currencies and
        # margin pairs): there is no spot or margin wallet here, so they answer empty; the venue weighs
        # them on its spot limits, not on the futures weight.
        keyed: list[Route] = [
            ("GET", "/sapi/v1/margin/allPairs", self.nothing, 0),
            ("POST", "/fapi/v1/listenKey", self.open_listen_key, 1),
            ("PUT", "/fapi/v1/listenKey", self.keep_alive_listen_key, 1),
            ("DELETE", "/fapi/v1/listenKey", self.close_listen_key, 1),
            ("GET", "/fapi/v1/historicalTrades", self.historical_trades, 20),
        ]
        for security, routes in ((Security.PUBLIC, public), (Security.KEY, keyed), (Security.SIGNED, signed)):
            for method, path, handle, weight in routes:
                self.web.router.add_route(method, path, self._guard(handle, security, weight))
        # the venue's paths, and its newer ones split by category (/public, /market; /private?listenKey=)
        for prefix in ("", "/public", "/market", "/private"):
            self.web.router.add_get(f"{prefix}/ws/{{name}}", self.websocket)
            self.web.router.add_get(f"{prefix}/ws", self.websocket)
            self.web.router.add_get(f"{prefix}/stream", self.combined_streams)
        self.web.router.add_route("*", "/{tail:.*}", self._not_found)

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error_response(errors.NOT_FOUND.error())

    def _guard(
        self, handle: Handler, security: "Security", weight: Weight
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def answer(request: web.Request) -> web.Response:
            address = request.remote or ""
            account_id = 0
            try:
                query = request.rel_url.raw_query_string
                body = await request.text() if request.can_read_body else ""
                merged = _merge(query, body if request.content_type in FORM_TYPES else "")
                self.app.admission.request(address, weigh(weight, merged))
                if security is Security.SIGNED:
                    account_id = self._authenticate(request, merged, query, body)
                elif security is Security.KEY:
                    account_id = self._key_account(request)
                else:
                    account_id = self._public(request)
                response = web.json_response(await handle(Call(merged, account_id)))
            except BinanceError as error:
                response = _error_response(error)
            except Refused as refused:
                response = _error_response(venue_error(refused))
            except Exception:
                request_id = uuid.uuid4().hex[:16]
                log.exception("request %s failed", request_id)
                internal = Refused("INTERNAL", f"internal error (request {request_id})", {"request_id": request_id})
                response = _error_response(venue_error(internal))
            self._show_usage(response, address, account_id)
            return response

        return answer

    def _show_usage(self, response: web.Response, address: str, account_id: int) -> None:
        """Under venue limits, the address's used weight and the account's order counts, as the venue
        shows them on every answer."""
        venue = self.app.admission.venue
        if venue is None:
            return
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(venue.used_weight(address))
        if account_id:
            ten_seconds, minute = venue.order_counts(account_id)
            response.headers["X-MBX-ORDER-COUNT-10S"] = str(ten_seconds)
            response.headers["X-MBX-ORDER-COUNT-1M"] = str(minute)

    def _signing_account(self, request: web.Request) -> SigningAccount:
        key = request.headers.get("X-MBX-APIKEY", "")
        if not key:
            raise errors.API_KEY_FORMAT.error()
        account = self.app.signing_account(key_hash(key))
        if account is None:
            raise errors.INVALID_API_KEY.error()
        return account

    def _key_account(self, request: web.Request) -> int:
        """The account of ``X-MBX-APIKEY`` (a user stream route: no signature), charged one query."""
        account_id = self._signing_account(request).account_id
        self.app.admission.query(account_id)
        return account_id

    def _authenticate(self, request: web.Request, merged: Params, query: str, body: str) -> int:
        """The signing account, charged one query (its commands are charged as commands)."""
        account = self._signing_account(request)
        check_timestamp(merged.get("timestamp"), merged.get("recvWindow"), self.clock_ms())
        check_signature(account.api_secret, query, body)
        if request.method == "GET":
            self.app.admission.query(account.account_id)
        return account.account_id

    def _public(self, request: web.Request) -> int:
        self.app.admission.anonymous(request.remote or "")
        return 0

    # ------------------------------------------------------------------ market data

    def _spec(self, call: Call) -> Instrument:
        return params.instrument(call.params, self.app.instruments)

    def _symbols(self, call: Call) -> list[str]:
        """The ``symbol`` asked, or every symbol when none is."""
        return [self._spec(call).symbol] if call.params.get("symbol") else list(self.app.instruments)

    async def ping(self, call: Call) -> Any:
        return {}

    async def nothing(self, call: Call) -> Any:
        return []

    async def time(self, call: Call) -> Any:
        return {"serverTime": self.clock_ms()}

    async def exchange_info(self, call: Call) -> Any:
        return render.exchange_info(self.app.instruments.values(), self.clock_ms())

    async def depth(self, call: Call) -> Any:
        spec = self._spec(call)
        return render.depth(await self.app.book(spec.symbol, params.depth_limit(call.params)), spec)

    async def klines(self, call: Call) -> Any:
        spec = self._spec(call)
        interval, start, end, limit = params.klines(call.params)
        bars = await self.app.candles(spec.symbol, interval, start, end, limit)
        return [render.kline(bar, spec) for bar in bars]

    async def mark_price_klines(self, call: Call) -> Any:
        return await self._price_klines(self._spec(call), call, CandlePrice.MARK)

    async def index_price_klines(self, call: Call) -> Any:
        spec = params.instrument(call.params, self.app.instruments, key="pair")
        return await self._price_klines(spec, call, CandlePrice.INDEX)

    async def _price_klines(self, spec: Instrument, call: Call, price: CandlePrice) -> Any:
        interval, start, end, limit = params.klines(call.params)
        bars = await self.app.candles(spec.symbol, interval, start, end, limit, price)
        return [render.price_kline(bar, spec) for bar in bars]

    async def _per_symbol(self, call: Call, shape: Callable[[str, Any, Instrument], Any]) -> Any:
        """One object for a ``symbol``, else a list of every symbol's."""
        specs = self.app.instruments
        tickers = await self.app.tickers(self._symbols(call))
        shaped = [shape(ticker.symbol, ticker, specs[ticker.symbol]) for ticker in tickers]
        return shaped[0] if call.params.get("symbol") else shaped

    async def ticker_24hr(self, call: Call) -> Any:
        return await self._per_symbol(call, render.ticker_24hr)

    async def ticker_price(self, call: Call) -> Any:
        return await self._per_symbol(call, render.ticker_price)

    async def book_ticker(self, call: Call) -> Any:
        return await self._per_symbol(call, render.book_ticker)

    async def funding_rates(self, call: Call) -> Any:
        """Settled funding rates, oldest first: from ``startTime`` the first ``limit``, else the newest."""
        symbols = self._symbols(call)
        limit = params.limit(call.params, DEFAULT_FUNDING_RATES, MAX_TRADES)
        start, end = params.time_range(call.params)
        oldest = call.params.get("startTime") is not None
        records = await self.app.funding_history(symbols, start, end, limit, oldest=oldest)
        return [render.funding_record(record, self.app.instruments[record.symbol]) for record in records]

    async def funding_info(self, call: Call) -> Any:
        return [render.funding_info(spec) for spec in self.app.instruments.values()]

    async def trades(self, call: Call) -> Any:
        spec = self._spec(call)
        limit = params.limit(call.params, DEFAULT_TRADES, MAX_TRADES)
        return [render.public_trade(t, spec) for t in await self.app.public_trades(spec.symbol, None, limit)]

    async def historical_trades(self, call: Call) -> Any:
        """Older trades from ``fromId`` on (the newest without it)."""
        spec = self._spec(call)
        limit = params.limit(call.params, DEFAULT_HISTORICAL_TRADES, MAX_HISTORICAL_TRADES)
        found = await self.app.public_trades(spec.symbol, params.whole(call.params, "fromId"), limit)
        return [render.public_trade(trade, spec) for trade in found]

    async def aggregate_trades(self, call: Call) -> Any:
        """Aggregate trades from ``fromId`` on, else the newest ``limit`` in the time range."""
        spec = self._spec(call)
        limit = params.limit(call.params, DEFAULT_TRADES, MAX_TRADES)
        start, end = params.time_range(call.params)
        from_id = params.whole(call.params, "fromId")
        found = await self.app.aggregate_trades(spec.symbol, from_id, start, end, limit)
        return [render.aggregate_trade(trade, spec) for trade in found]

    async def open_interest(self, call: Call) -> Any:
        spec = self._spec(call)
        (view,) = await self.app.tickers([spec.symbol])
        return render.open_interest(view, spec)

    async def open_interest_history(self, call: Call) -> Any:
        """The symbol's open interest every ``period`` (5 minutes to a day) of the last 30 days, oldest
        first: from ``startTime`` the first ``limit`` (default 30, at most 500), else the newest."""
        spec = self._spec(call)
        period, start, end, limit = params.open_interest_history(call.params)
        found = await self.app.open_interest_history(spec.symbol, period, start, end, limit)
        return [render.open_interest_sample(sample, spec) for sample in found]

    async def premium_index(self, call: Call) -> Any:
        return await self._per_symbol(call, render.premium_index)

    # ------------------------------------------------------------------ account and settings

    async def account_v2(self, call: Call) -> Any:
        return render.account(await self.app.account(call.account_id), self.app.instruments, v2=True)

    async def account_v3(self, call: Call) -> Any:
        return render.account(await self.app.account(call.account_id), self.app.instruments, v2=False)

    async def balance(self, call: Call) -> Any:
        return render.balances(await self.app.account(call.account_id), call.account_id)

    async def _position_risk(self, call: Call, *, v2: bool) -> Any:
        symbol = self._spec(call).symbol if call.params.get("symbol") else ""
        view = await self.app.account(call.account_id)
        return render.position_risk(view, self.app.instruments, symbol, v2=v2)

    async def position_risk_v2(self, call: Call) -> Any:
        return await self._position_risk(call, v2=True)

    async def position_risk_v3(self, call: Call) -> Any:
        return await self._position_risk(call, v2=False)

    async def leverage_bracket(self, call: Call) -> Any:
        specs = self.app.instruments
        return [render.leverage_brackets(specs[symbol]) for symbol in self._symbols(call)]

    async def leverage(self, call: Call) -> Any:
        command = params.set_leverage(call.params, call.account_id, self.app.instruments)
        return render.leverage(await self.app.change_settings(command))

    async def margin_type(self, call: Call) -> Any:
        command = params.set_margin_type(call.params, call.account_id, self.app.instruments)
        view = await self.app.account(call.account_id)
        if render.limits_of(view)[command.symbol].settings.mode is command.mode:
            raise errors.NO_NEED_TO_CHANGE_MARGIN_TYPE.error()
        await self.app.change_settings(command)
        return SUCCESS

    async def multi_assets_mode(self, call: Call) -> Any:
        return {"multiAssetsMargin": await self.app.multi_assets(call.account_id)}

    async def change_multi_assets_mode(self, call: Call) -> Any:
        """Multi-Assets mode on or off; asking for the mode already set is the venue's -4171, the refusals
        are worded as the venue words this switch's (``errors.ASSET_MODE_ERRORS``)."""
        if "multiAssetsMargin" not in call.params:
            raise errors.mandatory("multiAssetsMargin")
        wanted = params.flag(call.params, "multiAssetsMargin")
        if wanted == await self.app.multi_assets(call.account_id):
            raise errors.NO_NEED_TO_CHANGE_ASSET_MODE.error()
        try:
            await self.app.set_asset_mode(SetAssetMode(account_id=call.account_id, multi_assets=wanted))
        except Refused as refused:
            raise venue_error(refused, errors.ASSET_MODE_ERRORS) from None
        return SUCCESS

    async def income(self, call: Call) -> Any:
        """The account's money moves in the time range, oldest first (the venue's ``page`` is not offered)."""
        symbol = self._spec(call).symbol if call.params.get("symbol") else ""
        if call.params.get("incomeType") in params.OTHER_INCOME_TYPES:
            return []
        income_type = params.income_type(call.params)
        limit = params.limit(call.params, DEFAULT_INCOME, MAX_TRADES)
        start, end = params.time_range(call.params)
        records, _ = await self.app.income_page(call.account_id, symbol, income_type, start, end, 0, limit)
        return [render.income(record) for record in records]

    async def all_orders(self, call: Call) -> Any:
        """The symbol's orders in the time range, oldest first: from ``orderId`` on, else the newest
        ``limit`` (waiting algo orders are the algo endpoints')."""
        spec = self._spec(call)
        limit = params.limit(call.params, DEFAULT_TRADES, MAX_TRADES)
        found, from_id = await self._orders_in_range(call, spec.symbol, "orderId")
        shown = [order for order in found if not render.waiting_algo_order(order)]
        return [render.order(order, spec) for order in (shown[:limit] if from_id else shown[-limit:])]

    async def all_algo_orders(self, call: Call) -> Any:
        """The symbol's conditional orders in the time range, waiting, triggered or ended, oldest first:
        from ``algoId`` on, else the newest ``limit`` (default 100, at most 1000)."""
        spec = self._spec(call)
        limit = params.limit(call.params, DEFAULT_ALGO_ORDERS, MAX_TRADES)
        found, from_id = await self._orders_in_range(call, spec.symbol, "algoId")
        shown = [order for order in found if order[0].order_type in CONDITIONAL_TYPES]
        return [render.algo_order(order, spec) for order in (shown[:limit] if from_id else shown[-limit:])]

    async def _orders_in_range(self, call: Call, symbol: str, id_name: str) -> tuple[list[OrderSnapshot], int]:
        """The account's orders on ``symbol`` in the time range, oldest first, and the id ``id_name``
        asked: every order from that id on, else the newest ``MAX_TRADES``."""
        start, end = params.time_range(call.params)
        first_id = params.whole(call.params, id_name) or 0
        found: list[OrderSnapshot] = []
        before = 0
        while True:
            page = await self.app.orders_page(call.account_id, symbol, start, end, before, MAX_TRADES)
            kept = [order for order in page if order[0].order_id >= first_id]
            found += kept
            if not first_id or len(page) < MAX_TRADES or len(kept) < len(page):
                break
            before = page[-1][0].order_id
        return found[::-1], first_id

    async def position_mode(self, call: Call) -> Any:
        return {"dualSidePosition": await self.app.position_mode(call.account_id) is PositionMode.HEDGE}

    async def change_position_mode(self, call: Call) -> Any:
        """Hedge mode (``dualSidePosition`` true) or one-way; the venue's -4059, -4067 and -4068 refuse it."""
        mode = params.position_mode(call.params)
        await self.app.set_position_mode(SetPositionMode(account_id=call.account_id, mode=mode))
        return SUCCESS

    # ------------------------------------------------------------------ orders and trades

    async def place_order(self, call: Call, *, batched: bool = False) -> Any:
        """One order; ``batched`` when a batch request brought it (charged once, ``place_orders``). A
        ``priceMatch`` order is priced from the book as it stands when the request is read."""
        command = params.place_order(call.params, call.account_id, self.app.instruments)
        matched = params.price_match(call.params)
        if matched is not None:
            command.price = await self._matched_price(command.symbol, command.side, *matched)
        result = await self.app.order_command(command, batched=batched)
        answer = render.order(result.orders[0], self.app.instruments[command.symbol], with_cum_qty=True)
        if matched is not None:
            answer["priceMatch"] = call.params["priceMatch"]
        return answer

    async def _matched_price(self, symbol: str, side: Side, opponent: bool, level: int) -> Ticks:
        """The price of the ``level``-th best level of the opposite side of the book (``opponent``) or of
        the order's own; -5041 when that side has fewer levels."""
        book = await self.app.book(symbol, level)
        levels = book.asks if opponent is (side is Side.BUY) else book.bids
        if len(levels) < level:
            raise errors.NO_DEPTH_FOR_PRICE_MATCH.error()
        return levels[level - 1].price

    async def amend_order(self, call: Call, *, batched: bool = False) -> Any:
        """A resting limit order's new price and quantity, as the engine applies the venue's rules (an
        unchanged order is -5027; a quantity at or below what is filled, or a post-only order that
        would take, cancels it)."""
        command, side = params.amend_order(call.params, call.account_id, self.app.instruments)
        found = await self._regular_order(call)
        if found[0].side is not side:
            raise errors.not_valid("side")
        result = await self.app.order_command(command, batched=batched)
        return render.order(result.orders[0], self.app.instruments[command.symbol], with_cum_qty=True)

    async def place_orders(self, call: Call) -> Any:
        """A batch counts as the venue counts it: 5 on the 10-second order window and 1 on the
        minute's, whatever the number of its orders (and 5 on the weight, beside the route)."""
        items = params.batch_orders(call.params)
        self.app.admission.order_batch(call.account_id)
        return await self._batch(call, items, functools.partial(self.place_order, batched=True))

    async def amend_orders(self, call: Call) -> Any:
        """Counted as ``place_orders``."""
        items = params.batch_orders(call.params)
        self.app.admission.order_batch(call.account_id)
        return await self._batch(call, items, functools.partial(self.amend_order, batched=True))

    async def cancel_orders(self, call: Call) -> Any:
        return await self._batch(call, params.batch_cancels(call.params), self.cancel_order)

    async def _batch(self, call: Call, items: list[dict[str, str]], handle: Handler) -> list[Any]:
        """Each item through ``handle`` as one request of its own, all at once (the venue's batches
        run concurrently): each one's answer, or its refusal's body, in the order sent."""

        async def one(item: dict[str, str]) -> Any:
            try:
                return await handle(Call(item, call.account_id))
            except BinanceError as error:
                return error.body()
            except Refused as refused:
                return venue_error(refused).body()

        return list(await asyncio.gather(*(one(item) for item in items)))

    async def _regular_order(self, call: Call, words: errors.Wordings | None = None) -> OrderSnapshot:
        """The order ``orderId`` or ``origClientOrderId`` names on ``symbol``, unless it is an algo
        order still waiting for its trigger (the venue keeps those apart): else -2013 (or as ``words`` say)."""
        spec = self._spec(call)
        order_id, client_order_id = params.order_key(call.params)
        found = await self.app.order(call.account_id, spec.symbol, order_id, client_order_id)
        if found is None or render.waiting_algo_order(found):
            raise venue_error(Refused("UNKNOWN_ORDER", f"no order with that id on {spec.symbol}"), words)
        return found

    async def query_order(self, call: Call) -> Any:
        found = await self._regular_order(call)
        return render.order(found, self.app.instruments[found[0].symbol])

    async def open_order(self, call: Call) -> Any:
        found = await self._regular_order(call)
        if found[0].finished:
            raise venue_error(Refused("UNKNOWN_ORDER", f"order {found[0].order_id} is no longer open"))
        return render.order(found, self.app.instruments[found[0].symbol])

    async def cancel_order(self, call: Call) -> Any:
        command = params.cancel_order(call.params, call.account_id, self.app.instruments)
        await self._regular_order(call, errors.CANCEL_ERRORS)
        try:
            result = await self.app.order_command(command)
        except Refused as refused:
            raise venue_error(refused, errors.CANCEL_ERRORS) from None
        return render.order(result.orders[0], self.app.instruments[command.symbol], with_cum_qty=True)

    async def open_orders(self, call: Call) -> Any:
        specs = self.app.instruments
        found = await self.app.open_orders(call.account_id, self._symbols(call))
        return [render.order(order, specs[order[0].symbol]) for order in found if not render.waiting_algo_order(order)]

    async def cancel_all(self, call: Call) -> Any:
        await self.app.order_command(params.cancel_all(call.params, call.account_id, self.app.instruments))
        return CANCEL_ALL_DONE

    async def user_trades(self, call: Call) -> Any:
        """The newest ``limit`` fills in the time range, oldest first (``fromId`` is not supported)."""
        spec = self._spec(call)
        if call.params.get("fromId"):
            raise errors.UNSUPPORTED_OPERATION.error()
        limit = params.limit(call.params, DEFAULT_TRADES, MAX_TRADES)
        start, end = params.time_range(call.params)
        order_id = params.whole(call.params, "orderId") or 0
        page = await self.app.fills_page(call.account_id, spec.symbol, order_id, start, end, 0, limit)
        return [render.user_trade(fill, spec) for fill in reversed(page)]

    # ------------------------------------------------------------------ algo (conditional) orders

    async def place_algo_order(self, call: Call) -> Any:
        command = params.place_algo_order(call.params, call.account_id, self.app.instruments)
        result = await self.app.order_command(command)
        return render.algo_order(result.orders[0], self.app.instruments[command.symbol])

    async def _algo_order(self, call: Call, words: errors.Wordings | None = None) -> OrderSnapshot:
        """The conditional order ``algoId`` or ``clientAlgoId`` names, on any symbol."""
        algo_id, client_algo_id = params.order_key(call.params, "algoId", "clientAlgoId")
        found = await self.app.order(call.account_id, "", algo_id, client_algo_id)
        if found is None or found[0].order_type not in CONDITIONAL_TYPES:
            raise venue_error(Refused("UNKNOWN_ORDER", "no algo order with that id"), words)
        return found

    async def query_algo_order(self, call: Call) -> Any:
        found = await self._algo_order(call)
        return render.algo_order(found, self.app.instruments[found[0].symbol])

    async def cancel_algo_order(self, call: Call) -> Any:
        """Only an algo order still waiting can be canceled here (once triggered, it is a regular order)."""
        record, _ = found = await self._algo_order(call, errors.CANCEL_ERRORS)
        if not render.waiting_algo_order(found):
            raise venue_error(Refused("UNKNOWN_ORDER", "the algo order is no longer waiting"), errors.CANCEL_ERRORS)
        command = CancelOrder(account_id=call.account_id, symbol=record.symbol, order_id=record.order_id)
        try:
            await self.app.order_command(command)
        except Refused as refused:
            raise venue_error(refused, errors.CANCEL_ERRORS) from None
        return {
            "algoId": record.order_id,
            "clientAlgoId": render.client_algo_id(record),
            "code": "200",
            "msg": "success",
        }

    async def open_algo_orders(self, call: Call) -> Any:
        specs = self.app.instruments
        found = await self.app.open_orders(call.account_id, self._symbols(call))
        return [render.algo_order(order, specs[order[0].symbol]) for order in found if render.waiting_algo_order(order)]

    async def cancel_algo_open_orders(self, call: Call) -> Any:
        """Every waiting algo order on ``symbol``, one cancel each (an order that triggers meanwhile stays)."""
        symbol = params.instrument(call.params, self.app.instruments).symbol
        for record, _ in [
            o for o in await self.app.open_orders(call.account_id, [symbol]) if render.waiting_algo_order(o)
        ]:
            command = CancelOrder(account_id=call.account_id, symbol=symbol, order_id=record.order_id)
            with contextlib.suppress(Refused):
                await self.app.order_command(command)
        return CANCEL_ALL_DONE

    # ------------------------------------------------------------------ margin, fees and liquidations

    async def position_margin(self, call: Call) -> Any:
        command = params.position_margin(call.params, call.account_id, self.app.instruments)
        await self.app.adjust_isolated_margin(command)
        return render.position_margin(command.amount)

    async def position_margin_history(self, call: Call) -> Any:
        """The account's own margin moves on ``symbol``, oldest first."""
        spec = self._spec(call)
        added = params.margin_move_filter(call.params)
        limit = params.limit(call.params, DEFAULT_TRADES, MAX_TRADES)
        start, end = params.time_range(call.params)
        found = await self.app.margin_adjustments(call.account_id, spec.symbol, added, start, end, limit)
        return [render.margin_adjustment(record) for record in found]

    async def force_orders(self, call: Call) -> Any:
        """The account's liquidation orders, oldest first (auto-deleveraging places no order here, so
        ``autoCloseType=ADL`` finds none)."""
        symbol = self._spec(call).symbol if call.params.get("symbol") else ""
        if params.auto_close_type(call.params) == "ADL":
            return []
        limit = params.limit(call.params, DEFAULT_FORCE_ORDERS, MAX_FORCE_ORDERS)
        start, end = params.time_range(call.params)
        found = await self.app.liquidation_orders(call.account_id, symbol, start, end, limit)
        return [render.order(order, self.app.instruments[order[0].symbol]) for order in found]

    async def adl_quantile(self, call: Call) -> Any:
        symbol = self._spec(call).symbol if call.params.get("symbol") else ""
        held, _ = await self.app.positions(call.account_id, symbol)
        return render.adl_quantiles([position for position in held if isinstance(position, HeldPosition)])

    async def commission_rate(self, call: Call) -> Any:
        return render.commission_rate(self._spec(call))

    async def account_config(self, call: Call) -> Any:
        return render.account_config()

    # ------------------------------------------------------------------ user data stream

    async def open_listen_key(self, call: Call) -> Any:
        return {"listenKey": self.listen_keys.open(call.account_id)}

    async def keep_alive_listen_key(self, call: Call) -> Any:
        key = self.listen_keys.keep_alive(call.account_id)
        if key is None:
            raise errors.LISTEN_KEY_NOT_FOUND.error()
        return {"listenKey": key.key}

    async def close_listen_key(self, call: Call) -> Any:
        self.listen_keys.close(call.account_id)
        return {}

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        """``/ws/<listenKey>`` (or ``/private/ws?listenKey=``): the account's user data stream;
        ``/ws/<stream>``: that public stream; any other name (ccxt connects to ``/public/ws/0``): a
        connection that subscribes by message. A name shaped as a listen key that is not (or no longer)
        one is -1125."""
        name = request.match_info.get("name", "") or request.query.get("listenKey", "")
        key = self.listen_keys.find(name)
        if key is not None:
            return await self._user_stream(request, key)
        stream = parse(name, self.app.instruments)
        if stream is None and ListenKeys.shaped(name):
            return _error_response(errors.LISTEN_KEY_NOT_FOUND.error())
        return await self._public_streams(request, {name: stream} if stream is not None else {}, combined=False)

    async def combined_streams(self, request: web.Request) -> web.StreamResponse:
        """``/stream?streams=a/b``: the streams named, each payload wrapped with its stream's name."""
        names = [name for name in request.query.get("streams", "").split("/") if name]
        parsed = {name: parse(name, self.app.instruments) for name in names}
        if not parsed or any(stream is None for stream in parsed.values()):
            return _error_response(errors.not_valid("streams"))
        return await self._public_streams(request, parsed, combined=True)

    def _connect(self, request: web.Request, account_id: int) -> tuple[web.WebSocketResponse, SocketRules]:
        """A socket for ``request`` and its rules (the account's fault plan: ``PUBLIC`` for everyone's),
        the connection charged to the caller's address first: the venue's refusal raised as it is."""
        self.app.admission.connection(request.remote or "")
        socket = web.WebSocketResponse()
        budget = self.app.faults.stream_budget(account_id)
        return socket, SocketRules(socket, budget=budget, admission=self.app.admission)

    async def _public_streams(
        self, request: web.Request, streams: dict[str, Any], *, combined: bool
    ) -> web.StreamResponse:
        try:
            socket, rules = self._connect(request, PUBLIC)
        except Refused as refused:
            return _error_response(venue_error(refused))
        await socket.prepare(request)
        self._sockets.add(rules)
        connection = StreamConnection(
            socket,
            self.market_streams,
            self.app.instruments,
            combined=combined,
            rules=rules,
            user_stream=self._subscribed_user_stream,
        )
        try:
            async with self._dropping(rules, PUBLIC):
                await connection.follow(streams)
                while (message := await rules.read()) is not None:
                    if message.type is WSMsgType.TEXT:
                        await connection.answer(message.data)
        finally:
            connection.close()
            self._sockets.discard(rules)
        return socket

    async def _user_stream(self, request: web.Request, key: ListenKey) -> web.StreamResponse:
        """The account's user data stream until the key ends or expires: following the account's events
        before the handshake completes, so that whatever happens once the client is connected reaches it."""
        try:
            socket, rules = self._connect(request, key.account_id)
        except Refused as refused:
            return _error_response(venue_error(refused))
        view = await self.app.account(key.account_id)
        async with self.app.user_events(key.account_id, None) as (_, live):
            stream = UserStream(view, self.app.instruments)
            await socket.prepare(request)
            self._sockets.add(rules)
            try:
                tasks = [
                    asyncio.create_task(self._forward_user_events(rules, live, stream, key.account_id)),
                    asyncio.create_task(self._expire(rules, key)),
                ]
                try:
                    async with self._dropping(rules, key.account_id):
                        while await rules.read() is not None:  # a user stream takes no requests
                            rules.heard()
                finally:
                    for task in tasks:
                        task.cancel()
            finally:
                self._sockets.discard(rules)
        return socket

    async def _forward_user_events(
        self, rules: SocketRules, live: Subscription[Any], stream: UserStream, account_id: int
    ) -> None:
        """Each command's events as the venue's messages; the socket closes when the stream ends."""
        code, reason = WSCloseCode.GOING_AWAY, b"the server is shutting down"
        try:
            async for message in self._user_messages(live, stream, account_id):
                await rules.send(message)
        except SlowConsumer:
            code, reason = WSCloseCode.POLICY_VIOLATION, b"too slow: events were not read, connect again"
        except StreamClosed as closed:
            code, reason = WSCloseCode.GOING_AWAY, closed.reason.encode()[:120]
        rules.close(code, reason)

    async def _user_messages(
        self, live: Subscription[Any], stream: UserStream, account_id: int
    ) -> AsyncIterator[dict[str, Any]]:
        """Each command's events as the venue's messages, the events of one command together."""
        async for event in live:
            events = [event, *live.take_buffered()]
            if stream.margin_called(events):
                stream.refresh(await self.app.account(account_id))
            for message in stream.messages(events):
                yield message

    def _subscribed_user_stream(self, name: str) -> PayloadSource | None:
        """A listen key subscribed on a stream connection: its user data stream, as ``/ws/<listenKey>``
        sends it, until the key ends (closed, or expired: then ``listenKeyExpired``)."""
        key = self.listen_keys.find(name)
        if key is None:
            return None

        async def payloads(ready: asyncio.Event) -> AsyncIterator[dict[str, Any]]:
            view = await self.app.account(key.account_id)
            async with self.app.user_events(key.account_id, None) as (_, live):
                ready.set()
                ending = asyncio.create_task(self._until_key_ends(key))
                ending.add_done_callback(lambda _: live.unsubscribe())  # ends the loop below
                try:
                    async for message in self._user_messages(
                        live, UserStream(view, self.app.instruments), key.account_id
                    ):
                        yield message
                finally:
                    ending.cancel()
                if ending.done() and not ending.cancelled() and ending.result():  # not when the server shuts down
                    yield self._expired(key)

        return payloads

    @contextlib.asynccontextmanager
    async def _dropping(self, rules: SocketRules, account_id: int) -> AsyncIterator[None]:
        """Closes the socket at the time a fault plan drops the account's streams open now (``PUBLIC``:
        everyone's plan), unless the handler ends first."""
        at = self.app.faults.stream_drop_at(account_id)
        if at is None:
            yield
            return
        dropping = asyncio.create_task(self._drop(rules, at))
        try:
            yield
        finally:
            dropping.cancel()

    async def _drop(self, rules: SocketRules, at: int) -> None:
        refusal = await self.app.faults.dropped(at)
        rules.close(WSCloseCode.GOING_AWAY, refusal.message.encode()[:120])

    async def _expire(self, rules: SocketRules, key: ListenKey) -> None:
        """Wait until the key ends: after ``listenKeyExpired`` when it expired, close the socket."""
        if await self._until_key_ends(key):
            await rules.socket.send_json(self._expired(key))
        rules.close(WSCloseCode.GOING_AWAY, b"listenKey closed")

    async def _until_key_ends(self, key: ListenKey) -> bool:
        """Wait out the key's validity (each keep-alive extends it) or until it is closed; True when it
        expired (it is closed then)."""
        while (remaining := self.listen_keys.remaining_ms(key)) > 0 and not key.ended.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(key.ended.wait(), remaining / 1000)
        expired = self.listen_keys.remaining_ms(key) <= 0
        if expired:
            self.listen_keys.close(key.account_id)
        return expired

    def _expired(self, key: ListenKey) -> dict[str, Any]:
        return {"e": "listenKeyExpired", "E": self.clock_ms(), "listenKey": key.key}


def _merge(query: str, body: str) -> dict[str, str]:
    """The query's and the form body's parameters together; a parameter sent twice is the venue's -1101."""
    merged: dict[str, str] = {}
    for name, value in [*parse_qsl(query, keep_blank_values=True), *parse_qsl(body, keep_blank_values=True)]:
        if name in merged:
            raise BinanceError(errors.BAD_REQUEST, -1101, "Duplicate values for a parameter detected.")
        merged[name] = value
    return merged


def _error_response(error: BinanceError) -> web.Response:
    headers = {}
    refused = error.refused
    if refused is not None and refused.retry_after:
        headers["Retry-After"] = str(max(1, math.ceil(refused.retry_after)))  # never sooner than asked
    return web.json_response(error.body(), status=error.status, headers=headers)
