"""Scenario files: a market script in TOML, validated into a ``Scenario`` that builds a ``MarketFeed``.

Scenarios are written by hand, so a typo must fail loudly with the key path at fault
(``instruments.BTCUSDT.segments[1].change: '-20' is not a percentage``; list indices count from 0)
instead of giving a market that silently does not move. Unknown keys are errors for the same reason.

Format (durations are strings like ``"1h30m"``, ``"90s"``, ``"1d"``; changes are percentage strings;
volatilities, drifts and jump sizes are fractions or percentage strings, annualised over 365 days)::

    name = "flash-crash"
    description = "BTC -20% in one hour ..."
    step = "1s"                       # feed step (default 1s)
    duration = "6h"                   # length of the script; after it the last regime continues
    correlation = 0.9                 # two random feeds; or [correlation] BTCUSDT.ETHUSDT = 0.9

    [instruments.BTCUSDT]
    start = 64900
    feed = "path"                     # path | walk | replay | fixed
    segments = [{ duration = "1h", change = "-20%", noise = 0.8 }]
    after = "noise"                   # hold (default) | noise: keep the last segment's noise, no trend

    [instruments.ETHUSDT]             # walk: drift, volatility, half_life (mean reversion), mean,
    start = 3400                      #   jumps = { per_day = 4, mean = "-1%", std = "2%" } (log sizes)
    feed = "walk"                     # replay: csv (file, relative to the scenario) or csv_text,
    volatility = "60%"                #   format = "binance" or columns = [time, price], time_unit,
                                      #   mode = linear | step, speed, start (rebases the first row);
                                      #   format = "binance" with trades = true: the bars are traded
                                      #   (kline_trades.py), volume_scale (default 1) scales their volume
    [[liquidity]]                     # liquidity provider multipliers over a window (end optional);
    start = "1h"                      # where windows overlap the one that started last applies
    end = "2h"
    spread = 5
    depth = 0.2
    symbols = ["BTCUSDT"]             # optional: default every instrument

    [takers]                          # built-in taker flow (see takers.py); absent: no takers
    rate = 6                          # market orders per minute per instrument (Poisson arrivals)
    median_notional = 2000            # log-normal sizes in USDT around this median,
    dispersion = 1                    #   with this standard deviation of the log,
    max_notional = 50000              #   capped here
    sensitivity = 100                 # P(buy) = 0.5 + sensitivity x (index - last) / index,
    max_imbalance = 0.4               #   kept within 0.5 +/- max_imbalance
    enabled = true
    [takers.ETHUSDT]                  # optional per-instrument overrides of the keys above
    rate = 4

    [history.BTCUSDT]                 # candles before the start: a Binance kline CSV (csv, relative to
    csv = "btc-1m.csv"                #   the scenario, or csv_text), moved so its last bar closes where
    scale = true                      #   the current candle opens; scale (default true): prices scaled
                                      #   so the last close reads the start price
    [faults]                          # the venue misbehaving for everyone from the load (docs/faults.md):
    unavailable = 0.1                 #   latency, refused calls, lost answers, stream drops, maintenance
    [[events]]                        # kind = "jump": the index moves by `change` at once
    at = "1h"                         # kind = "liquidity": spread/depth from `at` for `duration`
    kind = "jump"
    symbol = "BTCUSDT"                # optional: default every instrument
    change = "+3%"
"""

import dataclasses
import functools
import importlib.resources
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib.resources.abc import Traversable
from pathlib import Path as FilePath
from typing import Any, cast

from paperex.engine.instruments import Instrument
from paperex.server.market.fault_plans import FaultError, plan_from
from paperex.server.market.feeds import (
    BINANCE_KLINE_COLUMNS,
    SECOND_NS,
    Fixed,
    IndexJump,
    Jumps,
    MarketFeed,
    Path,
    RandomWalk,
    Replay,
    Segment,
    Track,
    cholesky,
    correlation_matrix,
    start_price,
)
from paperex.server.market.history import KlineHistory
from paperex.server.market.kline_trades import MIN_STEPS_PER_BAR, KlineTape
from paperex.server.market.takers import TakerConfig

