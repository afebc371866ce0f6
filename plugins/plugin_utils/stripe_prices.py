# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding a price by ID or by lookup key, the way every module of this collection refers to one."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, TenancyError


def looks_like_price_id(reference):
    return reference.startswith(('price_', 'plan_'))


def find_price(api, reference):
    """The price a reference names (``price_...`` ID, else lookup key), or None when there is none."""
    if looks_like_price_id(reference):
        try:
            return api.read(api.v1.prices.retrieve, reference)
        except ApiError as exc:
            if exc.details.get('status') == 404:
                return None
            raise
    prices = api.read(api.v1.prices.list, params={'lookup_keys': [reference], 'limit': 1})['data']
    return prices[0] if prices else None


def require_price(api, reference, option='price'):
    price = find_price(api, reference)
    if price is None:
        raise TenancyError(f"{option}: no Stripe price has the ID or lookup key {reference!r}")
    return price
