# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters thingsstack.tenancy.tenant_steps, tenant_tts_state, tenant_prepare, tenant_ownership, tenant_adopting and
tenant_customer_ref: the decisions of the tenant role for one tenant, made once in Python and read by its tasks.

Documented in the sidecar files plugins/filter/<name>.yml. The role prepares each tenant once (its input checked, its
steps by mode and state, what the conflict check and the bulk read need of it), decides the owner of an existing tenant
by the Tenant Billing Server's rule before any write, and names the customer to the subscription task; the tenant's
state after a cancellation follows the subscription.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import is_running
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import declaration, input_errors

MODES = ('billing', 'direct')
STATES = ('present', 'suspended', 'absent')


def filter_tenant_steps(state, provisioning, delete=False, cancel_at_period_end=False, check_mode=False):
    """The role's steps for a tenant in ``state`` (tenant_state), provisioned in ``provisioning`` mode."""
    if state not in STATES or provisioning not in MODES:
        raise AnsibleFilterError(f"tenant_steps: tenant_state must be one of {', '.join(STATES)} and tenant_provisioning one of "
                                 f"{', '.join(MODES)}, got {state!r} and {provisioning!r}")
    # Direct mode suspends the tenant itself and keeps billing it; otherwise suspended and absent cancel the subscription.
    subscribed = state == 'present' or (state == 'suspended' and provisioning == 'direct')
    if state == 'present':
        tenant_state = 'approved'
    elif subscribed:
        tenant_state = 'suspended'
    else:
        tenant_state = None  # follows the canceled subscription: tenant_tts_state
    return {
        'customer': state != 'absent',
        'subscription': 'present' if subscribed else 'absent',
        'cancel_at_period_end': not subscribed and boolean(cancel_at_period_end, strict=False),
        'tenant': 'delete' if state == 'absent' and boolean(delete, strict=False) else provisioning,
        'create': state != 'absent',
        'tenant_state': tenant_state,
        # A suspended or absent tenant that is missing has nothing to suspend; only a present one is waited for.
        'missing_ok': state != 'present',
        'check_mode': boolean(check_mode, strict=False),
    }


def filter_tenant_tts_state(subscription, steps):
    """The tenant's state: as the steps fix it, else approved while the canceled subscription still runs (to the end of the
    period) and suspended once it has ended or is unpaid."""
    if steps.get('tenant_state'):
        return steps['tenant_state']
    return 'approved' if is_running(subscription or {}) else 'suspended'


def _tenant(value, name):
    if not isinstance(value, dict):
        raise AnsibleFilterError(f"{name}: the tenant must be a dict of the role's variables, got {type(value).__name__}")
    return value


def bulk_declaration(tenant, host, steps):
    """What the bulk comparison (module tenant_snapshot) needs of a tenant: its variables as the role's module tasks pass
    them, without the admin password."""
    admin = tenant.get('tenant_admin') or {}
    return {
        'host': host, 'tenant_id': tenant.get('tenant_id'), 'steps': steps, 'adopt': boolean(tenant.get('tenant_adopt'),
                                                                                             strict=False), 'customer_id':
        tenant.get('tenant_customer_id'), 'customer': tenant.get('tenant_customer'), 'plan': tenant.get('tenant_plan'), 'admin':
        {key: admin.get(key)
         for key in ('user', 'email', 'full_name')}, 'name': tenant.get('tenant_name'), 'description': tenant.get('tenant_description'),
        'attributes': tenant.get('tenant_attributes'), 'purge_attributes': boolean(tenant.get('tenant_purge_attributes'), strict=False),
        'configuration': tenant.get('tenant_configuration'), 'claim_lookup': tenant.get('tenant_claim_lookup')
    }