LIBRARY_PACKAGE = "paperex.server.market.scenario_library"
FEED_KINDS = ("path", "walk", "replay", "fixed")

_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|us|ns|d|h|m|s)", re.ASCII)
_DURATION = re.compile(rf"(?:{_DURATION_PART.pattern})+", re.ASCII)
_PERCENT = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?%", re.ASCII)
_UNIT_NS = {"d": 86_400 * SECOND_NS, "h": 3_600 * SECOND_NS, "m": 60 * SECOND_NS, "s": SECOND_NS}
_UNIT_NS |= {"ms": 1_000_000, "us": 1_000, "ns": 1}
_TOP_KEYS = {
    "name",
    "description",
    "step",
    "duration",
    "correlation",
    "instruments",
    "liquidity",
    "events",
    "takers",
    "history",
    "faults",
}
_TAKER_KEYS = {
    "enabled": "enabled",
    "rate": "rate_per_minute",
    "median_notional": "median_notional",
    "dispersion": "dispersion",
    "max_notional": "max_notional",
    "sensitivity": "sensitivity",
    "max_imbalance": "max_imbalance",
}
"""Keys of ``[takers]`` and the ``TakerConfig`` fields they set."""
_FEED_KEYS = {
    "path": {"segments", "after"},
    "walk": {"drift", "volatility", "jumps", "half_life", "mean"},
    "replay": {"csv", "csv_text", "format", "columns", "time_unit", "mode", "speed", "trades", "volume_scale"},
    "fixed": set(),
}


class ScenarioError(ValueError):
    """A scenario that cannot run; the message starts with the key path at fault."""


@dataclass(frozen=True, slots=True)
class Liquidity:
    """Multipliers on the built-in liquidity provider's configured spread and depth."""

    spread: Decimal
    depth: Decimal


NORMAL_LIQUIDITY = Liquidity(Decimal(1), Decimal(1))


