"""What a bot's test holds: the exchange's operator calls and the funded accounts it opens.

``Paperex`` (the ``paperex`` fixture) wraps an ``AsyncAdmin`` with the few calls a test needs to move
the market, and opens accounts as ``PaperexAccount`` clients: ``AsyncClient`` plus the account's id and
API key, for bots that build their own connection from them.
"""

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from paperex.client import models
from paperex.client.client import AsyncAdmin, AsyncClient
from paperex.client.commands import Number

DEFAULT_DEPOSIT = "10000"


class PaperexAccount(AsyncClient):
    """An ``AsyncClient`` for a freshly created, funded account; also says who it is."""

    def __init__(self, target: str, created: models.CreateAccountResponse, **options: Any) -> None:
        super().__init__(target, api_key=created.api_key, **options)
        self.account_id = created.account_id
        self.name = created.name
        self.api_key = created.api_key


class Paperex:
    """One test's exchange: its address, its operator, and helpers to move time and prices."""

    def __init__(self, target: str, admin: AsyncAdmin) -> None:
        self.target = target
        self.admin = admin
        self._accounts: list[PaperexAccount] = []

    async def account(self, name: str = "", deposit: Number = DEFAULT_DEPOSIT, **options: Any) -> PaperexAccount:
        """A new account funded with ``deposit`` USDT, connected; closed with the test. Names must be
        unique on an exchange; by default one is made up ("account-1", ...)."""
        created = await self.admin.create_account(name or f"account-{len(self._accounts) + 1}", deposit)
        account = PaperexAccount(self.target, created, **options)
        self._accounts.append(account)
        return account

    async def advance(
        self, duration: timedelta | float | None = None, *, until: datetime | None = None
    ) -> models.AdvanceTimeResponse:
        """Lives through ``duration`` (a timedelta or seconds) or up to ``until`` on the simulated clock:
        feed steps, re-quotes, triggers, liquidations and funding happen in order on the way."""
        if isinstance(duration, int | float):
            duration = timedelta(seconds=duration)
        return await self.admin.advance_time(duration, until=until)

    async def step(self, count: int = 1) -> models.StepResponse:
        """``count`` feed steps of the simulated clock."""
        return await self.admin.step(count)

    async def set_index_price(self, symbol: str, price: Number) -> models.SetIndexPriceResponse:
        """Moves the index (the mark follows and the liquidity provider re-quotes around it)."""
        return await self.admin.set_index_price(symbol, price)

    async def set_mark_price(self, symbol: str, price: Number) -> Decimal:
        """Sets the mark directly: what margin, triggers and liquidation read."""
        return await self.admin.set_mark_price(symbol, price)

    async def clock(self) -> models.Clock:
        """Simulated time, the running scenario and whether the liquidity provider quotes."""
        return await self.admin.clock()

    async def load_scenario(self, name: str, seed: int = 0) -> models.Scenario:
        """Replaces the market script with a library scenario, starting now."""
        return await self.admin.load_scenario(name, seed=seed)

    async def inject(
        self, plan: str | Mapping[str, Any] = "", *, account: "PaperexAccount | int" = 0, **settings: Any
    ) -> None:
        """Makes the exchange misbehave for ``account`` (default: everyone) as the fault plan says: a
        TOML text, a mapping, or keywords (``unavailable=0.5, drop_streams_after=3, seed=1``; tables
        as dicts: ``latency={"submit": {"mean": 5}}``). The plan's keys are in ``docs/faults.md``."""
        if settings:
            if plan:
                raise ValueError("give the plan as text, a mapping or keywords, not several")
            plan = settings
        text = plan if isinstance(plan, str) else fault_plan_toml(plan)
        await self.admin.set_faults(text, account_id=account if isinstance(account, int) else account.account_id)

    async def heal(self, *, account: "PaperexAccount | int" = 0) -> None:
        """Ends the fault plan of ``account`` (default: everyone's)."""
        await self.inject("", account=account)

    async def close(self) -> None:
        """Closes the accounts' connections (the fixture does it after the test)."""
        accounts, self._accounts = self._accounts, []
        for account in accounts:
            await account.close()


def fault_plan_toml(plan: Mapping[str, Any]) -> str:
    """A fault plan mapping as TOML: top-level values first, then one table per mapping value (two
    levels deep, as the plan has: ``latency.submit``, ``maintenance``).

    >>> print(fault_plan_toml({"unavailable": 0.5, "latency": {"submit": {"mean": 5}}}))
    unavailable = 0.5
    [latency.submit]
    mean = 5
    """
    lines = [f"{key} = {_toml_value(value)}" for key, value in plan.items() if not isinstance(value, Mapping)]
    for key, table in plan.items():
        if not isinstance(table, Mapping):
            continue
        flat = {name: value for name, value in table.items() if not isinstance(value, Mapping)}
        if flat or not table:
            lines += [f"[{key}]", *(f"{name} = {_toml_value(value)}" for name, value in flat.items())]
        for name, inner in table.items():
            if isinstance(inner, Mapping):
                lines += [f"[{key}.{name}]", *(f"{k} = {_toml_value(v)}" for k, v in inner.items())]
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    """A scalar in TOML: a JSON string, number or boolean reads the same in TOML."""
    if not isinstance(value, str | int | float | bool):
        raise ValueError(f"a fault plan value is text, a number or true/false, not {value!r}")
    return json.dumps(value)
