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
  - With the second term C(conflicts), the host's entry of RV(thingsstack.tenancy.tenant_snapshot#module:conflicts)
    instead (why its tenant conflicts with another host's), or an empty list.
  - When the task ran with O(thingsstack.tenancy.tenant_snapshot#module:play), the finding is in the result of the host
    that read (RV(thingsstack.tenancy.tenant_snapshot#module:read_by)); the lookup takes it from there, only when that
    result is of the same task (RV(thingsstack.tenancy.tenant_snapshot#module:task_uuid)). Otherwise (that host's task
    was skipped or failed, or with another strategy than linear it has not ended yet) the host has no finding (C({}))
    and takes the per-tenant path, and the lookup of its C(conflicts) fails, since whether its tenant conflicts with
    another host's is not known.
  - The result is read as it was registered, without templating it. A template that names the registered result
    (C(__tenant_snapshot.converged[inventory_hostname])) makes ansible-core wrap every entry of RV(thingsstack.tenancy.tenant_snapshot#module:converged)
    for each host that renders it, which is one entry per tenant of the play, for every tenant; at 10,000 tenants that
    doubled the converged run of the role thingsstack.tenancy.tenant (make bench-tenants). This lookup takes one entry.
  - The role thingsstack.tenancy.tenant uses it to end the role for a converged tenant, for the IDs in its C(tenant_report)
    and for the conflicts its per-tenant tasks refuse.
options:
  _terms:
    description:
      - The name of the variable the M(thingsstack.tenancy.tenant_snapshot) task registered, then optionally which
        finding - C(converged) (the default) or C(conflicts).
    required: true
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Read the play's tenants in bulk, by the play's first host
  thingsstack.tenancy.tenant_snapshot:
    play: true
  register: snapshot

- name: Take this tenant's finding ({} when it was not found converged)
  ansible.builtin.set_fact:
    tenant_found: "{{ lookup('thingsstack.tenancy.tenant_finding', 'snapshot') }}"
    tenant_conflicts: "{{ lookup('thingsstack.tenancy.tenant_finding', 'snapshot', 'conflicts') }}"
"""

RETURN = r"""
_raw:
  description:
    - One dictionary - C(customer) and C(subscription) (IDs), C(status) (of the subscription) and C(tenant_state), as
      M(thingsstack.tenancy.tenant_snapshot) returns them, or C({}) when the tenant was not found converged.
    - With C(conflicts), one list of messages, C([]) when there are none.
  type: list
  elements: raw
"""

from collections.abc import Mapping

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

SECTIONS = {'converged': (Mapping, dict), 'conflicts': (list, list)}  # the finding's type, and what it is returned as
NOTHING_FOUND = {'converged': {}, 'conflicts': {}}


def registered(variables, name, section):
    """The registered tenant_snapshot result that holds this host's finding: its own, or that of the host that read for
    the play (option play), when it is of the same task. When there is none: NOTHING_FOUND for the converged objects
    (the tenant takes the per-tenant path), an error for the conflicts (unknown, not none)."""
    result = variables.get(name)
    if not isinstance(result, Mapping) or not isinstance(result.get('converged'), Mapping):
        raise AnsibleLookupError('tenant_finding: %s is not a registered tenant_snapshot result (no converged mapping)' % name)
    reader = result.get('read_by')
    if not reader:
        return result
    hostvars = variables.get('hostvars')
    # The stored variables of that host (raw_get: not templated), one host's, not every host's.
    stored = hostvars.raw_get(reader) if hasattr(hostvars, 'raw_get') else None
    read = stored.get(name) if isinstance(stored, Mapping) else None
    if (isinstance(read, Mapping) and not read.get('read_by') and isinstance(read.get('converged'), Mapping)
            and read.get('task_uuid') == result.get('task_uuid')):
        return read
    if section == 'conflicts':
        raise AnsibleLookupError(
            "tenant_finding: %s names %s as the host that checked the play, and %s holds no result of that task (it was skipped "
            "or failed, or has not ended: run the play with the linear strategy, and the role for all its hosts or none); the "
            "conflicts between the play's tenants are not known" % (name, reader, reader))
    return NOTHING_FOUND


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        if kwargs:
            raise AnsibleLookupError('tenant_finding takes no options, got %s' % ', '.join(sorted(kwargs)))
        if not 1 <= len(terms) <= 2 or not all(isinstance(term, str) for term in terms) or not set(terms[1:]) <= set(SECTIONS):
            raise AnsibleLookupError('tenant_finding takes the name of a registered tenant_snapshot result, then optionally '
                                     'which finding: converged (the default) or conflicts')
        section = terms[1] if len(terms) == 2 else 'converged'
        variables = variables or {}
        # The stored value, not a template of it: a registered result holds data, and only this host's entry is taken.
        entries = registered(variables, terms[0], section).get(section)
        found = entries.get(variables.get('inventory_hostname')) if isinstance(entries, Mapping) else None
        kind, make = SECTIONS[section]
        return [make(found) if isinstance(found, kind) else make()]
