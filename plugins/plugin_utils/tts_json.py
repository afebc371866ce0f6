# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenants as JSON, by field mask path: ``billing.provider.stripe`` in a mask is ``billing.stripe`` in JSON.

Plain Python, no client: the role's filters use it in forked workers, where importing ``requests`` would cost more than
the task.
"""

from __future__ import annotations


def json_keys(path):
    """The JSON keys of a field mask path: the oneof name ``provider`` of ``billing`` does not appear in JSON."""
    parts = path.split('.')
    if parts[:2] == ['billing', 'provider']:
        return ['billing'] + parts[2:]
    return parts


def lookup(obj, keys, default=None):
    for key in keys:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


def assign(obj, keys, value):
    for key in keys[:-1]:
        if not isinstance(obj.get(key), dict):
            obj[key] = {}
        obj = obj[key]
    obj[keys[-1]] = value


def remove(obj, keys):
    """Remove the value at ``keys`` and the dicts it leaves empty (TTS omits empty messages)."""
    parent = lookup(obj, keys[:-1]) if len(keys) > 1 else obj
    if isinstance(parent, dict):
        parent.pop(keys[-1], None)
        if len(keys) > 1 and not parent:
            remove(obj, keys[:-1])
