# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_subscription
short_description: Ensure the Stripe subscription of a The Things Stack tenant
version_added: 0.1.0
description:
  - Creates, updates or cancels the Stripe subscription that bills one The Things Stack Enterprise tenant,
    with the tenant metadata (C(tenant-id), C(tenant-name), C(admin-email), ...) that The Things Stack's
    Tenant Billing Server reads to create and maintain the tenant.
  - The subscription is found by O(id), or among the live (not C(canceled) or C(incomplete_expired))
    subscriptions of O(customer) by its C(tenant-id) metadata, with Stripe's strongly consistent list API, never
    search, so that a subscription made moments before is found. Two live subscriptions of the customer with the
    tenant ID make the task fail with their IDs; it never guesses.
  - "One tenant, one subscription. Before it creates a subscription, or writes a new C(tenant-id) to one, the module
    looks for another live subscription that carries that tenant ID: among the customer's own subscriptions with the
    strongly consistent list it reads anyway, and among other customers' as O(claim_lookup) says (a search hit is
    read again by ID before it counts)."
  - "Stripe itself enforces the claim on a tenant ID: the create carries the idempotency key
    C(thingsstack-tenant-claim-TENANT-SLOT), the same for every customer and every run. Stripe keeps a key at least
    24 hours and refuses a second create with other parameters under it, so of two runs that create a subscription for
    the same tenant ID for two customers, at the same time or one after the other while Search has not caught up, only
    one succeeds. The other fails naming the tenant and the live subscription and customer that won, found in the
    strongly consistent list of the subscriptions created in the last 25 hours (read only then). A claim whose
    subscription ended or whose create failed (a declined first payment) uses up its slot and the next create takes
    the next slot; a create still being processed by another run fails the task, which then says to run again.
    Subscriptions older than a key's lifetime are what O(claim_lookup) finds."
  - Prices are reconciled in place. An item whose price is no longer wanted is switched to the new price,
    so it keeps its ID, which The Things Stack stores as the tenant's C(billing.stripe.subscription_item_id).
  - A retried create (a timeout, a response lost after Stripe acted) reuses its key, so Stripe answers with the
    subscription it made instead of making a second one.
  - Only the options that are given are compared and written. A second identical run changes nothing and
    sends no write request; it reads the customer (only when O(customer) is an email) and the customer's
    subscriptions, and no price when each O(price) is the ID or lookup key of a price the subscription already has.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
attributes:
  diff_mode:
    details: Shows exactly the fields that change; items as a list of price and quantity. The admin password is masked.
