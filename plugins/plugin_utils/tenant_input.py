# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tenant role's input, checked whole before its first request: each module's own rules, and the play's tenants together.

``input_errors`` builds the options the role gives stripe_customer, stripe_subscription and tts_tenant from the role's
variables, fills them in with each module's argument spec and applies each module's own checks; errors name the role
variable, not the module option. ``declaration`` and ``conflicts`` find tenants of one play that contradict each other.
"""

from __future__ import annotations

import functools
import os

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.common.validation import check_type_int

from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_customer, stripe_subscription, tts_tenant
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import check_customer_options
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_prices import TBS_CONFIG_KEYS, TBS_PLAN_KEY, is_metered, price_tbs_plan
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import check_amount, check_metered_quantity, check_subscription_options
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import tenant_from_billing
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_tenants import check_tenant_options
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import unknown_names, unknown_spec_keys

ROLE_SPEC = os.path.join(os.path.dirname(__file__), '..', '..', 'roles', 'tenant', 'meta', 'argument_specs.yml')
# Host variables named tenant_* that are no role variables: the live facts of the inventory plugin thingsstack.tenancy.tenants.
OTHER_TENANT_VARIABLES = frozenset(('tenant_live', 'tenant_report'))  # tenant_report: the role's own result

CONNECTION_OPTIONS = frozenset(stripe_argument_spec()) | frozenset(tts_argument_spec())
# The keys of the role's tenant_customer variable that become stripe_customer options.
TENANT_CUSTOMER_FIELDS = ('name', 'description', 'phone', 'address', 'tax_ids', 'metadata', 'match_metadata')
# The customer fields whose different values in two declarations make the customer flip on every run.
# tax_ids are only ever added by the role, so two lists add up instead of fighting.
COMPARED_CUSTOMER_FIELDS = ('name', 'description', 'phone', 'address')
PLAN_OPTIONS = ('price', 'quantity', 'collection_method', 'days_until_due', 'trial_period_days', 'default_payment_method',
                'proration_behavior', 'metadata')
ADMIN_OPTIONS = {'admin_user': 'user', 'admin_email': 'email', 'admin_full_name': 'full_name'}

# Module option (or its first part) -> the role variable it comes from; others get the module's default prefix.
CUSTOMER_NAMES = {'id': 'tenant_customer_id'}
SUBSCRIPTION_NAMES = {
    'tenant_id': 'tenant_id', 'tenant_name': 'tenant_name', 'tenant_description': 'tenant_description', 'customer': 'tenant_customer.email',
    **{option: f'tenant_admin.{key}'
       for option, key in ADMIN_OPTIONS.items()}
}
TENANT_NAMES = {
    'tenant_id': 'tenant_id', 'attributes': 'tenant_attributes', 'configuration': 'tenant_configuration', 'wait_timeout':
    'tenant_wait_timeout', 'initial_user.user_id': 'tenant_admin.user', 'initial_user.email': 'tenant_admin.email',
    'initial_user.full_name': 'tenant_admin.full_name', 'initial_user.password': 'tenant_admin.password', 'contact_info[0].value':
    'tenant_customer.email', 'contact_info[1].value': 'tenant_admin.email'
}
# Why a Stripe-side variable fails a rule of The Things Stack: it becomes a field of the tenant.
DERIVED = {
    'tenant_customer.name': "it is the tenant's name unless tenant_name is set", 'tenant_customer.description':
    "it is the tenant's description unless tenant_description is set", 'tenant_customer.email': "it is the tenant's billing contact email"
}


def given(options):
    return {key: value for key, value in options.items() if value is not None}


def module_params(module, options):
    """The options filled in with the module's argument spec (its defaults, types and choices), as the module gets them."""
    spec = {key: value for key, value in module.ARGUMENT_SPEC.items() if key not in CONNECTION_OPTIONS}
    result = ArgumentSpecValidator(spec).validate(given(options))
    if result.error_messages:
        raise InvalidOption(module.__name__.rsplit('.', 1)[-1], '; '.join(result.error_messages))
    return result.validated_parameters


def role_variable(option, names, prefix):
    """The role variable a module option comes from: ``address.country`` of stripe_customer is ``tenant_customer.address.country``."""
    if option in names:
        return names[option]
    root = option.split('.')[0].split('[')[0]
    return names[root] + option[len(root):] if root in names else prefix + option


def checked(check, names, prefix):
    """Run ``check``; its InvalidOption as one message naming the role variable, or None."""
    try:
        check()
    except InvalidOption as exc:
        option = exc.details.get('option') or ''
        rule = exc.msg[len(option) + 2:] if exc.msg.startswith(f'{option}: ') else exc.msg
        return f"{role_variable(option, names, prefix)}: {rule}"
    return None


def customer_options(tenant):
    customer = tenant.get('tenant_customer') or {}
    return dict({field: customer.get(field)
                 for field in TENANT_CUSTOMER_FIELDS}, id=tenant.get('tenant_customer_id') or None, email=customer.get('email') or None)