@dataclass(frozen=True, slots=True)
class LiquidityRegime:
    """``liquidity`` from ``start_ns`` until ``end_ns`` (None: for good), offsets from the scenario start,
    for ``symbols`` (empty: every instrument)."""

    start_ns: int
    end_ns: int | None
    liquidity: Liquidity
    symbols: tuple[str, ...] = ()

    def covers(self, offset_ns: int, symbol: str) -> bool:
        in_time = self.start_ns <= offset_ns and (self.end_ns is None or offset_ns < self.end_ns)
        return in_time and (not self.symbols or symbol in self.symbols)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated market script; ``feed`` turns it into prices from a start time and a seed."""

    name: str
    description: str
    duration_ns: int
    tracks: Mapping[str, Track]
    step_ns: int = SECOND_NS
    seed: int = 0
    correlation: tuple[tuple[str, str, float], ...] = ()
    liquidity: tuple[LiquidityRegime, ...] = ()
    jumps: tuple[IndexJump, ...] = ()
    takers: Mapping[str, TakerConfig] = dataclasses.field(default_factory=dict)
    """Taker flow per instrument (empty: none)."""
    history: Mapping[str, KlineHistory] = dataclasses.field(default_factory=dict)
    """Candles before the start, per instrument (empty: none)."""
    faults: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    """The fault plan for every account from the start (``fault_plans``; empty: none)."""
    kline_trades: Mapping[str, KlineTape] = dataclasses.field(default_factory=dict)
    """Replayed kline files whose bars are traded, per instrument (their tracks are the bars' paths)."""

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.tracks)

    def liquidity_at(self, offset_ns: int, symbol: str) -> Liquidity:
        """The liquidity regime ``offset_ns`` after the start; the latest-starting window wins."""
        current = NORMAL_LIQUIDITY
        for regime in self.liquidity:  # sorted by start
            if regime.covers(offset_ns, symbol):
                current = regime.liquidity
        return current

    def started_track(self, symbol: str, start_ns: int, start_prices: Mapping[str, Decimal] | None = None) -> Track:
        """The symbol's track as a feed started at ``start_ns`` plays it: rebased to its start price
        when one is given, and a traded kline file's first bar on the first bar boundary."""
        track = self.tracks[symbol]
        if start_prices is not None and symbol in start_prices:
            track = dataclasses.replace(track, start=start_prices[symbol])
        tape = self.kline_trades.get(symbol)
        if tape is not None and isinstance(track, Replay):
            track = dataclasses.replace(track, origin_ns=tape.origin_ns(start_ns))
        return track

    def feed(
        self,
        instruments: Mapping[str, Instrument],
        start_ns: int,
        *,
        seed: int | None = None,
        start_prices: Mapping[str, Decimal] | None = None,
    ) -> MarketFeed:
        """The scenario's ``MarketFeed`` from ``start_ns``; ``seed`` defaults to the scenario's and
        ``start_prices`` (e.g. the current index) replaces the file's (paths are relative moves, a
        replay is rebased)."""
        tracks: dict[str, Track] = {}
        for symbol in self.tracks:
            instrument = instruments.get(symbol)
            if instrument is None:
                raise ScenarioError(f"instruments.{symbol}: not an instrument of this exchange")
            track = self.started_track(symbol, start_ns, start_prices)
            first = start_price(track)
            low = instrument.tick_size * instrument.min_price
            high = instrument.tick_size * instrument.max_price
            if not low <= first <= high:
                raise ScenarioError(f"instruments.{symbol}.start: {first} is outside the price filter [{low}, {high}]")
            tracks[symbol] = track
        pairs = {(first, second): rho for first, second, rho in self.correlation}
        return MarketFeed(
            tracks,
            instruments,
            seed=self.seed if seed is None else seed,
            start_ns=start_ns,
            step_ns=self.step_ns,
            correlation=pairs or None,
            jumps=self.jumps,
        )


def parse(text: str, *, seed: int = 0, base_dir: FilePath | Traversable | None = None) -> Scenario:
    """A scenario from TOML text; replay ``csv`` files resolve inside ``base_dir`` (none: inline only)."""
    try:
        document = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"invalid TOML: {exc}") from None
    return _Parser(base_dir).scenario(document, seed)


def library() -> dict[str, Scenario]:
    """The shipped scenarios by name (seed 0)."""
    return dict(_library())


def load(name_or_text: str, seed: int = 0, *, base_dir: FilePath | None = None) -> Scenario:
    """A library scenario by name, or a scenario's TOML text, with the seed of its random parts."""
    shipped = _library()
    if name_or_text in shipped:
        return dataclasses.replace(shipped[name_or_text], seed=seed)
    if "=" in name_or_text:
        return parse(name_or_text, seed=seed, base_dir=base_dir)
    raise ScenarioError(f"unknown scenario {name_or_text!r}; the library has {', '.join(sorted(shipped))}")


@functools.cache
def _library() -> dict[str, Scenario]:
    folder = importlib.resources.files(LIBRARY_PACKAGE)
    scenarios: dict[str, Scenario] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".toml"):
            continue
        stem = entry.name.removesuffix(".toml")
        try:
            scenario = parse(entry.read_text(encoding="utf-8"), base_dir=folder)
        except ScenarioError as exc:
            raise ScenarioError(f"{entry.name}: {exc}") from None
        if scenario.name != stem:
            raise ScenarioError(f"{entry.name}: name {scenario.name!r} differs from the file name")
        scenarios[stem] = scenario
    return scenarios


