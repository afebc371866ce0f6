"""Stripe API emulator for integration tests.

A stateful HTTP server on 127.0.0.1 that the official ``stripe`` Python SDK talks to unchanged::

    client = stripe.StripeClient("sk_test_x", base_addresses={"api": "http://127.0.0.1:PORT"})

It implements the part of the Stripe API that declarative tenant provisioning needs: customers (with
tax IDs and payment methods), products, prices, subscriptions (with items), events and webhook
endpoints whose deliveries are signed like Stripe's and retried. Request parameters are checked
against the installed SDK's generated parameter definitions (``stripe.params``), so an unknown
parameter is rejected the way real Stripe rejects it. The emulator knows nothing of Ansible.

Start it with::

    python tests/emulators/stripe_emulator.py --port 0 --port-file /tmp/stripe.port [--search-lag SECONDS]

It binds 127.0.0.1 only, writes the chosen port to ``--port-file`` (atomically, once listening) and
serves until SIGTERM or SIGINT. The control API (no auth, never logged) lives under ``/_emulator/``:

=======  ==============================  ==================================================
POST     /_emulator/reset                forget all objects, the log, faults, idempotency; config back to
                                        its start value (``search_lag`` 0 unless ``--search-lag``)
GET      /_emulator/config               ``{"search_lag": SECONDS}``
POST     /_emulator/config               ``{"search_lag": SECONDS}`` merges the given keys, returns the config
POST     /_emulator/log/clear            forget the request log (and so the counters)
GET      /_emulator/requests             ``{"requests": [{seq, method, path, query, ...}]}``
GET      /_emulator/counters             ``{"total", "reads", "writes", "by_status"}``
GET      /_emulator/faults               ``{"faults": [...]}`` (pending faults)
POST     /_emulator/faults               ``{"faults": [FAULT, ...]}`` appends
DELETE   /_emulator/faults               clears faults
GET      /_emulator/webhook_deliveries   ``{"deliveries": [{event_id, url, status, ...}]}``
GET      /_emulator/health               ``{"ok": true}``
=======  ==============================  ==================================================

A FAULT applies to the next ``count`` API requests that match its optional ``method`` and ``path``
(a prefix; with ``"path_exact": true`` the whole path, so ``/v1/subscriptions`` is creates only, not
``/v1/subscriptions/sub_...``): ``{"type": "status", "status": 429, "code": "rate_limit", "retry_after": 1,
"should_retry": null, "echo_request": false}``, ``{"type": "delay", "seconds": 0.5}`` or ``{"type": "drop_response"}``
(the request is performed and its idempotency record kept, then the connection is closed without
a response). Status faults answer before the idempotency layer, so nothing is saved for them. A delay
counts as processing time: the request's idempotency key is in flight from its arrival, across the delay,
until it is answered. With ``echo_request`` a status fault's error message repeats the request (method, URL,
``Authorization`` header and body), as a misbehaving gateway or a debugging proxy might: a client must keep such a
message out of its output.

Search lag: with ``search_lag`` N > 0, ``GET /v1/subscriptions/search`` answers from the index as it was N
seconds ago (Stripe's search is usually under a minute behind, up to an hour in incidents): a subscription
created less than N s ago is missing, one changed less than N s ago (metadata, status, cancel, items, ...) is
matched and returned as its version before that change. The index keeps the last 16 versions of each
subscription. Retrieve and list stay strongly consistent. Search pages are newest first; ``next_page`` is an
opaque cursor that is only valid with the query that returned it (and until a reset): any other ``page`` is a
400 ``invalid_request_error`` with param ``page`` (the message is the emulator's; Stripe's was not found).

Idempotency as in Stripe: results are saved per (API key, ``Idempotency-Key``) once an endpoint runs; a replay
with other parameters is a 400 ``idempotency_error``. A request whose key belongs to a request still being
processed is answered 409, ``invalid_request_error`` with code ``idempotency_key_in_use`` and Stripe's message
("There is currently another in-progress request using this Idempotent Key ...", as Stripe's responses show
it) whatever its parameters, and nothing is saved for it: once the first request is answered, the same key
replays its result. The SDK and the collection retry 409.

Request log entries: ``seq, method, path, query`` (flat dict of the raw query string), ``params`` (flat
dict of the raw form body), ``status`` (for a dropped response: the status that was not sent),
``idempotency_key``, ``fault`` (null or the fault type), ``replayed``, ``request_id``.

Deliberate simplifications: objects are shared by all API keys (``livemode`` follows the key); no
invoices (``latest_invoice`` is null), search other than subscriptions by metadata and status (with no
indexing delay unless ``search_lag`` is set), price_data, custom_unit_amount or coupons (tiered prices are
stored and returned, their ``tiers`` only with ``expand[]=tiers`` as in Stripe, but never billed); webhook URLs may be plain
http on 127.0.0.1 (real Stripe wants public https); subscriptions never age (no
incomplete_expired / past_due transitions except ending a trial without a way to pay). Validation
failures (unknown, missing or malformed parameters) are not saved for idempotent replay, as in Stripe.
"""

import argparse
import os
import signal
import sys
import threading

from stripe_emu.control import check_search_lag
from stripe_emu.server import Emulator, EmulatorServer


def write_port_file(path, port):
    """Write the port so that a reader never sees a partial file (temp file, then rename)."""
    temporary = f"{path}.tmp.{threading.get_ident()}"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(f"{port}\n")
    os.replace(temporary, path)


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Stripe API emulator for integration tests.")
    parser.add_argument("--host", default="127.0.0.1", help="must be 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the listening port here (atomically)")
    parser.add_argument("--search-lag", type=float, default=0.0, metavar="SECONDS",
                        help="subscription search answers as of SECONDS ago (also the value /_emulator/reset restores)")
    args = parser.parse_args(argv)
    if args.host != "127.0.0.1":
        parser.error("the emulator only binds 127.0.0.1")
    try:
        check_search_lag(args.search_lag)
    except ValueError as err:
        parser.error(str(err))
    emulator = Emulator(search_lag=args.search_lag)
    server = EmulatorServer((args.host, args.port), emulator)
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    while not stop.wait(0.1):
        pass
    server.shutdown()
    server.server_close()
    emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
