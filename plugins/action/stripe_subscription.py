# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.stripe_subscription (documented in plugins/modules/stripe_subscription.py)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_subscription
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_action import StripeAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import apply_changes
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import is_key_conflict
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import (
    BILLING_FIELDS, CLAIM_SLOTS, CLAIM_WINDOW, apply_items, brief_items, check_named_subscription, check_tenant_billed_by,
    check_subscription_options, check_tenant_unique, claim_key, creation_only_warning, customer_subscriptions, deprecated_name_warning,
    desired_metadata, is_live, item_payload, known_prices, password_warnings, recent_subscriptions, resolve_customer, resolve_items,
    retrieve_subscription, select_tenant, subscription_items, subscription_update, tenant_claims, tenant_of, wanted_items)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_rules import SECRET_METADATA_KEYS

CREATE_ONLY_FIELDS = ('payment_behavior', 'trial_period_days')


class ActionModule(StripeAction):
    MODULE = stripe_subscription
    RESULT_KEY = 'subscription'
    SUMMARY = ('id', 'customer', 'status', 'metadata')
    SECRET_KEYS = SECRET_METADATA_KEYS

    def validate(self, params):
        check_subscription_options(params)

    def ensure(self, api, params):
        if params['state'] == 'present':
            self.warnings.extend(password_warnings(params))
        return self.reconcile(api, params)

    def reconcile(self, api, params):
        customer_id = resolve_customer(api, params['customer']) if params['customer'] else None
        tenant_subscriptions = []
        if params['id']:
            current = retrieve_subscription(api, params['id'])
            check_named_subscription(current, params, customer_id)
        elif customer_id:
            tenant_subscriptions = [sub for sub in customer_subscriptions(api, customer_id) if tenant_of(sub) == params['tenant_id']]
            current = select_tenant(tenant_subscriptions, params['tenant_id'], customer_id)
        else:
            current = None
        if params['state'] == 'absent':
            return self.cancel(api, params, current)
        if params['tenant_subscription'] and params['tenant_subscription'] != (current or {}).get('id'):
            check_tenant_billed_by(retrieve_subscription(api, params['tenant_subscription']), params['tenant_id'], customer_id)
        if current is None:
            if params['id']:
                raise self.unknown_id(params['id'], 'give customer and tenant_id instead to create one')
            if customer_id is None:
                self.no_customer_yet(params['customer'])
            return self.create(api, params, customer_id)
        if not is_live(current):
            raise TenancyError(f"id: subscription {current['id']} is {current['status']} and Stripe cannot update it; "
                               'give customer and tenant_id instead of id to create a new subscription')
        return self.update(api, params, current)

    def no_customer_yet(self, customer):
        """No customer to subscribe: an error, or in check mode a warning (an earlier task creates it on the real run)."""
        if not self.check_mode:
            if not customer:
                raise TenancyError("customer: is empty; give the customer's ID (cus_...) or email")
            raise TenancyError(
                f"customer: no Stripe customer has the email {customer!r}; create it first (thingsstack.tenancy.stripe_customer)")
        if customer:
            self.warnings.append(f"customer {customer!r} does not exist yet; check mode assumes that an earlier task creates it "
                                 '(thingsstack.tenancy.stripe_customer) and shows the subscription it would get')
        else:
            self.warnings.append('customer is empty, as when an earlier task in check mode would create the customer and so '
                                 'returns no ID; check mode shows the subscription that customer would get')

    def create(self, api, params, customer_id):
        wanted = wanted_items(params)
        if not wanted:
            raise TenancyError('price: a new subscription needs price or items')
        items = [item_payload(quantity, price=price_id) for price_id, quantity in resolve_items(api, wanted, known_prices(params))]
        claims = tenant_claims(api, params['tenant_id'], lookup=params['claim_lookup'])
        if customer_id and len(claims) == 1 and claims[0]['customer'] == customer_id:
            # A concurrent run made it after we read the customer's subscriptions: it is the one we want; converge it.
            return self.update(api, params, claims[0])
        check_tenant_unique(params['tenant_id'], claims)
        payload = {'customer': customer_id, 'items': items}
        metadata = {key: value for key, value in desired_metadata(params).items() if value}
        if metadata:
            payload['metadata'] = metadata
        payload.update((field, params[field]) for field in BILLING_FIELDS + CREATE_ONLY_FIELDS if params[field] not in (None, ''))
        predicted = dict(payload, id=None, object='subscription', status=None, items={'object': 'list', 'data': apply_items([], items)})
        subscription, created = self.write((predicted, True), self.claim, api, params['tenant_id'], customer_id, payload)
        if not created:
            return self.update(api, params, subscription)
        self.warn_status(subscription)
        after = dict(payload, items=items)
        return self.created_result(subscription, after)

    def claim(self, api, tenant_id, customer_id, payload):
        """Create the tenant's subscription under the tenant's claim key: ``(subscription, True)``; or ``(subscription,
        False)`` for a live subscription of this customer that an earlier or concurrent request made for the tenant.

        Every run that creates a subscription for the tenant uses the same key for the same slot, so Stripe lets one
        create through and refuses another one with other parameters (another customer's) for as long as it keeps the
        key. A slot whose subscription has ended, or whose create failed (a declined first payment), is used up: the
        next slot is tried, and racing runs meet on that one too.
        """
        for slot in range(CLAIM_SLOTS):
            try:
                subscription, replayed = api.create_keyed(api.v1.subscriptions, params=payload, key=claim_key(tenant_id, slot))
            except ApiError as exc:
                if not is_key_conflict(exc):
                    raise
                if exc.details.get('status') == 409:
                    raise TenancyError(
                        f"tenant_id: another request is creating a subscription for tenant {tenant_id!r} right now "
                        '(a concurrent run?); run again to see which customer it bills', status=409) from None
                recent = [sub for sub in recent_subscriptions(api, tenant_id) if is_live(sub)]
                check_tenant_unique(tenant_id, [sub for sub in recent if sub.get('customer') != customer_id])
                if recent:  # this customer's: made by an earlier run with other parameters; converge it
                    return recent[0], False
                continue
            if not replayed:
                return subscription, True
            current = retrieve_subscription(api, subscription['id'])  # the replay shows the object as it was created
            if current and is_live(current):
                return current, False
        raise TenancyError(f"tenant_id: tenant {tenant_id!r} was claimed {CLAIM_SLOTS} times within {CLAIM_WINDOW // 3600} hours "
                           'by subscriptions that ended or failed; wait, or create the subscription in the Stripe Dashboard')

    def update(self, api, params, current):
        old_tenant, new_tenant = tenant_of(current), params['tenant_id']
        if new_tenant and new_tenant != old_tenant:
            if old_tenant and not params['force_tenant_id_change']:
                raise TenancyError(f"tenant_id: subscription {current['id']} belongs to tenant {old_tenant!r}; the Tenant Billing "
                                   f"Server would create a second tenant {new_tenant!r} and leave {old_tenant!r} behind. "
                                   'Set force_tenant_id_change=true if that is what you want')
            check_tenant_unique(new_tenant, tenant_claims(api, new_tenant, current['id'], params['claim_lookup']))
            if old_tenant:
                self.warnings.append(f"tenant_id changed from {old_tenant!r} to {new_tenant!r}: the Tenant Billing Server creates "
                                     f"tenant {new_tenant!r} and no longer updates {old_tenant!r}, which must be removed separately")
        deprecated = deprecated_name_warning(current)
        if deprecated:
            self.warnings.append(deprecated)

        current_items = subscription_items(api, current)
        wanted = wanted_items(params)
        changes, item_changes = subscription_update(current, params, current_items,
                                                    resolve_items(api, wanted, current_items + known_prices(params)) if wanted else None)
        warning = creation_only_warning(changes.get('metadata') or {})
        if warning:
            self.warnings.append(warning)
        keys = list(changes) + (['items'] if item_changes else [])
        if not keys:
            return self.unchanged_result(current)

        predicted = apply_changes(current, changes)
        after_items = apply_items(current_items, item_changes)
        predicted['items'] = dict(current.get('items') or {}, data=after_items)
        if item_changes:
            changes['items'] = item_changes
            if params['proration_behavior']:
                changes['proration_behavior'] = params['proration_behavior']
        after = self.write(predicted, api.write, api.v1.subscriptions.update, current['id'], params=changes)
        if not self.check_mode:
            self.warn_status(after)
        before_view = dict(current, items=brief_items(current_items))
        after_view = dict(after, items=brief_items(after_items))
        return self.updated_result(after, before_view, after_view, keys)

    def cancel(self, api, params, current):
        if current is None:
            return self.missing_result()
        if not is_live(current) or params['cancel_at_period_end'] and current.get('cancel_at_period_end'):
            return self.unchanged_result(current)
        if params['cancel_at_period_end']:
            after = self.updated(api, api.v1.subscriptions, current, {'cancel_at_period_end': True})
            return self.updated_result(after, current, after, ['cancel_at_period_end'])
        after = self.write(dict(current, status='canceled'), api.write, api.v1.subscriptions.cancel, current['id'])
        return self.changed_result(after, self.summary(current), self.summary(after))

    def warn_status(self, subscription):
        if subscription.get('status') == 'incomplete':
            self.warnings.append(f"subscription {subscription['id']} is incomplete (its first invoice is unpaid); the Tenant Billing "
                                 'Server creates the tenant only once it is active or trialing')