def subscription_options(tenant, subscribed):
    plan, admin = tenant.get('tenant_plan') or {}, tenant.get('tenant_admin') or {}
    customer = tenant.get('tenant_customer_id') or (tenant.get('tenant_customer') or {}).get('email')
    return dict({option: plan.get(option)
                 for option in PLAN_OPTIONS}, **{option: admin.get(key)
                                                 for option, key in ADMIN_OPTIONS.items()}, customer=customer or None,
                tenant_id=tenant.get('tenant_id'), state='present' if subscribed else 'absent', tenant_name=tenant.get('tenant_name'),
                tenant_description=tenant.get('tenant_description'))


def derived_fields(tenant):
    """The name, description and contacts the Tenant Billing Server (or direct mode) derives for the tenant, and the role
    variable each comes from: tenant_from_billing with the metadata the role writes and the declared customer."""
    customer, admin = tenant.get('tenant_customer') or {}, tenant.get('tenant_admin') or {}
    metadata = given({
        'tenant-id': tenant.get('tenant_id'), 'tenant-name': tenant.get('tenant_name'), 'tenant-description':
        tenant.get('tenant_description'), 'admin-email': admin.get('email')
    })
    fields = tenant_from_billing({'id': '', 'metadata': metadata}, {'id': '', 'price': {'id': ''}}, dict(customer, id=''), {})
    names = {
        'name': 'tenant_name' if metadata.get('tenant-name') else 'tenant_customer.name', 'description':
        'tenant_description' if metadata.get('tenant-description') else 'tenant_customer.description'
    }
    derived = {'name': fields['name'] or None, 'description': fields['description'] or None}
    if customer.get('email'):  # by tenant_customer_id alone the contact email is known only after the customer is read
        derived['contact_info'] = fields['contact_info']
    return derived, names


def tenant_options(tenant, direct, deleting, derived=None):
    admin = tenant.get('tenant_admin') or {}
    options = dict(derived or {}, tenant_id=tenant.get('tenant_id'), state='absent' if deleting else 'present', create=direct
                   and tenant.get('tenant_state') != 'absent', attributes=tenant.get('tenant_attributes'),
                   configuration=tenant.get('tenant_configuration'), wait_timeout=tenant.get('tenant_wait_timeout'))
    email = admin.get('email') or (tenant.get('tenant_customer') or {}).get('email')
    if direct and email:
        options['initial_user'] = given(
            {'user_id': admin.get('user'), 'email': email, 'full_name': admin.get('full_name'), 'password': admin.get('password')})
    return options


def explained(error):
    """A message on a variable the tenant derives a field from says so."""
    variable = (error or '').split(': ', 1)[0]
    return f"{error} ({DERIVED[variable]})" if variable in DERIVED else error


@functools.lru_cache(maxsize=1)
def role_options():
    """The options of the role's entry point main (roles/tenant/meta/argument_specs.yml)."""
    with open(ROLE_SPEC, encoding='utf-8') as handle:
        return yaml.load(handle, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))['argument_specs']['main']['options']


def warm_up():
    """Check a sample tenant once, so that what the check builds on first use (the role's argument spec, the modules'
    validators) is built in Ansible's main process before it forks a worker for every tenant."""
    input_errors(
        {
            'tenant_id': 'warm-up', 'tenant_customer': {'email': 'billing@warm-up.example'}, 'tenant_provisioning': 'direct', 'tenant_plan':
            {'price': 'warm-up'}, 'tenant_admin': {'email': 'admin@warm-up.example'}, 'tenant_state': 'present'
        }, ['tenant_id'])


def spec_errors(tenant, names=()):
    """The role's argument spec on its variables, as short messages: unknown variables among ``names`` (the host's
    variable names; those starting with tenant_ must be the role's), unknown keys inside them, then types and choices."""
    options = role_options()
    known = set(options) | OTHER_TENANT_VARIABLES
    errors = unknown_names(sorted(name for name in names if str(name).startswith('tenant_')), known, 'variable')
    given_values = {key: value for key, value in tenant.items() if key in options and value is not None}
    errors += [f"{where}: {message}" for where, message in unknown_spec_keys(given_values, options)]
    if errors:
        return errors
    result = ArgumentSpecValidator(options).validate(given_values)
    return [error.msg for error in result.errors if not isinstance(error, UnsupportedError)]


