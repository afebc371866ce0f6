# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: stripe_price
short_description: Ensure a Stripe price exists exactly as declared, with The Things Stack tenant limits
version_added: 0.1.0
description:
  - Creates, updates, replaces or archives one Stripe price, for example a monthly plan of a
    The Things Stack Enterprise product.
  - The price is found by its O(lookup_key), the natural key of a price, or by O(id).
  - O(tenant_limits) become the C(max-*) price metadata from which The Things Stack's Tenant Billing Server
    sets the limits of the tenants subscribed to the price.
  - O(tbs_plan) marks the price as a plan of The Things Stack's Tenant Billing Server (TBS) in the price metadata key
    C(tts-tbs-plan), so that Stripe itself records which prices TBS must list.
  - O(nickname), O(active), O(metadata), O(tenant_limits) and O(tbs_plan) are updated in place.
  - Stripe never changes a price's O(product), O(currency), amount, O(recurring) interval, usage type and meter,
    O(billing_scheme), O(tiers), O(tiers_mode) or O(transform_quantity). When the task
    declares other values for them, the module creates a new price with these values, moves the lookup key
    to it (C(transfer_lookup_key)) and archives the old price. The diff and RV(steps) show all three steps.
    Existing subscriptions stay on the old price. This needs O(lookup_key) as the identity; with O(id) the task fails.
  - A replacement keeps everything that defines what the customer pays and how, also what this module does not
    declare, namely the billing scheme with its C(tiers) and C(tiers_mode), C(recurring.usage_type) and C(recurring.meter),
    C(transform_quantity) and C(tax_behavior). The product, and so its unit label, stays unless O(product) changes.
    A tiered price cannot be given O(unit_amount) or O(unit_amount_decimal).
  - Replacing a TBS plan warns with the new and the old price ID and returns both in RV(tbs_plan_change), because TBS must
    list the new ID before new subscriptions use it, and keep the old one while subscriptions remain on it.
  - Creates carry a deterministic idempotency key made from the lookup key and a hash of the parameters.
  - Only the options that are given are compared and written. A second identical run changes nothing and
    sends no write request.
author:
  - Thingsstack Tenancy Developers (@thingsstack)
attributes:
  diff_mode:
    details: Shows exactly the fields that change; a replacement shows the new price, the moved lookup key and the archived price.
