"""HTTP front: routing, tenant admin authentication, faults, request log, counters and the control API."""

import copy
import hmac
import json
import re
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import errors, model
from .registry import TOTALS_FIELDS, ListOptions, Registry, decode_field_mask
from .tbs import BillingServer

WEBHOOK_PATH = "/api/v3/tbs/stripe"
BATCH_TOTALS_PATH = "/api/v3/tenants/registry-totals"  # a POST that only reads: counted as a read
FAULT_TYPES = ("status", "delay", "drop_response")
_HEX_RE = re.compile(r"^[0-9a-fA-F]*$")


class Request:

    def __init__(self, method, path, raw_query, headers, body):
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
        self.headers = headers
        self.body = body

    def json(self, error=errors.unmarshal):
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as exc:
            raise error(f"invalid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise error("the request body must be a JSON object")
        return value

    def last(self, name, default=""):
        values = self.query.get(name)
        return values[-1] if values else default


class Response:

    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class ControlError(Exception):

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def error_response(exc, headers=None):
    return Response(exc.http_status, exc.to_json(), headers)


# ---------------------------------------------------------------------------------------------
# Query parameters (grpc-gateway style)


def query_paths(request):
    """field_mask=a,b or field_mask.paths=a&field_mask.paths=b."""
    paths = []
    for value in request.query.get("field_mask", []) + request.query.get("field_mask.paths", []):
        paths.extend(decode_field_mask(value))
    return paths


def query_uint(request, name):
    value = request.last(name, "0") or "0"
    if not value.isdigit() or int(value) > 2**32 - 1:
        raise errors.unmarshal(f"invalid value `{value}` for `{name}`")
    return int(value)


def query_bool(request, name):
    value = request.last(name, "false").lower()
    if value not in ("true", "false", "1", "0", ""):
        raise errors.unmarshal(f"invalid value `{value}` for `{name}`")
    return value in ("true", "1")


def list_options(request):
    return ListOptions(limit=query_uint(request, "limit"), page=query_uint(request, "page"), order=request.last("order"))


def masked_paths(request):
    paths, unsupported = model.clean_paths(query_paths(request))
    if unsupported:
        raise errors.field_mask_paths(unsupported)
    return paths


# ---------------------------------------------------------------------------------------------
# Tenant registry endpoints


def create_tenant(emulator, request):
    return Response(200, emulator.registry.create(request.json()))


def get_tenant(emulator, request, tenant_id):
    return Response(200, emulator.registry.get(tenant_id, masked_paths(request)))


def list_tenants(emulator, request):
    tenants, total = emulator.registry.list(masked_paths(request), list_options(request))
    headers = {"X-Total-Count": str(total)}
    return Response(200, {"tenants": tenants} if tenants else {}, headers)


def search_tenants(emulator, request):
    paths = masked_paths(request)
    filters = {key: request.last(key) for key in ("id_contains", "name_contains", "description_contains")}
    filters["attributes_contain"] = {
        match.group(1): values[-1]
        for key, values in request.query.items() if (match := re.fullmatch(r"attributes_contain\[(.+)\]", key))
    }
    filters["state"] = [_state_name(value) for value in request.query.get("state", [])]
    filters["deleted"] = query_bool(request, "deleted")
    tenants, total = emulator.registry.search(filters, paths, list_options(request))
    return Response(200, {"tenants": tenants} if tenants else {}, {"X-Total-Count": str(total)})


def _state_name(value):
    if value in model.STATES:
        return value
    if value.isdigit() and int(value) < len(model.STATES):
        return model.STATES[int(value)]
    raise errors.unmarshal(f"invalid value `{value}` for `state`")


def update_tenant(emulator, request, tenant_id):
    return Response(200, emulator.registry.update(tenant_id, request.json()))


def delete_tenant(emulator, request, tenant_id):  # pylint: disable=unused-argument
    emulator.registry.delete(tenant_id)
    return Response(200, {})


def registry_totals(emulator, request, tenant_id):
    return Response(200, emulator.registry.registry_totals(tenant_id, query_paths(request)))


def batch_registry_totals(emulator, request):
    return Response(200, emulator.registry.batch_registry_totals(request.json()))


def tbs_webhook(emulator, request):
    if not emulator.tbs.config.enabled:
        raise errors.route_not_found()
    status, body = emulator.tbs.handle(request.body, request.headers.get("Stripe-Signature"))
    return Response(status, body)


# ---------------------------------------------------------------------------------------------
# Control API (not authenticated, not logged, not counted)


def control_reset(emulator, request):  # pylint: disable=unused-argument
    emulator.reset()
    return Response(200, {})


def control_clear_log(emulator, request):  # pylint: disable=unused-argument
    emulator.clear_log()
    return Response(200, {})


def control_requests(emulator, request):  # pylint: disable=unused-argument
    with emulator.lock:
        return Response(200, {"requests": copy.deepcopy(emulator.log)})


def control_counters(emulator, request):  # pylint: disable=unused-argument
    with emulator.lock:
        return Response(200, copy.deepcopy(emulator.counters))


def control_get_faults(emulator, request):  # pylint: disable=unused-argument
    with emulator.lock:
        return Response(200, {"faults": copy.deepcopy(emulator.faults)})


def control_add_faults(emulator, request):
    faults = request.json(error=lambda message: ControlError(400, message)).get("faults")
    if not isinstance(faults, list):
        raise ControlError(400, "`faults` must be a list")
    checked = [validate_fault(fault) for fault in faults]
    with emulator.lock:
        emulator.faults.extend(checked)
        return Response(200, {"faults": copy.deepcopy(emulator.faults)})


def control_clear_faults(emulator, request):  # pylint: disable=unused-argument
    with emulator.lock:
        emulator.faults.clear()
    return Response(200, {})


def control_get_tbs(emulator, request):  # pylint: disable=unused-argument
    return Response(200, emulator.tbs.config.to_json())


def control_set_tbs(emulator, request):
    changes = request.json(error=lambda message: ControlError(400, message))
    try:
        emulator.tbs.config = emulator.tbs.config.merged(changes)
    except (TypeError, ValueError) as exc:
        raise ControlError(400, str(exc)) from exc
    return Response(200, emulator.tbs.config.to_json())


def control_tbs_events(emulator, request):  # pylint: disable=unused-argument
    return Response(200, {"events": emulator.tbs.event_log()})


def control_users(emulator, request, tenant_id):  # pylint: disable=unused-argument
    try:
        return Response(200, {"users": emulator.registry.users(tenant_id)})
    except errors.TTSError as exc:
        raise ControlError(404, exc.message) from exc


def control_set_registry(emulator, request, tenant_id):
    counts = request.json(error=lambda message: ControlError(400, message))
    for name, value in counts.items():
        if name not in TOTALS_FIELDS:
            raise ControlError(400, f"unknown count `{name}`; one of {', '.join(TOTALS_FIELDS)}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ControlError(400, f"`{name}` must be a non-negative integer")
    try:
        return Response(200, {"totals": emulator.registry.set_registry_totals(tenant_id, counts)})
    except errors.TTSError as exc:
        raise ControlError(404, exc.message) from exc
    except ValueError as exc:
        raise ControlError(400, str(exc)) from exc


def echoed(request):
    """The request as a misbehaving gateway or debugging proxy repeats it in an error: a client must not show it."""
    target = request.path + (f"?{request.raw_query}" if request.raw_query else "")
    return f"{request.method} {target} Authorization: {request.headers.get('Authorization')} Body: {request.body}"


def validate_fault(fault):
    """{"type": "status"|"delay"|"drop_response", "count": N, "method"?, "path"? (prefix), ...}."""
    if not isinstance(fault, dict) or fault.get("type") not in FAULT_TYPES:
        raise ControlError(400, f"fault type must be one of {', '.join(FAULT_TYPES)}")
    checked = {"type": fault["type"], "count": fault.get("count", 1), "method": fault.get("method"), "path": fault.get("path")}
    if not isinstance(checked["count"], int) or isinstance(checked["count"], bool) or checked["count"] < 1:
        raise ControlError(400, "fault count must be a positive integer")
    if checked["method"] is not None:
        checked["method"] = str(checked["method"]).upper()
    if fault["type"] == "status":
        if not isinstance(fault.get("status"), int) or not 400 <= fault["status"] <= 599:
            raise ControlError(400, "status fault needs an HTTP error status (4xx/5xx)")
        checked["status"] = fault["status"]
        if fault.get("retry_after") is not None:
            checked["retry_after"] = str(fault["retry_after"])
        if fault.get("echo_request") not in (None, True, False):
            raise ControlError(400, "echo_request must be true or false")
        checked["echo_request"] = bool(fault.get("echo_request"))
    if fault["type"] == "delay":
        if not isinstance(fault.get("seconds"), (int, float)) or fault["seconds"] < 0:
            raise ControlError(400, "delay fault needs non-negative `seconds`")
        checked["seconds"] = fault["seconds"]
    return checked


# ---------------------------------------------------------------------------------------------
# Router: (method, path pattern, handler, kind). kind: control | api (authenticated) | webhook

ROUTES = [
    ("POST", r"/_emulator/reset", control_reset, "control"),
    ("POST", r"/_emulator/log/clear", control_clear_log, "control"),
    ("GET", r"/_emulator/requests", control_requests, "control"),
    ("GET", r"/_emulator/counters", control_counters, "control"),
    ("GET", r"/_emulator/faults", control_get_faults, "control"),
    ("POST", r"/_emulator/faults", control_add_faults, "control"),
    ("DELETE", r"/_emulator/faults", control_clear_faults, "control"),
    ("GET", r"/_emulator/tbs", control_get_tbs, "control"),
    ("POST", r"/_emulator/tbs", control_set_tbs, "control"),
    ("GET", r"/_emulator/tbs/events", control_tbs_events, "control"),
    ("GET", r"/_emulator/tenants/(?P<tenant_id>[^/]+)/users", control_users, "control"),
    ("POST", r"/_emulator/tenants/(?P<tenant_id>[^/]+)/registry", control_set_registry, "control"),
    ("POST", r"/api/v3/tenants", create_tenant, "api"),
    ("GET", r"/api/v3/tenants", list_tenants, "api"),
    ("GET", r"/api/v3/tenants/(?P<tenant_id>[^/]+)", get_tenant, "api"),
    ("PUT", r"/api/v3/tenants/(?P<tenant_id>[^/]+)", update_tenant, "api"),
    ("DELETE", r"/api/v3/tenants/(?P<tenant_id>[^/]+)", delete_tenant, "api"),
    ("GET", r"/api/v3/search/tenants", search_tenants, "api"),
    ("GET", r"/api/v3/tenants/(?P<tenant_id>[^/]+)/registry-totals", registry_totals, "api"),
    ("POST", BATCH_TOTALS_PATH, batch_registry_totals, "api"),
    ("POST", WEBHOOK_PATH, tbs_webhook, "webhook"),
]
_COMPILED = [(method, re.compile(pattern + "/?"), handler, kind) for method, pattern, handler, kind in ROUTES]


def route(method, path):
    """Returns (handler, kind, params); raises RoutingError for unknown paths and methods."""
    path_known = False
    for route_method, pattern, handler, kind in _COMPILED:
        match = pattern.fullmatch(path)
        if match:
            if route_method == method:
                return handler, kind, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
            path_known = True
    raise errors.method_not_allowed() if path_known else errors.route_not_found()


def _redact(value):
    if isinstance(value, dict):
        return {k: ("<redacted>" if k == "password" and v else _redact(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value


class Emulator:
    """All state of one emulator process."""

    def __init__(self, admin_keys, blocklist, tbs_config):
        self.admin_keys = list(admin_keys)
        self.registry = Registry(blocklist)
        self.tbs = BillingServer(self.registry, tbs_config)
        self.lock = threading.Lock()
        self.faults = []
        self.log = []
        self.counters = {}
        self.clear_log()

    def reset(self):
        self.registry.reset()
        self.tbs.reset()
        self.clear_log()
        with self.lock:
            self.faults.clear()

    def clear_log(self):
        with self.lock:
            self.log = []
            self.counters = {"total": 0, "reads": 0, "writes": 0, "webhooks": 0, "by_status": {}}

    def authenticate(self, header):
        """Authorization: TenantAdminKey <hex> (type case-insensitive, constant-time comparison)."""
        header = (header or "").strip()
        if not header:
            raise errors.unauthenticated()
        auth_type, dummy, value = header.partition(" ")
        if auth_type.lower() != "tenantadminkey":
            raise errors.unsupported_authorization()
        value = value.strip()
        if not _HEX_RE.match(value) or len(value) % 2:
            raise errors.invalid_tenant_admin_key()
        key = bytes.fromhex(value)
        valid = False
        for accepted in self.admin_keys:
            valid = hmac.compare_digest(accepted, key) or valid
        if not valid:
            raise errors.invalid_tenant_admin_key()

    def take_fault(self, method, path):
        with self.lock:
            for fault in self.faults:
                if (fault["method"] in (None, method)) and path.startswith(fault["path"] or ""):
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self.faults.remove(fault)
                    return dict(fault)
        return None

    def control(self, request):
        try:
            handler, kind, params = route(request.method, request.path)
            if kind != "control":
                raise errors.route_not_found()
            return handler(self, request, **params)
        except ControlError as exc:
            return Response(exc.status, {"error": str(exc)})
        except errors.RoutingError as exc:
            return Response(exc.status, exc.body)

    def serve(self, request):
        """Serve one API or webhook request; returns (response, drop_the_connection)."""
        fault = self.take_fault(request.method, request.path)
        if fault and fault["type"] == "delay":
            time.sleep(fault["seconds"])
        if fault and fault["type"] == "status":
            headers = {"Retry-After": fault["retry_after"]} if "retry_after" in fault else {}
            echo = echoed(request) if fault["echo_request"] else None
            response = error_response(errors.injected(fault["status"], echo), headers)
        else:
            response = self._dispatch(request)
        self._record(request, response.status, fault["type"] if fault else None)
        return response, bool(fault and fault["type"] == "drop_response")

    def _dispatch(self, request):
        try:
            handler, kind, params = route(request.method, request.path)
            if kind == "control":
                raise errors.route_not_found()
            if kind == "api":
                self.authenticate(request.headers.get("Authorization"))
            return handler(self, request, **params)
        except errors.TTSError as exc:
            return error_response(exc)
        except errors.RoutingError as exc:
            return Response(exc.status, exc.body)

    def _record(self, request, status, fault):
        try:
            body = _redact(json.loads(request.body)) if request.body.strip() else None
        except ValueError:
            body = None
        with self.lock:
            self.log.append({
                "seq": len(self.log) + 1, "method": request.method, "path": request.path, "query": request.raw_query, "status": status,
                "fault": fault, "body": body
            })
            counters = self.counters
            counters["total"] += 1
            if request.method == "POST" and request.path.rstrip("/") == WEBHOOK_PATH:
                counters["webhooks"] += 1
            elif request.method == "GET" or (request.method == "POST" and request.path.rstrip("/") == BATCH_TOTALS_PATH):
                counters["reads"] += 1
            elif request.method in ("POST", "PUT", "DELETE", "PATCH"):
                counters["writes"] += 1
            counters["by_status"][str(status)] = counters["by_status"].get(str(status), 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tts-emulator/1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes; avoid 40 ms delayed-ACK stalls on keep-alive

    def do_GET(self):  # pylint: disable=invalid-name
        self._handle()

    def do_POST(self):  # pylint: disable=invalid-name
        self._handle()

    def do_PUT(self):  # pylint: disable=invalid-name
        self._handle()

    def do_DELETE(self):  # pylint: disable=invalid-name
        self._handle()

    def do_PATCH(self):  # pylint: disable=invalid-name
        self._handle()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            super().log_message(format, *args)

    def _handle(self):
        emulator = self.server.emulator
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self.command, url.path, url.query, self.headers, self.rfile.read(length) if length else b"")
        if url.path.startswith("/_emulator/"):
            self._send(emulator.control(request))
            return
        response, drop = emulator.serve(request)
        if drop:
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response):
        payload = json.dumps(response.body).encode() if response.body is not None else b""
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, emulator, verbose=False):
        super().__init__(address, Handler)
        self.emulator = emulator
        self.verbose = verbose
