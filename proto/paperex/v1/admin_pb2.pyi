import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from paperex.v1 import account_pb2 as _account_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ClockMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CLOCK_MODE_UNSPECIFIED: _ClassVar[ClockMode]
    CLOCK_MODE_WALL: _ClassVar[ClockMode]
    CLOCK_MODE_SIMULATED: _ClassVar[ClockMode]
CLOCK_MODE_UNSPECIFIED: ClockMode
CLOCK_MODE_WALL: ClockMode
CLOCK_MODE_SIMULATED: ClockMode

class GetClockRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetClockResponse(_message.Message):
    __slots__ = ("mode", "time", "scenario", "scenario_elapsed", "step", "liquidity_provider")
    MODE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_ELAPSED_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    LIQUIDITY_PROVIDER_FIELD_NUMBER: _ClassVar[int]
    mode: ClockMode
    time: _timestamp_pb2.Timestamp
    scenario: str
    scenario_elapsed: _duration_pb2.Duration
    step: _duration_pb2.Duration
    liquidity_provider: bool
    def __init__(self, mode: _Optional[_Union[ClockMode, str]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., scenario: _Optional[str] = ..., scenario_elapsed: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., step: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., liquidity_provider: _Optional[bool] = ...) -> None: ...

class AdvanceTimeRequest(_message.Message):
    __slots__ = ("duration", "until")
    DURATION_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    duration: _duration_pb2.Duration
    until: _timestamp_pb2.Timestamp
    def __init__(self, duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AdvanceTimeResponse(_message.Message):
    __slots__ = ("time", "steps", "sequence")
    TIME_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    steps: int
    sequence: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., steps: _Optional[int] = ..., sequence: _Optional[int] = ...) -> None: ...

class StepRequest(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class StepResponse(_message.Message):
    __slots__ = ("time", "sequence")
    TIME_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    sequence: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class Scenario(_message.Message):
    __slots__ = ("name", "description", "duration", "symbols")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    duration: _duration_pb2.Duration
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class LoadScenarioRequest(_message.Message):
    __slots__ = ("name", "toml", "seed")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOML_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    name: str
    toml: str
    seed: int
    def __init__(self, name: _Optional[str] = ..., toml: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class LoadScenarioResponse(_message.Message):
    __slots__ = ("scenario",)
    SCENARIO_FIELD_NUMBER: _ClassVar[int]
    scenario: Scenario
    def __init__(self, scenario: _Optional[_Union[Scenario, _Mapping]] = ...) -> None: ...

class ListScenariosRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListScenariosResponse(_message.Message):
    __slots__ = ("scenarios",)
    SCENARIOS_FIELD_NUMBER: _ClassVar[int]
    scenarios: _containers.RepeatedCompositeFieldContainer[Scenario]
    def __init__(self, scenarios: _Optional[_Iterable[_Union[Scenario, _Mapping]]] = ...) -> None: ...

class SetLiquidityProviderRequest(_message.Message):
    __slots__ = ("enabled", "config_toml")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    CONFIG_TOML_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    config_toml: str
    def __init__(self, enabled: _Optional[bool] = ..., config_toml: _Optional[str] = ...) -> None: ...

class SetLiquidityProviderResponse(_message.Message):
    __slots__ = ("enabled",)
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    def __init__(self, enabled: _Optional[bool] = ...) -> None: ...

class CreateAccountRequest(_message.Message):
    __slots__ = ("name", "initial_deposit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INITIAL_DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    initial_deposit: str
    def __init__(self, name: _Optional[str] = ..., initial_deposit: _Optional[str] = ...) -> None: ...

class CreateAccountResponse(_message.Message):
    __slots__ = ("account_id", "name", "api_key", "api_secret")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_SECRET_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    name: str
    api_key: str
    api_secret: str
    def __init__(self, account_id: _Optional[int] = ..., name: _Optional[str] = ..., api_key: _Optional[str] = ..., api_secret: _Optional[str] = ...) -> None: ...

class DepositRequest(_message.Message):
    __slots__ = ("account_id", "amount", "asset")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    amount: str
    asset: str
    def __init__(self, account_id: _Optional[int] = ..., amount: _Optional[str] = ..., asset: _Optional[str] = ...) -> None: ...

class DepositResponse(_message.Message):
    __slots__ = ("wallet_balance", "cross_wallet_balance", "asset_balance")
    WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    CROSS_WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    ASSET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    wallet_balance: str
    cross_wallet_balance: str
    asset_balance: str
    def __init__(self, wallet_balance: _Optional[str] = ..., cross_wallet_balance: _Optional[str] = ..., asset_balance: _Optional[str] = ...) -> None: ...

class WithdrawRequest(_message.Message):
    __slots__ = ("account_id", "amount", "asset")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    amount: str
    asset: str
    def __init__(self, account_id: _Optional[int] = ..., amount: _Optional[str] = ..., asset: _Optional[str] = ...) -> None: ...

class WithdrawResponse(_message.Message):
    __slots__ = ("wallet_balance", "cross_wallet_balance", "asset_balance")
    WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    CROSS_WALLET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    ASSET_BALANCE_FIELD_NUMBER: _ClassVar[int]
    wallet_balance: str
    cross_wallet_balance: str
    asset_balance: str
    def __init__(self, wallet_balance: _Optional[str] = ..., cross_wallet_balance: _Optional[str] = ..., asset_balance: _Optional[str] = ...) -> None: ...

class SetFaultsRequest(_message.Message):
    __slots__ = ("account_id", "plan_toml")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PLAN_TOML_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    plan_toml: str
    def __init__(self, account_id: _Optional[int] = ..., plan_toml: _Optional[str] = ...) -> None: ...

class SetFaultsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RotateApiKeyRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    def __init__(self, account_id: _Optional[int] = ...) -> None: ...

class RotateApiKeyResponse(_message.Message):
    __slots__ = ("account_id", "name", "api_key", "api_secret")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    API_SECRET_FIELD_NUMBER: _ClassVar[int]
    account_id: int
    name: str
    api_key: str
    api_secret: str
    def __init__(self, account_id: _Optional[int] = ..., name: _Optional[str] = ..., api_key: _Optional[str] = ..., api_secret: _Optional[str] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[_account_pb2.AccountSummary]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[_account_pb2.AccountSummary, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetIndexPriceRequest(_message.Message):
    __slots__ = ("symbol", "price")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price: str
    def __init__(self, symbol: _Optional[str] = ..., price: _Optional[str] = ...) -> None: ...

class SetIndexPriceResponse(_message.Message):
    __slots__ = ("index_price", "mark_price")
    INDEX_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    index_price: str
    mark_price: str
    def __init__(self, index_price: _Optional[str] = ..., mark_price: _Optional[str] = ...) -> None: ...

class SetMarkPriceRequest(_message.Message):
    __slots__ = ("symbol", "price")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price: str
    def __init__(self, symbol: _Optional[str] = ..., price: _Optional[str] = ...) -> None: ...

class SetMarkPriceResponse(_message.Message):
    __slots__ = ("mark_price",)
    MARK_PRICE_FIELD_NUMBER: _ClassVar[int]
    mark_price: str
    def __init__(self, mark_price: _Optional[str] = ...) -> None: ...

class GetInsuranceFundRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetInsuranceFundResponse(_message.Message):
    __slots__ = ("asset", "balance", "funds")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    FUNDS_FIELD_NUMBER: _ClassVar[int]
    asset: str
    balance: str
    funds: _containers.RepeatedCompositeFieldContainer[InsuranceFund]
    def __init__(self, asset: _Optional[str] = ..., balance: _Optional[str] = ..., funds: _Optional[_Iterable[_Union[InsuranceFund, _Mapping]]] = ...) -> None: ...

class InsuranceFund(_message.Message):
    __slots__ = ("symbol", "balance")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    balance: str
    def __init__(self, symbol: _Optional[str] = ..., balance: _Optional[str] = ...) -> None: ...

class FundInsuranceRequest(_message.Message):
    __slots__ = ("symbol", "amount")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    amount: str
    def __init__(self, symbol: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class FundInsuranceResponse(_message.Message):
    __slots__ = ("fund",)
    FUND_FIELD_NUMBER: _ClassVar[int]
    fund: InsuranceFund
    def __init__(self, fund: _Optional[_Union[InsuranceFund, _Mapping]] = ...) -> None: ...

class GetLedgerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLedgerResponse(_message.Message):
    __slots__ = ("asset", "net_deposits", "wallets", "isolated_margin", "fees_collected", "insurance_fund", "open_positions", "money_in_system", "imbalance", "sequence", "time", "insurance_contributions", "exchanged")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    NET_DEPOSITS_FIELD_NUMBER: _ClassVar[int]
    WALLETS_FIELD_NUMBER: _ClassVar[int]
    ISOLATED_MARGIN_FIELD_NUMBER: _ClassVar[int]
    FEES_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_FUND_FIELD_NUMBER: _ClassVar[int]
    OPEN_POSITIONS_FIELD_NUMBER: _ClassVar[int]
    MONEY_IN_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    IMBALANCE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    INSURANCE_CONTRIBUTIONS_FIELD_NUMBER: _ClassVar[int]
    EXCHANGED_FIELD_NUMBER: _ClassVar[int]
    asset: str
    net_deposits: str
    wallets: str
    isolated_margin: str
    fees_collected: str
    insurance_fund: str
    open_positions: str
    money_in_system: str
    imbalance: str
    sequence: int
    time: _timestamp_pb2.Timestamp
    insurance_contributions: str
    exchanged: str
    def __init__(self, asset: _Optional[str] = ..., net_deposits: _Optional[str] = ..., wallets: _Optional[str] = ..., isolated_margin: _Optional[str] = ..., fees_collected: _Optional[str] = ..., insurance_fund: _Optional[str] = ..., open_positions: _Optional[str] = ..., money_in_system: _Optional[str] = ..., imbalance: _Optional[str] = ..., sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., insurance_contributions: _Optional[str] = ..., exchanged: _Optional[str] = ...) -> None: ...

class SnapshotRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SnapshotResponse(_message.Message):
    __slots__ = ("sequence", "state_hash", "time")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    STATE_HASH_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    state_hash: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, sequence: _Optional[int] = ..., state_hash: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResetRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
