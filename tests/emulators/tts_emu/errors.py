"""The Things Stack error model: gRPC codes, HTTP statuses and the JSON error body (reference §4)."""

import re
import secrets

# gRPC code -> HTTP status (OSS pkg/errors/http.go).
HTTP_STATUS_FOR_CODE = {
    1: 499,
    2: 500,
    3: 400,
    4: 504,
    5: 404,
    6: 409,
    7: 403,
    8: 429,
    9: 400,
    10: 409,
    11: 400,
    12: 501,
    13: 500,
    14: 503,
    15: 500,
    16: 401,
}
# HTTP status -> gRPC code, for injected faults.
CODE_FOR_HTTP_STATUS = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 500: 13, 501: 12, 503: 14, 504: 4}

INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class TTSError(Exception):
    """An error as The Things Stack defines it: namespace, name, message format and attributes."""

    def __init__(self, code, namespace, name, message_format, **attributes):
        self.code = code
        self.namespace = namespace
        self.name = name
        self.message_format = message_format
        self.attributes = attributes
        super().__init__(self.message)

    @property
    def http_status(self):
        return HTTP_STATUS_FOR_CODE.get(self.code, 500)

    @property
    def rendered(self):
        return _PLACEHOLDER.sub(lambda m: str(self.attributes.get(m.group(1), m.group(0))), self.message_format)

    @property
    def message(self):
        return f"error:{self.namespace}:{self.name} ({self.rendered})"

    def to_json(self):
        details = {
            "@type": "type.googleapis.com/ttn.lorawan.v3.ErrorDetails",
            "namespace": self.namespace,
            "name": self.name,
            "message_format": self.message_format,
            "correlation_id": secrets.token_hex(16),
            "code": self.code,
        }
        if self.attributes:
            details["attributes"] = dict(self.attributes)
        return {"code": self.code, "message": self.message, "details": [details]}


def validation(field, reason):
    """A protoc-gen-validate failure, as pkg/errors renders it."""
    return TTSError(INVALID_ARGUMENT, "pkg/errors", "validation", "invalid `{field}`: {reason}", field=field, reason=reason)


def unmarshal(reason):
    """A request body or query parameter that cannot be decoded into the request message."""
    return TTSError(INVALID_ARGUMENT, "pkg/jsonpb", "unmarshal", "failed to unmarshal request: {reason}", reason=reason)


def field_mask_paths(paths):
    """Current TTS: the RPC validator middleware refuses a field mask with a path the RPC does not allow, before the handler
    runs (lorawan-stack pkg/rpcmiddleware/validator). Releases before it dropped such paths with an X-Warning header."""
    return TTSError(INVALID_ARGUMENT, "pkg/rpcmiddleware/validator", "field_mask_paths", "forbidden path(s) in field mask",
                    forbidden_paths=list(paths))


def forbidden_id(entity_id):
    return TTSError(INVALID_ARGUMENT, "pkg/identityserver/blocklist", "forbidden_id", "the ID `{id}` can not be registered", id=entity_id)


def invalid_email(email):
    return TTSError(INVALID_ARGUMENT, "pkg/validate", "email", "`{email}` is not a valid email.", email=email)


def id_taken():
    return TTSError(ALREADY_EXISTS, "pkg/util/store", "id_taken", "ID already taken, choose a different one and try again")


def tenant_not_found(tenant_id):
    return TTSError(NOT_FOUND, "pkg/identityserver/store", "tenant_not_found", "tenant `{tenant_id}` not found", tenant_id=tenant_id)


def unauthenticated():
    return TTSError(UNAUTHENTICATED, "pkg/identityserver", "unauthenticated", "unauthenticated")


def invalid_tenant_admin_key():
    return TTSError(PERMISSION_DENIED, "pkg/identityserver", "tenant_admin_key", "invalid tenant admin key")


def unsupported_authorization():
    return TTSError(PERMISSION_DENIED, "pkg/identityserver", "unsupported_authorization", "unsupported authorization method")


def injected(status, echo=None):
    """The error body for an injected status fault; ``echo`` (the request) is appended to its message when given."""
    if echo is not None:
        return TTSError(CODE_FOR_HTTP_STATUS.get(status, 2), "pkg/emulator", "injected",
                        "injected fault with HTTP status {status}; request: {request}", status=status, request=echo)
    if status == 429:
        return TTSError(RESOURCE_EXHAUSTED, "pkg/ratelimit", "rate_limit_exceeded",
                        "rate limit of `{rate}` accesses per minute exceeded for resource `{key}`", rate=60, key="emulator")
    if status == 503:
        return TTSError(UNAVAILABLE, "pkg/emulator", "unavailable", "service unavailable (injected fault)")
    return TTSError(CODE_FOR_HTTP_STATUS.get(status, 2), "pkg/emulator", "injected", "injected fault with HTTP status {status}",
                    status=status)


class RoutingError(Exception):
    """grpc-gateway's own errors for unknown paths and methods (no TTS error details)."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message, "details": []}


def route_not_found():
    return RoutingError(404, NOT_FOUND, "Not Found")


def method_not_allowed():
    return RoutingError(405, 12, "Method Not Allowed")
