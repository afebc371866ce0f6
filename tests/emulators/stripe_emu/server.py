"""The request pipeline (authentication, faults, request log, idempotency, routing) and the HTTP server."""

import copy
import secrets
import socket
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from .calls import Call, Request, Response, auth_error
from .common import apply_legacy_shapes, random_chars
from .control import ControlMixin
from .customers import CustomersMixin
from .errors import ApiError, ParamError
from .events import EventsMixin
from .faults import fault_response
from .meters import MetersMixin
from .params import check_params, decode_params
from .payment_methods import PaymentMethodsMixin
from .prices import PricesMixin
from .products import ProductsMixin
from .routes import ROUTES
from .search import SearchMixin
from .store import StoreMixin
from .subscription_items import SubscriptionItemsMixin
from .subscriptions import SubscriptionsMixin
from .webhooks import WebhookDispatcher, WebhookEndpointsMixin

KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_")
# Stripe's wording as seen in API responses (type invalid_request_error, code idempotency_key_in_use, HTTP 409).
IDEMPOTENCY_IN_USE_MESSAGE = ("There is currently another in-progress request using this Idempotent Key (that probably "
                              "means you submitted twice, and the other request is still going through): {key}. Please "
                              "try again later.")
IDEMPOTENCY_MISMATCH_MESSAGE = ("Keys for idempotent requests can only be used with the same parameters they were first "
                                "used with. Try using a key other than '{key}' if you meant to execute a different "
                                "request.")


