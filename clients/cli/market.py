"""``book SYMBOL``: the live depth of one order book, redrawn on every change the stream reports.

The book is a ``BookMirror`` kept from the stream (a snapshot, then level changes), so a redraw costs
no extra call. ``--once`` prints the first snapshot; ``--updates N`` stops after N changes (scripts).
"""

import argparse
from functools import partial
from typing import Any

from paperex.client.book_mirror import BookMirror, follow_book
from paperex.client.cli.arguments import Commands, add_stop_options, positive_int, symbol_argument
from paperex.client.cli.connection import open_client
from paperex.client.cli.output import Output
from paperex.client.cli.tables import book_ladder

DEFAULT_DEPTH = 10


def register(commands: Commands, common: argparse.ArgumentParser) -> None:
    """Adds ``book`` to the parser."""
    book = commands.add_parser("book", parents=[common], help="live order book depth (Ctrl-C stops)")
    book.add_argument("symbol", type=symbol_argument, metavar="SYMBOL")
    book.add_argument(
        "--depth", type=positive_int, default=DEFAULT_DEPTH, metavar="N", help="levels a side (default 10)"
    )
    add_stop_options(book, "updates", "print the current book and exit", "exit after N updates")
    book.set_defaults(handler=show_book)


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
