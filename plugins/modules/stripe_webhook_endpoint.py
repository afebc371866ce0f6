# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_webhook_endpoint
short_description: Ensure a Stripe webhook endpoint exists exactly as declared, for example the Tenant Billing Server's
version_added: 0.2.0
description:
  - Creates, updates, recreates or deletes one Stripe webhook endpoint, the address Stripe sends events to.
  - With O(tbs=true) the endpoint is the one The Things Stack's Tenant Billing Server (TBS) needs, at
    C(<TTS URL>/api/v3/tbs/stripe), with the events C(customer.subscription.created), C(customer.subscription.updated)
    and C(customer.subscription.deleted), and API version C(2022-11-15) (The Things Stack 3.25.0 and later refuse
    events of other versions).
  - The endpoint is found by O(id), or by its exact URL with Stripe's strongly consistent list API. Several endpoints
    with the URL make the task fail with their IDs; it never guesses.
  - Stripe returns an endpoint's signing secret (C(whsec_...)) only in the response that creates it. The module never
    returns it, shows it in a diff or logs it; it writes it to O(secret_file) when that is given.
  - Only the options that are given are compared and written. A second identical run changes nothing and sends no
    write request.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
options:
  id:
    description:
      - ID of the endpoint (C(we_...)). Without it the endpoint is looked up by its URL.
      - An O(id) that does not exist fails with O(state=present), since Stripe chooses the ID of a new endpoint.
      - With O(id), O(url) is updated like any other field.
    type: str
  url:
    description:
      - The address Stripe sends the events to. Must be C(https://), except for a loopback address or with
        O(allow_http=true) (the same rule as O(api_base)); Stripe itself refuses plain C(http://) in live mode.
      - With O(tbs=true) it must end with C(/api/v3/tbs/stripe); or give O(tts_url) instead.
    type: str
  tts_url:
    description:
      - With O(tbs=true), the base address of The Things Stack, for example V(https://thethings.example.com); the
        endpoint is then C(<tts_url>/api/v3/tbs/stripe). A trailing C(/) or C(/api/v3) is ignored.
      - Same rule as O(url) for C(http://).
    type: str
  tbs:
    description:
      - The preset for The Things Stack's Tenant Billing Server. Fills O(enabled_events) with the three
        C(customer.subscription.*) events and O(endpoint_api_version) with V(2022-11-15) when they are not given, and a
        new endpoint's O(description) with V(The Things Stack Tenant Billing Server).
      - Refuses O(enabled_events=['*']), event lists without the three events, another API version and a URL with
        another path.
      - The signing secret of a new endpoint goes into The Things Stack's configuration as C(tbs.stripe.endpoint-secret-key).
    type: bool
    default: false
  state:
    description:
      - V(present) creates, updates or (with O(recreate=true)) recreates the endpoint.
      - V(absent) deletes it. Stripe then stops sending it events at once.
    type: str
    choices: [present, absent]
    default: present
  enabled_events:
    description:
      - The event types Stripe sends to the endpoint, for example V(customer.subscription.updated), or V(['*']) for
        all. Compared as a set. Required to create an endpoint, unless O(tbs=true).
      - Event types are checked against the list of the installed C(stripe) SDK before any request.
    type: list
    elements: str
  endpoint_api_version:
    description:
      - The Stripe API version in which Stripe renders the events it sends to this endpoint. Not the same as
        O(api_version), the version of this module's own requests.
      - Not given leaves an existing endpoint's version alone; a new endpoint then gets the account's default version.
      - Must be a version the installed C(stripe) SDK knows, such as V(2022-11-15). Stripe cannot change the version of
        an existing endpoint, so a different one fails before any write unless O(recreate=true).
    type: str
  description:
    description: Description of the endpoint. An empty string removes it.
    type: str
  disabled:
    description:
      - V(true) disables the endpoint (Stripe stops sending events to it), V(false) enables it. Not given leaves it
        unchanged; a new endpoint is enabled.
    type: bool
  connect:
    description:
      - Whether the endpoint receives events from connected accounts (V(true)) instead of this account (V(false)).
      - Stripe sets this only when it creates an endpoint and does not return it, so it cannot be compared with an
        existing endpoint; it is sent when the endpoint is created or recreated.
    type: bool
  recreate:
    description:
      - Allow replacing the endpoint by a new one when a setting Stripe cannot update (O(endpoint_api_version))
        differs. The task then deletes the endpoint and creates the new one, and reports both steps, also in check mode.
      - The new endpoint has a new ID and a new signing secret, which must replace the old one wherever events are
        verified (for the Tenant Billing Server, C(tbs.stripe.endpoint-secret-key)); the task warns.
    type: bool
    default: false
  secret_file:
    description:
      - A file on the controller to write the signing secret of a new (or recreated) endpoint to, with mode C(0600).
        Its directory must exist.
      - An existing non-empty file is not replaced unless O(overwrite_secret_file=true); the task fails before
        creating anything.
      - Without it the secret of a new endpoint is not saved, and the task warns; Stripe returns it only once.
    type: path
  overwrite_secret_file:
    description: Replace an existing O(secret_file) with the secret of a new endpoint.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
  - thingsstack.tenancy.stripe.metadata
notes:
  - O(allow_http) also allows an C(http://) O(url) or O(tts_url) that is not a loopback address.
seealso:
  - module: thingsstack.tenancy.stripe_webhook_endpoint_info
  - name: Stripe API webhook endpoints
    description: The webhook endpoint object and its endpoints.
    link: https://docs.stripe.com/api/webhook_endpoints
  - name: Tenant Billing Server configuration
    description: The C(tbs.stripe.*) options of The Things Stack Enterprise.
    link: https://www.thethingsindustries.com/docs/enterprise/management/configuration/tenant-billing-server/
"""

EXAMPLES = r"""
- name: Ensure the Tenant Billing Server's webhook endpoint, keeping the signing secret of a new one
  thingsstack.tenancy.stripe_webhook_endpoint:
    tbs: true
    tts_url: https://thethings.example.com
    secret_file: /etc/thingsstack/tbs-endpoint-secret
  register: tbs_endpoint

- name: Move an endpoint made before The Things Stack 3.25 to API version 2022-11-15 (a new endpoint, a new secret)
  thingsstack.tenancy.stripe_webhook_endpoint:
    tbs: true
    tts_url: https://thethings.example.com
    recreate: true
    secret_file: /etc/thingsstack/tbs-endpoint-secret
    overwrite_secret_file: true

- name: An endpoint for invoice events, disabled for now
  thingsstack.tenancy.stripe_webhook_endpoint:
    url: https://billing.example.com/stripe/events
    enabled_events: [invoice.paid, invoice.payment_failed]
    endpoint_api_version: 2026-10-28.endive
    description: Invoice notifications
    disabled: true
    metadata:
      owner: billing

- name: Delete an endpoint
  thingsstack.tenancy.stripe_webhook_endpoint:
    url: https://billing.example.com/stripe/events
    state: absent
"""

RETURN = r"""
webhook_endpoint:
  description:
    - The endpoint after the task, as Stripe returns it (in check mode, as it would be), without its signing secret.
    - After a deletion only C(id), C(object) and C(deleted); empty when there was nothing to delete.
  returned: always
  type: dict
  sample:
    id: we_1Pgc6yB7WZ01zgkWzAudq4eU
    object: webhook_endpoint
    api_version: '2022-11-15'
    description: The Things Stack Tenant Billing Server
    enabled_events: [customer.subscription.created, customer.subscription.updated, customer.subscription.deleted]
    metadata: {}
    status: enabled
    url: https://thethings.example.com/api/v3/tbs/stripe
recreated:
  description:
    - The two steps of a recreate, also in check mode (where C(created) is null).
  returned: when the endpoint was (or in check mode would be) recreated
  type: dict
  contains:
    deleted:
      description: ID of the endpoint that was deleted.
      type: str
    created:
      description: ID of the new endpoint.
      type: str
  sample: {deleted: we_1Pgc6yB7WZ01zgkWzAudq4eU, created: we_1QaB3cD4eF5gH6iJ7kL8mN9o}
secret_saved:
  description:
    - Whether the signing secret of the new endpoint was written to O(secret_file) (false in check mode).
  returned: when the endpoint was (or would be) created or recreated
  type: bool
  sample: true
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import metadata_argument_spec, stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    url=dict(type='str'),
    tts_url=dict(type='str'),
    tbs=dict(type='bool', default=False),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    enabled_events=dict(type='list', elements='str'),
    endpoint_api_version=dict(type='str'),
    description=dict(type='str'),
    disabled=dict(type='bool'),
    connect=dict(type='bool'),
    recreate=dict(type='bool', default=False),
    secret_file=dict(type='path'),
    overwrite_secret_file=dict(type='bool', default=False),
    **metadata_argument_spec()
)  # yapf: disable

ARGUMENT_RULES = dict(required_one_of=[('id', 'url', 'tts_url')], mutually_exclusive=[('url', 'tts_url')])


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
