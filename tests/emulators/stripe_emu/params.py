"""Request parameters: decoding Stripe's bracket notation and checking it against the SDK's generated TypedDicts."""

import operator
import re
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

import stripe
import stripe.params

from .errors import ParamError, invalid_empty, required

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT_RE = re.compile(r"\[([^\[\]]*)\]")
_INT_RE = re.compile(r"^-?\d+$")


def decode_params(pairs):
    """Form/query pairs in Stripe's bracket notation to nested dicts (list indices stay string keys)."""
    root = {}
    for raw_key, value in pairs:
        match = _KEY_RE.match(raw_key)
        if match:
            path = [match.group(1)] + _SEGMENT_RE.findall(match.group(2))
        elif "[" in raw_key[1:] and raw_key.endswith("]"):
            # a key that itself contains brackets, e.g. metadata[a[b]]
            cut = raw_key.index("[")
            path = [raw_key[:cut], raw_key[cut + 1:-1]]
        else:
            path = [raw_key]
        node = root
        for depth, segment in enumerate(path):
            if segment == "" and depth:
                segment = str(len(node))
            if depth == len(path) - 1:
                if isinstance(node.get(segment), dict):
                    raise ParamError(f"Invalid value for {raw_key}: it is also given as an object or array.", param=raw_key)
                node[segment] = value
                break
            child = node.setdefault(segment, {})
            if not isinstance(child, dict):
                raise ParamError(f"Invalid value for {raw_key}: {path[0]} is also given as a string.", param=path[0])
            node = child
    return root


class Spec:  # pylint: disable=too-few-public-methods
    """What one parameter accepts, compiled from its annotation in ``stripe.params``."""

    def __init__(self):
        self.literals = set()
        self.scalars = set()
        self.empty_ok = False
        self.typed = None
        self.item = None
        self.is_map = False
        self.any = False


_WRAPPERS = (typing.NotRequired, typing.Required, typing.Annotated)
_FIELDS_CACHE = {}
_EXPAND_SPEC = Spec()
_EXPAND_SPEC.item = Spec()
_EXPAND_SPEC.item.scalars.add(str)


def _is_typeddict(obj):
    return isinstance(obj, type) and issubclass(obj, dict) and hasattr(obj, "__required_keys__")


def _is_map_type(obj):
    if obj in (dict, Mapping):
        return True
    return isinstance(obj, type) and any(base.__name__ == "StripeObject" for base in obj.__mro__)


def _resolve(annotation, namespace):
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if not isinstance(annotation, str):
        return annotation

    def holder():
        """Carries the annotation for typing.get_type_hints."""

    holder.__annotations__ = {"value": annotation}
    try:
        return typing.get_type_hints(holder, globalns=namespace, include_extras=True)["value"]
    except (NameError, TypeError, SyntaxError):
        return typing.Any


def _compile(annotation, namespace, spec):
    annotation = _resolve(annotation, namespace)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in _WRAPPERS:
        _compile(args[0], namespace, spec)
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            _compile(arg, namespace, spec)
    elif origin is typing.Literal:
        for value in args:
            if value == "":
                spec.empty_ok = True
            else:
                spec.literals.add(str(value))
    elif origin in (list, tuple, Sequence):
        spec.item = spec.item or Spec()
        _compile(args[0] if args else typing.Any, namespace, spec.item)
    elif _is_typeddict(annotation):
        spec.typed = annotation
    elif _is_map_type(origin) or _is_map_type(annotation):
        spec.is_map = True
    elif annotation in (str, int, float, bool, Decimal):
        spec.scalars.add(annotation)
    elif annotation is not types.NoneType:
        spec.any = True
    return spec


def _typeddict_annotations(typed):
    """Each key of a params TypedDict with (annotation, namespace of the defining module); SDK request
    options (api_key, idempotency_key, ...) that some params classes inherit are not parameters."""
    inherited, skipped = {}, set()
    for base in getattr(typed, "__orig_bases__", ()):
        if not _is_typeddict(base):
            continue
        if base.__name__ == "RequestOptions":
            skipped.update(base.__annotations__)
        else:
            inherited.update(_typeddict_annotations(base))
    namespace = vars(sys.modules[typed.__module__])
    return {key: inherited.get(key, (annotation, namespace)) for key, annotation in typed.__annotations__.items() if key not in skipped}


def _fields(typed):
    fields = _FIELDS_CACHE.get(typed)
    if fields is None:
        fields = {
            key: (_compile(annotation, namespace, Spec()), key in typed.__required_keys__)
            for key, (annotation, namespace) in _typeddict_annotations(typed).items()
        }
        _FIELDS_CACHE[typed] = fields
    return fields


