# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subscriptions that carry a tenant: finding them by tenant, their items, and the tenant metadata the TBS reads.

Shared by ``stripe_subscription`` and ``stripe_subscription_info``. The TTS rules themselves (ID rules,
metadata keys, lengths) live in ``tenant_rules``; this file only applies them to subscriptions.
"""

from __future__ import annotations

import time
from decimal import Decimal

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import changed_fields, metadata_changes, stringify
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_customers import find_customer
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_prices import is_metered, require_price
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import (CREATION_ONLY_KEYS, DEPRECATED_NAME_KEYS,
                                                                                       PASSWORD_MAX, SUBSCRIPTION_KEYS,
                                                                                       TENANT_DESCRIPTION_MAX, TENANT_NAME_MAX,
                                                                                       USER_NAME_MAX, check_tenant_id, check_tts_email,
                                                                                       check_user_id)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import (METADATA_MAX_KEYS, METADATA_VALUE_MAX,
                                                                                     TRIAL_PERIOD_DAYS_MAX, TRIAL_PERIOD_DAYS_MIN,
                                                                                     check_email, check_length, check_metadata, check_range)

BILLING_FIELDS = ('collection_method', 'days_until_due', 'default_payment_method', 'cancel_at_period_end', 'description')
ENDED = ('canceled', 'incomplete_expired')  # terminal statuses: such a subscription can no longer be updated
UNPAID = ('unpaid', 'paused')  # not ended, but not paid for: the Tenant Billing Server suspends the tenant of an unpaid one
MAX_ITEMS = 20
AMOUNT_MAX = 99999999  # Stripe's maximum amount, in the currency's smallest unit (docs: "Supported currencies")
TENANT_KEYS = frozenset(SUBSCRIPTION_KEYS.values())
OPTION_OF_KEY = {key: option for option, key in SUBSCRIPTION_KEYS.items()}
# Keys the TBS reads; purge_metadata never removes them (each has its own option, or is deprecated).
PROTECTED_KEYS = TENANT_KEYS | frozenset(DEPRECATED_NAME_KEYS)
# The claim on a tenant ID: Stripe keeps an idempotency key at least 24 hours. A conflict on a claim key is explained
# by the subscriptions created in this window; older ones are what the claim lookup (search lags an hour at most) finds.
CLAIM_WINDOW = 25 * 3600
CLAIM_SLOTS = 10  # claims of one tenant ID that may end (cancel, failed first payment) within the window

# -- validation (offline) -------------------------------------------------------------------------


def check_customer_reference(option, reference):
    if reference and not reference.startswith('cus_'):
        check_email(option, reference)


def check_tenant_metadata_options(params):
    """The tenant metadata options, by the Identity Server's rules and Stripe's metadata limits."""
    check_tenant_id('tenant_id', params['tenant_id'])
    check_length('tenant_name', params['tenant_name'], TENANT_NAME_MAX)
    check_length('tenant_description', params['tenant_description'], min(TENANT_DESCRIPTION_MAX, METADATA_VALUE_MAX))
    if params['admin_user']:
        check_user_id('admin_user', params['admin_user'])
    if params['admin_email']:
        check_tts_email('admin_email', params['admin_email'])
    check_length('admin_full_name', params['admin_full_name'], USER_NAME_MAX)
    check_length('admin_password', params['admin_password'], min(PASSWORD_MAX, METADATA_VALUE_MAX))
    metadata = params['metadata'] or {}
    check_metadata('metadata', params['metadata'])
    for key, value in metadata.items():
        if key in TENANT_KEYS:
            raise InvalidOption('metadata', f"key {key!r} is managed by the {OPTION_OF_KEY[key]} option; set it there")
        if key in DEPRECATED_NAME_KEYS and stringify(value):
            raise InvalidOption(
                'metadata', f"key {key!r} is deprecated by The Things Stack and is never written; "
                "use tenant_name (an empty value removes the key)")
    if len(set(metadata) | set(tenant_metadata(params))) > METADATA_MAX_KEYS:
        raise InvalidOption('metadata', f"with the tenant keys, at most {METADATA_MAX_KEYS} keys are allowed")


def check_subscription_options(params):
    """Every rule stripe_subscription can check before its first request."""
    check_customer_reference('customer', params['customer'])
    check_tenant_metadata_options(params)
    if params['quantity'] is not None and params['quantity'] < 1:
        raise InvalidOption('quantity', f"must be at least 1, got {params['quantity']}")
    items = params['items']
    if items is not None:
        if not 1 <= len(items) <= MAX_ITEMS:
            raise InvalidOption('items', f"must list 1 to {MAX_ITEMS} prices, got {len(items)}")
        for index, item in enumerate(items):
            if item['quantity'] is not None and item['quantity'] < 1:
                raise InvalidOption(f"items[{index}].quantity", f"must be at least 1, got {item['quantity']}")
        references = [item['price'] for item in items]
        if len(set(references)) != len(references):
            raise InvalidOption('items', 'each price may be listed only once (Stripe allows one item per price)')
    if params['days_until_due'] is not None:
        if params['collection_method'] != 'send_invoice':
            raise InvalidOption('days_until_due', 'is only valid with collection_method=send_invoice')
        if params['days_until_due'] < 0:
            raise InvalidOption('days_until_due', f"must not be negative, got {params['days_until_due']}")
    check_range('trial_period_days', params['trial_period_days'], TRIAL_PERIOD_DAYS_MIN, TRIAL_PERIOD_DAYS_MAX)
    known_prices(params)


def known_prices(params):
    """The prices of ``price_info`` (a stripe_price_info result) as items, for ``item_price``: they need no read."""
    prices = (params.get('price_info') or {}).get('prices', [])
    if not isinstance(prices, list) or not all(isinstance(price, dict) and isinstance(price.get('id'), str) for price in prices):
        raise InvalidOption('price_info',
                            'must be a result of thingsstack.tenancy.stripe_price_info: prices, a list of prices with their id')
    return [{'price': price} for price in prices]


# -- tenant metadata ------------------------------------------------------------------------------


def tenant_metadata(params):
    """The tenant keys the task declares, by metadata key; ``''`` removes a key.

    ``admin-password`` is written only with ``store_admin_password`` and removed with ``scrub_admin_password``.
    """
    wanted = {
        key: params[option]
        for option, key in SUBSCRIPTION_KEYS.items() if option != 'admin_password' and params.get(option) is not None
    }
    if params.get('store_admin_password') and params.get('admin_password') is not None:
        wanted['admin-password'] = params['admin_password']
    if params.get('scrub_admin_password'):
        wanted['admin-password'] = ''
    return wanted


def desired_metadata(params):
    """Tenant keys and free metadata together, as Stripe stores them."""
    free = {key: stringify(value) for key, value in (params['metadata'] or {}).items()}
    return {**free, **tenant_metadata(params)}


def subscription_metadata_changes(current, params):
    """The metadata update: declared keys set or removed; with purge, undeclared free keys removed.

    Purging never touches the keys The Things Stack reads (PROTECTED_KEYS): each is managed by its own option.
    """
    current = current or {}
    changes = metadata_changes(current, desired_metadata(params), False)
    if params['purge_metadata'] and params['metadata'] is not None:
        declared = desired_metadata(params)
        changes.update((key, '') for key in current if key not in declared and key not in PROTECTED_KEYS)
    return changes


def subscription_update(current, params, current_items, resolved):
    """What stripe_subscription sends to update ``current``: ``(changes, item changes)``, the declared billing fields it
    does not satisfy with the metadata changes, and the ``items`` payload (``resolved``: ``[(price ID, quantity)]``, None
    when the task does not manage items). Also the role's bulk comparison (tenant_snapshot)."""
    changes = changed_fields(current, {field: params[field] for field in BILLING_FIELDS if params[field] is not None})
    metadata = subscription_metadata_changes(current.get('metadata'), params)
    if metadata:
        changes['metadata'] = metadata
    return changes, (reconcile_items(current_items, resolved) if resolved is not None else [])


