# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters thingsstack.tenancy.tenant_input_errors, tenant_price_errors, tenant_declaration and tenant_conflicts.

Documented in the sidecar files plugins/filter/<name>.yml. The tenant role checks its whole input with them before its
first request; the rules are the modules' own (plugins/plugin_utils/tenant_input.py).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import conflicts, declaration, input_errors, price_errors


def _tenant(value):
    if not isinstance(value, dict):
        raise AnsibleFilterError(f"the tenant must be a dict of the role's variables, got {type(value).__name__}")
    return value


def filter_tenant_input_errors(tenant, names=None):
    if names is not None and (isinstance(names, (str, dict)) or not isinstance(names, (list, tuple))):
        raise AnsibleFilterError(f"tenant_input_errors: names must be a list of variable names, got {type(names).__name__}")
    return input_errors(_tenant(tenant), names or ())


def filter_tenant_price_errors(prices, plan, provisioning=None):
    if not isinstance(plan, dict):
        raise AnsibleFilterError(f"tenant_price_errors: the plan must be a dict, got {type(plan).__name__}")
    return price_errors(prices, plan, provisioning)


def filter_tenant_declaration(tenant, host):
    return declaration(_tenant(tenant), host)


def filter_tenant_conflicts(declarations):
    if not isinstance(declarations, list):
        raise AnsibleFilterError(f"tenant_conflicts: the declarations must be a list, got {type(declarations).__name__}")
    return conflicts(declarations)


class FilterModule:
    """thingsstack.tenancy input filters of the tenant role."""

    def filters(self):
        return {
            'tenant_input_errors': filter_tenant_input_errors,
            'tenant_price_errors': filter_tenant_price_errors,
            'tenant_declaration': filter_tenant_declaration,
            'tenant_conflicts': filter_tenant_conflicts,
        }
