# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tts_tenant_usage_info
short_description: Read how much of their limits tenants of The Things Stack Enterprise use
version_added: 0.2.0
description:
  - Reads the registry totals of one tenant (O(tenant_id)), of several (O(tenant_ids)) or of every tenant of the
    deployment, and returns for each entity kind the count, the tenant's limit (its C(max_*) field) and their ratio.
  - "Requests: for O(tenant_id) one read of the tenant's limits and one of its registry totals. Otherwise one list of
    the tenants with their limits (1000 a request) and the batch call of registry totals
    (C(POST /api/v3/tenants/registry-totals)), 100 tenants a request: ceil(T / 1000) + ceil(N / 100) requests for T
    tenants in the deployment and N tenants read."
  - Read-only; never reports a change and works the same in check mode.
  - A tenant that does not exist (or is deleted) is no error; its ID is returned in RV(missing).
  - "The entity kinds are those of The Things Stack's C(TenantRegistryTotals): applications, clients, end devices,
    activated end devices, gateways, organizations and users. A kind the deployment refuses in the field mask (a release
    before it was counted) is left out of the result, with a warning."
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  tenant_id:
    description:
      - ID of one tenant.
      - Mutually exclusive with O(tenant_ids). Without both, every tenant of the deployment is read.
    type: str
  tenant_ids:
    description:
      - IDs of several tenants; duplicates are read once.
      - Mutually exclusive with O(tenant_id).
    type: list
    elements: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.tts
notes:
  - The limit of both C(end_devices) and C(activated_end_devices) is the tenant's C(max_end_devices); which of the two
    counts The Things Stack enforces depends on the tenant's C(billing.counting.end_devices).
  - The Things Stack leaves zero counts out of its answer, so a kind a deployment does not count shows V(0).
seealso:
  - module: thingsstack.tenancy.tts_tenant_info
  - module: thingsstack.tenancy.tts_tenant
  - plugin: thingsstack.tenancy.tenants
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Usage of one tenant
  thingsstack.tenancy.tts_tenant_usage_info:
    url: https://thethings.example.com
    tenant_admin_key: "{{ vault_tts_tenant_admin_key }}"
    tenant_id: acme
  register: acme

- name: Say how many end devices it has of how many
  ansible.builtin.debug:
    msg: "end devices {{ acme.usage.acme.end_devices.used }} of {{ acme.usage.acme.end_devices.limit | default('unlimited', true) }}"

- name: Usage of every tenant (URL and key from TTS_URL and TTS_TENANT_ADMIN_KEY)
  thingsstack.tenancy.tts_tenant_usage_info:
  register: fleet

- name: Tenants that use 90 % or more of a limit
  ansible.builtin.debug:
    msg: "{{ fleet.usage | dict2items | selectattr('value.max_ratio', 'number') | selectattr('value.max_ratio', '>=', 0.9)
             | map(attribute='key') | list }}"
"""

RETURN = r"""
usage:
  description:
    - Per tenant ID (of the tenants that exist), per entity kind, the count C(used), the tenant's C(limit) (null when
      the tenant has none) and C(ratio), C(used / limit) rounded to 4 decimals (null without a limit; with a limit of 0
      the count itself, so above 1 means over the limit).
    - C(max_ratio) is the highest ratio of the tenant's kinds, null when it has no limit.
  returned: always
  type: dict
  sample:
    acme:
      applications: {used: 3, limit: 10, ratio: 0.3}
      clients: {used: 0, limit: null, ratio: null}
      end_devices: {used: 950, limit: 1000, ratio: 0.95}
      activated_end_devices: {used: 900, limit: 1000, ratio: 0.9}
      gateways: {used: 2, limit: 5, ratio: 0.4}
      organizations: {used: 1, limit: null, ratio: null}
      users: {used: 4, limit: 10, ratio: 0.4}
      max_ratio: 0.95
missing:
  description: The requested tenant IDs of tenants that do not exist, in the order asked.
  returned: always
  type: list
  elements: str
  sample: [ghost]
kinds:
  description: The entity kinds that were read (those the deployment counts).
  returned: always
  type: list
  elements: str
  sample: [applications, clients, end_devices, activated_end_devices, gateways, organizations, users]
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec

ARGUMENT_SPEC = dict(
    tts_argument_spec(),
    tenant_id=dict(type='str'),
    tenant_ids=dict(type='list', elements='str'),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('tenant_id', 'tenant_ids')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
