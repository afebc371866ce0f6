# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding a Stripe product by ID or by exact name, with strongly consistent list calls."""

from __future__ import annotations

import re

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError

PRODUCT_ID_RE = re.compile(r'^[A-Za-z0-9_-]{1,250}$')
UNIT_LABEL_MAX = 12
DESCRIPTOR_FORBIDDEN = '<>\\\'"*'
TAX_CODE_RE = re.compile(r'^txcd_\d{8}$')


def check_product_id(option, value):
    """Stripe's rule for a chosen product ID."""
    if value is not None and not PRODUCT_ID_RE.match(value):
        raise InvalidOption(option, f"{value!r} must be 1 to 250 letters, digits, '_' and '-' (Stripe's rule for product IDs)")


def check_product_options(params):
    """Stripe's rules for what a product says it sells; tenant limits belong on prices."""
    check_product_id('id', params['id'])
    if params['name'] is not None and not params['name'].strip():
        raise InvalidOption('name', 'must not be empty')
    if params['unit_label'] and len(params['unit_label']) > UNIT_LABEL_MAX:
        raise InvalidOption('unit_label',
                            f"must be at most {UNIT_LABEL_MAX} characters long (Stripe's rule), got {len(params['unit_label'])}")
    check_statement_descriptor('statement_descriptor', params['statement_descriptor'])
    if params['tax_code'] and not TAX_CODE_RE.match(params['tax_code']):
        raise InvalidOption('tax_code', f"must be a Stripe product tax code such as txcd_10103001, got {params['tax_code']!r}")
    limits = sorted(key for key in params['metadata'] or {} if key.startswith('max-'))
    if limits:
        raise InvalidOption(
            'metadata', f"key {limits[0]!r} has no effect on a product: The Things Stack's Tenant Billing Server reads "
            "tenant limits from the price's metadata only; set them with tenant_limits of "
            "thingsstack.tenancy.stripe_price")


def check_statement_descriptor(option, value):
    if not value:
        return
    if not 5 <= len(value) <= 22:
        raise InvalidOption(option, f"must be 5 to 22 characters long (Stripe's rule), got {len(value)}")
    forbidden = sorted({char for char in value if char in DESCRIPTOR_FORBIDDEN})
    if forbidden:
        raise InvalidOption(option, f"must not contain any of < > \\ ' \" * (Stripe's rule), got {''.join(forbidden)!r} in {value!r}")
    if not any(char.isalpha() for char in value):
        raise InvalidOption(option, f"must contain at least one letter (Stripe's rule), got {value!r}")


def retrieve_product(api, product_id):
    """The product, or None when it does not exist or was deleted."""
    return api.retrieve(api.v1.products.retrieve, product_id)


def list_products(api, name=None, active=None):
    """Every product (all pages), narrowed to an exact ``name`` and to ``active`` when given."""
    params = {} if active is None else {'active': active}
    return [p for p in api.list_all(api.v1.products.list, params=params) if name is None or p.get('name') == name]


def find_product(api, product_id=None, name=None):
    """The one product the options identify, None when there is none; fails when several have the name."""
    if product_id:
        return retrieve_product(api, product_id)
    candidates = list_products(api, name)
    if len(candidates) > 1:
        ids = ', '.join(p['id'] for p in candidates)
        raise TenancyError(f"name: {len(candidates)} products are named {name!r}: {ids}; use id to pick one",
                           candidates=[p['id'] for p in candidates])
    return candidates[0] if candidates else None


def product_prices(api, product_id, limit=3):
    """Up to ``limit`` IDs of the product's prices, active or archived, and whether there are more.

    Archived prices also keep Stripe from deleting a product. A list without ``active`` returns both kinds, but
    Stripe's reference describes it as listing active prices, so an empty answer is checked with ``active=false``.
    """
    for extra in ({}, {'active': False}):
        page = api.read(api.v1.prices.list, params=dict(extra, product=product_id, limit=limit))
        if page['data']:
            return [p['id'] for p in page['data']], bool(page.get('has_more'))
    return [], False