def _check_scalar(value, spec, name, is_required):  # pylint: disable=too-many-return-statements,too-many-branches
    if value == "":
        if spec.empty_ok or (not is_required and not spec.literals and (str in spec.scalars or spec.item)):
            return ""
        raise invalid_empty(name)
    if value in spec.literals:
        return value
    if int in spec.scalars and _INT_RE.match(value):
        return int(value)
    if bool in spec.scalars and value in ("true", "false"):
        return value == "true"
    if Decimal in spec.scalars or float in spec.scalars:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return value if Decimal in spec.scalars else float(number)
    if str in spec.scalars and not spec.literals:
        return value
    if spec.literals:
        choices = sorted(spec.literals)
        listed = ", ".join(choices[:-1]) + (", or " if len(choices) > 2 else " or ") + choices[-1] if len(choices) > 1 else choices[0]
        raise ParamError(f"Invalid {name}: must be one of {listed}", param=name)
    if int in spec.scalars:
        raise ParamError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
    if bool in spec.scalars:
        raise ParamError(f"Invalid boolean: {value}", param=name)
    if Decimal in spec.scalars or float in spec.scalars:
        raise ParamError(f"Invalid decimal: {value}", param=name)
    raise ParamError(f"Invalid {'array' if spec.item else 'object'}", param=name)


def _check(value, spec, name, is_required):
    if spec.any:
        return value
    if isinstance(value, str):
        return _check_scalar(value, spec, name, is_required)
    if spec.item is not None and all(key.isdigit() for key in value):
        return [_check(value[key], spec.item, f"{name}[{key}]", False) for key in sorted(value, key=int)]
    if spec.typed is not None:
        return _check_fields(value, _fields(spec.typed), name)
    if spec.is_map:
        return value
    if spec.item is not None:
        raise ParamError("Invalid array", param=name)
    kind = "integer" if int in spec.scalars else "boolean" if bool in spec.scalars else "string"
    raise ParamError(f"Invalid {kind}: an object was given", param=name)


def _check_fields(given, fields, prefix):
    checked = {}
    for key, value in given.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in fields:
            raise ParamError(f"Received unknown parameter: {name}", code="parameter_unknown", param=name)
        spec, is_required = fields[key]
        checked[key] = _check(value, spec, name, is_required)
    for key, (_spec, is_required) in fields.items():
        if is_required and key not in given:
            raise required(f"{prefix}[{key}]" if prefix else key)
    return checked


def check_params(class_name, params):
    """Validate decoded parameters against ``stripe.params.<class_name>`` (``billing.X`` for a sub-package); returns
    typed values."""
    typed = stripe.params
    for part in (class_name or "").split("."):
        typed = getattr(typed, part, None) if part else None
    fields = dict(_fields(typed)) if typed is not None else {}
    fields.setdefault("expand", (_EXPAND_SPEC, False))
    return _check_fields(params, fields, "")


def apply_metadata(current, given, param="metadata"):
    """Stripe's metadata update: merge; a key set to "" is removed; ``metadata=""`` clears all."""
    if given is None:
        return dict(current)
    if given == "":
        return {}
    if not isinstance(given, dict):
        raise ParamError("Invalid object", param=param)
    merged = dict(current)
    for key, value in given.items():
        if not isinstance(value, str):
            raise ParamError(f"Invalid value for {param}[{key}]: metadata values must be strings.", param=f"{param}[{key}]")
        if len(key) > 40:
            raise ParamError(f"Metadata keys can have up to 40 characters, but you passed in a key with {len(key)} "
                             f"characters: '{key}'", param=param)
        if "[" in key or "]" in key or not key:
            raise ParamError(f"Invalid metadata key '{key}': metadata keys must be non-empty and can't contain '[' or ']'.", param=param)
        if len(value) > 500:
            raise ParamError(
                f"Metadata values can have up to 500 characters, but you passed in a value with {len(value)} "
                f"characters for the key '{key}'.", param=f"{param}[{key}]")
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise ParamError(f"Invalid {param}: metadata can have at most 50 keys, but this request would set "
                         f"{len(merged)} keys.", param=param)
    return merged


def not_empty(params, *names):
    """Reject ``""`` for parameters that can be given but not unset."""
    for name in names:
        if params.get(name) == "":
            raise invalid_empty(name)


def created_filter(objects, created):
    """Apply a list endpoint's ``created`` filter (exact or gt/gte/lt/lte)."""
    if created is None:
        return objects
    if isinstance(created, int):
        return [obj for obj in objects if obj["created"] == created]
    ops = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
    return [obj for obj in objects if all(ops[op](obj["created"], bound) for op, bound in created.items())]
