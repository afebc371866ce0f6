# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules checked before the first request, each failing with the option's name and the rule."""

from __future__ import annotations

import difflib
import re

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption

METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500
# Stripe's API reference (OpenAPI spec, POST /v1/customers): phone maxLength 20, name maxLength 256.
CUSTOMER_PHONE_MAX = 20
CUSTOMER_NAME_MAX = 256
# Stripe's API reference, POST /v1/subscriptions trial_period_days: a trial of 1 to 730 days (two years).
TRIAL_PERIOD_DAYS_MIN = 1
TRIAL_PERIOD_DAYS_MAX = 730

# A practical address check, not RFC 5322: one @, no spaces, a dot in the domain.
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$')

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())


def check_email(option, value):
    if value and not EMAIL_RE.match(value):
        raise InvalidOption(option, f"{value!r} is not a valid email address")


def check_country(option, value):
    if value and value not in ISO_COUNTRIES:
        raise InvalidOption(option, f"must be an ISO 3166-1 alpha-2 country code in upper case such as DE or US, got {value!r}")


def check_length(option, value, maximum, minimum=0):
    if value is not None and not minimum <= len(value) <= maximum:
        rule = f"at most {maximum}" if not minimum else f"{minimum} to {maximum}"
        raise InvalidOption(option, f"must be {rule} characters long, got {len(value)}")


def check_range(option, value, minimum, maximum):
    if value is not None and not minimum <= value <= maximum:
        raise InvalidOption(option, f"must be {minimum} to {maximum}, got {value}")


def check_metadata(option, metadata):
    """Stripe's metadata limits: 50 keys, keys up to 40 characters without brackets, values up to 500."""
    if metadata is None:
        return
    if len(metadata) > METADATA_MAX_KEYS:
        raise InvalidOption(option, f"at most {METADATA_MAX_KEYS} keys are allowed, got {len(metadata)}")
    for key, value in metadata.items():
        if not key or len(key) > METADATA_KEY_MAX or '[' in key or ']' in key:
            raise InvalidOption(option, f"key {key!r} must be 1 to {METADATA_KEY_MAX} characters long without '[' or ']'")
        if isinstance(value, (dict, list)):
            raise InvalidOption(option, f"value of {key!r} must be a string or number, not a {type(value).__name__}")
        if value is not None and len(str(value)) > METADATA_VALUE_MAX:
            raise InvalidOption(option, f"value of {key!r} must be at most {METADATA_VALUE_MAX} characters long")


def did_you_mean(name, valid):
    """``; did you mean NAME?`` with the nearest of ``valid`` (difflib), or the valid names when none is near."""
    near = difflib.get_close_matches(str(name), sorted(valid), n=1)
    return f"; did you mean {near[0]}?" if near else f" (known: {', '.join(sorted(valid))})"


def unknown_names(given, valid, what='key'):
    """``unknown KEY NAME; did you mean ...?`` for each name of ``given`` that is not in ``valid``, in order."""
    return [f"unknown {what} {name}{did_you_mean(name, valid)}" for name in given if name not in valid]


def unknown_spec_keys(values, spec, where=''):
    """``(where, message)`` for every key of ``values`` and of its sub-options (dicts, lists of dicts) that the argument
    spec ``spec`` does not know; ``where`` is the path of ``values`` (``tenant_customer.address``)."""
    found = [(where, message) for message in unknown_names(values, spec)]
    for key, value in values.items():
        sub = (spec.get(key) or {}).get('options')
        if not sub or value is None:
            continue
        items = [(f'{where}.{key}' if where else key, value)] if isinstance(value, dict) else []
        if isinstance(value, list):
            items = [(f'{where}.{key}[{index}]' if where else f'{key}[{index}]', item) for index, item in enumerate(value)
                     if isinstance(item, dict)]
        for path, item in items:
            found += unknown_spec_keys(item, sub, path)
    return found
