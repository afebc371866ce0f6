"""Injected faults: validating the control API's fault objects and answering a status fault."""

from .errors import ApiError

RATE_LIMIT_MESSAGE = ("Request rate limit exceeded. Learn more about rate limits here "
                      "https://stripe.com/docs/rate-limits.")
LOCK_TIMEOUT_MESSAGE = ("This object cannot be accessed right now because another API request or Stripe process is "
                        "currently accessing it. If you see this error intermittently, retry the request. If you see "
                        "this error frequently and are making multiple concurrent requests to a single object, make "
                        "your requests serially or at a lower rate. See https://stripe.com/docs/rate-limits for more "
                        "information.")


def normalize_fault(raw):
    """Validate one control-API fault; raises ValueError with a readable message."""
    if not isinstance(raw, dict):
        raise ValueError("each fault must be a JSON object")
    kind = raw.get("type")
    allowed = {"type", "count", "method", "path", "path_exact"} | {
        "status": {"status", "code", "retry_after", "should_retry", "echo_request"}, "delay": {"seconds"}, "drop_response": set()
    }.get(kind, set())
    if kind not in ("status", "delay", "drop_response"):
        raise ValueError("fault type must be status, delay or drop_response")
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    count = raw.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("count must be a positive integer")
    if raw.get("path_exact") not in (None, True, False):
        raise ValueError("path_exact must be true or false")
    if raw.get("path_exact") and not raw.get("path"):
        raise ValueError("path_exact needs a path")
    fault = {
        "type": kind, "count": count, "method": (raw.get("method") or "").upper() or None, "path": raw.get("path"), "path_exact":
        bool(raw.get("path_exact"))
    }
    if kind == "status":
        status = raw.get("status")
        if not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if raw.get("code") not in (None, "rate_limit", "lock_timeout"):
            raise ValueError("code must be rate_limit, lock_timeout or null")
        if raw.get("should_retry") not in (None, True, False):
            raise ValueError("should_retry must be true, false or null")
        retry_after = raw.get("retry_after")
        if retry_after is not None and (not isinstance(retry_after, (int, float)) or retry_after < 0):
            raise ValueError("retry_after must be a non-negative number")
        if raw.get("echo_request") not in (None, True, False):
            raise ValueError("echo_request must be true or false")
        fault.update(status=status, code=raw.get("code"), retry_after=retry_after, should_retry=raw.get("should_retry"),
                     echo_request=bool(raw.get("echo_request")))
    elif kind == "delay":
        seconds = raw.get("seconds")
        if not isinstance(seconds, (int, float)) or not 0 <= seconds <= 60:
            raise ValueError("seconds must be a number between 0 and 60")
        fault["seconds"] = seconds
    return fault


def fault_response(fault, call):
    """Body and extra headers for a ``status`` fault."""
    status, code = fault["status"], fault["code"]
    if code == "rate_limit":
        error = ApiError(status, RATE_LIMIT_MESSAGE, code="rate_limit")
    elif code == "lock_timeout":
        error = ApiError(status, LOCK_TIMEOUT_MESSAGE, code="lock_timeout")
    elif status >= 500:
        error = ApiError(status, "An unknown error occurred (fault injected by the Stripe emulator).", kind="api_error")
    else:
        error = ApiError(status, "Error injected by the Stripe emulator.")
    if fault["echo_request"]:
        error.message += f" Request: {call.method} {call.path}?{call.query} Authorization: {call.authorization} Body: {call.text}"
    headers = []
    if fault["retry_after"] is not None:
        headers.append(("Retry-After", str(fault["retry_after"])))
    if fault["should_retry"] is not None:
        headers.append(("Stripe-Should-Retry", "true" if fault["should_retry"] else "false"))
    return error.body(), headers