options:
  id:
    description:
      - ID of an existing subscription (C(sub_...)).
      - With O(state=present) it must exist and be live; Stripe does not accept chosen subscription IDs.
    type: str
  customer:
    description:
      - The customer the subscription bills, by ID (C(cus_...)) or by exact email address (looked up like
        M(thingsstack.tenancy.stripe_customer) does; several customers with the address make the task fail).
      - Required unless O(id) is given. With O(id) it is a guard, the subscription must belong to this customer; otherwise
        the task fails before any write.
    type: str
  tenant_id:
    description:
      - ID of the The Things Stack tenant, written as the C(tenant-id) metadata that the Tenant Billing Server requires.
      - 3 to 36 lowercase letters and digits, optionally separated by single dashes, not on The Things Stack's ID blocklist.
      - Required unless O(id) is given. With O(customer) it identifies the subscription.
      - With O(id) and O(state=absent) it is a guard, the subscription must carry this C(tenant-id); otherwise nothing is
        canceled and the task fails, so that a mistyped O(id) cannot cancel another tenant's subscription. With O(id) and
        O(state=present), a different C(tenant-id) needs O(force_tenant_id_change).
    type: str
  claim_lookup:
    description:
      - How the module finds another customer's live subscription that already carries O(tenant_id), before it creates a
        subscription or writes a new C(tenant-id).
      - V(list) reads every live subscription of the Stripe account, strongly consistent, one request per 100 live
        subscriptions. Its cost grows with the account, so it suits small accounts and one-off tasks.
      - V(search) makes one Search API request, whatever the size of the account, and reads each live hit again by ID.
        Stripe's search is eventually consistent (usually less than a minute behind, up to an hour during incidents) and
        not available to accounts in India (use V(list) there). What it misses because it is behind, the claim key
        (see above) refuses at the create. The role thingsstack.tenancy.tenant uses it by default (its
        C(tenant_claim_lookup)), together with the tenant's C(billing.stripe) link in The Things Stack, which it reads
        first and which names the owner of an existing tenant with strong consistency.
      - A second live subscription of the same customer is always found, by the customer's own strongly consistent list.
    type: str
    choices: [list, search]
    default: list
  tenant_subscription:
    description:
      - The subscription that bills the tenant now, as The Things Stack's C(billing.stripe.subscription_id) of the tenant
        names it (the role thingsstack.tenancy.tenant passes it when it adopts a tenant).
      - If it is live, carries O(tenant_id) and belongs to another customer, the task fails before any write, as the tenant
        cannot be taken over by another customer while the subscription that bills it runs. One read, only when it is
        not the subscription the task manages.
    type: str
  price_info:
    description:
      - The result of M(thingsstack.tenancy.stripe_price_info) for the price of O(price) or O(items), read just before
        (the role thingsstack.tenancy.tenant passes the price of a new tenant's plan, which it reads and checks before its
        first write). A price among its RV(thingsstack.tenancy.stripe_price_info#module:prices) that O(price) or
        O(items[].price) names by ID or lookup key is not read again; any other is read as without this option.
    type: dict
  force_tenant_id_change:
    description:
      - Allow changing the C(tenant-id) of an existing subscription found by O(id).
      - The Tenant Billing Server does not rename tenants. On the next subscription event it creates a second
        tenant with the new ID and stops updating the old one, which keeps running and must be removed separately.
        Without this option such a change fails.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the subscription.
      - V(absent) cancels it now, or at the end of the current period with O(cancel_at_period_end=true).
        The Tenant Billing Server then suspends the tenant; it never deletes it.
        A subscription that is already canceled, or none at all, is not a change.
    type: str
    choices: [present, absent]
    default: present
  price:
    description:
      - The one price of the subscription, by ID (C(price_...)) or lookup key.
      - Other items of the subscription are switched to it or removed. The price must be recurring and active.
    type: str
  quantity:
    description:
      - Quantity of O(price). Defaults to C(1) when O(price) is given.
      - Not for a metered price (C(recurring.usage_type=metered)), since Stripe bills the usage its meter measures and
        refuses a quantity on its item. Given for one, the task fails naming this option before any write; a metered
        item is never compared on quantity.
      - The price's unit amount times the quantity must stay within Stripe's maximum amount (8 digits in the
        currency's smallest unit); a larger one is refused before any write. The same holds for O(items[].quantity).
    type: int
  items:
    description:
      - All prices of the subscription, for a subscription with several items. Items with other prices are
        switched to the missing prices in place, added, or removed.
    type: list
    elements: dict
    suboptions:
      price:
        description: The price, by ID or lookup key.
        type: str
        required: true
      quantity:
        description:
          - Quantity of the price, at least 1; C(1) when not given.
          - Not for a metered price (C(recurring.usage_type=metered)), whose item has no quantity; given, it fails
            naming the option before any write.
        type: int
  proration_behavior:
    description:
      - How Stripe prorates a change of prices or quantities. Stripe's default is V(create_prorations).
    type: str
    choices: [create_prorations, always_invoice, none]
  tenant_name:
    description:
      - Name of the tenant (metadata C(tenant-name)), at most 50 characters. An empty string removes the key.
      - Without it The Things Stack uses the deprecated C(name) or C(company) metadata, else the customer's name.
    type: str
  tenant_description:
    description:
      - Description of the tenant (metadata C(tenant-description)), at most 500 characters (a Stripe metadata value).
        An empty string removes the key.
      - Without it The Things Stack uses the customer's description.
    type: str
  admin_user:
    description:
      - User ID of the tenant's first administrator (metadata C(admin-user)), 2 to 36 lowercase letters and digits,
        optionally separated by single dashes, not on the ID blocklist. Without it The Things Stack uses the tenant ID.
      - Like all C(admin-*) keys, it is read only when the tenant is created.
    type: str
  admin_email:
    description:
      - Email address of the tenant's first administrator (metadata C(admin-email)).
        Without it The Things Stack uses the customer's email.
    type: str
  admin_full_name:
    description: Full name of the tenant's first administrator (metadata C(admin-full-name)), at most 50 characters.
    type: str
  admin_password:
    description:
      - Password of the tenant's first administrator (metadata C(admin-password)).
      - Not written unless O(store_admin_password=true). Without it The Things Stack generates a password when it
        creates the tenant and mails it to the administrator, which is the safer choice.
      - Never returned and never shown in a diff.
    type: str
  store_admin_password:
    description:
      - Write O(admin_password) to the subscription metadata.
      - Stripe advises never to store secrets in metadata; anyone with Dashboard or API access can read it.
        Remove it with O(scrub_admin_password=true) once the tenant exists.
    type: bool
    default: false
  scrub_admin_password:
    description: Remove the C(admin-password) metadata key.
    type: bool
    default: false
  metadata:
    description:
      - Further metadata key/value pairs to set. Not given leaves the other metadata untouched.
        A key whose value is an empty string is removed.
      - Keys are at most 40 characters without C([) or C(]), values at most 500 characters, at most 50 keys.
      - The tenant keys cannot be set here; use their options. The deprecated C(name) and C(company) keys
        can only be removed (empty value).
    type: dict
  purge_metadata:
    description:
      - Remove metadata keys that are not in O(metadata).
      - Never removes the keys The Things Stack reads (C(tenant-*), C(admin-*), C(name), C(company)).
      - Has no effect when O(metadata) is not given.
    type: bool
    default: false
  collection_method:
    description:
      - V(charge_automatically) charges the customer's default payment method. Without one, the first invoice of a
        paid price stays unpaid and the subscription C(incomplete); the Tenant Billing Server then creates no tenant.
      - V(send_invoice) emails invoices; the subscription is active at once.
    type: str
    choices: [charge_automatically, send_invoice]
  days_until_due:
    description: Days the customer has to pay an invoice. Only with O(collection_method=send_invoice).
    type: int
  default_payment_method:
    description: ID of a payment method of the customer (C(pm_...)) to charge for this subscription.
    type: str
  payment_behavior:
    description: How Stripe handles a first payment that fails or needs action. Used only when creating the subscription.
    type: str
    choices: [allow_incomplete, default_incomplete, error_if_incomplete]
  trial_period_days:
    description:
      - Days of free trial; the subscription is C(trialing) until then. Used only when creating the subscription.
      - 1 to 730, as Stripe allows; checked before any request.
    type: int
  cancel_at_period_end:
    description:
      - Cancel the subscription at the end of the current period.
      - With O(state=absent), V(true) schedules the cancellation instead of canceling now.
    type: bool
  description:
    description: Description of the subscription, shown to the customer on invoices. An empty string removes it.
    type: str
notes:
  - Check mode reads Stripe as it is now. A customer that an earlier task would create has no ID yet; the task warns
    and shows the subscription that customer would get, with C(customer) null.
  - In check mode a price that an earlier task would replace (M(thingsstack.tenancy.stripe_price) with a new amount or
    interval) still holds its lookup key, so O(price) finds the current price and the move of the subscription to the
    new price shows only on the real run.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
seealso:
  - module: thingsstack.tenancy.stripe_subscription_info
  - module: thingsstack.tenancy.stripe_customer
  - name: Stripe API subscriptions
    description: The subscription object and its endpoints.
    link: https://docs.stripe.com/api/subscriptions
  - name: Subscription metadata read by The Things Stack
    description: The tenant metadata fields of the Tenant Billing Server.
    link: https://www.thethingsindustries.com/docs/enterprise/management/stripe/customers/
"""

EXAMPLES = r"""
- name: Subscribe the customer to the small plan as tenant acme
  thingsstack.tenancy.stripe_subscription:
    customer: billing@acme.example
    tenant_id: acme
    tenant_name: Acme Corp
    admin_email: ops@acme.example
    price: tts-enterprise-small-monthly
    collection_method: send_invoice
    days_until_due: 30
  register: acme_subscription

- name: Upgrade the tenant in place (the item keeps its ID)
  thingsstack.tenancy.stripe_subscription:
    customer: billing@acme.example
    tenant_id: acme
    price: tts-enterprise-large-monthly
    proration_behavior: always_invoice

- name: Hand over a chosen first password, then remove it from Stripe once the tenant exists
  thingsstack.tenancy.stripe_subscription:
    customer: "{{ acme_customer.customer.id }}"
    tenant_id: acme
    admin_password: "{{ vault_acme_admin_password }}"
    store_admin_password: true
    price: tts-enterprise-small-monthly

- name: Scrub the password
  thingsstack.tenancy.stripe_subscription:
    customer: "{{ acme_customer.customer.id }}"
    tenant_id: acme
    scrub_admin_password: true

- name: End the subscription at the end of the period (the tenant is then suspended)
  thingsstack.tenancy.stripe_subscription:
    customer: billing@acme.example
    tenant_id: acme
    state: absent
    cancel_at_period_end: true
"""

RETURN = r"""
subscription:
  description:
    - The subscription after the task, as Stripe returns it (in check mode, as it would be), with the
      C(admin-password) metadata masked.
    - Empty when O(state=absent) found no subscription.
  returned: always
  type: dict
  sample:
    id: sub_1Pgc6rB7WZ01zgkWNy0Cn5nw
    object: subscription
    customer: cus_QXg1o8vcGmoR32
    status: active
    collection_method: send_invoice
    days_until_due: 30
    metadata: {tenant-id: acme, tenant-name: Acme Corp, admin-email: ops@acme.example}
    items:
      data: [{id: si_QXhVnC2h0Jczwc, price: {id: price_1PgafmB7WZ01zgkW6dKueIc5, lookup_key: tts-enterprise-small-monthly}, quantity: 1}]
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import metadata_argument_spec, stripe_argument_spec

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    id=dict(type='str'),
    customer=dict(type='str'),
    tenant_id=dict(type='str'),
    claim_lookup=dict(type='str', choices=['list', 'search'], default='list'),
    tenant_subscription=dict(type='str'),
    price_info=dict(type='dict'),
    force_tenant_id_change=dict(type='bool', default=False),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    price=dict(type='str'),
    quantity=dict(type='int'),
    items=dict(type='list', elements='dict', options=dict(
        price=dict(type='str', required=True),
        quantity=dict(type='int'),
    )),
    proration_behavior=dict(type='str', choices=['create_prorations', 'always_invoice', 'none']),
    tenant_name=dict(type='str'),
    tenant_description=dict(type='str'),
    admin_user=dict(type='str'),
    admin_email=dict(type='str'),
    admin_full_name=dict(type='str'),
    admin_password=dict(type='str', no_log=True),
    store_admin_password=dict(type='bool', default=False),
    scrub_admin_password=dict(type='bool', default=False),
    collection_method=dict(type='str', choices=['charge_automatically', 'send_invoice']),
    days_until_due=dict(type='int'),
    default_payment_method=dict(type='str'),
    payment_behavior=dict(type='str', choices=['allow_incomplete', 'default_incomplete', 'error_if_incomplete']),
    trial_period_days=dict(type='int'),
    cancel_at_period_end=dict(type='bool'),
    description=dict(type='str'),
    **metadata_argument_spec()
)  # yapf: disable

ARGUMENT_RULES = dict(
    required_one_of=[('id', 'customer'), ('id', 'tenant_id')],
    mutually_exclusive=[('price', 'items'), ('quantity', 'items'), ('store_admin_password', 'scrub_admin_password')],
    required_by=dict(quantity=('price',)),
    required_if=[('store_admin_password', True, ('admin_password',))],
)  # yapf: disable


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
