"""Index price feeds: seeded random walks, CSV replays and scripted paths, stepped at fixed intervals.

A bot alone cannot paper-trade, and a liquidation cannot be tested, without prices that move; tests
also need the same moves on every run. So feeds are pure: time comes in as integer nanoseconds (the
caller owns the clock), randomness comes from ``random.Random`` seeded per instrument, and every price
leaves as a Decimal on the instrument's tick, clamped to its price filter.

Each instrument gets a *track* (``RandomWalk``, ``Path``, ``Replay`` or ``Fixed``: frozen parameter
records); ``MarketFeed`` steps all tracks together every ``step_ns``, correlates their random shocks
(Cholesky factor of a correlation matrix), applies scheduled index jumps and rounds to ticks.

Determinism: the same tracks, seed, start and step give the same prices on the same Python version and
platform. Random paths are computed in floats (GBM needs exp and log); each result is converted to a
Decimal exactly (``Decimal(float)``) and rounded half-even to the tick, so what could differ elsewhere
is only ``random``'s algorithms and the C library's exp/log, both fixed for a given Python build. Each
instrument draws from its own generator, so adding an instrument does not change another's path.
"""

import csv
import math
import random
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Literal, Protocol, TypeVar

from paperex.engine.instruments import Instrument

SECOND_NS = 1_000_000_000
DAY_NS = 86_400 * SECOND_NS
YEAR_NS = 365 * DAY_NS  # crypto trades every day: annualised figures use 365 days
BINANCE_KLINE_COLUMNS = (0, 4)  # open time, close price in a Binance kline CSV export

_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN)  # explicit, so a caller's decimal context cannot change prices
_ONE = Decimal(1)
_MAX_LOG = 700.0  # exp() of more overflows a float; such prices are clamped to the filter anyway
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?", re.ASCII)
_UNIT_NS = {"s": SECOND_NS, "ms": 1_000_000, "us": 1_000, "ns": 1}

ReplayMode = Literal["linear", "step"]
AfterScript = Literal["hold", "noise"]
Correlation = float | Mapping[tuple[str, str], float] | Sequence[Sequence[float]] | None


class Feed(Protocol):
    """What the clock driver needs from any source of index prices."""

    @property
    def symbols(self) -> tuple[str, ...]: ...

    def prices(self, t_ns: int) -> dict[str, Decimal]:
        """Index prices as of ``t_ns`` (non-decreasing between calls), on each instrument's tick."""
        ...


@dataclass(frozen=True, slots=True)
class Jumps:
    """Compound Poisson jumps: ``per_day`` arrivals on average, each a log move ~ Normal(mean, std).

    Jumps are each instrument's own (idiosyncratic): only the diffusion shocks are correlated.
    """

    per_day: float
    mean: float = 0.0
    std: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.per_day) and self.per_day >= 0):
            raise ValueError(f"jump intensity must be >= 0, not {self.per_day}")
        if not (math.isfinite(self.mean) and math.isfinite(self.std) and self.std >= 0):
            raise ValueError(f"jump size needs a finite mean and a std >= 0, not {self.mean}, {self.std}")


@dataclass(frozen=True, slots=True)
class RandomWalk:
    """Geometric Brownian motion with optional jumps, or (with ``half_life_ns``) a mean-reverting walk.

    ``drift`` is the annualised expected return (jumps are compensated, Merton style, so they do not
    bias it) and ``volatility`` the annualised standard deviation of log returns. With a half-life the
    log price is an Ornstein-Uhlenbeck process pulled towards ``mean`` (default: the start), which is
    what a range-bound, choppy market looks like; drift is then meaningless and must be zero.
    """

    start: Decimal
    drift: float = 0.0
    volatility: float = 0.0
    jumps: Jumps | None = None
    half_life_ns: int = 0
    mean: Decimal | None = None

    def __post_init__(self) -> None:
        _check_price(self.start, "start")
        if not (math.isfinite(self.drift) and math.isfinite(self.volatility) and self.volatility >= 0):
            raise ValueError(f"drift must be finite and volatility >= 0, not {self.drift}, {self.volatility}")
        if self.half_life_ns < 0:
            raise ValueError("half_life_ns must be >= 0")
        if self.half_life_ns and self.drift:
            raise ValueError("a mean-reverting walk has no drift: give one or the other")
        if self.mean is not None:
            if not self.half_life_ns:
                raise ValueError("mean needs half_life_ns: only a mean-reverting walk has a mean")
            _check_price(self.mean, "mean")