class _Parser:
    """Walks the TOML document keeping the key path for messages."""

    def __init__(self, base_dir: FilePath | Traversable | None) -> None:
        self._base_dir = base_dir
        self._step_ns = SECOND_NS
        self._tapes: dict[str, KlineTape] = {}

    def scenario(self, doc: dict[str, Any], seed: int) -> Scenario:
        _known(doc, _TOP_KEYS, "")
        name = _text(_required(doc, "name", ""), "name")
        if not name.strip():
            raise ScenarioError("name: must not be empty")
        description = _text(doc.get("description", ""), "description")
        self._step_ns = _duration(doc.get("step", "1s"), "step")
        duration = _duration(_required(doc, "duration", ""), "duration")
        instruments = _table(_required(doc, "instruments", ""), "instruments")
        if not instruments:
            raise ScenarioError("instruments: a scenario moves at least one instrument")
        tracks = {symbol: self._track(symbol, spec) for symbol, spec in instruments.items()}
        correlation = self._correlation(doc.get("correlation"), tracks)
        liquidity = [self._regime(row, f"liquidity[{i}]", tracks, duration) for i, row in _rows(doc, "liquidity")]
        jumps: list[IndexJump] = []
        for index, row in _rows(doc, "events"):
            regime, jump = self._event(row, f"events[{index}]", tracks, duration)
            liquidity.extend(regime)
            jumps.extend(jump)
        liquidity.sort(key=lambda regime: regime.start_ns)
        return Scenario(
            name=name,
            description=description,
            duration_ns=duration,
            tracks=tracks,
            step_ns=self._step_ns,
            seed=seed,
            correlation=correlation,
            liquidity=tuple(liquidity),
            jumps=tuple(jumps),
            takers=self._takers(doc.get("takers"), tracks),
            history=self._history(doc.get("history")),
            faults=_faults(doc.get("faults")),
            kline_trades=dict(self._tapes),
        )

    def _track(self, symbol: str, raw: Any) -> Track:
        path = f"instruments.{symbol}"
        spec = _table(raw, path)
        kind = _text(_required(spec, "feed", path), f"{path}.feed")
        if kind not in FEED_KINDS:
            raise ScenarioError(f"{path}.feed: {kind!r} is not one of {', '.join(FEED_KINDS)}")
        _known(spec, {"feed", "start"} | _FEED_KEYS[kind], path)
        try:
            if kind == "replay":
                return self._traded_replay(symbol, spec, path) if _traded(spec, path) else self._replay(spec, path)
            start = _price(_required(spec, "start", path), f"{path}.start")
            if kind == "fixed":
                return Fixed(start)
            if kind == "walk":
                return self._walk(spec, path, start)
            return self._path(spec, path, start)
        except ValueError as exc:  # a combination the feed refuses, e.g. drift with mean reversion
            if isinstance(exc, ScenarioError):
                raise
            raise ScenarioError(f"{path}: {exc}") from None

    def _walk(self, spec: dict[str, Any], path: str, start: Decimal) -> RandomWalk:
        jumps = None
        if "jumps" in spec:
            table = _table(spec["jumps"], f"{path}.jumps")
            _known(table, {"per_day", "mean", "std"}, f"{path}.jumps")
            jumps = Jumps(
                per_day=_nonnegative(_required(table, "per_day", f"{path}.jumps"), f"{path}.jumps.per_day"),
                mean=_fraction(table.get("mean", 0), f"{path}.jumps.mean"),
                std=_nonnegative(table.get("std", 0), f"{path}.jumps.std"),
            )
        half_life = _duration(spec["half_life"], f"{path}.half_life") if "half_life" in spec else 0
        return RandomWalk(
            start=start,
            drift=_fraction(spec.get("drift", 0), f"{path}.drift"),
            volatility=_nonnegative(spec.get("volatility", 0), f"{path}.volatility"),
            jumps=jumps,
            half_life_ns=half_life,
            mean=_price(spec["mean"], f"{path}.mean") if "mean" in spec else None,
        )

    def _path(self, spec: dict[str, Any], path: str, start: Decimal) -> Path:
        raw_segments = _required(spec, "segments", path)
        if not isinstance(raw_segments, list) or not raw_segments:
            raise ScenarioError(f"{path}.segments: expected a non-empty list of tables")
        segments = []
        for index, raw in enumerate(raw_segments):
            where = f"{path}.segments[{index}]"
            row = _table(raw, where)
            _known(row, {"duration", "change", "noise"}, where)
            duration = _duration(_required(row, "duration", where), f"{where}.duration")
            if duration % self._step_ns:
                raise ScenarioError(f"{where}.duration: {row['duration']!r} is not a whole number of steps")
            change = _percent(_required(row, "change", where), f"{where}.change")
            if change <= -1:
                raise ScenarioError(f"{where}.change: {row['change']!r} would take the price to zero or below")
            segments.append(Segment(duration, change, _nonnegative(row.get("noise", 0), f"{where}.noise")))
        after = _text(spec.get("after", "hold"), f"{path}.after")
        if after not in ("hold", "noise"):
            raise ScenarioError(f"{path}.after: {after!r} is not 'hold' or 'noise'")
        return Path(start, tuple(segments), "noise" if after == "noise" else "hold")

    def _replay(self, spec: dict[str, Any], path: str) -> Replay:
        text, source = self._csv(spec, path)
        if "format" in spec and "columns" in spec:
            raise ScenarioError(f"{path}: give format or columns, not both")
        columns = (0, 1)
        if "format" in spec:
            if spec["format"] != "binance":
                raise ScenarioError(f"{path}.format: {spec['format']!r} is not 'binance'")
            columns = BINANCE_KLINE_COLUMNS
        elif "columns" in spec:
            raw = spec["columns"]
            if not (isinstance(raw, list) and len(raw) == 2 and all(_is_int(c) and c >= 0 for c in raw)):
                raise ScenarioError(f"{path}.columns: expected [time_column, price_column], counting from 0")
            columns = (raw[0], raw[1])
        mode = _text(spec.get("mode", "linear"), f"{path}.mode")
        if mode not in ("linear", "step"):
            raise ScenarioError(f"{path}.mode: {mode!r} is not 'linear' or 'step'")
        speed = _positive(spec.get("speed", 1), f"{path}.speed")
        time_unit = _text(spec["time_unit"], f"{path}.time_unit") if "time_unit" in spec else None
        start = _price(spec["start"], f"{path}.start") if "start" in spec else None
        try:
            return Replay.from_csv(
                text,
                time_column=columns[0],
                price_column=columns[1],
                time_unit=time_unit,
                mode="step" if mode == "step" else "linear",
                speed=speed,
                start=start,
            )
        except ValueError as exc:
            raise ScenarioError(f"{source}: {exc}") from None

    def _traded_replay(self, symbol: str, spec: dict[str, Any], path: str) -> Replay:
        """A kline file whose bars are traded: the index walks each bar's path at the bar's own length."""
        _known(spec, {"feed", "start", "csv", "csv_text", "format", "trades", "volume_scale"}, path)
        if spec.get("format") != "binance":
            raise ScenarioError(f'{path}.trades: trading a replay needs format = "binance" (a kline file)')
        text, source = self._csv(spec, path)
        try:
            history = KlineHistory.from_binance_klines(text, scale=False)
        except ValueError as exc:
            raise ScenarioError(f"{source}: {exc}") from None
        least = MIN_STEPS_PER_BAR * self._step_ns
        if history.interval_ns < least:
            raise ScenarioError(
                f"{source}: bars of {history.interval_ns} ns are traded in {MIN_STEPS_PER_BAR} steps, "
                f"so they need at least {least} ns with this step"
            )
        tape = KlineTape(history, _positive(spec.get("volume_scale", 1), f"{path}.volume_scale"))
        self._tapes[symbol] = tape
        start = _price(spec["start"], f"{path}.start") if "start" in spec else None
        return tape.replay(start=start)

    def _history(self, raw: Any) -> dict[str, KlineHistory]:
        history: dict[str, KlineHistory] = {}
        for symbol, table in _table(raw or {}, "history").items():
            path = f"history.{symbol}"
            spec = _table(table, path)
            _known(spec, {"csv", "csv_text", "scale"}, path)
            scale = spec.get("scale", True)
            if not isinstance(scale, bool):
                raise ScenarioError(f"{path}.scale: expected true or false")
            text, source = self._csv(spec, path)
            try:
                history[symbol] = KlineHistory.from_binance_klines(text, scale=scale)
            except ValueError as exc:
                raise ScenarioError(f"{source}: {exc}") from None
        return history

    def _csv(self, spec: dict[str, Any], path: str) -> tuple[str, str]:
        """The text of a table's ``csv`` file or ``csv_text``, and the key it came from."""
        if ("csv" in spec) == ("csv_text" in spec):
            raise ScenarioError(f"{path}: give exactly one of csv (a file) or csv_text (inline)")
        if "csv" in spec:
            return self._read(_text(spec["csv"], f"{path}.csv"), f"{path}.csv"), f"{path}.csv"
        return _text(spec["csv_text"], f"{path}.csv_text"), f"{path}.csv_text"

    def _read(self, name: str, path: str) -> str:
        """A replay file inside the scenario's own directory, never outside it."""
        parts = name.replace("\\", "/").split("/")
        if self._base_dir is None:
            raise ScenarioError(f"{path}: a scenario given as text has no directory; use csv_text")
        if name.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ScenarioError(f"{path}: {name!r} must be a plain relative path inside the scenario's directory")
        try:
            return self._base_dir.joinpath(*parts).read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot read {name!r} ({exc.strerror or exc})") from None

    def _correlation(self, raw: Any, tracks: Mapping[str, Track]) -> tuple[tuple[str, str, float], ...]:
        if raw is None:
            return ()
        random_feeds = [symbol for symbol, track in tracks.items() if isinstance(track, RandomWalk | Path)]
        pairs: list[tuple[str, str, float]] = []
        if isinstance(raw, dict):
            for first, row in raw.items():
                inner = _table(row, f"correlation.{first}")
                for second, rho in inner.items():
                    pairs.append((first, second, _correlation_value(rho, f"correlation.{first}.{second}")))
        else:
            rho = _correlation_value(raw, "correlation")
            if len(random_feeds) != 2:
                raise ScenarioError(f"correlation: one value needs exactly two random feeds, not {len(random_feeds)}")
            pairs.append((random_feeds[0], random_feeds[1], rho))
        for first, second, _ in pairs:
            for symbol in (first, second):
                if symbol not in tracks:
                    raise ScenarioError(f"correlation.{first}.{second}: {symbol} is not an instrument of the scenario")
                if symbol not in random_feeds:
                    raise ScenarioError(f"correlation.{first}.{second}: {symbol}'s feed has no randomness to correlate")
        try:
            cholesky(correlation_matrix(random_feeds, {(a, b): rho for a, b, rho in pairs}))
        except ValueError as exc:
            raise ScenarioError(f"correlation: {exc}") from None
        return tuple(pairs)

    def _regime(self, raw: Any, path: str, tracks: Mapping[str, Track], duration: int) -> LiquidityRegime:
        row = _table(raw, path)
        _known(row, {"start", "end", "spread", "depth", "symbols"}, path)
        start = _duration(row.get("start", "0s"), f"{path}.start", allow_zero=True)
        end = _duration(row["end"], f"{path}.end") if "end" in row else None
        if start > duration:
            raise ScenarioError(f"{path}.start: {row['start']!r} is after the scenario's end")
        if end is not None and end <= start:
            raise ScenarioError(f"{path}.end: {row['end']!r} is not after the start")
        return LiquidityRegime(start, end, self._liquidity(row, path), _symbols(row, path, tracks))

    def _event(
        self, raw: Any, path: str, tracks: Mapping[str, Track], duration: int
    ) -> tuple[list[LiquidityRegime], list[IndexJump]]:
        row = _table(raw, path)
        kind = _text(_required(row, "kind", path), f"{path}.kind")
        at = _duration(_required(row, "at", path), f"{path}.at", allow_zero=True)
        if at > duration:
            raise ScenarioError(f"{path}.at: {row['at']!r} is after the scenario's end")
        if kind == "jump":
            _known(row, {"kind", "at", "symbol", "change"}, path)
            change = _percent(_required(row, "change", path), f"{path}.change")
            if change <= -1:
                raise ScenarioError(f"{path}.change: {row['change']!r} would take the price to zero or below")
            if "symbol" in row:
                symbol = _text(row["symbol"], f"{path}.symbol")
                if symbol not in tracks:
                    raise ScenarioError(f"{path}.symbol: {symbol} is not an instrument of the scenario")
                return [], [IndexJump(at, symbol, change)]
            return [], [IndexJump(at, symbol, change) for symbol in tracks]
        if kind == "liquidity":
            _known(row, {"kind", "at", "duration", "spread", "depth", "symbols"}, path)
            end = at + _duration(row["duration"], f"{path}.duration") if "duration" in row else None
            return [LiquidityRegime(at, end, self._liquidity(row, path), _symbols(row, path, tracks))], []
        raise ScenarioError(f"{path}.kind: {kind!r} is not 'jump' or 'liquidity'")

    def _takers(self, raw: Any, tracks: Mapping[str, Track]) -> dict[str, TakerConfig]:
        """``[takers]`` for every instrument, ``[takers.SYMBOL]`` overriding its keys for one."""
        if raw is None:
            return {}
        table = _table(raw, "takers")
        shared = _taker_fields(table, "takers", tracks)
        configs = {}
        for symbol in tracks:
            path = f"takers.{symbol}"
            own = _taker_fields(_table(table[symbol], path), path, {}) if symbol in table else {}
            try:
                configs[symbol] = TakerConfig(**(shared | own))
            except ValueError as exc:
                raise ScenarioError(f"{path if symbol in table else 'takers'}: {exc}") from None
        return configs

    def _liquidity(self, row: dict[str, Any], path: str) -> Liquidity:
        if "spread" not in row and "depth" not in row:
            raise ScenarioError(f"{path}: give spread and/or depth multipliers")
        return Liquidity(
            spread=_positive(row.get("spread", 1), f"{path}.spread"),
            depth=_positive(row.get("depth", 1), f"{path}.depth"),
        )


