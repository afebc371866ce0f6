# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tts_tenant_info
short_description: Read tenants of The Things Stack Enterprise
version_added: 0.1.0
description:
  - Returns one tenant by O(tenant_id), or every tenant of the deployment (all pages), with the fields named in O(fields).
  - Read-only; never reports a change and works the same in check mode.
  - Deleted tenants are not returned.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  tenant_id:
    description:
      - ID of one tenant. A missing or deleted tenant gives an empty list.
      - Without it, all tenants are returned.
    type: str
  fields:
    description:
      - The field mask of the read, with the API's path names, for example V(name), V(state), V(max_end_devices),
        V(billing), V(configuration) or nested paths such as V(billing.provider.stripe).
      - C(ids), C(created_at) and C(updated_at) are always returned. A path The Things Stack does not support gives a warning.
    type: list
    elements: str
    default: [name, description, attributes, contact_info, max_applications, max_clients, max_end_devices, max_gateways,
              max_organizations, max_users, state, state_description, billing, configuration]
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.tts
seealso:
  - module: thingsstack.tenancy.tts_tenant
"""

EXAMPLES = r"""
- name: Read one tenant
  thingsstack.tenancy.tts_tenant_info:
    url: https://thethings.example.com
    tenant_admin_key: "{{ vault_tts_tenant_admin_key }}"
    tenant_id: acme
  register: acme

- name: List the state and billing link of every tenant
  thingsstack.tenancy.tts_tenant_info:
    fields: [name, state, billing]
  register: all_tenants

- name: Tenants that are suspended
  ansible.builtin.debug:
    msg: "{{ all_tenants.tenants | selectattr('state', 'defined') | selectattr('state', '==', 'STATE_SUSPENDED')
             | map(attribute='ids.tenant_id') | list }}"
"""

RETURN = r"""
tenants:
  description:
    - The tenants as The Things Stack returns them (JSON with the API's field names), ordered by tenant ID.
    - Fields TTS leaves out have their zero value (for example C(state) missing means C(STATE_REQUESTED));
      limits are strings; enums are names such as C(STATE_APPROVED).
  returned: always
  type: list
  elements: dict
  sample:
    - ids: {tenant_id: acme}
      created_at: "2026-04-14T09:30:12.123456Z"
      updated_at: "2026-04-14T09:30:12.123456Z"
      name: Acme Corp
      state: STATE_APPROVED
      max_end_devices: "1000"
tenant_id:
  description: The O(tenant_id) that was read, null when every tenant was listed.
  returned: always
  type: str
  sample: acme
fields:
  description:
    - The field mask the tenants were read with. M(thingsstack.tenancy.tts_tenant) reuses this result through its
      O(thingsstack.tenancy.tts_tenant#module:tenant_info) option when these fields cover the ones it manages.
  returned: always
  type: list
  elements: str
  sample: [name, state, billing]
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec

DEFAULT_FIELDS = (['name', 'description', 'attributes', 'contact_info'] + list(LIMIT_OPTIONS) +
                  ['state', 'state_description', 'billing', 'configuration'])

ARGUMENT_SPEC = dict(
    tts_argument_spec(),
    tenant_id=dict(type='str'),
    fields=dict(type='list', elements='str', default=DEFAULT_FIELDS),
)  # yapf: disable

ARGUMENT_RULES = dict()


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
