# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_webhook_endpoint_info
short_description: Read Stripe webhook endpoints
version_added: 0.2.0
description:
  - Returns one webhook endpoint by O(id), the endpoints with an exact O(url), or all endpoints of the account
    (every page).
  - Signing secrets are never returned (Stripe returns one only when an endpoint is created).
  - Read-only; never reports a change and works the same in check mode.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description: ID of one endpoint (C(we_...)). A missing or deleted endpoint gives an empty list.
    type: str
  url:
    description: Return the endpoints whose URL is exactly this, for example V(https://thethings.example.com/api/v3/tbs/stripe).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes.info_module
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_webhook_endpoint
"""

EXAMPLES = r"""
- name: Read the Tenant Billing Server's webhook endpoint
  thingsstack.tenancy.stripe_webhook_endpoint_info:
    url: https://thethings.example.com/api/v3/tbs/stripe
  register: tbs_endpoints

- name: Fail unless it renders events in the API version the Tenant Billing Server needs
  ansible.builtin.assert:
    that:
      - tbs_endpoints.webhook_endpoints | length == 1
      - tbs_endpoints.webhook_endpoints[0].api_version == '2022-11-15'
"""

RETURN = r"""
webhook_endpoints:
  description: The matching endpoints as Stripe returns them, without signing secrets.
  returned: always
  type: list
  elements: dict
  sample:
    - id: we_1Pgc6yB7WZ01zgkWzAudq4eU
      object: webhook_endpoint
      api_version: '2022-11-15'
      enabled_events: [customer.subscription.created, customer.subscription.updated, customer.subscription.deleted]
      metadata: {}
      status: enabled
      url: https://thethings.example.com/api/v3/tbs/stripe
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    url=dict(type='str'),
)  # yapf: disable

ARGUMENT_RULES = dict(mutually_exclusive=[('id', 'url')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
