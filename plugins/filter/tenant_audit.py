# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters thingsstack.tenancy.tenant_fleet_audit, tenant_audit_report and tenant_markdown (documented in their .yml
files): the live fleet next to the declaration, the audit report, and its values as Markdown text, for the audit
playbooks."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import (audit_report, fleet_audit, fleet_of, markdown_text,
                                                                                       plain)


def filter_tenant_fleet_audit(subscriptions, tenants, hosts, hostvars):
    """``fleet_audit`` of the lists of stripe_subscription_info and tts_tenant_info, against the tenant IDs of ``hosts``
    (a host's ``tenant_id``, else its name, as the tenant role says)."""
    for name, value in (('subscriptions', subscriptions), ('tenants', tenants)):
        if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
            raise AnsibleFilterError(f"tenant_fleet_audit: {name} must be a list, got {type(value).__name__}")
    declared = filter_tenant_fleet_declared(hosts, hostvars, 'tenant_fleet_audit')
    return fleet_audit(fleet_of(plain(subscriptions), plain(tenants)), declared['declared'], declared['billing'])


def filter_tenant_fleet_declared(hosts, hostvars, name='tenant_fleet_declared'):
    """``{'declared': tenant IDs of hosts, 'billing': those in billing mode}``: a host's ``tenant_id``, else its name, and
    its ``tenant_provisioning`` (billing, the role's default, unless direct)."""
    if isinstance(hosts, (str, dict)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"{name}: hosts must be a list, got {type(hosts).__name__}")
    declared = [plain(hostvars[host].get('tenant_id', host)) for host in hosts]
    billing = [tenant_id for tenant_id, host in zip(declared, hosts) if hostvars[host].get('tenant_provisioning', 'billing') == 'billing']
    return {'declared': declared, 'billing': billing}


def filter_tenant_audit_report(tenants, fleets=None, usages=None):
    """``audit_report`` of the checks of the declared tenants, the fleet sections and the usage sections."""
    if isinstance(tenants, (str, dict)) or not isinstance(tenants, (list, tuple)):
        raise AnsibleFilterError(f"tenant_audit_report: expects a list of tenant checks, got {type(tenants).__name__}")
    return audit_report(plain(tenants), plain(fleets or []), plain(usages or []))


def filter_tenant_markdown(value):
    """``markdown_text``: a value of the report as Markdown text that cannot break a table or a line."""
    return markdown_text(plain(value))


class FilterModule:
    """thingsstack.tenancy audit of the live fleet."""

    def filters(self):
        return {
            'tenant_fleet_audit': filter_tenant_fleet_audit, 'tenant_fleet_declared': filter_tenant_fleet_declared, 'tenant_audit_report':
            filter_tenant_audit_report, 'tenant_markdown': filter_tenant_markdown
        }
