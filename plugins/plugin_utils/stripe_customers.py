# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding a customer the way every module of this collection does: by ID, or by exact email and metadata."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import stringify


def retrieve_customer(api, customer_id):
    """The customer, or None when it does not exist or was deleted."""
    return api.retrieve(api.v1.customers.retrieve, customer_id)


def matches_metadata(customer, match_metadata):
    metadata = customer.get('metadata') or {}
    return all(metadata.get(key) == stringify(value) for key, value in (match_metadata or {}).items())


def list_customers(api, email=None, match_metadata=None):
    """Customers with exactly this email (all when None) carrying match_metadata; strongly consistent."""
    params = {'email': email} if email else {}
    return [c for c in api.list_all(api.v1.customers.list, params=params) if matches_metadata(c, match_metadata)]


def find_customer(api, customer_id=None, email=None, match_metadata=None):
    """The one customer the options identify, None when there is none; fails when several match."""
    if customer_id:
        return retrieve_customer(api, customer_id)
    candidates = list_customers(api, email, match_metadata)
    if len(candidates) > 1:
        ids = ', '.join(c['id'] for c in candidates)
        hint = 'add match_metadata to tell them apart' if not match_metadata else 'make match_metadata more specific'
        raise TenancyError(f"email: {len(candidates)} customers match {email!r}: {ids}; use id or {hint}",
                           candidates=[c['id'] for c in candidates])
    return candidates[0] if candidates else None