def input_errors(tenant, names=()):
    """Every error of the role's variables that the modules would refuse, or that the role needs; [] when it is good.
    A variable the role does not know, or of the wrong type, is reported alone: the rules after it would only mislead."""
    errors = spec_errors(tenant, names)
    if errors:
        return errors
    state, direct = tenant.get('tenant_state') or 'present', tenant.get('tenant_provisioning') == 'direct'
    subscribed = state == 'present' or (state == 'suspended' and direct)
    deleting = state == 'absent' and bool(tenant.get('tenant_delete'))
    customer = customer_options(tenant)
    errors = []
    if not customer['id'] and not customer['email']:
        errors.append('tenant_customer.email or tenant_customer_id: one of them is required')
    if subscribed and not (tenant.get('tenant_plan') or {}).get('price'):
        errors.append("tenant_plan.price: the price ID or lookup key of the pricing plan is required unless tenant_state is "
                      "absent or, in billing mode, suspended")
    if state != 'absent':
        errors.append(checked(lambda: check_customer_options(module_params(stripe_customer, customer)), CUSTOMER_NAMES, 'tenant_customer.'))
    subscription_names = dict(SUBSCRIPTION_NAMES, customer='tenant_customer_id' if customer['id'] else 'tenant_customer.email')
    errors.append(
        checked(lambda: check_subscription_options(module_params(stripe_subscription, subscription_options(tenant, subscribed))),
                subscription_names, 'tenant_plan.'))
    # The tenant as TBS (or direct mode) makes it: the fields derived from Stripe input too, by TTS's rules.
    derived, derived_names = derived_fields(tenant) if subscribed else ({}, {})
    errors.append(
        explained(
            checked(lambda: check_tenant_options(module_params(tts_tenant, tenant_options(tenant, direct, deleting, derived))),
                    dict(TENANT_NAMES, **derived_names), 'tenant_')))
    first = {}
    for error in errors:  # the modules share rules: one message per variable
        if error:
            first.setdefault(error.split(': ', 1)[0], error)
    return list(first.values())


def price_errors(prices, plan, provisioning=None):
    """What is wrong with the price of ``tenant_plan`` as Stripe returned it (stripe_price_info's ``prices``), before the
    subscription is created: none found, an amount Stripe cannot charge, or in billing mode a price that is not marked as
    a Tenant Billing Server plan (TBS would ignore the subscription). The quantity is parsed as the module parses it."""
    reference = plan.get('price')
    if not isinstance(prices, list) or not prices or not isinstance(prices[0], dict):
        return [f"tenant_plan.price: no Stripe price has the ID or lookup key {reference!r}"]
    if provisioning == 'billing' and not price_tbs_plan(prices[0]):
        price_id = prices[0].get('id')
        return [
            f"tenant_plan.price: price {price_id} ({reference}) is not marked as a Tenant Billing Server plan (price metadata "
            f"{TBS_PLAN_KEY!r}), so in billing mode no tenant would follow the subscription: mark it (stripe_price's "
            f"tbs_plan: recurring, in the catalog), list {price_id} in the TBS configuration's "
            f"{TBS_CONFIG_KEYS['recurring']}, and run again; or use tenant_provisioning: direct"
        ]
    if is_metered(prices[0]):
        error = checked(lambda: check_metered_quantity('quantity', prices[0], plan.get('quantity')), {}, 'tenant_plan.')
        return [error] if error else []
    try:
        quantity = check_type_int(1 if plan.get('quantity') is None else plan['quantity'])
    except TypeError:  # refused by tenant_input_errors already
        return []
    error = checked(lambda: check_amount('price', prices[0], quantity), {}, 'tenant_plan.')
    return [error] if error else []


def declaration(tenant, host):
    """What a conflict check needs of one host's tenant (no secret: it is kept as a fact)."""
    customer = tenant.get('tenant_customer') or {}
    key = tenant.get('tenant_customer_id') or customer.get('email') or ''
    if customer.get('match_metadata'):
        key += ' ' + repr(sorted(customer['match_metadata'].items()))
    return {
        'host': host, 'tenant_id': tenant.get('tenant_id'), 'customer': key, 'writes_customer': tenant.get('tenant_state') != 'absent',
        'fields': {field: customer.get(field)
                   for field in COMPARED_CUSTOMER_FIELDS + ('metadata', ) if customer.get(field) is not None}
    }


def differences(first, second):
    """The customer fields two declarations both set to different values; metadata key by key."""
    fields = [field for field in COMPARED_CUSTOMER_FIELDS if field in first and field in second and first[field] != second[field]]
    metadata_a, metadata_b = first.get('metadata') or {}, second.get('metadata') or {}
    fields += [f'metadata.{key}' for key in sorted(set(metadata_a) & set(metadata_b)) if str(metadata_a[key]) != str(metadata_b[key])]
    return fields


def conflicts(declarations):
    """host -> messages, for hosts whose tenant ID another host also declares, or whose customer another host declares differently."""
    found = {}

    def add(first, second, message):
        for item in (first, second):
            found.setdefault(item['host'], []).append(message)

    by_tenant, by_customer = {}, {}
    for item in declarations:
        if not isinstance(item, dict):
            continue
        for seen in by_tenant.setdefault(item['tenant_id'], []):
            add(
                item, seen, f"tenant_id: hosts {seen['host']} and {item['host']} both declare tenant {item['tenant_id']!r}; "
                'declare each tenant on one host only')
        by_tenant[item['tenant_id']].append(item)
        if not item['customer'] or not item['writes_customer']:
            continue
        for seen in by_customer.setdefault(item['customer'], []):
            fields = differences(seen['fields'], item['fields'])
            if fields:
                add(
                    item, seen, f"tenant_customer: hosts {seen['host']} and {item['host']} declare the same Stripe customer "
                    f"({item['customer']}) with different {', '.join(fields)}, so it would change on every run; "
                    'declare it the same way on both')
        by_customer[item['customer']].append(item)
    return found
