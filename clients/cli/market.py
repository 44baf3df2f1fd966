"""``book``, ``ticker`` and ``instruments``: the public market data, no API key needed.

``book SYMBOL`` is the live depth of one order book, redrawn on every change the stream reports: a
``BookMirror`` kept from the stream (a snapshot, then level changes), so a redraw costs no extra call.
``--once`` prints the first snapshot; ``--updates N`` stops after N changes (scripts). ``ticker`` and
``instruments`` answer once: prices and funding now, and the rules an order must fit.
"""

import argparse
import asyncio
from functools import partial
from typing import Any

from paperex.client.book_mirror import BookMirror, follow_book
from paperex.client.cli.arguments import Commands, add_stop_options, positive_int, symbol_argument
from paperex.client.cli.connection import open_client
from paperex.client.cli.output import Output
from paperex.client.cli.tables import book_ladder, instruments_table, tickers_table

DEFAULT_DEPTH = 10


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``book``, ``ticker`` and ``instruments`` to the parser."""
    book = commands.add_parser("book", parents=[common], help="live order book depth (Ctrl-C stops)")
    book.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    book.add_argument(
        "--depth", type=positive_int, default=DEFAULT_DEPTH, metavar="N", help="levels a side (default 10)"
    )
    add_stop_options(book, "updates", "print the current book and exit", "exit after N updates")
    book.set_defaults(handler=show_book)

    ticker = commands.add_parser(
        "ticker", parents=[common], help="last, best bid/ask, mark, index, funding and 24h figures"
    )
    ticker.add_argument("symbol", nargs="?", default="", type=symbol_argument, metavar="SYMBOL", help="default: all")
    ticker.set_defaults(handler=show_tickers)

    instruments = commands.add_parser(
        "instruments", parents=[common], help="what trades: tick, lot, min notional, max leverage, fees"
    )
    instruments.set_defaults(handler=list_instruments)


def book_document(mirror: BookMirror, depth: int) -> dict[str, Any]:
    """The top ``depth`` levels a side as a JSON-able record."""
    return {
        "symbol": mirror.symbol,
        "sequence": mirror.sequence,
        "bids": mirror.bids(depth),
        "asks": mirror.asks(depth),
    }


def mirror_ladder(mirror: BookMirror, depth: int) -> str:
    """The mirror's top ``depth`` levels a side as a ladder."""
    return book_ladder(mirror.symbol, mirror.sequence, mirror.bids(depth), mirror.asks(depth))


async def show_book(args: argparse.Namespace, out: Output) -> None:
    """Draws the snapshot, then redraws after each update until --once/--updates says stop (or Ctrl-C)."""
    updates_left = 0 if args.once else args.updates
    async with open_client(args, key_required=False) as client:
        async for mirror in follow_book(client, args.symbol):
            out.frame(book_document(mirror, args.depth), partial(mirror_ladder, mirror, args.depth))
            if updates_left is not None:
                if updates_left <= 0:
                    return
                updates_left -= 1


async def show_tickers(args: argparse.Namespace, out: Output) -> None:
    """One symbol's ticker, or every instrument's in the exchange's order."""
    async with open_client(args, key_required=False) as client:
        symbols = [args.symbol] if args.symbol else [item.symbol for item in await client.instruments()]
        tickers = await asyncio.gather(*(client.ticker(symbol) for symbol in symbols))
    out.emit({"tickers": tickers}, lambda: tickers_table(tickers))


async def list_instruments(args: argparse.Namespace, out: Output) -> None:
    """The instrument table with the filters an order must pass (the full spec with --json)."""
    async with open_client(args, key_required=False) as client:
        instruments = await client.instruments()
    out.emit({"instruments": instruments}, lambda: instruments_table(instruments))