@dataclass(frozen=True, slots=True)
class Segment:
    """One leg of a scripted path: move by ``change`` (-0.2 is -20%) over ``duration_ns``.

    The price follows the geometric interpolation from the leg's start to start x (1 + change); with
    ``noise`` (annualised volatility) it wanders around that line on a Brownian bridge, which is pinned
    to zero at the leg's end so the target is still hit exactly.
    """

    duration_ns: int
    change: Decimal
    noise: float = 0.0

    def __post_init__(self) -> None:
        if self.duration_ns <= 0:
            raise ValueError("a segment needs a positive duration")
        if not (self.change.is_finite() and self.change > -1):
            raise ValueError(f"a change must be above -100%, not {self.change}")
        if not (math.isfinite(self.noise) and self.noise >= 0):
            raise ValueError(f"noise must be >= 0, not {self.noise}")


@dataclass(frozen=True, slots=True)
class Path:
    """A scripted price path: segments one after another, then ``after`` (hold the last price, or keep
    moving with the last segment's noise and no trend)."""

    start: Decimal
    segments: tuple[Segment, ...]
    after: AfterScript = "hold"

    def __post_init__(self) -> None:
        _check_price(self.start, "start")
        if self.after not in ("hold", "noise"):
            raise ValueError(f"after must be 'hold' or 'noise', not {self.after!r}")

    def targets(self) -> tuple[Decimal, ...]:
        """The exact (unrounded) price at each segment's end: start x (1 + c1) x (1 + c2) ..."""
        price, out = self.start, []
        for segment in self.segments:
            price = _CONTEXT.multiply(price, _ONE + segment.change)
            out.append(price)
        return tuple(out)

    @property
    def duration_ns(self) -> int:
        return sum(segment.duration_ns for segment in self.segments)