def password_warnings(params):
    if params['admin_password'] is not None and not params['store_admin_password']:
        return [
            'admin_password is not written to Stripe (store_admin_password is false): The Things Stack generates '
            "the initial admin's password when it creates the tenant and mails it to the admin email"
        ]
    if params['store_admin_password']:
        return [
            "store_admin_password: the password is stored in the subscription metadata key 'admin-password', "
            'which anyone with access to the Stripe Dashboard or API can read; The Things Stack reads it only when '
            'it creates the tenant, so remove it afterwards with scrub_admin_password'
        ]
    return []


def deprecated_name_warning(subscription):
    metadata = subscription.get('metadata') or {}
    keys = [key for key in DEPRECATED_NAME_KEYS if metadata.get(key)]
    if not keys:
        return None
    names = ', '.join(repr(key) for key in keys)
    if metadata.get('tenant-name'):
        effect = "The Things Stack ignores them because 'tenant-name' is set"
    else:
        effect = f"they set the tenant name to {metadata[keys[0]]!r} because 'tenant-name' is missing"
    return (f"subscription {subscription['id']} carries the deprecated metadata {names}: {effect}. "
            "Use tenant_name (metadata 'tenant-name') instead; remove the old keys with metadata: {KEY: ''}")


def creation_only_warning(changes):
    keys = sorted(key for key, value in changes.items() if key in CREATION_ONLY_KEYS and value)
    if not keys:
        return None
    return (f"set {', '.join(keys)} on an existing subscription: the Tenant Billing Server reads the admin-* keys only "
            'when it creates the tenant; if the tenant exists already, its admin does not change')