def _taker_fields(table: dict[str, Any], path: str, symbols: Mapping[str, Track]) -> dict[str, Any]:
    """``TakerConfig`` fields from one ``[takers]`` table; keys naming ``symbols`` are its subtables."""
    fields: dict[str, Any] = {}
    for key, value in table.items():
        if key in symbols:
            continue
        if key not in _TAKER_KEYS:
            expected = ", ".join(sorted({*_TAKER_KEYS, *symbols}))
            raise ScenarioError(f"{path}.{key}: unknown key (expected one of {expected})")
        if key == "enabled":
            if not isinstance(value, bool):
                raise ScenarioError(f"{path}.enabled: expected true or false, not {value!r}")
            fields["enabled"] = value
        else:
            fields[_TAKER_KEYS[key]] = _number(value, f"{path}.{key}")
    return fields


def _traded(spec: dict[str, Any], path: str) -> bool:
    """Whether a replay's bars are traded (``trades = true``); ``volume_scale`` only goes with it."""
    trades = spec.get("trades", False)
    if not isinstance(trades, bool):
        raise ScenarioError(f"{path}.trades: expected true or false, not {trades!r}")
    if not trades and "volume_scale" in spec:
        raise ScenarioError(f"{path}.volume_scale: scales traded bars; set trades = true")
    return trades