@dataclass(frozen=True, slots=True)
class Replay:
    """Recorded prices played back: ``rows`` of (timestamp ns, price), strictly increasing in time.

    The feed's start plays the CSV at ``origin_ns`` (default: the first row), and time runs ``speed``
    times faster: csv time = origin + elapsed x speed. Between rows the price is interpolated
    (``linear``) or holds the earlier row (``step``); before the first row it is the first price, after
    the last the last. ``start`` rebases: every price is scaled so the first row reads ``start``.
    """

    rows: tuple[tuple[int, Decimal], ...]
    mode: ReplayMode = "linear"
    speed: Decimal = _ONE
    origin_ns: int | None = None
    start: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.rows:
            raise ValueError("a replay needs at least one row")
        for index, (stamp, price) in enumerate(self.rows):
            _check_price(price, f"row {index} price")
            if index and stamp <= self.rows[index - 1][0]:
                raise ValueError(f"row {index}: timestamps must increase strictly")
        if self.mode not in ("linear", "step"):
            raise ValueError(f"mode must be 'linear' or 'step', not {self.mode!r}")
        if not (self.speed.is_finite() and self.speed > 0):
            raise ValueError(f"speed must be positive, not {self.speed}")
        if self.start is not None:
            _check_price(self.start, "start")

    @classmethod
    def from_csv(
        cls,
        text: str,
        *,
        time_column: int = 0,
        price_column: int = 1,
        time_unit: str | None = None,
        mode: ReplayMode = "linear",
        speed: Decimal = _ONE,
        origin_ns: int | None = None,
        start: Decimal | None = None,
    ) -> "Replay":
        """Rows from CSV text; columns count from 0; a header line is optional.

        Timestamps are ISO 8601 (naive means UTC) or epoch numbers: ``time_unit`` s, ms, us or ns, or by
        magnitude when omitted (below 1e11 seconds, 1e14 milliseconds, 1e17 microseconds, else ns:
        Binance exports open times in ms, and in us for spot data since 2025).
        """
        if time_unit is not None and time_unit not in _UNIT_NS:
            raise ValueError(f"time_unit must be one of {sorted(_UNIT_NS)}, not {time_unit!r}")

        def row(record: list[str]) -> tuple[int, Decimal]:
            if max(time_column, price_column) >= len(record):
                raise ValueError(f"has {len(record)} columns, not more than {max(time_column, price_column)}")
            price = Decimal(record[price_column].strip())
            _check_price(price, "price")
            return parse_timestamp(record[time_column], time_unit), price

        rows = tuple(parsed for _, parsed in csv_records(text, row))
        return cls(rows, mode, speed, origin_ns, start)

    @classmethod
    def from_binance_klines(
        cls,
        text: str,
        *,
        mode: ReplayMode = "linear",
        speed: Decimal = _ONE,
        origin_ns: int | None = None,
        start: Decimal | None = None,
    ) -> "Replay":
        """A Binance kline CSV export: open time (column 0) against close price (column 4)."""
        time_column, price_column = BINANCE_KLINE_COLUMNS
        return cls.from_csv(
            text,
            time_column=time_column,
            price_column=price_column,
            mode=mode,
            speed=speed,
            origin_ns=origin_ns,
            start=start,
        )

    def csv_time(self, elapsed_ns: int) -> int:
        """The CSV timestamp played ``elapsed_ns`` after the feed's start."""
        origin = self.rows[0][0] if self.origin_ns is None else self.origin_ns
        return origin + int(_CONTEXT.multiply(Decimal(max(elapsed_ns, 0)), self.speed))

    def price_at(self, csv_ns: int) -> Decimal:
        """The recorded price at a CSV timestamp (exact at rows, interpolated or held between them)."""
        rows = self.rows
        if csv_ns <= rows[0][0]:
            return rows[0][1]
        if csv_ns >= rows[-1][0]:
            return rows[-1][1]
        index = bisect_right(rows, csv_ns, key=lambda row: row[0]) - 1
        before_t, before_p = rows[index]
        if csv_ns == before_t or self.mode == "step":
            return before_p
        after_t, after_p = rows[index + 1]
        fraction = _CONTEXT.divide(Decimal(csv_ns - before_t), Decimal(after_t - before_t))
        return _CONTEXT.add(before_p, _CONTEXT.multiply(after_p - before_p, fraction))

    def price(self, elapsed_ns: int) -> Decimal:
        """The (rebased) price ``elapsed_ns`` after the feed's start."""
        raw = self.price_at(self.csv_time(elapsed_ns))
        if self.start is None:
            return raw
        return _CONTEXT.divide(_CONTEXT.multiply(raw, self.start), self.rows[0][1])


@dataclass(frozen=True, slots=True)
class Fixed:
    """A constant price (still moved by scheduled jumps): for an instrument a scenario leaves alone."""

    start: Decimal

    def __post_init__(self) -> None:
        _check_price(self.start, "start")


Track = RandomWalk | Path | Replay | Fixed


@dataclass(frozen=True, slots=True)
class IndexJump:
    """A scheduled instantaneous move of one index by ``change`` (-0.05 is -5%), ``at_ns`` after the start.

    It scales the track's output from that step on, so everything after moves from the jumped level.
    """

    at_ns: int
    symbol: str
    change: Decimal

    def __post_init__(self) -> None:
        if self.at_ns < 0:
            raise ValueError("a jump's time is an offset from the feed start, >= 0")
        if not (self.change.is_finite() and self.change > -1):
            raise ValueError(f"a jump must be above -100%, not {self.change}")


T = TypeVar("T")