class Emulator(
        ControlMixin,
        StoreMixin,
        CustomersMixin,
        PaymentMethodsMixin,  # pylint: disable=too-many-instance-attributes,too-many-public-methods
        ProductsMixin,
        PricesMixin,
        SubscriptionsMixin,
        SubscriptionItemsMixin,
        SearchMixin,
        EventsMixin,
        WebhookEndpointsMixin,
        MetersMixin):
    """All state and the request pipeline; each resource's endpoints come from its mixin."""

    def __init__(self, search_lag=0.0):
        self.lock = threading.RLock()
        self.webhooks = WebhookDispatcher()
        self.initial_config = {"search_lag": float(search_lag)}
        self._reset_state()

    def _reset_state(self):
        self.customers = {}
        self.tax_ids = {}
        self.payment_methods = {}
        self.products = {}
        self.prices = {}
        self.subscriptions = {}
        self.items = {}
        self.events = {}
        self.endpoints = {}
        self.meters = {}
        self.meter_events = []
        self.idempotency = {}
        self.in_flight = set()
        self.config = dict(self.initial_config)
        self.search_history = {}
        self.page_secret = secrets.token_bytes(16)
        self.faults = []
        self.log = []
        self.log_seq = 0
        self.object_seq = 0
        self.seq_index = {}
        self.account = {
            "id": "acct_" + random_chars(16), "object": "account", "business_profile": {"name": "Stripe emulator"}, "charges_enabled": True,
            "country": "NL", "default_currency": "eur", "details_submitted": True, "email": "billing@example.com", "payouts_enabled": True,
            "type": "standard"
        }

    def close(self):
        """Stop background work."""
        self.webhooks.stop()

    def handle(self, method, target, headers, body):
        """Answer one HTTP request (control API or Stripe API)."""
        split = urlsplit(target)
        if split.path == "/_emulator" or split.path.startswith("/_emulator/"):
            return self.control(method, split.path, body)
        return self._api(Call(method, split.path, split.query, headers, body))

    def _api(self, call):
        """Authentication, faults, the request log and response headers around ``_execute``."""
        headers = [("Request-Id", call.request_id), ("Stripe-Version", call.api_version)]
        if call.idempotency_key and call.method != "GET":
            headers.append(("Idempotency-Key", call.idempotency_key))
        entry = {
            "method": call.method, "path": call.path, "query": dict(parse_qsl(call.query, keep_blank_values=True)), "params":
            dict(parse_qsl(call.text, keep_blank_values=True)), "idempotency_key": call.idempotency_key, "fault": None, "request_id":
            call.request_id, "replayed": False
        }
        fault = None
        if call.api_key is None or not call.api_key.startswith(KEY_PREFIXES):
            status, payload = 401, auth_error(call.api_key)
        else:
            fault = self._take_fault(call.method, call.path)
            if fault and fault["type"] == "status":
                payload, extra_headers = fault_response(fault, call)
                status = fault["status"]
            else:
                status, payload, extra_headers = self._perform(call, fault)
                entry["replayed"] = bool(extra_headers)
                if status < 400:
                    apply_legacy_shapes(payload, call.api_version)
            headers += extra_headers
        entry.update(status=status, fault=fault["type"] if fault else None)
        with self.lock:
            self.log_seq += 1
            entry["seq"] = self.log_seq
            self.log.append(entry)
        return Response(status, payload, headers, drop=bool(fault) and fault["type"] == "drop_response")

    def _perform(self, call, fault):
        """A ``delay`` fault, then ``_execute``; an idempotency key counts as in flight from arrival to answer."""
        flight = None
        if call.idempotency_key and call.method in ("POST", "DELETE") and len(call.idempotency_key) <= 255:
            flight = (call.api_key, call.idempotency_key)
        with self.lock:
            conflict = flight in self.in_flight
            if flight is not None and not conflict:
                self.in_flight.add(flight)
        try:
            if fault and fault["type"] == "delay":
                time.sleep(fault["seconds"])
            if conflict:
                # nothing is saved: the first request's result is what later replays return
                error = ApiError(409, IDEMPOTENCY_IN_USE_MESSAGE.format(key=call.idempotency_key), code="idempotency_key_in_use")
                return error.status, error.body(), []
            return self._execute(call)
        finally:
            if flight is not None and not conflict:
                with self.lock:
                    self.in_flight.discard(flight)

    def _take_fault(self, method, path):
        with self.lock:
            for fault in self.faults:
                matches_path = path == fault["path"] if fault["path_exact"] else path.startswith(fault["path"] or "")
                if (fault["method"] or method) == method and matches_path:
                    fault["count"] -= 1
                    if not fault["count"]:
                        self.faults.remove(fault)
                    return dict(fault)
        return None

    @staticmethod
    def _route(method, path):
        for route in ROUTES:
            match = route.regex.match(path)
            if match and route.method == method:
                return route, {key: unquote(value) for key, value in match.groupdict().items()}
        raise ParamError(
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can "
            "help at https://support.stripe.com/.", status=404)

    def _replay(self, call, fingerprint):
        """The idempotency layer: (key to save the result under, or None; response to return now, or None)."""
        if not call.idempotency_key or call.method not in ("POST", "DELETE"):
            return None, None
        if len(call.idempotency_key) > 255:
            error = ParamError("Idempotency-Key must be at most 255 characters long.", param="Idempotency-Key")
            return None, (error.status, error.body(), [])
        record_key = (call.api_key, call.idempotency_key)
        saved = self.idempotency.get(record_key)
        if saved is None:
            return record_key, None
        if saved["fingerprint"] != fingerprint:
            error = ApiError(400, IDEMPOTENCY_MISMATCH_MESSAGE.format(key=call.idempotency_key), kind="idempotency_error")
            return None, (error.status, error.body(), [])
        replay_headers = [("Idempotent-Replayed", "true"), ("Original-Request", saved["request_id"])]
        return None, (saved["status"], copy.deepcopy(saved["payload"]), replay_headers)

    def _execute(self, call):
        """Idempotency, parameter checks and the endpoint, under the state lock: (status, payload, headers)."""
        pairs = parse_qsl(call.query, keep_blank_values=True) + parse_qsl(call.text, keep_blank_values=True)
        fingerprint = (call.method, call.path, tuple(sorted(pairs)))
        with self.lock:
            record_key, replay = self._replay(call, fingerprint)
            if replay is not None:
                return replay
            try:
                route, args = self._route(call.method, call.path)
                params = check_params(route.params, decode_params(pairs))
                payload = getattr(self, route.handler)(Request(params, args, call))
                if params.get("expand"):
                    self._expand(payload, params["expand"])
                status = 200
            except ApiError as err:
                if not err.stored:
                    return err.status, err.body(), []
                status, payload = err.status, err.body()
            except Exception:  # pylint: disable=broad-exception-caught
                traceback.print_exc()
                status, payload = 500, ApiError(500, "An unknown error occurred in the Stripe emulator.", kind="api_error").body()
            if record_key is not None:
                self.idempotency[record_key] = {
                    "fingerprint": fingerprint, "status": status, "payload": copy.deepcopy(payload), "request_id": call.request_id
                }
            return status, payload, []


class EmulatorHandler(BaseHTTPRequestHandler):
    """Moves bytes between HTTP and ``Emulator.handle``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid 40 ms delayed-ACK stalls on keep-alive
    server_version = "StripeEmulator/1.0"

    def do_GET(self):  # pylint: disable=invalid-name
        """Handle GET."""
        self._dispatch("GET")

    def do_POST(self):  # pylint: disable=invalid-name
        """Handle POST."""
        self._dispatch("POST")

    def do_DELETE(self):  # pylint: disable=invalid-name
        """Handle DELETE."""
        self._dispatch("DELETE")

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the control API has the request log."""

    def _dispatch(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        response = self.server.emulator.handle(method, self.path, self.headers, body)
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the emulator."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address_port, emulator):
        super().__init__(address_port, EmulatorHandler)
        self.emulator = emulator