options:
  lookup_key:
    description:
      - Lookup key of the price, unique within the Stripe account, for example V(tts-small-monthly). At most 200 characters.
      - Without O(id), the price is looked up by this key and created with it when there is none.
      - With O(id), the key is set on that price and taken away from any other price that has it.
    type: str
  id:
    description:
      - ID of an existing price (C(price_...)). Stripe assigns price IDs, so a price is created only by O(lookup_key).
    type: str
  state:
    description:
      - V(present) creates, updates or replaces the price.
      - V(absent) archives the price (O(active=false)); Stripe does not delete prices. Its lookup key stays on it.
    type: str
    choices: [present, absent]
    default: present
  product:
    description:
      - ID of the product the price belongs to, for example V(tts-enterprise). Required to create a price.
    type: str
  currency:
    description:
      - Three-letter ISO 4217 currency code in lower case, for example V(eur). Required to create a price.
    type: str
  unit_amount:
    description:
      - Price in the smallest unit of the currency (cents for V(eur)), V(0) for a free price.
      - One of O(unit_amount) and O(unit_amount_decimal) is required to create a price.
    type: int
  unit_amount_decimal:
    description:
      - Price in the smallest unit of the currency as a decimal string with at most 12 decimal places, for example V('1250.5').
    type: str
  recurring:
    description:
      - Billing interval of a recurring price. Not given creates a one-time price.
    type: dict
    suboptions:
      interval:
        description: Billing frequency.
        type: str
        choices: [day, week, month, year]
        required: true
      interval_count:
        description: Number of intervals between two bills, for example V(3) with O(recurring.interval=month) for quarterly.
        type: int
        default: 1
      usage_type:
        description:
          - V(licensed) bills the subscription item's quantity (Stripe's default), V(metered) the usage a Billing Meter
            measured in the period. A metered subscription item has no quantity.
          - Not given leaves it to Stripe on create (licensed) and is not compared.
          - At Stripe API C(2025-03-31.basil) and later (the pinned O(api_version) is), V(metered) needs O(recurring.meter),
            because basil removed legacy metered prices. Refused before any request without one.
        type: str
        choices: [licensed, metered]
        version_added: 0.2.0
      meter:
        description:
          - The Billing Meter of a metered price, by ID (C(mtr_...)) or by its event name (looked up with one read);
            it must be active. See M(thingsstack.tenancy.stripe_meter).
          - Only with O(recurring.usage_type=metered).
          - A meter-backed price cannot be marked O(tbs_plan=metered) (the Tenant Billing Server's usage records are
            refused by Stripe on meter-backed items); mark it O(tbs_plan=recurring) and report usage to the meter.
        type: str
        version_added: 0.2.0
  billing_scheme:
    description:
      - V(per_unit) (Stripe's default) charges O(unit_amount) per unit, V(tiered) by O(tiers) and O(tiers_mode).
      - A tiered price has no O(unit_amount) and no O(transform_quantity).
    type: str
    choices: [per_unit, tiered]
    version_added: 0.2.0
  tiers:
    description:
      - The tiers of a price with O(billing_scheme=tiered), in increasing O(tiers[].up_to) order; the last one has
        O(tiers[].up_to=inf). Compared with the price's tiers (one more read, since Stripe returns tiers only when asked).
    type: list
    elements: dict
    version_added: 0.2.0
    suboptions:
      up_to:
        description: The highest quantity of the tier, a whole number; V(inf) for the last tier.
        type: raw
        required: true
      unit_amount:
        description: Price per unit in the tier, in the currency's smallest unit.
        type: int
      unit_amount_decimal:
        description: Price per unit as a decimal string, instead of O(tiers[].unit_amount).
        type: str
      flat_amount:
        description: Flat price of the tier, in the currency's smallest unit.
        type: int
      flat_amount_decimal:
        description: Flat price as a decimal string, instead of O(tiers[].flat_amount).
        type: str
  tiers_mode:
    description: V(graduated) prices each unit by its own tier, V(volume) all units by the tier of the total. Required with O(billing_scheme=tiered).
    type: str
    choices: [graduated, volume]
    version_added: 0.2.0
  transform_quantity:
    description: Bill per group of units, for example per 100 end devices; not with O(billing_scheme=tiered).
    type: dict
    version_added: 0.2.0
    suboptions:
      divide_by:
        description: The group size, at least 1.
        type: int
        required: true
      round:
        description: Whether a partial group is rounded V(up) or V(down).
        type: str
        choices: [up, down]
        required: true
  tax_behavior:
    description:
      - Whether O(unit_amount) includes tax (V(inclusive)) or not (V(exclusive)). Stripe sets it once on an existing
        price whose behaviour is V(unspecified); another change replaces the price like an amount does.
    type: str
    choices: [inclusive, exclusive, unspecified]
    version_added: 0.2.0
  nickname:
    description: A brief description of the price, hidden from customers. An empty string removes it.
    type: str
  active:
    description:
      - Whether the price can be used for new purchases. Not given leaves it unchanged; a new price is active.
    type: bool
  tenant_limits:
    description:
      - Limits of the The Things Stack tenants subscribed to this price, written as the price metadata keys
        C(max-applications), C(max-clients), C(max-end-devices), C(max-gateways), C(max-organizations) and C(max-users).
      - A limit left out means no limit; its key is removed from the price.
      - Not given leaves these keys untouched, also when O(purge_metadata=true).
      - The keys cannot be given in O(metadata) as well.
    type: dict
    suboptions:
      applications:
        description: Maximum number of applications.
        type: int
      clients:
        description: Maximum number of OAuth clients.
        type: int
      end_devices:
        description: Maximum number of end devices.
        type: int
      gateways:
        description: Maximum number of gateways.
        type: int
      organizations:
        description: Maximum number of organizations.
        type: int
      users:
        description: Maximum number of users.
        type: int
  tbs_plan:
    description:
      - Marks the price as a plan of The Things Stack's Tenant Billing Server, in the price metadata key C(tts-tbs-plan).
      - V(recurring) for C(tbs.stripe.recurring-plan-ids), V(metered) for C(tbs.stripe.metered-plan-ids) of the TBS
        configuration; V(none) removes the mark. A TBS plan must be a recurring price.
      - A meter-backed price (O(recurring.meter)) cannot be V(metered), because TBS reports usage with legacy usage records,
        which Stripe refuses on meter-backed items. Mark it V(recurring) (TBS provisions the tenant and sets its limits)
        and report the usage to the meter with the collection's usage reporter.
      - Not given leaves the mark untouched, also when O(purge_metadata=true). The key cannot be given in O(metadata).
      - M(thingsstack.tenancy.stripe_price_info) returns the marked prices in RV(thingsstack.tenancy.stripe_price_info#module:tbs_plans),
        and C(playbooks/catalog.yml) writes the TBS configuration fragment from them.
    type: str
    choices: [recurring, metered, none]
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - thingsstack.tenancy.attributes
  - thingsstack.tenancy.stripe
  - thingsstack.tenancy.stripe.metadata
notes:
  - Changing an immutable field of a price that subscriptions use leaves those subscriptions on the old,
    archived price. Move them with M(thingsstack.tenancy.stripe_subscription).
seealso:
  - module: thingsstack.tenancy.stripe_price_info
  - module: thingsstack.tenancy.stripe_product
  - name: Stripe API prices
    description: The price object and its endpoints.
    link: https://docs.stripe.com/api/prices
  - name: Change prices
    description: Why Stripe prices are replaced rather than edited.
    link: https://docs.stripe.com/products-prices/manage-prices
"""

EXAMPLES = r"""
- name: Ensure the small monthly plan with its tenant limits
  thingsstack.tenancy.stripe_price:
    lookup_key: tts-small-monthly
    product: tts-enterprise
    currency: eur
    unit_amount: 9900
    recurring:
      interval: month
    nickname: Small, monthly
    tenant_limits:
      applications: 10
      end_devices: 1000
      gateways: 10
      users: 5
    tbs_plan: recurring
  register: small_plan

- name: Raise the price; a new price takes over the lookup key and the old one is archived
  thingsstack.tenancy.stripe_price:
    lookup_key: tts-small-monthly
    unit_amount: 10900
  diff: true

- name: Archive a plan
  thingsstack.tenancy.stripe_price:
    lookup_key: tts-legacy-monthly
    state: absent
"""

RETURN = r"""
price:
  description:
    - The price after the task, as Stripe returns it (in check mode, as it would be; a new price has C(id) null).
    - Empty when O(state=absent) and there is no such price.
  returned: always
  type: dict
  sample:
    id: price_1PgafmB7WZ01zgkW6dKueIc5
    object: price
    active: true
    currency: eur
    lookup_key: tts-small-monthly
    nickname: Small, monthly
    product: tts-enterprise
    recurring: {interval: month, interval_count: 1, usage_type: licensed, meter: null, trial_period_days: null}
    type: recurring
    unit_amount: 9900
    unit_amount_decimal: "9900"
    metadata: {max-applications: "10", max-end-devices: "1000", max-gateways: "10", max-users: "5"}
replaced_price:
  description: The old price, archived and without its lookup key, when the task replaced it.
  returned: when an immutable field changed
  type: dict
  sample:
    id: price_1PgafmB7WZ01zgkW6dKueIc5
    active: false
    lookup_key: null
steps:
  description:
    - The writes the task made (in check mode, would make), in order. Each has an C(action) of V(create), V(update),
      V(transfer_lookup_key) or V(archive) and names the C(price).
    - A replacement is V(create) (with the C(reason)), V(transfer_lookup_key) (with C(lookup_key), C(from_price),
      C(to_price)) and V(archive).
  returned: always
  type: list
  elements: dict
  sample:
    - {action: create, price: price_1Q0new, reason: "unit_amount 9900 -> 10900; Stripe prices are immutable"}
    - {action: transfer_lookup_key, lookup_key: tts-small-monthly, from_price: price_1Q0old, to_price: price_1Q0new}
    - {action: archive, price: price_1Q0old}
tbs_plan_change:
  description:
    - When a replacement concerns a price marked as a TBS plan (O(tbs_plan)), the two price IDs the TBS configuration
      must list, and where. C(new_price) is null in check mode.
  returned: when a price marked as a TBS plan was replaced
  type: dict
  version_added: 0.2.0
  contains:
    tbs_plan:
      description: V(recurring) or V(metered).
      type: str
    config_key:
      description: The TBS configuration key that must list the IDs.
      type: str
      sample: tbs.stripe.recurring-plan-ids
    new_price:
      description: ID of the new price; TBS must list it before new subscriptions use it.
      type: str
      sample: price_1Q0new
    old_price:
      description: ID of the replaced price; TBS must keep it while subscriptions remain on it.
      type: str
      sample: price_1Q0old
"""

from ansible_collections.thingsstack.tenancy.plugins.module_utils.controller import run_on_controller
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import metadata_argument_spec, stripe_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tenant_limits import LIMITS

ARGUMENT_SPEC = dict(
    stripe_argument_spec(),
    lookup_key=dict(type='str', no_log=False),
    id=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    product=dict(type='str'),
    currency=dict(type='str'),
    unit_amount=dict(type='int'),
    unit_amount_decimal=dict(type='str'),
    recurring=dict(type='dict', options=dict(
        interval=dict(type='str', choices=['day', 'week', 'month', 'year'], required=True),
        interval_count=dict(type='int', default=1),
        usage_type=dict(type='str', choices=['licensed', 'metered']),
        meter=dict(type='str'),
    )),
    billing_scheme=dict(type='str', choices=['per_unit', 'tiered']),
    tiers=dict(type='list', elements='dict', options=dict(
        up_to=dict(type='raw', required=True),
        unit_amount=dict(type='int'),
        unit_amount_decimal=dict(type='str'),
        flat_amount=dict(type='int'),
        flat_amount_decimal=dict(type='str'),
    )),
    tiers_mode=dict(type='str', choices=['graduated', 'volume']),
    transform_quantity=dict(type='dict', options=dict(
        divide_by=dict(type='int', required=True),
        round=dict(type='str', choices=['up', 'down'], required=True),
    )),
    tax_behavior=dict(type='str', choices=['inclusive', 'exclusive', 'unspecified']),
    nickname=dict(type='str'),
    active=dict(type='bool'),
    tenant_limits=dict(type='dict', options=dict((name, dict(type='int')) for name in LIMITS)),
    tbs_plan=dict(type='str', choices=['recurring', 'metered', 'none']),
    **metadata_argument_spec()
)  # yapf: disable

ARGUMENT_RULES = dict(
    required_one_of=[('lookup_key', 'id')],
    mutually_exclusive=[('unit_amount', 'unit_amount_decimal')],
)  # yapf: disable


def main():
    run_on_controller(ARGUMENT_SPEC, ARGUMENT_RULES)


if __name__ == '__main__':
    main()
