"""Commands the exchange host applies around the engine: named accounts with API keys (opened and
rotated), price alerts, the market script (scenario, feed steps, liquidity provider, taker flow) and
injected faults. Like engine commands they are journaled and replayed, so everything they do is
deterministic."""

import typing
from dataclasses import dataclass, field

from paperex.engine.orders import TriggerBy
from paperex.engine.units import Amount, Ticks
from paperex.server.state.alerts import Direction

BEFORE_THE_FIELD = "before_the_field"
"""Field metadata key: the value a field added later takes in a journal line written without it (tape
decoding), when that differs from the default new commands get."""


@dataclass(slots=True, kw_only=True)
class OpenAccount:
    """Register a named account under a hashed API key, open it in the engine and fund it. The id is
    the next free one, assigned when the command is applied (so replay assigns the same).

    ``api_secret`` signs the Binance-compatible API's requests (HMAC, so the server must read it,
    unlike the key): journaled as it is, so a restart keeps it, and never shown in a log."""

    name: str
    key_hash: str
    deposit: Amount = 0
    api_secret: str = field(default="", repr=False)
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class RotateApiKey:
    """Replace an account's API key hash and signing secret: the old ones stop working at this command,
    and a replay restores the new ones (the key itself is never journaled, only its hash)."""

    account_id: int
    key_hash: str
    api_secret: str = field(default="", repr=False)
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class CreatePriceAlert:
    account_id: int
    symbol: str
    source: TriggerBy
    direction: Direction
    price: Ticks
    repeating: bool = False
    note: str = ""
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class DeletePriceAlert:
    account_id: int
    alert_id: int
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class LoadScenario:
    """Replace the market script: a library scenario by ``name`` or a scenario's TOML ``text``."""

    name: str = ""
    text: str = ""
    seed: int = 0
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class MarketStep:
    """One feed step: index prices (the mark follows), liquidity-provider quotes, and time moving to
    ``at`` (simulated clock) or to the stamp (wall clock, ``at`` 0)."""

    at: int = 0
    ts: int = 0


LIQUIDITY_PROVIDER_VERSION = 2
"""The liquidity provider's behaviour new commands ask for."""


@dataclass(slots=True, kw_only=True)
class SetLiquidityProvider:
    """Switch the built-in liquidity provider; ``config`` (TOML, see ``liquidity.parse_configs``)
    replaces its per-instrument quoting settings. ``version`` is the provider's behaviour from this
    command on: 2 reads its orders from the engine and replenishes only filled levels
    (``liquidity.LiquidityProvider``); 1, what journals written before the field replay to, mirrors
    events and re-quotes the whole ladder after a fill (``liquidity_v1``)."""

    enabled: bool
    config: str = ""
    version: int = field(default=LIQUIDITY_PROVIDER_VERSION, metadata={BEFORE_THE_FIELD: 1})
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetTakerFlow:
    """Switch the built-in taker flow of the scenarios that have one (on unless switched off); it
    holds across scenario loads."""

    enabled: bool
    ts: int = 0


@dataclass(slots=True, kw_only=True)
class SetFaults:
    """Replace the fault plan of one account (0: everyone's) with ``config``, TOML as
    ``paperex.server.core.faults.parse_plan`` reads it; an empty ``config`` clears the plan."""

    account_id: int = 0
    config: str = ""
    ts: int = 0


HostCommand = (
    OpenAccount
    | RotateApiKey
    | CreatePriceAlert
    | DeletePriceAlert
    | LoadScenario
    | MarketStep
    | SetLiquidityProvider
    | SetTakerFlow
    | SetFaults
)
HOST_COMMANDS: tuple[type, ...] = typing.get_args(HostCommand)
