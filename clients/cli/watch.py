"""``watch [SYMBOL ...]``: one screen a trader keeps open beside a bot.

Top of book per symbol (``BookMirror`` from the book streams), the account's margin ratio and its
positions with the distance from mark to liquidation (``AccountTracker`` from the user-event stream).
It redraws when a stream reports a change, at most ``MAX_REDRAWS_PER_SECOND`` times a second, and at
least every ``--interval`` seconds, when GetAccount is read again: the mark moves margin figures and
liquidation prices without any event of the account's own.
"""

import argparse
import asyncio
from typing import Any

from paperex.client import models
from paperex.client.book_mirror import BookMirror, follow_book
from paperex.client.cli.arguments import Commands, add_stop_options, symbol_argument
from paperex.client.cli.connection import open_client
from paperex.client.cli.output import Output
from paperex.client.cli.render import jsonable, percent, table, text
from paperex.client.cli.tables import liquidation_distance, positions_table
from paperex.client.client import AsyncClient
from paperex.client.tracker import AccountTracker

DEFAULT_INTERVAL = 1.0
READY_TIMEOUT = 10.0
MAX_REDRAWS_PER_SECOND = 10
ACCOUNT_FIGURES = (
    "account_id",
    "wallet_balance",
    "margin_balance",
    "available_balance",
    "margin_ratio",
    "effective_leverage",
)
"""The account's figures a --json screen carries (the full summary is ``account show --json``)."""


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``watch`` to the parser."""
    watch = commands.add_parser(
        "watch", parents=[common], help="live dashboard: books, margin ratio, liquidation distance (Ctrl-C stops)"
    )
    watch.add_argument("symbols", nargs="*", type=symbol_argument, metavar="SYMBOL", help="default: every instrument")
    watch.add_argument(
        "--interval", type=float, default=DEFAULT_INTERVAL, metavar="SECONDS", help="refresh at least this often (1)"
    )
    add_stop_options(watch, "iterations", "draw one screen and exit", "exit after N screens")
    watch.set_defaults(handler=watch_account)


class Dashboard:
    """The streams one watch follows and the state they keep; ``changed`` is set by every update."""

    def __init__(self, client: AsyncClient, symbols: list[str]) -> None:
        self.client = client
        self.tracker = AccountTracker(client)
        self.mirrors = {symbol: BookMirror(symbol) for symbol in symbols}
        self.changed = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Follows every book and the account's events in background tasks."""
        self.tasks = [asyncio.create_task(self._follow_book(symbol)) for symbol in self.mirrors]
        self.tasks.append(asyncio.create_task(self._follow_account()))

    async def stop(self) -> None:
        """Ends the background streams (their channel closes with the client)."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _follow_book(self, symbol: str) -> None:
        async for mirror in follow_book(self.client, symbol):
            self.mirrors[symbol] = mirror
            self.changed.set()

    async def _follow_account(self) -> None:
        async for _ in self.tracker.events():
            self.changed.set()

    async def next_change(self, timeout: float) -> None:
        """Returns once ``changed`` is set (at once if it already is) or after ``timeout``; raises what
        stopped a stream (the server is gone)."""
        waiter = asyncio.create_task(self.changed.wait())
        await asyncio.wait([waiter, *self.tasks], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        for task in self.tasks:
            if task.done():
                task.result()

    async def wait_ready(self, timeout: float) -> None:
        """Until every book has its snapshot (or ``timeout``: the screen then shows what there is)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not all(mirror.ready for mirror in self.mirrors.values()) and loop.time() < deadline:
            self.changed.clear()
            await self.next_change(deadline - loop.time())

    def document(self) -> dict[str, Any]:
        """The screen as one JSON-able record (for --json)."""
        summary = self.tracker.summary
        return {
            "time": summary.time if summary else None,
            "books": [_top_of_book(mirror) for mirror in self.mirrors.values()],
            "account": _account_figures(summary),
            "open_orders": len(self.tracker.open_orders),
            "positions": [
                {**jsonable(position), "liquidation_distance": jsonable(liquidation_distance(position))}
                for position in self._positions()
            ],
        }

    def render(self) -> str:
        """The screen as text: books, account line, positions."""
        summary = self.tracker.summary
        title = f"paperex watch  {self.client.target}"
        if summary is not None:
            title += f"  account {summary.account_id} ({summary.name})  {text(summary.time)}"
        cross_ratio = summary.margin_ratio if summary else None
        return "\n\n".join(
            [title, self._books_table(), self._account_line(summary), positions_table(self._positions(), cross_ratio)]
        )

    def _positions(self) -> list[models.Position]:
        return [self.tracker.positions[symbol] for symbol in sorted(self.tracker.positions)]

    def _books_table(self) -> str:
        rows = []
        for mirror in self.mirrors.values():
            bid, ask = mirror.best_bid, mirror.best_ask
            rows.append(
                [
                    mirror.symbol,
                    text(bid.quantity if bid else None),
                    text(bid.price if bid else None),
                    text(ask.price if ask else None),
                    text(ask.quantity if ask else None),
                    text(mirror.spread),
                ]
            )
        return table(["SYMBOL", "BID QTY", "BID", "ASK", "ASK QTY", "SPREAD"], rows)

    def _account_line(self, summary: models.AccountSummary | None) -> str:
        if summary is None:
            return "account: waiting for GetAccount"
        asset = summary.asset
        return (
            f"margin ratio {percent(summary.margin_ratio)}  margin balance {text(summary.margin_balance)} {asset}  "
            f"available {text(summary.available_balance)} {asset}  "
            f"effective leverage {text(summary.effective_leverage)}x  open orders {len(self.tracker.open_orders)}"
        )


def _top_of_book(mirror: BookMirror) -> dict[str, Any]:
    return {
        "symbol": mirror.symbol,
        "sequence": mirror.sequence,
        "best_bid": mirror.best_bid,
        "best_ask": mirror.best_ask,
        "mid": mirror.mid,
        "spread": mirror.spread,
    }


def _account_figures(summary: models.AccountSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {name: getattr(summary, name) for name in ACCOUNT_FIGURES}


async def watch_account(args: argparse.Namespace, out: Output) -> None:
    """Draws the dashboard until --once/--iterations is reached (or Ctrl-C)."""
    limit = 1 if args.once else args.iterations
    interval = max(args.interval, 1 / MAX_REDRAWS_PER_SECOND)
    async with open_client(args) as client:
        symbols = args.symbols or [instrument.symbol for instrument in await client.instruments()]
        board = Dashboard(client, list(dict.fromkeys(symbols)))
        await board.tracker.sync()
        board.start()
        try:
            await board.wait_ready(READY_TIMEOUT)
            await _redraw(board, out, limit, interval)
        finally:
            await board.stop()


async def _redraw(board: Dashboard, out: Output, limit: int | None, interval: float) -> None:
    loop = asyncio.get_running_loop()
    synced = loop.time()
    frames = 0
    while limit is None or frames < limit:
        if frames:
            await asyncio.sleep(1 / MAX_REDRAWS_PER_SECOND)  # a burst of updates makes one redraw
            await board.next_change(interval)
            if loop.time() - synced >= interval:
                await board.tracker.sync()
                synced = loop.time()
        board.changed.clear()
        out.frame(board.document(), board.render)
        frames += 1