def csv_records(text: str, parse: Callable[[list[str]], T]) -> Iterator[tuple[int, T]]:
    """(line number, ``parse(record)``) of each non-blank CSV line. The first line may name the columns
    (it is skipped when it does not parse); a later line that does not parse raises ValueError with its
    number."""
    header_allowed = True
    for line_number, record in enumerate(csv.reader(text.splitlines()), start=1):
        if not any(cell.strip() for cell in record):
            continue
        try:
            parsed = parse(record)
        except (ValueError, InvalidOperation) as exc:
            if header_allowed:
                header_allowed = False
                continue
            raise ValueError(f"CSV line {line_number}: {exc}") from None
        header_allowed = False
        yield line_number, parsed


def parse_timestamp(text: str, unit: str | None = None) -> int:
    """Nanoseconds since the epoch from an epoch number (unit given or guessed) or ISO 8601 text.

    >>> parse_timestamp("1700000000"), parse_timestamp("1700000000000")
    (1700000000000000000, 1700000000000000000)
    >>> parse_timestamp("2024-01-01T00:00:00Z")
    1704067200000000000
    """
    text = text.strip()
    if _NUMBER.fullmatch(text):
        value = Decimal(text)
        if unit is None:
            magnitude = abs(value)
            unit = "s" if magnitude < 10**11 else "ms" if magnitude < 10**14 else "us" if magnitude < 10**17 else "ns"
        return int(_CONTEXT.multiply(value, Decimal(_UNIT_NS[unit])))
    moment = datetime.fromisoformat(text)  # ValueError names the text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND_NS + delta.microseconds * 1_000


def correlation_matrix(symbols: Sequence[str], correlation: Correlation) -> list[list[float]]:
    """A full correlation matrix over ``symbols`` from a matrix, a pairwise mapping, or one rho for two.

    >>> correlation_matrix(["BTCUSDT", "ETHUSDT"], 0.9)
    [[1.0, 0.9], [0.9, 1.0]]
    """
    size = len(symbols)
    matrix = [[1.0 if i == j else 0.0 for j in range(size)] for i in range(size)]
    if correlation is None:
        return matrix
    if isinstance(correlation, int | float):
        if size != 2:
            raise ValueError(f"a single correlation needs exactly two random feeds, not {size}")
        pairs: Mapping[tuple[str, str], float] = {(symbols[0], symbols[1]): float(correlation)}
    elif isinstance(correlation, Mapping):
        pairs = correlation
    else:
        rows = [[float(value) for value in row] for row in correlation]
        if len(rows) != size or any(len(row) != size for row in rows):
            raise ValueError(f"a correlation matrix over {size} feeds must be {size}x{size}")
        for i in range(size):
            if rows[i][i] != 1.0:
                raise ValueError("a correlation matrix has ones on its diagonal")
        pairs = {(symbols[i], symbols[j]): rows[i][j] for i in range(size) for j in range(size) if i != j}
    index = {symbol: position for position, symbol in enumerate(symbols)}
    seen: dict[tuple[int, int], float] = {}
    for (first, second), given in pairs.items():
        if first not in index or second not in index:
            missing = first if first not in index else second
            raise ValueError(f"correlation {first}/{second}: {missing} has no random feed to correlate")
        i, j = index[first], index[second]
        rho = float(given)
        if i == j or not -1.0 <= rho <= 1.0:
            raise ValueError(f"correlation {first}/{second}: {rho} is not a correlation between two feeds")
        key = (min(i, j), max(i, j))
        if seen.get(key, rho) != rho:
            raise ValueError(f"correlation {first}/{second}: given twice with different values")
        seen[key] = rho
        matrix[i][j] = matrix[j][i] = rho
    return matrix


