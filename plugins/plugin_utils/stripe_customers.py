# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding a customer the way every module of this collection does: by ID, or by exact email and metadata."""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import typing

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import (
    CUSTOMER_NAME_MAX, CUSTOMER_PHONE_MAX, check_country, check_email, check_length, check_metadata)


def check_customer_options(params):
    """Every rule of stripe_customer's options, checked before any request."""
    check_email('email', params['email'])
    check_length('name', params['name'], CUSTOMER_NAME_MAX)
    check_length('phone', params['phone'], CUSTOMER_PHONE_MAX)
    if params['id'] and not params['id'].startswith('cus_'):
        raise InvalidOption('id', f"must be a customer ID (cus_...), got {params['id']!r}")
    if params['expected_id'] and not params['expected_id'].startswith('cus_'):
        raise InvalidOption('expected_id', f"must be a customer ID (cus_...), got {params['expected_id']!r}")
    check_metadata('metadata', params['metadata'])
    check_metadata('match_metadata', params['match_metadata'])
    check_country('address.country', (params['address'] or {}).get('country'))
    check_country('shipping.address.country', ((params['shipping'] or {}).get('address') or {}).get('country'))
    custom_fields = (params['invoice_settings'] or {}).get('custom_fields') or []
    if len(custom_fields) > 4:
        raise InvalidOption('invoice_settings.custom_fields', f"at most 4 fields are allowed, got {len(custom_fields)}")
    for field in custom_fields:
        check_length('invoice_settings.custom_fields.name', field['name'], 40, 1)
        check_length('invoice_settings.custom_fields.value', field['value'], 140, 1)
    known = tax_id_types()
    for index, tax_id in enumerate(params['tax_ids'] or []):
        if known and tax_id['type'] not in known:
            raise InvalidOption(f'tax_ids[{index}].type',
                                f"{tax_id['type']!r} is not a Stripe tax ID type (such as eu_vat, us_ein or gb_vat; the stripe SDK "
                                "lists them all)")
    pairs = [(tax_id['type'], tax_id['value']) for tax_id in params['tax_ids'] or []]
    if len(set(pairs)) != len(pairs):
        raise InvalidOption('tax_ids', 'each type and value pair may be listed only once')


@functools.lru_cache(maxsize=1)
def tax_id_types():
    """The tax ID types the installed stripe SDK's generated parameter types allow; empty without the SDK.

    Read from the SDK's source, not imported: the role's filters check tax IDs in forked workers that have not imported
    the SDK yet, and importing it (0.2 s, with aiohttp) there would cost more than the task itself.
    """
    found = sdk_source_literals(os.path.join('params', '_customer_tax_id_create_params.py'), 'CustomerTaxIdCreateParams', 'type')
    if found:
        return frozenset(found)
    try:  # another layout of the SDK: ask its types
        from stripe.params import CustomerTaxIdCreateParams  # pylint: disable=import-outside-toplevel
    except ImportError:  # reported by the action plugin with install advice
        return frozenset()
    return frozenset(literal_values(typing.get_type_hints(CustomerTaxIdCreateParams)['type']))


def sdk_source_literals(relative_path, class_name, field):
    """The strings of the ``Literal[...]`` annotation of ``class_name.field`` in a file of the stripe package, or None."""
    spec = importlib.util.find_spec('stripe')  # finds, does not import
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        with open(os.path.join(spec.submodule_search_locations[0], relative_path), encoding='utf-8') as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.target.id == field:
                    return {const.value for const in ast.walk(item.annotation)
                            if isinstance(const, ast.Constant) and isinstance(const.value, str)} or None
    return None


def literal_values(annotation):
    """The values of every ``Literal`` in an annotation (through ``Union``, ``NotRequired`` and the like)."""
    if typing.get_origin(annotation) is typing.Literal:
        return set(typing.get_args(annotation))
    return set().union(*(literal_values(arg) for arg in typing.get_args(annotation)))


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
