# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tts_tenant
short_description: Ensure a tenant of The Things Stack Enterprise exists exactly as declared
version_added: 0.1.0
description:
  - Creates, updates or deletes one tenant in the tenant registry of The Things Stack (TTS) Enterprise, authenticated
    with a tenant admin key.
  - Only the options that are given are read, compared and written. The tenant is read once, with a field mask of
    exactly the managed fields (plus C(billing.provider.stripe), to recognise tenants managed by the Tenant Billing Server),
    and an update sends only the fields that differ. A second identical run changes nothing and sends no write request.
  - Values are compared as TTS means them; a field TTS leaves out of its answer has its zero value, limits
    compare as numbers whether they arrive as strings or numbers.
  - "Tenants managed by the Tenant Billing Server (TBS), that is tenants whose C(billing.stripe) is set: TBS rewrites
    their name, description, contact info, limits, state and billing link on every Stripe subscription event.
    By default this module does not write those fields for such a tenant; it reports differences as a warning
    naming the fields it left to TBS. Change them through Stripe (customer, subscription and price metadata)
    instead, or set O(manage_billing_fields=true)."
author:
  - Thingsstack Tenancy Developers (@thingsstack)
attributes:
  diff_mode:
    details:
      - Shows exactly the fields that change, as TTS JSON (the vocabulary of RV(tenant)); C(null) means not set.
      - On creation the diff includes the initial user, with its password masked.