def _faults(raw: Any) -> dict[str, Any]:
    """A ``[faults]`` table, checked as a fault plan (its maintenance window counts from the load)."""
    table = _table(raw or {}, "faults")
    try:
        plan_from(table, now=0, set_at=0)
    except FaultError as error:
        raise ScenarioError(f"faults.{error}") from None
    return table


def _rows(doc: dict[str, Any], key: str) -> list[tuple[int, Any]]:
    raw = doc.get(key, [])
    if not isinstance(raw, list):
        raise ScenarioError(f"{key}: expected an array of tables ([[{key}]])")
    return list(enumerate(raw))


def _symbols(row: dict[str, Any], path: str, tracks: Mapping[str, Track]) -> tuple[str, ...]:
    raw = row.get("symbols", [])
    if not isinstance(raw, list) or not all(isinstance(symbol, str) for symbol in raw):
        raise ScenarioError(f"{path}.symbols: expected a list of instrument names")
    for symbol in raw:
        if symbol not in tracks:
            raise ScenarioError(f"{path}.symbols: {symbol} is not an instrument of the scenario")
    return tuple(raw)


def _known(table: dict[str, Any], allowed: set[str], path: str) -> None:
    for key in table:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise ScenarioError(f"{where}: unknown key (expected one of {', '.join(sorted(allowed))})")