# -- finding subscriptions ------------------------------------------------------------------------


def is_live(subscription):
    """Not ended: Stripe can still update it, and it still carries its tenant (one tenant, one live subscription)."""
    return subscription.get('status') not in ENDED


def is_running(subscription):
    """Live and paid for: its tenant stays approved, also while it is canceled at the end of the period."""
    return bool(subscription.get('status')) and is_live(subscription) and subscription['status'] not in UNPAID


def tenant_of(subscription):
    return (subscription.get('metadata') or {}).get('tenant-id')


def resolve_customer(api, reference, option='customer'):
    """The customer ID a ``customer`` option names: a ``cus_`` ID as given (no request), an email looked up
    exactly like stripe_customer does (None when no customer has it)."""
    if reference.startswith('cus_'):
        return reference
    try:
        customer = find_customer(api, email=reference)
    except ApiError:
        raise
    except TenancyError as exc:
        ids = exc.details.get('candidates') or []
        raise TenancyError(
            f"{option}: {len(ids)} customers have the email {reference!r}: {', '.join(ids)}; "
            "give the customer's id (cus_...) instead", candidates=ids) from None
    return customer['id'] if customer else None


def retrieve_subscription(api, subscription_id):
    """The subscription in any status, or None when there is none with that ID."""
    return api.retrieve(api.v1.subscriptions.retrieve, subscription_id)


def customer_subscriptions(api, customer_id):
    """All of a customer's subscriptions in any status (a strongly consistent list, filtered in code)."""
    return api.list_all(api.v1.subscriptions.list, params={'customer': customer_id, 'status': 'all'})


def live_subscriptions(api):
    """Every subscription of the account that is not canceled or incomplete_expired (Stripe's default list)."""
    return api.list_all(api.v1.subscriptions.list)


def search_quote(value):
    """``value`` as a quoted string of a Search API query: a quote or backslash in it cannot end the string early."""
    return "'" + str(value).replace('\\', '\\\\').replace("'", "\\'") + "'"


def subscriptions_with_tenant(api, tenant_id):
    """The subscriptions whose tenant-id metadata is ``tenant_id``, in any status, by one Search API query (bounded,
    but eventually consistent: a subscription made in the last minute or so may be missing, a changed one stale)."""
    return api.search_all(api.v1.subscriptions.search, f"metadata['tenant-id']:{search_quote(tenant_id)}")


def recent_subscriptions(api, tenant_id):
    """The subscriptions carrying ``tenant_id`` created within CLAIM_WINDOW, in any status: a strongly consistent list
    of the account's recent subscriptions (one request per 100 of them), read only when a claim key conflicts."""
    since = int(time.time()) - CLAIM_WINDOW
    found = api.list_all(api.v1.subscriptions.list, params={'status': 'all', 'created': {'gte': since}})
    return [sub for sub in found if tenant_of(sub) == tenant_id]