options:
  tenant_id:
    description:
      - ID of the tenant, 3 to 36 lowercase letters and digits, optionally separated by single dashes.
        It becomes the tenant's subdomain and cannot be changed.
      - IDs on The Things Stack's blocklist (such as V(admin), V(default) or V(billing)) are refused before any request
        when the tenant could be created. With O(create=false) or O(state=absent) they are accepted, because
        tenants made with C(ttn-lw-stack is-db create-tenant) skip the blocklist.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the tenant.
      - V(absent) deletes it. This is a one-way soft delete. TTS has no API to restore or purge a tenant, and the ID
        stays taken, so the same O(tenant_id) can never be created again. To take a tenant out of service reversibly,
        set O(tenant_state=suspended) instead. Deleting a missing tenant changes nothing.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the tenant, at most 50 characters, no control characters. TBS-owned, see the description.
    type: str
  description:
    description: Description of the tenant, at most 2000 characters, no control characters but line breaks and tabs. TBS-owned.
    type: str
  attributes:
    description:
      - Attributes (key/value pairs) to set on the tenant. Not given leaves the attributes untouched.
      - Keys follow the ID rule (3 to 36 lowercase letters, digits and single dashes); values are strings.
        A key whose value is an empty string or null is removed.
      - At most 10 attributes, values at most 200 characters (The Things Stack's attribute rule), checked before any request.
      - TTS replaces the whole attribute map on update; the module sends the merged map.
    type: dict
  purge_attributes:
    description:
      - Remove attributes that are not in O(attributes). Has no effect when O(attributes) is not given.
    type: bool
    default: false
  contact_info:
    description:
      - Contact information of the tenant. The list replaces the tenant's current list (order does not matter);
        an empty list removes all. TBS-owned.
      - Email addresses are checked with The Things Stack's own rule.
    type: list
    elements: dict
    suboptions:
      type:
        description: What the contact is for.
        type: str
        choices: [other, abuse, billing, technical]
        default: other
      method:
        description: How to reach the contact.
        type: str
        choices: [other, email, phone]
        default: email
      value:
        description: The address or number, at most 256 characters.
        type: str
        required: true
      public:
        description: Whether the contact may be shown publicly.
        type: bool
        default: false
  max_applications:
    description:
      - Maximum number of applications in the tenant. TBS-owned, like every C(max_*) option.
      - A whole number of 0 or more. V(unlimited) or null (C(~)) removes the limit. Not given leaves the limit untouched.
      - The price metadata key C(max-applications) sets the same limit through TBS.
    type: raw
  max_clients:
    description: Maximum number of OAuth clients; values as for O(max_applications).
    type: raw
  max_end_devices:
    description: Maximum number of end devices; values as for O(max_applications).
    type: raw
  max_gateways:
    description: Maximum number of gateways; values as for O(max_applications).
    type: raw
  max_organizations:
    description: Maximum number of organizations; values as for O(max_applications).
    type: raw
  max_users:
    description: Maximum number of users; values as for O(max_applications).
    type: raw
  tenant_state:
    description:
      - Review state of the tenant. Only V(approved) and V(flagged) tenants can be used through their subdomain.
      - TTS creates a tenant without it as V(requested). TBS sets V(approved) on an active subscription,
        V(flagged) when it is past due and V(suspended) when it is canceled or unpaid. TBS-owned.
      - When the state changes and O(state_description) is not given, TTS clears the state description.
    type: str
    choices: [requested, approved, rejected, flagged, suspended]
  state_description:
    description:
      - Why the tenant has its state, at most 128 characters. Usually set together with O(tenant_state). TBS-owned.
    type: str
  billing:
    description:
      - The billing link of the tenant. TBS-owned; TBS sets it when it creates the tenant, and from then on treats the tenant as
        its own.
      - O(billing={}) removes the Stripe link, which takes the tenant away from TBS (TBS then refuses its events with
        C(tenant_not_managed)). As the link is TBS-owned, this needs O(manage_billing_fields=true).
      - Only the Stripe link is read and written (the field mask path C(billing.provider.stripe)); the tenant's
        C(billing.counting), which TTS and the operator own, is never read nor changed.
    type: dict
    suboptions:
      stripe:
        description: The Stripe objects the tenant is billed through. All four IDs are required.
        type: dict
        suboptions:
          customer_id:
            description: Stripe customer (C(cus_...)).
            type: str
            required: true
          plan_id:
            description: Stripe price or plan of the subscription item (C(price_...)).
            type: str
            required: true
          subscription_id:
            description: Stripe subscription (C(sub_...)).
            type: str
            required: true
          subscription_item_id:
            description: Stripe subscription item (C(si_...)).
            type: str
            required: true
  configuration:
    description:
      - Tenant configuration (C(tti.lorawan.v3.Configuration)), with the API's snake_case field names. Only the given leaf
        values are managed, each as its own field mask path such as C(configuration.default_cluster.ns.dev_addr_prefixes);
        everything else in the configuration is left alone. A list is one leaf value and replaces the current list.
      - C(clusters) is a map by cluster ID and is managed as one value that replaces the whole map.
      - A path TTS does not support makes the task fail before any write. A leaf that is not a field of the configuration
        (C(default_cluster.SERVICE.FIELD) for the services ui, is, gs, ns, as, js, noc and ars; C(clusters); C(pb.listed))
        fails before any request.
    type: dict
  initial_user:
    description:
      - The tenant's first user, an administrator, created together with the tenant. Used only when the tenant is created;
        ignored for an existing tenant.
      - Without it, the tenant is created without users.
    type: dict
    suboptions:
      user_id:
        description: ID of the user, 2 to 36 lowercase letters, digits and single dashes, not blocklisted. Defaults to O(tenant_id).
        type: str
      email:
        description: Primary email address of the user; TTS sends the tenant-created email there.
        type: str
        required: true
      full_name:
        description: Full name of the user, at most 50 characters, no control characters.
        type: str
      password:
        description:
          - Password of the user, 8 to 1000 characters (The Things Stack's default password requirements). If not given,
            TTS generates one and emails it to O(initial_user.email).
          - Never shown in output or diffs.
        type: str
  create:
    description:
      - Create the tenant when it does not exist.
      - Set V(false) when TBS creates the tenant from a Stripe subscription; see O(wait_timeout).
    type: bool
    default: true
  wait_timeout:
    description:
      - With O(create=false), how many seconds to wait for a missing tenant to appear (TBS creates it when it receives the
        subscription event), polling with backoff. The task fails when it does not appear in time.
      - V(0) does not wait; a missing tenant then fails the task.
    type: int
    default: 0
  manage_billing_fields:
    description:
      - Write the TBS-owned fields (O(name), O(description), O(contact_info), C(max_*), O(tenant_state),
        O(state_description), O(billing)) even when the tenant is managed by TBS.
      - This fights TBS, which rewrites them on the next subscription event. Use it when no TBS runs ("direct"
        provisioning, where the tenant still carries the Stripe link so TBS can take over later) or for a one-off repair.
    type: bool
    default: false
  adopt:
    description:
      - "Take over an existing tenant that does not belong to the customer of O(billing.stripe.customer_id). Without
        it, the task fails before any write, naming the current owner, when the existing tenant has no C(billing.stripe)
        (made by hand, with C(ttn-lw-stack) or by a tenant admin) or when its C(billing.stripe.customer_id) is another
        customer. These are the checks the Tenant Billing Server makes (C(tenant_not_managed),
        C(customer_id_mismatch)) before it binds a tenant to a subscription."
      - Moving a tenant to another subscription of the same customer (a plan change, a new subscription after a
        cancellation) needs no adoption.
      - Set it only to bring a tenant made by hand under Stripe billing, or to move a tenant to another paying customer
        on purpose. For a TBS-managed tenant the new link is written only with O(manage_billing_fields=true).
    type: bool
    default: false
  tenant_info:
    description:
      - The registered result of an earlier M(thingsstack.tenancy.tts_tenant_info) task for this O(tenant_id) in the same
        play. The task then compares with that read instead of reading the tenant again, which saves one request per
        tenant. The role thingsstack.tenancy.tenant reads each tenant once, before it writes to Stripe, for the ownership
        check of O(adopt), and passes that read here.
      - Used only when that read was for this O(tenant_id) and asked for every field this task manages; otherwise the
        tenant is read again. An update writes the declared values whatever happened since the read, and a tenant
        created since the read is found through the create's C(id_taken) answer.
    type: dict
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.tts
notes:
  - Retrying a write is safe. An update sends the same field mask again. A create that reports the ID as taken after a
    retry is recognised as this task's own create when the tenant is found with the declared values.
    A delete that finds no tenant after a retry is taken as done.
  - A create that fails with C(id_taken) although the tenant cannot be read means that a deleted tenant holds the ID;
    the task fails with that explanation, confirmed through a search of recently deleted tenants when possible.
seealso:
  - module: thingsstack.tenancy.tts_tenant_info
  - name: Tenant management
    description: The Things Stack Enterprise documentation on tenants and tenant admin keys.
    link: https://www.thethingsindustries.com/docs/enterprise/management/tenant-management/
  - name: Tenant Billing Server
    description: How TBS creates, updates and suspends tenants from Stripe subscriptions.
    link: https://www.thethingsindustries.com/docs/enterprise/management/configuration/tenant-billing-server/
"""

EXAMPLES = r"""
- name: Ensure the tenant acme with its first administrator
  thingsstack.tenancy.tts_tenant:
    url: https://thethings.example.com
    tenant_admin_key: "{{ vault_tts_tenant_admin_key }}"
    tenant_id: acme
    name: Acme Corp
    tenant_state: approved
    contact_info:
      - {type: billing, method: email, value: billing@acme.example}
      - {type: technical, method: email, value: ops@acme.example}
    max_end_devices: 1000
    max_gateways: 50
    attributes:
      crm-id: "4711"
    initial_user:
      user_id: acme-admin
      email: ops@acme.example
      full_name: Jane Admin

- name: Set the connection once for all TTS tasks of a block
  module_defaults:
    group/thingsstack.tenancy.tts:
      url: https://thethings.example.com
      tenant_admin_key: "{{ vault_tts_tenant_admin_key }}"
  block:
    - name: Lift the gateway limit and set a DevAddr prefix
      thingsstack.tenancy.tts_tenant:
        tenant_id: acme
        max_gateways: unlimited
        configuration:
          default_cluster:
            ns:
              dev_addr_prefixes: ["26000000/8"]

    - name: Suspend a tenant (reversible, unlike state=absent)
      thingsstack.tenancy.tts_tenant:
        tenant_id: acme
        tenant_state: suspended
        state_description: Unpaid invoices
        manage_billing_fields: true

- name: Billing mode - wait for TBS to create the tenant from the Stripe subscription, then check it
  thingsstack.tenancy.tts_tenant:
    tenant_id: acme
    create: false
    wait_timeout: 60
    attributes:
      crm-id: "4711"
  register: acme

- name: Delete a test tenant for good (the ID can never be used again)
  thingsstack.tenancy.tts_tenant:
    tenant_id: acme-test-1
    state: absent
"""

RETURN = r"""
tenant:
  description:
    - The tenant after the task as TTS returns it (JSON with the API's field names), with C(ids), C(created_at),
      C(updated_at), the managed fields and C(billing). In check mode, as it would be.
    - Fields TTS leaves out have their zero value (for example C(state) missing means C(STATE_REQUESTED));
      limits are strings; enums are names such as C(STATE_APPROVED) and C(CONTACT_TYPE_BILLING).
    - Never contains the initial user's password. Empty after a deletion or when there was nothing to delete.
  returned: always
  type: dict
  sample:
    ids: {tenant_id: acme}
    created_at: "2026-04-14T09:30:12.123456Z"
    updated_at: "2026-04-14T09:30:12.123456Z"
    name: Acme Corp
    contact_info:
      - {contact_type: CONTACT_TYPE_BILLING, contact_method: CONTACT_METHOD_EMAIL, value: billing@acme.example}
    max_end_devices: "1000"
    state: STATE_APPROVED
    attributes: {crm-id: "4711"}
    billing:
      stripe: {customer_id: cus_QXg1o8vcGmoR32, plan_id: price_1PgafmB7WZ01zgkW, subscription_id: sub_1PgagNB7WZ01zgkW,
               subscription_item_id: si_QXg1pSxf0lIKAa}
missing:
  description:
    - True when the task failed because the tenant does not exist and O(create=false) (after O(wait_timeout), if any).
  returned: when the tenant was missing
  type: bool
  sample: true
owner:
  description:
    - The customer that owns the existing tenant (its C(billing.stripe.customer_id)), when the task refused to take it
      over without O(adopt); empty when the tenant has no C(billing.stripe).
  returned: when the ownership check failed
  type: str
  sample: cus_QXg1o8vcGmoR32
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMIT_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec

ARGUMENT_SPEC = dict(
    tts_argument_spec(),
    tenant_id=dict(type='str', required=True),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    name=dict(type='str'),
    description=dict(type='str'),
    attributes=dict(type='dict'),
    purge_attributes=dict(type='bool', default=False),
    contact_info=dict(type='list', elements='dict', options=dict(
        type=dict(type='str', choices=['other', 'abuse', 'billing', 'technical'], default='other'),
        method=dict(type='str', choices=['other', 'email', 'phone'], default='email'),
        value=dict(type='str', required=True),
        public=dict(type='bool', default=False),
    )),
    tenant_state=dict(type='str', choices=['requested', 'approved', 'rejected', 'flagged', 'suspended']),
    state_description=dict(type='str'),
    billing=dict(type='dict', options=dict(
        stripe=dict(type='dict', options=dict(
            customer_id=dict(type='str', required=True),
            plan_id=dict(type='str', required=True),
            subscription_id=dict(type='str', required=True),
            subscription_item_id=dict(type='str', required=True),
        )),
    )),
    configuration=dict(type='dict'),
    initial_user=dict(type='dict', options=dict(
        user_id=dict(type='str'),
        email=dict(type='str', required=True),
        full_name=dict(type='str'),
        password=dict(type='str', no_log=True),
    )),
    create=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=0),
    manage_billing_fields=dict(type='bool', default=False),
    adopt=dict(type='bool', default=False),
    tenant_info=dict(type='dict'),
    **{option: dict(type='raw') for option in LIMIT_OPTIONS}
)  # yapf: disable

ARGUMENT_RULES = dict()


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