def _required(table: dict[str, Any], key: str, path: str) -> Any:
    if key not in table:
        raise ScenarioError(f"{path}.{key}: required" if path else f"{key}: required")
    return table[key]


def _table(raw: Any, path: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: expected a table, not {raw!r}")
    return cast(dict[str, Any], raw)


def _text(raw: Any, path: str) -> str:
    if not isinstance(raw, str):
        raise ScenarioError(f"{path}: expected a string, not {raw!r}")
    return raw


def _is_int(raw: Any) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool)


def _number(raw: Any, path: str) -> Decimal:
    """A TOML number (floats arrive as Decimal) or a numeric string, exactly."""
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        raise ScenarioError(f"{path}: {raw!r} is not a number")
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise ScenarioError(f"{path}: {raw!r} is not a number") from None
    if not value.is_finite():
        raise ScenarioError(f"{path}: {raw!r} is not a finite number")
    return value


def _price(raw: Any, path: str) -> Decimal:
    value = _number(raw, path)
    if value <= 0:
        raise ScenarioError(f"{path}: {raw!r} is not a positive price")
    return value


def _positive(raw: Any, path: str) -> Decimal:
    value = _number(raw, path)
    if value <= 0:
        raise ScenarioError(f"{path}: {raw!r} must be positive")
    return value


