# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters thingsstack.tenancy.tenant_steps and tenant_tts_state: what the tenant role does for one tenant.

Documented in the sidecar files plugins/filter/<name>.yml. The role sets the steps once per tenant, from its mode and
state, and reads them in its tasks; the tenant's state after a cancellation follows the subscription.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import is_running

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


class FilterModule:
    """thingsstack.tenancy steps of the tenant role."""

    def filters(self):
        return {
            'tenant_steps': filter_tenant_steps,
            'tenant_tts_state': filter_tenant_tts_state,
        }