def cholesky(matrix: Sequence[Sequence[float]]) -> list[list[float]]:
    """Lower-triangular L with L x Lᵀ = matrix, so L x (independent normals) has that correlation.

    Semi-definite matrices (rho = 1) are allowed: a zero pivot gives a zero column.

    >>> cholesky([[1.0, 0.5], [0.5, 1.0]])
    [[1.0, 0.0], [0.5, 0.8660254037844386]]
    """
    size = len(matrix)
    lower = [[0.0] * size for _ in range(size)]
    for j in range(size):
        pivot = matrix[j][j] - sum(lower[j][k] ** 2 for k in range(j))
        if pivot < -1e-9:
            raise ValueError("the correlation matrix is not positive semi-definite")
        lower[j][j] = math.sqrt(max(pivot, 0.0))
        for i in range(j + 1, size):
            if abs(matrix[i][j] - matrix[j][i]) > 1e-12:
                raise ValueError("the correlation matrix is not symmetric")
            rest = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if lower[j][j] > 0.0:
                lower[i][j] = rest / lower[j][j]
            elif abs(rest) > 1e-9:
                raise ValueError("the correlation matrix is not positive semi-definite")
    return lower


class _Process(Protocol):
    """One instrument's running state; ``advance`` is called for steps 1, 2, 3 ... in order."""

    random: bool

    def advance(self, step: int, shock: float) -> Decimal | float: ...


class _WalkProcess:
    """Exact discretisation of GBM (or of OU on the log price) plus compound Poisson jumps."""

    def __init__(self, track: RandomWalk, step_ns: int, rng: random.Random) -> None:
        self.random = True
        dt = step_ns / YEAR_NS
        self._log = math.log(track.start)
        self._rng = rng
        jumps = track.jumps or Jumps(0.0)
        self._jump_mean, self._jump_std = jumps.mean, jumps.std
        self._jump_rate = jumps.per_day * step_ns / DAY_NS  # expected jumps per step
        self._no_jump = math.exp(-self._jump_rate)
        self._reverting = track.half_life_ns > 0
        sigma = track.volatility
        if self._reverting:
            kappa = math.log(2) / (track.half_life_ns / YEAR_NS)
            self._decay = math.exp(-kappa * dt)
            self._mean_log = math.log(track.mean if track.mean is not None else track.start)
            self._scale = sigma * math.sqrt((1.0 - self._decay**2) / (2.0 * kappa))
        else:
            compensator = jumps.per_day * 365 * (math.exp(jumps.mean + jumps.std**2 / 2) - 1.0)
            self._increment = (track.drift - sigma**2 / 2 - compensator) * dt
            self._scale = sigma * math.sqrt(dt)

    def advance(self, step: int, shock: float) -> float:
        if self._reverting:
            log = self._mean_log + (self._log - self._mean_log) * self._decay + self._scale * shock
        else:
            log = self._log + self._increment + self._scale * shock
        if self._jump_rate:
            draw = self._rng.random()
            if draw > self._no_jump:  # Poisson count by inversion; almost every step stops at zero
                count, term = 1, self._no_jump * self._jump_rate
                cumulative = self._no_jump + term
                while draw > cumulative and count < 1000:
                    count += 1
                    term *= self._jump_rate / count
                    cumulative += term
                for _ in range(count):
                    log += self._rng.gauss(self._jump_mean, self._jump_std)
        self._log = log
        return math.exp(min(log, _MAX_LOG))


class _PathProcess:
    """Segment by segment; the sequential Brownian bridge needs one shock per step and no look-ahead."""

    def __init__(self, track: Path, step_ns: int) -> None:
        self.random = True
        sqrt_dt = math.sqrt(step_ns / YEAR_NS)
        self._legs: list[tuple[int, float, float, float, Decimal]] = []
        begin = track.start
        for index, (segment, target) in enumerate(zip(track.segments, track.targets(), strict=True)):
            steps, remainder = divmod(segment.duration_ns, step_ns)
            if remainder:
                raise ValueError(f"segment {index}: duration is not a whole number of {step_ns} ns steps")
            self._legs.append(
                (steps, math.log(begin), math.log(_CONTEXT.divide(target, begin)), segment.noise * sqrt_dt, target)
            )
            begin = target
        self._leg = 0
        self._done = 0  # steps taken in the current leg
        self._bridge = 0.0
        self._end = begin
        self._end_log = math.log(begin)
        last_noise = track.segments[-1].noise if track.segments else 0.0
        self._after_scale = sqrt_dt * last_noise if track.after == "noise" else 0.0
        self._wander = 0.0

    def advance(self, step: int, shock: float) -> Decimal | float:
        if self._leg == len(self._legs):
            if not self._after_scale:
                return self._end
            self._wander += self._after_scale * shock
            return math.exp(min(self._end_log + self._wander, _MAX_LOG))
        steps, begin_log, move_log, scale, target = self._legs[self._leg]
        left = steps - self._done  # steps left before this one
        self._done += 1
        if self._done == steps:
            self._leg += 1
            self._done = 0
            self._bridge = 0.0
            return target
        if scale:
            # Bridge from b over `left` steps to 0: next = b (1 - 1/left) + scale sqrt((left - 1)/left) z.
            self._bridge = self._bridge * (1.0 - 1.0 / left) + scale * math.sqrt((left - 1) / left) * shock
        return math.exp(begin_log + move_log * self._done / steps + self._bridge)