def _percent(raw: Any, path: str) -> Decimal:
    """A change written as a percentage string ("-20%"): a bare number would be ambiguous (-20 or -0.2?)."""
    if not (isinstance(raw, str) and _PERCENT.fullmatch(raw.strip())):
        raise ScenarioError(f"{path}: {raw!r} is not a percentage")
    return Decimal(raw.strip()[:-1]) / 100


def _fraction(raw: Any, path: str) -> float:
    """A rate as a fraction (0.5) or a percentage string ("50%")."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        return float(_percent(raw, path))
    return float(_number(raw, path))


def _nonnegative(raw: Any, path: str) -> float:
    value = _fraction(raw, path)
    if value < 0:
        raise ScenarioError(f"{path}: {raw!r} must not be negative")
    return value


def _correlation_value(raw: Any, path: str) -> float:
    value = float(_number(raw, path))
    if not -1 <= value <= 1:
        raise ScenarioError(f"{path}: {raw!r} is not a correlation between -1 and 1")
    return value


def _duration(raw: Any, path: str, *, allow_zero: bool = False) -> int:
    """Nanoseconds from "1h30m" and the like; whole nanoseconds only."""
    if not (isinstance(raw, str) and _DURATION.fullmatch(raw.strip())):
        raise ScenarioError(f"{path}: {raw!r} is not a duration like '90s', '30m', '1h30m' or '1d'")
    total = sum((Decimal(amount) * _UNIT_NS[unit] for amount, unit in _DURATION_PART.findall(raw.strip())), Decimal(0))
    if total != total.to_integral_value() or (total <= 0 and not allow_zero):
        raise ScenarioError(f"{path}: {raw!r} is not a positive whole number of nanoseconds")
    return int(total)
