"""The margin-mode demonstrator's output, pure: the side-by-side table of the two accounts and the verdict.

One row per step: the time into the scenario, the mark and its move since the start, then for each
account its position size, wallet, margin balance, margin ratio (the account's for cross, the
position's for isolated: the one that decides liquidation), liquidation price and status. The verdict
reads the outcome rather than assuming it: it says which account lost what and why.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

MARGIN_CALL = Decimal("0.7")
"""The first margin-call threshold (70% margin ratio)."""
CELLS = (("size", 7), ("wallet", 11), ("margin bal.", 11), ("ratio", 7), ("liq. price", 10), ("status", 11))
LEAD = (("elapsed", 8), ("mark", 10), ("move", 7))
SEPARATOR = " | "


@dataclass(frozen=True, slots=True)
class AccountView:
    """One account at one step, as the table shows it."""

    size: Decimal
    wallet: Decimal
    margin_balance: Decimal
    margin_ratio: Decimal | None
    liquidation_price: Decimal | None
    status: str


@dataclass(frozen=True, slots=True)
class Step:
    elapsed: timedelta
    mark: Decimal | None
    cross: AccountView
    isolated: AccountView


@dataclass(frozen=True, slots=True)
class Outcome:
    """An account at the end: what it started with, what it put behind the position, what is left."""

    deposit: Decimal
    position_margin: Decimal
    fees: Decimal
    wallet: Decimal
    margin_balance: Decimal
    liquidated: bool
    still_open: bool
    liquidation_price: Decimal | None

    @property
    def lost(self) -> Decimal:
        return self.deposit - self.margin_balance


def status(size: Decimal, opened: Decimal, margin_ratio: Decimal | None, liquidated: bool) -> str:
    """A word for the account's state: open, margin call (ratio at 70% or more), part-liquidated,
    LIQUIDATED, or closed."""
    if liquidated:
        return "LIQUIDATED" if not size else "part-liquid."
    if not size:
        return "closed" if opened else "flat"
    if margin_ratio is not None and margin_ratio >= MARGIN_CALL:
        return "margin call"
    return "open"


def header(cross: str = "CROSS", isolated: str = "ISOLATED") -> list[str]:
    """The two header lines: the account names over their column groups, then the column names."""
    lead = " ".join(name.rjust(width) for name, width in LEAD)
    group_width = sum(width for _, width in CELLS) + len(CELLS) - 1
    names = SEPARATOR.join(name.center(group_width, "-") for name in (cross, isolated))
    columns = SEPARATOR.join(" ".join(name.rjust(width) for name, width in CELLS) for _ in range(2))
    return [" " * len(lead) + SEPARATOR + names, lead + SEPARATOR + columns]


def row(step: Step, start_mark: Decimal) -> str:
    """One step's line, aligned under ``header``."""
    move = "" if step.mark is None else f"{(step.mark - start_mark) * 100 / start_mark:+.1f}%"
    lead = (_elapsed(step.elapsed), _amount(step.mark, 1), move)
    cells = " ".join(text.rjust(width) for text, (_, width) in zip(lead, LEAD, strict=True))
    return cells + SEPARATOR + SEPARATOR.join(_account(view) for view in (step.cross, step.isolated))


def verdict(cross: Outcome, isolated: Outcome) -> list[str]:
    """What the run showed, account by account, and the lesson when the story played out."""
    lines = [f"ISOLATED: {_isolated_line(isolated)}", f"CROSS:    {_cross_line(cross)}"]
    if isolated.lost <= isolated.position_margin + isolated.fees < cross.lost:
        lines.append(
            "Same long, same crash: isolated margin capped the loss at the margin put up for the trade; "
            "under cross margin the whole wallet stood behind the position."
        )
    elif cross.still_open and isolated.liquidated:
        lines.append(
            "Cross margin rode out the move on the whole wallet (its liquidation price was further away) "
            "while the isolated position was liquidated: at the price of putting the whole account at risk."
        )
    return lines


def _isolated_line(outcome: Outcome) -> str:
    bound = outcome.position_margin + outcome.fees
    if outcome.still_open:
        return (
            f"still open; equity {_amount(outcome.margin_balance)} USDT (down {_amount(outcome.lost)}), "
            f"at most its position margin ({_amount(outcome.position_margin)}) plus fees ({_amount(outcome.fees)}) "
            "at stake."
        )
    state = "liquidated" if outcome.liquidated else "closed"
    limit = "no more than" if outcome.lost <= bound else "MORE than"
    return (
        f"{state}; lost {_amount(outcome.lost)} of {_amount(outcome.deposit)} USDT, {limit} its position margin "
        f"({_amount(outcome.position_margin)}) plus fees ({_amount(outcome.fees)}); "
        f"{_amount(outcome.margin_balance)} USDT kept."
    )


