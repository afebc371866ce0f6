# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tenant_finding
version_added: 0.2.0
author:
  - Thingsstack Tenancy Developers (@thingsstack)
short_description: One host's finding in a registered M(thingsstack.tenancy.tenant_snapshot) result
description:
  - The objects M(thingsstack.tenancy.tenant_snapshot) found for the current host's tenant (its RV(thingsstack.tenancy.tenant_snapshot#module:converged)
    entry), or an empty dictionary when the tenant was not found converged.
  - The result is read as it was registered, without templating it. A template that names the registered result
    (C(__tenant_snapshot.converged[inventory_hostname])) makes ansible-core wrap every entry of RV(thingsstack.tenancy.tenant_snapshot#module:converged)
    for each host that renders it, which is one entry per tenant of the play, for every tenant; at 10,000 tenants that
    doubled the converged run of the role thingsstack.tenancy.tenant (make bench-tenants). This lookup takes one entry.
  - The role thingsstack.tenancy.tenant uses it to end the role for a converged tenant and for the IDs in its C(tenant_report).
options:
  _terms:
    description: The name of the variable the M(thingsstack.tenancy.tenant_snapshot) task registered (one name).
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Read the play's tenants in bulk, once
  thingsstack.tenancy.tenant_snapshot:
    hosts: "{{ ansible_play_hosts }}"
  register: snapshot
  run_once: true

- name: Take this tenant's finding ({} when it was not found converged)
  ansible.builtin.set_fact:
    tenant_found: "{{ lookup('thingsstack.tenancy.tenant_finding', 'snapshot') }}"
"""

RETURN = r"""
_raw:
  description:
    - One dictionary - C(customer) and C(subscription) (IDs), C(status) (of the subscription) and C(tenant_state), as
      M(thingsstack.tenancy.tenant_snapshot) returns them, or C({}) when the tenant was not found converged.
  type: list
  elements: dict
"""

from collections.abc import Mapping

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if kwargs:
            raise AnsibleLookupError('tenant_finding takes no options, got %s' % ', '.join(sorted(kwargs)))
        if len(terms) != 1 or not isinstance(terms[0], str):
            raise AnsibleLookupError('tenant_finding takes one term: the name of a registered tenant_snapshot result')
        variables = variables or {}
        host = variables.get('inventory_hostname')
        # The stored value, not a template of it: a registered result holds data, and only this host's entry is taken.
        result = variables.get(terms[0])
        converged = result.get('converged') if isinstance(result, Mapping) else None
        if not isinstance(converged, Mapping):
            raise AnsibleLookupError('tenant_finding: %s is not a registered tenant_snapshot result (no converged mapping)' % terms[0])
        found = converged.get(host)
        return [dict(found) if isinstance(found, Mapping) else {}]
