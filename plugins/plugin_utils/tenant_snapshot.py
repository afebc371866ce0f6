# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant role's bulk comparison (module ``tenant_snapshot``): one read of what a play's tenants need, and for each
tenant whether the role's modules would change anything.

A tenant is converged only when the role's three module tasks, given the snapshot's objects as their current state, would
each write nothing and fail nothing: their parameters are built as the role's tasks build them (``*_OPTIONS`` name every
option those tasks pass; a test holds them to roles/tenant/tasks/tenant.yml), validated with the modules' own argument
specs and input rules, and compared by the modules' own functions (``customer_update``, ``subscription_update``,
``tenant_changes``). Anything the snapshot cannot decide offline (a price no item carries, several candidates, a warning a
module would give, a refusal) is not converged: the per-tenant path decides it with live reads. So a stale snapshot can
only ever skip a tenant that was converged when it was read.

Secrets: the subscription metadata key ``admin-password`` is dropped as the subscriptions are read; the declarations
carry no password; the result names tenants, IDs and the changed fields, never a value.
"""

from __future__ import annotations

import copy

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_from_billing import filter_tenant_from_billing, filter_tenant_mismatches
from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_steps import filter_tenant_tts_state
from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_customer, stripe_subscription, tts_tenant
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import (brief_tax_ids, check_customer_options,
                                                                                           check_expected, customer_update,
                                                                                           matches_metadata, tax_id_changes)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import (ENDED, check_subscription_options,
                                                                                               deprecated_name_warning, is_live, item_price,
                                                                                               resolve_items, select_tenant,
                                                                                               subscription_update, tenant_of, wanted_items)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import CUSTOMERS, SUBSCRIPTIONS, TENANT_PATHS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import SECRET_METADATA_KEYS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import lookup
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import (check_owner, check_tenant_options, desired_values,
                                                                                      tenant_changes)

# The options each module task of roles/tenant/tasks/tenant.yml (and tasks/tenant_billing.yml) passes, as built below.
CUSTOMER_OPTIONS = ('id', 'expected_id', 'email', 'match_metadata', 'name', 'description', 'phone', 'address', 'tax_ids', 'metadata')
SUBSCRIPTION_OPTIONS = ('customer', 'tenant_id', 'claim_lookup', 'tenant_subscription', 'state', 'cancel_at_period_end', 'tenant_name',
                        'tenant_description', 'admin_user', 'admin_email', 'admin_full_name', 'price', 'price_info', 'quantity',
                        'collection_method', 'days_until_due', 'trial_period_days', 'default_payment_method', 'proration_behavior',
                        'metadata')
PLAN_OPTIONS = ('quantity', 'collection_method', 'days_until_due', 'trial_period_days', 'default_payment_method', 'proration_behavior',
                'metadata')
DIRECT_TENANT_OPTIONS = ('tenant_id', 'create', 'tenant_info', 'adopt', 'name', 'description', 'contact_info', 'tenant_state', 'billing',
                         'attributes', 'purge_attributes', 'configuration', 'initial_user', 'manage_billing_fields') + LIMIT_OPTIONS
BILLING_TENANT_OPTIONS = ('tenant_id', 'create', 'tenant_info', 'adopt', 'manage_billing_fields', 'wait_timeout', 'name', 'tenant_state',
                          'billing', 'attributes', 'purge_attributes', 'configuration')
LISTS = 3  # the lists the snapshot reads, one request a page at least
PER_TENANT_READS = 3  # what the per-tenant path reads of a converged tenant (tenant, customer, its subscriptions)


class Undecided(Exception):
    """The snapshot cannot tell that nothing would change: the tenant takes the per-tenant path."""


# -- the read ---------------------------------------------------------------------------------------


def read_snapshot(stripe, tts, budget, tenant_ids, needed=()):
    """``(snapshot, requests by service, lists)``: every tenant (the inventory plugin's field mask), every live subscription
    (items and prices embedded) and every customer with its tax IDs, by list requests only; snapshot None when the read
    would cost more than ``budget`` requests or more than the per-tenant reads it can save, 3 for each of ``tenant_ids``
    (the tenants it may find converged) that exists. It stops before such a request: the tenants first (one request per
    1,000), then Stripe only if the pages the tenants' billing links alone imply fit.

    ``needed``: the lists the caller needs whatever the comparison decides (``tenants``; ``subscriptions``, then of every
    status), read in full and returned in ``lists``; they cost the comparison nothing, only the other lists are held to
    the budget."""
    spent, lists, free = {'stripe': 0, 'tts': 0}, {}, set(needed)
    if not free and min(budget, PER_TENANT_READS * len(tenant_ids) - 1) < LISTS:
        return None, spent, lists
    before = tts.counts['reads']
    tenants = tts.list_tenants(list(TENANT_PATHS), max_pages=None if free else budget - (LISTS - 1))
    spent['tts'] = tts.counts['reads'] - before
    if tenants is None:
        return None, spent, lists
    lists['tenants'] = tenants
    wanted = set(tenant_ids)
    existing = [tenant for tenant in tenants if lookup(tenant, ['ids', 'tenant_id']) in wanted]
    links = [lookup(tenant, ['billing', 'stripe'], None) or {} for tenant in tenants]
    all_subscriptions = 'subscriptions' in free
    left = min(budget, PER_TENANT_READS * len(existing) - 1) - (0 if 'tenants' in free else spent['tts'])
    at_least = (0 if all_subscriptions else pages(sum(1 for link in links if link.get('subscription_id')))) + \
        pages(len({link.get('customer_id') for link in links} - {None}))
    decide = left >= max(at_least, LISTS - 1 - all_subscriptions)
    if not decide and not all_subscriptions:
        return None, spent, lists
    before, subscriptions, customers = stripe.counts['reads'], None, None
    if all_subscriptions:
        subscriptions = stripe.list_all(SUBSCRIPTIONS, params={'status': 'all'})
    elif decide:
        subscriptions = stripe.list_all(SUBSCRIPTIONS, max_pages=left - 1)
    if decide and subscriptions is not None:
        customers = stripe.list_all(CUSTOMERS, params={'expand': ['data.tax_ids']},
                                    max_pages=left - (0 if all_subscriptions else stripe.counts['reads'] - before))
    spent['stripe'] = stripe.counts['reads'] - before
    for sub in subscriptions or []:
        sub['metadata'] = {key: value for key, value in (sub.get('metadata') or {}).items() if key not in SECRET_METADATA_KEYS}
    if all_subscriptions:
        lists['subscriptions'] = subscriptions
        subscriptions = [sub for sub in subscriptions if sub.get('status') not in ENDED]  # what the list without status= returns
    if subscriptions is None or customers is None:
        return None, spent, lists
    return {'subscriptions': subscriptions, 'customers': customers, 'tenants': tenants}, spent, lists


def pages(count, size=100):
    return max(1, -(-count // size))


def index(snapshot):
    """The snapshot by the keys the comparison looks up."""
    by_email, by_customer = {}, {}
    for customer in snapshot['customers']:
        by_email.setdefault(customer.get('email'), []).append(customer)
    for sub in snapshot['subscriptions']:
        if tenant_of(sub):
            by_customer.setdefault(sub.get('customer'), []).append(sub)
    return {
        'customers': {customer['id']: customer
                      for customer in snapshot['customers']}, 'by_email': by_email, 'subscriptions': by_customer, 'tenants':
        {lookup(tenant, ['ids', 'tenant_id']): tenant
         for tenant in snapshot['tenants']}
    }


# -- the comparison of one tenant ---------------------------------------------------------------------


def module_params(module, args):
    """``args`` (None: not given, as ``default(omit)``) validated by the module's own argument spec, without its connection
    options; a value the module would refuse makes the tenant undecided."""
    spec = {name: option for name, option in module.ARGUMENT_SPEC.items() if 'fallback' not in option}
    result = ArgumentSpecValidator(spec, **module.ARGUMENT_RULES).validate({key: value for key, value in args.items() if value is not None})
    if result.error_messages:
        raise Undecided('input')
    return result.validated_parameters


def decidable(declared):
    """Whether the snapshot may find the tenant converged: a present (or direct-mode suspended) tenant, not adopted."""
    steps = declared['steps']
    return (not declared.get('adopt') and steps.get('subscription') == 'present' and bool(steps.get('customer'))
            and steps.get('tenant') in ('direct', 'billing'))


def compare(declared, found):
    """``{'customer': ID, 'subscription': ID, 'status': ..., 'tenant_state': ...}`` when the role's tasks would change nothing
    for the ``declared`` tenant (``__tenant_bulk`` of the role), given the indexed snapshot ``found``; raises Undecided
    (with what differs, or why the snapshot cannot tell) otherwise."""
    steps = declared['steps']
    if not decidable(declared):
        raise Undecided('not a present tenant')  # adoption, cancellation and deletion always take the per-tenant path
    tenant_id = declared['tenant_id']
    tenant = found['tenants'].get(tenant_id)
    if tenant is None:
        raise Undecided('new tenant')
    owner = lookup(tenant, ['billing', 'stripe', 'customer_id'], None) or ''
    customer = compare_customer(declared, found, owner)
    subscription = compare_subscription(declared, found, customer['id'], steps)
    compare_tenant(declared, tenant, subscription, customer, steps)
    return {
        'customer': customer['id'], 'subscription': subscription['id'], 'status': subscription.get('status'), 'tenant_state':
        tenant.get('state')
    }


def compare_customer(declared, found, owner):
    wanted = declared.get('customer') or {}
    params = module_params(
        stripe_customer,
        dict({option: wanted.get(option)
              for option in CUSTOMER_OPTIONS if option not in ('id', 'expected_id')}, id=declared.get('customer_id') or None,
             expected_id=owner or None))
    try:
        check_customer_options(params)
    except TenancyError:
        raise Undecided('input') from None
    if params['id']:
        current = found['customers'].get(params['id'])
    else:
        candidates = [
            customer for customer in found['by_email'].get(params['email'], []) if matches_metadata(customer, params['match_metadata'])
        ]
        if len(candidates) > 1:
            raise Undecided('several customers match')
        current = candidates[0] if candidates else None
    if current is None:
        raise Undecided('new customer')
    try:
        check_expected(params, current)
    except TenancyError:
        raise Undecided('customer owner') from None
    changed = list(customer_update(current, params))
    if params['tax_ids'] is not None:
        tax_ids = current.get('tax_ids') or {}
        if not isinstance(tax_ids, dict) or tax_ids.get('has_more'):
            raise Undecided('customer tax IDs not all listed')
        removed, added = tax_id_changes(brief_tax_ids(tax_ids.get('data') or []), params)
        if removed or added:
            changed.append('tax_ids')
    if changed:
        raise Undecided('customer: ' + ', '.join(changed))
    return current


def compare_subscription(declared, found, customer_id, steps):
    plan = declared.get('plan') or {}
    admin = declared.get('admin') or {}
    params = module_params(
        stripe_subscription,
        dict({option: plan.get(option)
              for option in PLAN_OPTIONS}, customer=customer_id, tenant_id=declared['tenant_id'], claim_lookup=declared.get('claim_lookup'),
             state=steps['subscription'], cancel_at_period_end=steps.get('cancel_at_period_end'), tenant_name=declared.get('name'),
             tenant_description=declared.get('description'), admin_user=admin.get('user'), admin_email=admin.get('email'),
             admin_full_name=admin.get('full_name'), price=plan.get('price')))
    try:
        check_subscription_options(params)
        current = select_tenant(found['subscriptions'].get(customer_id, []), declared['tenant_id'], customer_id)
    except TenancyError:
        raise Undecided('subscription input or several live subscriptions') from None
    if current is None or not is_live(current):
        raise Undecided('new subscription')
    if deprecated_name_warning(current):
        raise Undecided('subscription warning')
    items = current.get('items') or {}
    if items.get('has_more'):
        raise Undecided('subscription items not all listed')
    items = list(items.get('data') or [])
    wanted = wanted_items(params)
    if wanted and not all(item_price(reference, items) for dummy, reference, dummy in wanted):
        raise Undecided('subscription: items')  # a price no item carries: only a live read can resolve it
    try:
        changes, item_changes = subscription_update(current, params, items, resolve_items(None, wanted, items) if wanted else None)
    except TenancyError:
        raise Undecided('subscription input') from None
    changed = list(changes) + (['items'] if item_changes else [])
    if changed:
        raise Undecided('subscription: ' + ', '.join(changed))
    return current


def compare_tenant(declared, tenant, subscription, customer, steps):
    customer = {key: value for key, value in customer.items() if key != 'tax_ids'}  # the derivation reads no tax ID
    try:
        derived = dict(filter_tenant_from_billing(subscription, customer, price=(declared.get('plan') or {}).get('price')),
                       tenant_state=filter_tenant_tts_state(subscription, steps))
    except Exception:  # pylint: disable=broad-exception-caught  # the filter's refusal: the per-tenant path reports it
        raise Undecided('tenant derivation') from None
    billing = steps['tenant'] == 'billing'
    options = BILLING_TENANT_OPTIONS if billing else DIRECT_TENANT_OPTIONS
    args = {option: derived.get(option) for option in options if option in derived and option != 'initial_user'}
    args.update(tenant_id=declared['tenant_id'], create=not billing and steps.get('create'), adopt=False, manage_billing_fields=not billing,
                attributes=declared.get('attributes'), purge_attributes=declared.get('purge_attributes'),
                configuration=declared.get('configuration'))
    params = module_params(tts_tenant, args)
    try:
        limits = check_tenant_options(params)
        desired = desired_values(params, limits)
        check_owner(params, tenant, desired)
    except TenancyError:
        raise Undecided('tenant input or owner') from None
    desired, changes, left = tenant_changes(copy.deepcopy(tenant), params, desired)
    if changes or left:
        raise Undecided('tenant: ' + ', '.join(list(changes) + left))
    if billing and filter_tenant_mismatches(tenant, derived):
        raise Undecided('tenant: not as the subscription says')


def verdicts(declarations, snapshot):
    """``(converged, per_tenant)``: host -> the IDs of a converged tenant, and host -> why the others take the per-tenant path."""
    found = index(snapshot)
    converged, per_tenant = {}, {}
    for declared in declarations:
        try:
            converged[declared['host']] = compare(declared, found)
        except Undecided as exc:
            per_tenant[declared['host']] = str(exc)
    return converged, per_tenant
