"""A bot on binance-futures-connector's ``UMFutures``, as its author would write it, pointed at paperex.

The connector installs a top-level ``binance`` package, as python-binance (in the test environment) does,
so ``test_futures_connector.py`` runs this file in a subprocess whose ``PYTHONPATH`` puts the connector
first. ``python futures_connector_bot.py BASE_URL`` with the account's key and secret in ``PAPEREX_KEY``
and ``PAPEREX_SECRET``: each stage prints one JSON line of what the venue answered, and the bot waits for
a line on standard input between the stages (the test moves the mark price there).
"""

import json
import os
import queue
import sys
from typing import Any

from binance.error import ClientError
from binance.um_futures import UMFutures
from binance.websocket.um_futures.websocket_client import UMFuturesWebsocketClient

SYMBOL = "BTCUSDT"
WAIT_SECONDS = 30


def main(base_url: str) -> None:
    client = UMFutures(os.environ["PAPEREX_KEY"], os.environ["PAPEREX_SECRET"], base_url=base_url, timeout=WAIT_SECONDS)
    messages: queue.Queue[dict[str, Any]] = queue.Queue()
    listen_key = client.new_listen_key()["listenKey"]
    socket = UMFuturesWebsocketClient(
        stream_url=base_url.replace("http://", "ws://", 1), on_message=lambda _, text: messages.put(json.loads(text))
    )
    try:
        trade(client, socket, listen_key, messages)
    finally:
        socket.stop()  # its reading thread would keep the process alive


def trade(
    client: UMFutures, socket: UMFuturesWebsocketClient, listen_key: str, messages: "queue.Queue[dict[str, Any]]"
) -> None:
    socket.user_data(listen_key=listen_key, id=1)
    subscribed = next_message(messages, lambda message: message.get("id") == 1)

    leverage = client.change_leverage(symbol=SYMBOL, leverage=10)
    entry = client.new_order(symbol=SYMBOL, side="BUY", type="MARKET", quantity=0.004)
    try:
        client.new_order(symbol=SYMBOL, side="SELL", type="STOP_MARKET", stopPrice=63000, quantity=0.004)
        stop_refused = None
    except ClientError as error:
        stop_refused = [error.status_code, error.error_code]
    # the connector has no method for the algo endpoints: its signed call sends the stop there
    stop = client.sign_request(
        "POST",
        "/fapi/v1/algoOrder",
        {
            "algoType": "CONDITIONAL",
            "symbol": SYMBOL,
            "side": "SELL",
            "type": "STOP_MARKET",
            "triggerPrice": 63000,
            "quantity": 0.004,
            "reduceOnly": "true",
            "workingType": "MARK_PRICE",
        },
    )
    resting = client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=0.002, price=60000)
    listed = client.get_orders(symbol=SYMBOL)
    canceled = client.cancel_order(symbol=SYMBOL, orderId=resting["orderId"])
    report(
        subscribed=subscribed,
        leverage=leverage,
        entry=entry,
        stop_refused=stop_refused,
        stop=stop,
        listed=listed,
        canceled=canceled,
        held=client.get_position_risk(symbol=SYMBOL),
        account=client.account(),
    )
    sys.stdin.readline()

    filled = next_message(messages, stop_filled)
    try:
        client.new_order(symbol=SYMBOL, side="BUY", type="LIMIT", timeInForce="GTC", quantity=10, price=60000)
        refused = None
    except ClientError as error:
        refused = [error.status_code, error.error_code, error.error_message]
    report(
        filled=filled,
        after=client.get_position_risk(symbol=SYMBOL),
        entry=client.query_order(symbol=SYMBOL, orderId=entry["orderId"]),
        trades=client.get_account_trades(symbol=SYMBOL),
        balance=client.balance(),
        refused=refused,
        closed=client.close_listen_key(listenKey=listen_key),
    )


def next_message(messages: "queue.Queue[dict[str, Any]]", wanted: Any) -> dict[str, Any]:
    """The next message the socket received for which ``wanted`` holds (the others are passed over)."""
    while not wanted(message := messages.get(timeout=WAIT_SECONDS)):
        pass
    return message


def stop_filled(message: dict[str, Any]) -> bool:
    """The order a triggered stop became (original type ``ot``) filled."""
    order = message.get("o", {})
    return message.get("e") == "ORDER_TRADE_UPDATE" and order.get("ot") == "STOP_MARKET" and order.get("X") == "FILLED"


def report(**answers: Any) -> None:
    print(json.dumps(answers), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