def check_named_subscription(subscription, params, customer_id):
    """A subscription named by ``id`` must carry the declared tenant and customer: a typo must not reach another tenant."""
    if subscription is None:
        return
    declared, carried = params['tenant_id'], tenant_of(subscription)
    if params['state'] == 'absent' and declared and declared != carried:
        raise TenancyError(
            f"id: subscription {subscription['id']} carries tenant-id {carried!r}, not {declared!r}; check id "
            '(nothing was canceled)', tenant_id=carried)
    if params['customer'] and subscription.get('customer') != customer_id:
        owner = f'customer {customer_id}' if customer_id else f"a customer with the email {params['customer']!r} (there is none)"
        raise TenancyError(
            f"id: subscription {subscription['id']} belongs to customer {subscription.get('customer')}, not {owner}; "
            'check id (nothing was written)', customer=subscription.get('customer'))


def select_tenant(subscriptions, tenant_id, customer_id):
    """The one live subscription carrying ``tenant_id``, None if none; several fail with their IDs."""
    matches = [sub for sub in subscriptions if is_live(sub) and tenant_of(sub) == tenant_id]
    if len(matches) > 1:
        ids = [sub['id'] for sub in matches]
        raise TenancyError(
            f"tenant_id: {len(ids)} live subscriptions of customer {customer_id} carry tenant-id "
            f"{tenant_id!r}: {', '.join(ids)}; cancel all but one (state=absent with id) or manage it by id", candidates=ids)
    return matches[0] if matches else None


def tenant_claims(api, tenant_id, own_id=None, lookup='list'):
    """The live subscriptions of any customer, other than ``own_id``, that carry ``tenant_id``; ``lookup`` is the
    module's claim_lookup: ``list`` reads every live subscription of the account, ``search`` one Search API query whose
    hits are each read again by ID (a hit may be stale: since canceled, or no longer carrying the tenant)."""
    if lookup == 'search':
        # An ended hit stays ended (terminal statuses); a live one may be stale: canceled since, or no longer the tenant's.
        hits = [sub['id'] for sub in subscriptions_with_tenant(api, tenant_id) if is_live(sub) and sub['id'] != own_id]
        found = [sub for sub in (retrieve_subscription(api, sub_id) for sub_id in hits) if sub]
    else:
        found = live_subscriptions(api)
    return [sub for sub in found if is_live(sub) and tenant_of(sub) == tenant_id and sub['id'] != own_id]


def check_tenant_unique(tenant_id, others):
    """One tenant, one subscription: fail when another live subscription (``tenant_claims``) already carries ``tenant_id``."""
    if others:
        owners = ', '.join(f"{sub['id']} (customer {sub['customer']})" for sub in others)
        raise TenancyError(
            f"tenant_id: tenant {tenant_id!r} already has the live subscription {owners}; "
            'The Things Stack bills a tenant through exactly one subscription (nothing was written)',
            conflicts=[sub['id'] for sub in others])


def check_tenant_billed_by(billing, tenant_id, customer_id):
    """The subscription the tenant's billing link names (``tenant_subscription``) still claims the tenant while it is live:
    another customer cannot take the tenant over then, by adoption or otherwise, as it could not create a subscription."""
    if billing and is_live(billing) and tenant_of(billing) == tenant_id and billing.get('customer') != customer_id:
        raise TenancyError(
            f"tenant_id: tenant {tenant_id!r} is billed by the live subscription {billing['id']} of customer "
            f"{billing.get('customer')}; The Things Stack bills a tenant through exactly one subscription, so it "
            'cannot be taken over while that one runs (cancel it first; nothing was written)', conflicts=[billing['id']])


def claim_key(tenant_id, slot):
    """The idempotency key of the create that claims ``tenant_id``: the same for every customer and every run, so that
    Stripe itself lets only one create through per slot (a second one with other parameters is refused)."""
    return f"thingsstack-tenant-claim-{tenant_id}-{slot}"


# -- items ----------------------------------------------------------------------------------------


def subscription_items(api, subscription):
    """The subscription's items; the embedded list is complete unless Stripe says ``has_more``."""
    items = subscription.get('items') or {}
    if items.get('has_more'):
        return api.list_all(api.v1.subscription_items.list, params={'subscription': subscription['id']})
    return list(items.get('data') or [])


def wanted_items(params):
    """``[(option, price reference, quantity)]`` the task declares (quantity None when not given), or None when it does not
    manage items."""
    if params['items'] is not None:
        return [(f"items[{index}].price", item['price'], item['quantity']) for index, item in enumerate(params['items'])]
    if params['price'] is not None:
        return [('price', params['price'], params['quantity'])]
    return None


