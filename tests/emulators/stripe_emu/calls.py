"""An API request as it arrives (``Call``), as the handlers see it (``Request``), and the ``Response``."""

import json

from .common import DEFAULT_API_VERSION, random_chars

LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")


def bearer(header):
    """The API key from an ``Authorization: Bearer`` header, or None."""
    if not header or not header.startswith("Bearer "):
        return None
    return header[len("Bearer "):].strip() or None


def auth_error(api_key):
    """Stripe's 401 body for a missing or unusable API key."""
    if api_key is None:
        message = ("You did not provide an API key. You need to provide your API key in the Authorization header, "
                   "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication "
                   "for details, or we can help at https://support.stripe.com/.")
    else:
        shown = api_key[:8] + "*" * max(len(api_key) - 12, 0) + api_key[-4:] if len(api_key) > 12 else api_key
        message = f"Invalid API Key provided: {shown}"
    return {"error": {"message": message, "type": "invalid_request_error"}}


class Call:  # pylint: disable=too-few-public-methods,too-many-instance-attributes
    """An incoming API request, before authentication and validation."""

    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.text = body.decode("utf-8", errors="replace")
        self.request_id = "req_" + random_chars(14)
        self.idempotency_key = headers.get("Idempotency-Key")
        self.api_version = headers.get("Stripe-Version") or DEFAULT_API_VERSION
        self.authorization = headers.get("Authorization")
        self.api_key = bearer(self.authorization)


class Request:  # pylint: disable=too-few-public-methods
    """An authenticated, validated API request as the handlers see it."""

    def __init__(self, params, args, call):
        self.params = params
        self.args = args
        self.request_id = call.request_id
        self.idempotency_key = call.idempotency_key
        self.livemode = call.api_key.startswith(LIVE_KEY_PREFIXES)
        self.api_version = call.api_version


class Response:  # pylint: disable=too-few-public-methods
    """What the HTTP layer writes back (or, with ``drop``, does not)."""

    def __init__(self, status, payload, headers=(), drop=False):
        self.status = status
        self.body = json.dumps(payload, indent=2).encode() + b"\n"
        self.headers = list(headers)
        self.drop = drop
