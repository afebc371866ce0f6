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
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import changed_fields, metadata_changes, stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import (CUSTOMER_NAME_MAX, CUSTOMER_PHONE_MAX, check_country,
                                                                                     check_email, check_length, check_metadata)

FIELDS = ('email', 'name', 'description', 'phone', 'address', 'shipping', 'preferred_locales', 'invoice_settings', 'tax_exempt')


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
            raise InvalidOption(
                f'tax_ids[{index}].type',
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
                    return {
                        const.value
                        for const in ast.walk(item.annotation) if isinstance(const, ast.Constant) and isinstance(const.value, str)
                    } or None
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


# -- what stripe_customer changes (also the role's bulk comparison, tenant_snapshot) -----------------


def desired_fields(params):
    """The customer fields the task sets, in Stripe's update format ('' unsets)."""
    desired = {field: params[field] for field in FIELDS if params[field] is not None}
    if 'address' in desired:
        desired['address'] = full_address(desired['address'])
    if 'shipping' in desired:
        shipping = desired['shipping']
        desired['shipping'] = {'name': shipping['name'], 'phone': shipping['phone'] or '', 'address': full_address(shipping['address'])}
    if 'invoice_settings' in desired:
        settings = {k: v for k, v in desired['invoice_settings'].items() if v is not None}
        if settings.get('custom_fields') == []:
            settings['custom_fields'] = ''
        desired['invoice_settings'] = settings
    if desired.get('preferred_locales') == []:
        desired['preferred_locales'] = ''
    return desired


def full_address(address):
    """A declared address replaces the current one, so every line left out is unset."""
    return {key: address.get(key) or '' for key in ('line1', 'line2', 'city', 'state', 'postal_code', 'country')}


def check_expected(params, current):
    expected = params['expected_id']
    if not expected or (current or {}).get('id') == expected:
        return
    how = f"with the id {params['id']}" if params['id'] else f"with the email {params['email']!r}"
    found = f"is {current['id']}" if current else 'does not exist (it would be created)'
    raise TenancyError(f"expected_id: the customer {how} {found}, not {expected} as expected_id requires; nothing was written",
                       found=(current or {}).get('id'))


def customer_update(current, params, desired=None):
    """The update payload of stripe_customer for ``current``: the declared fields it does not satisfy, and the metadata."""
    changes = changed_fields(current, desired_fields(params) if desired is None else desired)
    metadata = metadata_changes(current.get('metadata'), params['metadata'], params['purge_metadata'])
    if metadata:
        changes['metadata'] = metadata
    return changes


def tax_id_changes(current, params):
    """``(tax IDs to delete, (type, value) pairs to add)`` that turn ``current`` (``[{id, type, value}]``) into the
    declared ``tax_ids``; only with ``purge_tax_ids`` are undeclared ones deleted."""
    wanted = [(t['type'], t['value']) for t in params['tax_ids']]
    present = [(t['type'], t['value']) for t in current]
    removed = [t for t in current if (t['type'], t['value']) not in wanted and params['purge_tax_ids']]
    return removed, [pair for pair in wanted if pair not in present]


def brief_tax_ids(tax_ids):
    return [{'id': t['id'], 'type': t['type'], 'value': t['value']} for t in tax_ids]


def same_tax_ids(before, after):
    return sorted((t['type'], t['value']) for t in before) == sorted((t['type'], t['value']) for t in after)