def item_price(reference, items):
    """The price of an item whose price has this ID or lookup key (no request needed), else None."""
    for item in items:
        price = item.get('price') or {}
        if reference in (price.get('id'), price.get('lookup_key')):
            return price
    return None


def check_metered_quantity(option, price, quantity):
    """A metered price's item takes no quantity (Stripe refuses one): a declared quantity fails naming its option."""
    if quantity is not None and is_metered(price):
        raise InvalidOption(
            option, f"price {price.get('id')} is metered (recurring.usage_type metered): Stripe bills the usage its "
            "meter measures and refuses a quantity on its subscription item; leave the quantity out")


def check_amount(option, price, quantity):
    """Stripe charges at most 8 digits in the currency's smallest unit: a per-unit price times a quantity above that
    could never be invoiced (a typo in a quantity, found before the write)."""
    unit = price.get('unit_amount_decimal') or price.get('unit_amount')
    if unit is None or price.get('billing_scheme', 'per_unit') != 'per_unit':
        return
    amount = Decimal(str(unit)) * quantity
    if amount > AMOUNT_MAX:
        raise InvalidOption(
            option.replace('price', 'quantity'),
            f"{quantity} x {unit} {(price.get('currency') or '').upper()} (smallest unit) of price {price.get('id')} is "
            f"{amount:f}, more than Stripe's maximum amount of {AMOUNT_MAX} (8 digits)")


def resolve_items(api, wanted, current_items):
    """``[(price ID, quantity)]``; a reference an existing item already carries costs no request,
    an unknown one fails naming its option, an amount Stripe cannot charge names the quantity. A metered price has
    quantity None (a declared one fails), any other 1 unless declared."""
    resolved = []
    for option, reference, quantity in wanted:
        price = item_price(reference, current_items) or require_price(api, reference, option)
        check_metered_quantity(option.replace('price', 'quantity'), price, quantity)
        if not is_metered(price):
            quantity = 1 if quantity is None else quantity
            check_amount(option, price, quantity)
        resolved.append((price['id'], quantity))
    return resolved


def item_payload(quantity, **fields):
    """An ``items`` entry: no quantity for a metered price."""
    return fields if quantity is None else dict(fields, quantity=quantity)


def reconcile_items(current_items, desired):
    """The ``items`` update payload that turns ``current_items`` into ``desired`` (``[(price ID, quantity)]``).

    Items whose price stays keep their ID (only a changed quantity is sent; a metered item's, None, is never compared).
    An item whose price goes away
    is switched to a new price in place, so its ID (TTS's ``billing.stripe.subscription_item_id``) stays valid.
    Further new prices are added, further old items deleted. An empty list means nothing to change.
    """
    payload, missing = [], []
    spare = list(current_items)
    for price_id, quantity in desired:
        item = next((item for item in spare if item['price']['id'] == price_id), None)
        if item is None:
            missing.append((price_id, quantity))
            continue
        spare.remove(item)
        if quantity is not None and item.get('quantity') != quantity:
            payload.append({'id': item['id'], 'quantity': quantity})
    for index, (price_id, quantity) in enumerate(missing):
        if index < len(spare):
            payload.append(item_payload(quantity, id=spare[index]['id'], price=price_id))
        else:
            payload.append(item_payload(quantity, price=price_id))
    payload.extend({'id': item['id'], 'deleted': True} for item in spare[len(missing):])
    return payload


def apply_items(current_items, payload):
    """The items after Stripe applied ``payload`` (the check-mode prediction)."""
    items = [dict(item) for item in current_items]
    for change in payload:
        if 'id' not in change:
            items.append({'id': None, 'object': 'subscription_item', 'price': {'id': change['price']}, 'quantity': change.get('quantity')})
            continue
        item = next(item for item in items if item['id'] == change['id'])
        if change.get('deleted'):
            items.remove(item)
            continue
        if 'price' in change:
            item['price'] = {'id': change['price']}
        item['quantity'] = change.get('quantity')
    return items


def brief_items(items):
    """Items as a diff shows them."""
    return [{'price': item['price']['id'], 'quantity': item.get('quantity')} for item in items]