def filter_tenant_prepare(tenant, host, names=None, check_mode=False):
    """Everything the role decides of a tenant before its first request, in one fact with no secret: ``errors`` (its input
    by the modules' rules, tenant_input_errors), ``declaration`` (what the conflict check compares), and, for valid
    input, ``steps`` (tenant_steps) and ``bulk`` (what the bulk read compares); those two are null otherwise."""
    tenant = _tenant(tenant, 'tenant_prepare')
    if names is not None and (isinstance(names, (str, dict)) or not isinstance(names, (list, tuple))):
        raise AnsibleFilterError(f"tenant_prepare: names must be a list of variable names, got {type(names).__name__}")
    errors = input_errors(tenant, names or ())
    steps = bulk = None
    if not errors:
        check = boolean(check_mode, strict=False) or boolean(tenant.get('tenant_check_mode'), strict=False)
        steps = filter_tenant_steps(tenant['tenant_state'], tenant['tenant_provisioning'], tenant.get('tenant_delete'),
                                    tenant.get('tenant_cancel_at_period_end'), check)
        bulk = bulk_declaration(tenant, host, steps)
    return {'host': host, 'errors': errors, 'declaration': declaration(tenant, host), 'steps': steps, 'bulk': bulk}


UNMANAGED = ('exists without billing.stripe (made by hand or by another tool), so it belongs to no Stripe customer and the Tenant '
             'Billing Server would refuse it (tenant_not_managed); set tenant_adopt: true to bind it to the declared customer on purpose')
MISMATCH = ('is owned by customer {owner}, not tenant_customer_id {declared} (customer_id_mismatch); check tenant_id and '
            'tenant_customer_id, or set tenant_adopt: true to move the tenant to {declared} on purpose')


def filter_tenant_ownership(read, tenant):
    """The Tenant Billing Server's ownership rule, before any write, for the tenant as read (a tts_tenant_info result):
    ``existing`` (the tenant, ``{}`` when it does not exist), ``owner`` (the customer its billing link names, ``''``
    without one) and ``problem`` (``''``, or why the role must not bind it to the declared customer). An existing tenant
    is bound to the declared customer only if it already belongs to it (``tenant_customer_id`` here; a declared email
    through stripe_customer's expected_id), unless ``tenant_adopt`` takes it over on purpose."""
    tenant = _tenant(tenant, 'tenant_ownership')
    tenants = (read or {}).get('tenants') if isinstance(read, dict) else None
    existing = tenants[0] if tenants else {}
    owner = ((existing.get('billing') or {}).get('stripe') or {}).get('customer_id') or ''
    declared = tenant.get('tenant_customer_id') or ''
    problem = ''
    if existing and not boolean(tenant.get('tenant_adopt'), strict=False):
        if not owner and tenant.get('tenant_state') != 'absent':
            problem = UNMANAGED
        elif owner and declared not in ('', owner):
            problem = MISMATCH.format(owner=owner, declared=declared)
    return {'existing': existing, 'owner': owner, 'problem': problem}


def filter_tenant_adopting(ownership, customer, adopt=False):
    """Whether the role takes the tenant over (tenant_adopt): it exists and its billing link does not name the customer
    that stripe_customer found (``customer``, its result's customer)."""
    return bool(boolean(adopt, strict=False) and ownership.get('existing') and ownership.get('owner') != (customer or {}).get('id', ''))


def filter_tenant_customer_ref(customer, tenant):
    """How the subscription task names the customer: its ID from stripe_customer (so it is not looked up again); else, in
    check mode for a customer that would be created and for an absent tenant, tenant_customer_id or the email."""
    tenant = _tenant(tenant, 'tenant_customer_ref')
    return ((customer or {}).get('id') or tenant.get('tenant_customer_id') or (tenant.get('tenant_customer') or {}).get('email') or '')


class FilterModule:
    """thingsstack.tenancy steps of the tenant role."""

    def filters(self):
        return {
            'tenant_steps': filter_tenant_steps,
            'tenant_tts_state': filter_tenant_tts_state,
            'tenant_prepare': filter_tenant_prepare,
            'tenant_ownership': filter_tenant_ownership,
            'tenant_adopting': filter_tenant_adopting,
            'tenant_customer_ref': filter_tenant_customer_ref,
        }
