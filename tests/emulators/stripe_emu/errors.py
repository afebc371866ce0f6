"""Stripe's error responses."""


class ApiError(Exception):
    """A Stripe error response. Saved for idempotent replay (the endpoint started executing)."""

    stored = True

    def __init__(self, status, message, kind="invalid_request_error", code=None, param=None, **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code
        self.param = param
        self.extra = extra

    def body(self):
        """The JSON body Stripe sends for this error."""
        error = {"message": self.message, "type": self.kind}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class ParamError(ApiError):
    """A request that failed validation before any endpoint ran: Stripe saves no idempotent result."""

    stored = False

    def __init__(self, message, code=None, param=None, status=400):
        super().__init__(status, message, code=code, param=param)


def missing(kind, object_id, param="id", status=404):
    """Stripe's ``resource_missing`` error."""
    return ApiError(status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def invalid_empty(param):
    """Stripe's error for an empty string where a value cannot be unset."""
    return ParamError(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
        f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request "
        "or supply a non-empty value.", code="parameter_invalid_empty", param=param)


def exclusive(*params):
    """Stripe's error for parameters that exclude each other."""
    return ParamError(f"You may only specify one of these parameters: {', '.join(params)}.", code="parameters_exclusive", param=params[-1])


def required(param):
    """Stripe's error for a missing required parameter."""
    return ParamError(f"Missing required param: {param}.", code="parameter_missing", param=param)