class _ReplayProcess:
    def __init__(self, track: Replay, step_ns: int) -> None:
        self.random = False
        self._track = track
        self._step_ns = step_ns

    def advance(self, step: int, shock: float) -> Decimal:
        return self._track.price(step * self._step_ns)


class _FixedProcess:
    def __init__(self, track: Fixed) -> None:
        self.random = False
        self._price = track.start

    def advance(self, step: int, shock: float) -> Decimal:
        return self._price


def start_price(track: Track) -> Decimal:
    """The unrounded price a track shows at its start (a replay's first played row, rebased)."""
    if isinstance(track, Replay):
        return track.price(0)
    return track.start


class MarketFeed:
    """All instruments' index prices, stepped together at ``start_ns + k x step_ns``.

    ``prices(t)`` is the price of the last step at or before ``t`` (the start prices before the start).
    Random tracks (walks and paths) draw one standard normal per step from their own seeded generator;
    a Cholesky factor mixes them to the given correlation. Output is rounded half-even to the tick and
    clamped to the instrument's price filter; the track's own state is not clamped.
    """

    def __init__(
        self,
        tracks: Mapping[str, Track],
        instruments: Mapping[str, Instrument],
        *,
        seed: int,
        start_ns: int,
        step_ns: int = SECOND_NS,
        correlation: Correlation = None,
        jumps: Iterable[IndexJump] = (),
    ) -> None:
        if step_ns <= 0:
            raise ValueError("step_ns must be positive")
        self._symbols = tuple(tracks)
        self._start_ns = start_ns
        self._step_ns = step_ns
        self._step = 0
        self._processes: list[_Process] = []
        self._bounds: list[tuple[Decimal, int, int, Decimal, Decimal]] = []
        normals = []
        for symbol, track in tracks.items():
            instrument = instruments.get(symbol)
            if instrument is None:
                raise ValueError(f"{symbol}: not an instrument")
            rng = random.Random(f"paperex.feeds:{seed}:{symbol}")
            self._processes.append(_make_process(track, step_ns, rng))
            tick = instrument.tick_size
            low, high = instrument.min_price, instrument.max_price
            self._bounds.append(
                (tick, low, high, _CONTEXT.multiply(tick, Decimal(low)), _CONTEXT.multiply(tick, Decimal(high)))
            )
            normals.append(rng.gauss)
        self._random = [index for index, process in enumerate(self._processes) if process.random]
        self._normals = [normals[index] for index in self._random]
        random_symbols = [self._symbols[index] for index in self._random]
        factor = cholesky(correlation_matrix(random_symbols, correlation))
        identity = all(factor[i][j] == (1.0 if i == j else 0.0) for i in range(len(factor)) for j in range(i + 1))
        self._factor = None if identity else factor
        positions = {symbol: index for index, symbol in enumerate(self._symbols)}
        self._jumps: list[tuple[int, int, Decimal]] = []
        for jump in sorted(jumps, key=lambda jump: jump.at_ns):
            if jump.symbol not in positions:
                raise ValueError(f"jump at {jump.at_ns} ns: {jump.symbol} has no feed")
            self._jumps.append((jump.at_ns, positions[jump.symbol], _ONE + jump.change))
        self._next_jump = 0
        self._scales = [_ONE] * len(self._symbols)
        self._apply_jumps(0)
        self._ticks = [self._to_ticks(index, start_price(track)) for index, track in enumerate(tracks.values())]

    @property
    def symbols(self) -> tuple[str, ...]:
        return self._symbols

    @property
    def start_ns(self) -> int:
        return self._start_ns

    @property
    def step_ns(self) -> int:
        return self._step_ns

    @property
    def step(self) -> int:
        """Steps taken so far (0 at the start)."""
        return self._step

    @property
    def time_ns(self) -> int:
        """Time of the current step."""
        return self._start_ns + self._step * self._step_ns

    @property
    def next_step_ns(self) -> int:
        """Time of the next step: a simulated clock calls ``prices`` at each one to miss no move."""
        return self.time_ns + self._step_ns

    def step_at(self, t_ns: int) -> int:
        """Index of the last step at or before ``t_ns``."""
        return max(0, (t_ns - self._start_ns) // self._step_ns)

    def ticks(self, t_ns: int) -> dict[str, int]:
        """Index prices as of ``t_ns`` in ticks (what engine commands carry)."""
        self._advance_to(t_ns)
        return dict(zip(self._symbols, self._ticks, strict=True))

    def prices(self, t_ns: int) -> dict[str, Decimal]:
        """Index prices as of ``t_ns`` as Decimals with the tick's exponent; ``t_ns`` never decreases."""
        self._advance_to(t_ns)
        multiply = _CONTEXT.multiply
        return {
            symbol: multiply(Decimal(ticks), bounds[0])
            for symbol, ticks, bounds in zip(self._symbols, self._ticks, self._bounds, strict=True)
        }

    def _advance_to(self, t_ns: int) -> None:
        target = self.step_at(t_ns)
        if target < self._step:
            raise ValueError(f"feed time went backwards: step {target} after step {self._step}")
        while self._step < target:
            self._advance()

    def _advance(self) -> None:
        self._step = step = self._step + 1
        self._apply_jumps(step * self._step_ns)
        shocks = [normal(0.0, 1.0) for normal in self._normals]
        if self._factor is not None:
            shocks = [sum(row[j] * shocks[j] for j in range(i + 1)) for i, row in enumerate(self._factor)]
        all_shocks = [0.0] * len(self._processes)
        for position, index in enumerate(self._random):
            all_shocks[index] = shocks[position]
        for index, process in enumerate(self._processes):
            self._ticks[index] = self._to_ticks(index, process.advance(step, all_shocks[index]))

    def _apply_jumps(self, offset_ns: int) -> None:
        jumps = self._jumps
        while self._next_jump < len(jumps) and jumps[self._next_jump][0] <= offset_ns:
            _, index, factor = jumps[self._next_jump]
            self._scales[index] = _CONTEXT.multiply(self._scales[index], factor)
            self._next_jump += 1

    def _to_ticks(self, index: int, raw: Decimal | float) -> int:
        tick, low, high, low_price, high_price = self._bounds[index]
        value = raw if isinstance(raw, Decimal) else Decimal(raw)
        scale = self._scales[index]
        if scale != _ONE:
            value = _CONTEXT.multiply(value, scale)
        if value <= low_price:
            return low
        if value >= high_price:
            return high
        return int(_CONTEXT.divide(value, tick).to_integral_value(ROUND_HALF_EVEN))


def _make_process(track: Track, step_ns: int, rng: random.Random) -> _Process:
    if isinstance(track, RandomWalk):
        return _WalkProcess(track, step_ns, rng)
    if isinstance(track, Path):
        return _PathProcess(track, step_ns)
    if isinstance(track, Replay):
        return _ReplayProcess(track, step_ns)
    return _FixedProcess(track)


def _check_price(value: Decimal, name: str) -> None:
    if not (isinstance(value, Decimal) and value.is_finite() and value > 0):
        raise ValueError(f"{name} must be a positive Decimal, not {value!r}")