def _cross_line(outcome: Outcome) -> str:
    if outcome.still_open:
        return (
            f"still open; equity {_amount(outcome.margin_balance)} USDT (down {_amount(outcome.lost)}), "
            f"the whole wallet holding the liquidation price at {_amount(outcome.liquidation_price, 1)}."
        )
    state = "liquidated" if outcome.liquidated else "closed"
    beyond = outcome.lost > outcome.position_margin + outcome.fees
    reach = (
        f"more than its position margin ({_amount(outcome.position_margin)}): the whole wallet backed the position"
        if beyond
        else f"within its position margin ({_amount(outcome.position_margin)})"
    )
    gone = " and went with it" if beyond and outcome.margin_balance < outcome.deposit / 100 else ""
    return f"{state}; lost {_amount(outcome.lost)} of {_amount(outcome.deposit)} USDT, {reach}{gone}."


def _account(view: AccountView) -> str:
    ratio = "" if view.margin_ratio is None else f"{view.margin_ratio * 100:.1f}%"
    texts = (
        _amount(view.size, 3),
        _amount(view.wallet),
        _amount(view.margin_balance),
        ratio,
        _amount(view.liquidation_price, 1),
        view.status,
    )
    return " ".join(text.rjust(width) for text, (_, width) in zip(texts, CELLS, strict=True))


def _amount(value: Decimal | None, places: int = 2) -> str:
    return "" if value is None else f"{value:,.{places}f}"


def _elapsed(elapsed: timedelta) -> str:
    minutes, seconds = divmod(int(elapsed.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def table(steps: Sequence[Step], start_mark: Decimal) -> list[str]:
    """The whole table: header and one row per step."""
    return header() + [row(step, start_mark) for step in steps]


COLLATERAL_CELL = ("collateral", 10)
"""The BTC-backed account's extra column: the margin its BTC gives at the step's index price."""
COLLATERAL_NAMES = ("USDT COLLATERAL", "BTC COLLATERAL")


@dataclass(frozen=True, slots=True)
class CollateralStep:
    """One step of the BTC-collateral run: the USDT-backed account, the BTC-backed one, and the margin the
    BTC gives (balance x index price x collateral rate)."""

    elapsed: timedelta
    mark: Decimal | None
    usdt: AccountView
    btc: AccountView
    collateral: Decimal


@dataclass(frozen=True, slots=True)
class CollateralOutcome:
    """One account of the BTC-collateral run at the end: the liquidation price it opened with, the first
    step that showed it liquidated (None: never), and its margin balance left."""

    opening_liquidation_price: Decimal | None
    liquidated_at: timedelta | None
    liquidated_mark: Decimal | None
    margin_balance: Decimal


def collateral_table(steps: Sequence[CollateralStep], start_mark: Decimal) -> list[str]:
    """The BTC-collateral run's table: ``table``'s columns for both accounts, the BTC-backed one's collateral
    value last."""
    names, columns = header(*COLLATERAL_NAMES)
    width = COLLATERAL_CELL[1]
    lines = [names + "-" * (width + 1), columns + " " + COLLATERAL_CELL[0].rjust(width)]
    for step in steps:
        line = row(Step(step.elapsed, step.mark, step.usdt, step.btc), start_mark)
        lines.append(line + " " + _amount(step.collateral).rjust(width))
    return lines


def first_liquidation(steps: Sequence[CollateralStep], btc: bool) -> tuple[timedelta, Decimal | None] | None:
    """When the table first showed the account (the BTC-backed one, or the USDT-backed one) liquidated,
    and the mark then."""
    for step in steps:
        if (step.btc if btc else step.usdt).status in ("LIQUIDATED", "part-liquid."):
            return step.elapsed, step.mark
    return None


def collateral_verdict(
    usdt: CollateralOutcome, btc: CollateralOutcome, collateral: tuple[Decimal, Decimal]
) -> list[str]:
    """What the BTC-collateral run showed: each account's fate, the BTC's margin at the start and the end
    (``collateral``), and the lesson when the BTC-backed account went first."""
    lines = [
        f"USDT COLLATERAL: {_collateral_line(usdt)}",
        f"BTC COLLATERAL:  {_collateral_line(btc)}; its BTC gave {_amount(collateral[0])} USDT of margin at the "
        f"start, {_amount(collateral[1])} at the end.",
    ]
    prices = f"{_amount(btc.opening_liquidation_price, 1)} against {_amount(usdt.opening_liquidation_price, 1)}"
    if btc.liquidated_at is not None and (usdt.liquidated_at is None or btc.liquidated_at < usdt.liquidated_at):
        lines.append(
            "Same long, same crash, the same starting value: the BTC collateral lost value with the position, so "
            f"the BTC-backed account was liquidated first, its liquidation price higher from the start ({prices})."
        )
    elif btc.liquidated_at is not None and btc.liquidated_at == usdt.liquidated_at:
        lines.append(
            "Both were liquidated within one step, the BTC-backed account from the higher liquidation price "
            f"({prices}): its collateral fell with the position."
        )
    return lines


def _collateral_line(outcome: CollateralOutcome) -> str:
    opened = f"liquidation price {_amount(outcome.opening_liquidation_price, 1)} at the start"
    if outcome.liquidated_at is None:
        return f"not liquidated ({opened}); margin balance {_amount(outcome.margin_balance)} USDT"
    return (
        f"liquidated by {_elapsed(outcome.liquidated_at)} at a mark of {_amount(outcome.liquidated_mark, 1)} "
        f"({opened}); margin balance {_amount(outcome.margin_balance)} USDT left"
    )
