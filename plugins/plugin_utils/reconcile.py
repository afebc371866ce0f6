# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare what a task declares with what exists, and build the smallest write that closes the gap.

Conventions shared by every resource plugin:
- ``desired`` holds only the options the task set; an option that was not given is never compared or written.
- For Stripe an empty string means "unset", so ``''`` and ``None`` compare equal.
- ``metadata`` / ``purge_metadata`` follow amazon.aws ``tags`` / ``purge_tags``.
"""

from __future__ import annotations

MASK = '********'


def stringify(value):
    """Metadata values as Stripe stores them: strings, with YAML booleans as ``true`` / ``false``."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return '' if value is None else str(value)


def satisfies(current, desired):
    """True when ``current`` already satisfies ``desired`` (dicts compare on the keys ``desired`` names)."""
    if desired in ('', None):
        return current in ('', None, {}, [])
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return False
        return all(satisfies(current.get(key), value) for key, value in desired.items())
    if isinstance(desired, list):
        if not isinstance(current, list) or len(current) != len(desired):
            return False
        return all(satisfies(cur, want) for cur, want in zip(current, desired))
    if isinstance(desired, float) or isinstance(current, float):
        return current is not None and float(current) == float(desired)
    return current == desired


def changed_fields(current, desired):
    """The entries of ``desired`` that ``current`` does not satisfy."""
    return {key: value for key, value in desired.items() if not satisfies(current.get(key), value)}


def metadata_changes(current, desired, purge):
    """Stripe metadata update payload: new or changed keys, and ``''`` for each key to remove.

    ``desired`` None means the task did not manage metadata: nothing changes, whatever ``purge`` says.
    """
    if desired is None:
        return {}
    current = current or {}
    wanted = {key: stringify(value) for key, value in desired.items()}
    changes = {key: value for key, value in wanted.items() if value and current.get(key) != value}
    removals = [key for key, value in wanted.items() if not value and key in current]
    if purge:
        removals += [key for key in current if key not in wanted]
    changes.update((key, '') for key in removals)
    return changes


def apply_metadata(current, changes):
    """Metadata after Stripe merged ``changes`` into ``current``."""
    merged = dict(current or {})
    for key, value in changes.items():
        if value == '':
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def apply_changes(current, changes):
    """The object after an update with ``changes`` (the check-mode prediction of Stripe's answer)."""
    after = dict(current)
    for key, value in changes.items():
        if key == 'metadata':
            after[key] = apply_metadata(current.get(key), value)
        elif value == '':
            after[key] = None
        elif isinstance(value, dict) and isinstance(current.get(key), dict):
            after[key] = {**current[key], **{k: (None if v == '' else v) for k, v in value.items()}}
        else:
            after[key] = value
    return after


def project(obj, keys):
    """The part of ``obj`` a diff shows: only ``keys``, in that order."""
    return {key: obj.get(key) for key in keys if obj is not None}


def mask_secret_keys(obj, secret_keys):
    """A copy of ``obj`` with the values of ``secret_keys`` (at any depth) replaced by a mask."""
    if isinstance(obj, dict):
        return {
            key: (MASK if key in secret_keys and value not in (None, '') else mask_secret_keys(value, secret_keys))
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [mask_secret_keys(item, secret_keys) for item in obj]
    return obj


def secret_key_values(obj, secret_keys):
    """The non-empty strings held by ``secret_keys`` at any depth of ``obj``."""
    if isinstance(obj, dict):
        found = {value for key, value in obj.items() if key in secret_keys and isinstance(value, str) and value.strip()}
        return found.union(*(secret_key_values(value, secret_keys) for value in obj.values()))
    if isinstance(obj, list):
        return set().union(*(secret_key_values(item, secret_keys) for item in obj))
    return set()


def update_diff(before, after, keys):
    """``diff`` for an update: exactly the changed ``keys``, before and after."""
    return {'before': project(before, keys), 'after': project(after, keys)}
