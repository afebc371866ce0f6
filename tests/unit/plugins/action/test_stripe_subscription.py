# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_subscription through run(), against the shared Stripe fake (conftest.py): requests made, results, diffs."""

from __future__ import annotations

import json

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError

SECRET = 'S3cret-Passw0rd'
SMALL = {'id': 'price_small', 'lookup_key': 'small'}
LARGE = {'id': 'price_large', 'lookup_key': 'large'}


@pytest.fixture
def run(run_action, stripe):
    """stripe_subscription for customer cus_1 and tenant acme unless the task names an id; the prices small and large exist."""
    stripe.load(prices=[SMALL, LARGE])

    def run_subscription(check_mode=False, **args):
        if 'id' not in args:
            args.setdefault('customer', 'cus_1')
            args.setdefault('tenant_id', 'acme')
        return run_action('stripe_subscription', check_mode=check_mode, **args)

    return run_subscription


def subscription(sub_id='sub_1', customer='cus_1', tenant='acme', status='active', price=None, quantity=1, **metadata):
    price = price or SMALL
    return {
        'id': sub_id, 'object': 'subscription', 'customer': customer, 'status': status, 'collection_method': 'send_invoice',
        'days_until_due': 30, 'description': None, 'cancel_at_period_end': False, 'default_payment_method': None, 'metadata':
        dict({'tenant-id': tenant}, **metadata), 'items': {'data': [{'id': 'si_1', 'price': dict(price), 'quantity': quantity}]}
    }


def test_create_writes_tenant_metadata_once_with_a_deterministic_key(run, stripe):
    result = run(price='small', tenant_name='Acme', collection_method='send_invoice', days_until_due=30)
    create, = stripe.writes
    assert create.method == 'subscriptions.create'
    assert create.natural_key == 'thingsstack-tenant-claim-acme-0'  # the same for every customer: Stripe enforces the claim
    assert create.params == {
        'customer': 'cus_1', 'items': [{'price': 'price_small', 'quantity': 1}], 'metadata': {'tenant-id': 'acme', 'tenant-name': 'Acme'},
        'collection_method': 'send_invoice', 'days_until_due': 30
    }
    assert result['changed'] and result['subscription']['id'] == 'sub_new1'
    assert result['diff'] == {'before': {}, 'after': create.params}
    # customer's list, the lookup key, the uniqueness check over all live subscriptions
    assert [call.method for call in stripe.reads] == ['subscriptions.list', 'prices.list', 'subscriptions.list']


def test_a_subscription_created_incomplete_warns_that_no_tenant_follows_yet(run, stripe):
    stripe.new_subscription_status = 'incomplete'
    result = run(price='small')
    assert result['changed'] and result['subscription']['status'] == 'incomplete'
    assert result['warnings'] == [
        'subscription sub_new1 is incomplete (its first invoice is unpaid); the Tenant Billing Server '
        'creates the tenant only once it is active or trialing'
    ]


def test_a_converged_run_only_lists_the_customers_subscriptions(run, stripe):
    stripe.load(subscriptions=[subscription(**{'tenant-name': 'Acme'})])
    result = run(price='small', tenant_name='Acme', collection_method='send_invoice', days_until_due=30)
    assert not result['changed'] and 'diff' not in result
    assert stripe.calls == [('subscriptions.list', (), {'customer': 'cus_1', 'status': 'all', 'limit': 100}, None)]


def test_a_customer_email_costs_one_list(run, stripe):
    stripe.load(subscriptions=[subscription()], customers=[{'id': 'cus_1', 'email': 'billing@acme.example'}])
    assert not run(customer='billing@acme.example', price='price_small')['changed']
    assert stripe.methods == ['customers.list', 'subscriptions.list']


def test_a_new_price_updates_the_item_in_place(run, stripe):
    stripe.load(subscriptions=[subscription()])
    result = run(price='large', proration_behavior='none')
    update, = stripe.writes
    assert update.params == {'items': [{'id': 'si_1', 'price': 'price_large', 'quantity': 1}], 'proration_behavior': 'none'}
    assert result['subscription']['items']['data'][0]['id'] == 'si_1'
    assert result['subscription']['items']['data'][0]['price']['id'] == 'price_large'
    assert result['diff'] == {
        'before': {'items': [{'price': 'price_small', 'quantity': 1}]}, 'after': {'items': [{'price': 'price_large', 'quantity': 1}]}
    }


def test_an_unknown_lookup_key_fails_before_any_write(run, stripe, failed):
    stripe.load(subscriptions=[subscription()])
    failed(run(price='huge'), "^price: no Stripe price has the ID or lookup key 'huge'")
    assert not stripe.writes


def test_check_mode_predicts_and_writes_nothing(run, stripe):
    stripe.load(subscriptions=[subscription()])
    result = run(check_mode=True, price='small', quantity=3, description='Fleet', metadata={'crm': 1})
    assert not stripe.writes
    assert result['changed']
    assert result['diff'] == {
        'before': {'description': None, 'metadata': {'tenant-id': 'acme'}, 'items': [{'price': 'price_small', 'quantity': 1}]}, 'after':
        {'description': 'Fleet', 'metadata': {'tenant-id': 'acme', 'crm': '1'}, 'items': [{'price': 'price_small', 'quantity': 3}]}
    }
    assert result['subscription']['items']['data'][0]['quantity'] == 3


def test_check_mode_create_for_a_customer_that_does_not_exist_yet(run, stripe, failed):
    result = run(check_mode=True, customer='new@acme.example', price='small')
    assert result['changed'] and result['subscription']['id'] is None
    assert result['warnings'] == [
        "customer 'new@acme.example' does not exist yet; check mode assumes that an earlier task "
        'creates it (thingsstack.tenancy.stripe_customer) and shows the subscription it would get'
    ]
    failed(run(customer='new@acme.example', price='small'), "^customer: no Stripe customer has the email 'new@acme.example'")
    assert not stripe.writes


def test_check_mode_after_a_customer_task_that_would_create_it(run, stripe, failed):
    # `customer: "{{ customer_result.customer.id }}"` after stripe_customer in check mode, which returns no ID for a new one
    result = run(check_mode=True, customer=None, price='small')
    assert result['changed'] and result['subscription']['customer'] is None
    assert result['warnings'] == [
        'customer is empty, as when an earlier task in check mode would create the customer and '
        'so returns no ID; check mode shows the subscription that customer would get'
    ]
    assert 'None' not in result['warnings'][0]
    failed(run(customer=None, price='small'), r"^customer: is empty; give the customer's ID \(cus_...\) or email$")
    assert not stripe.writes


def test_the_password_never_shows(run, stripe):
    stripe.load(subscriptions=[subscription(**{'admin-password': 'old-one'})])
    result = run(admin_password=SECRET, store_admin_password=True)
    assert stripe.writes[0].params == {'metadata': {'admin-password': SECRET}}
    assert SECRET not in json.dumps(result) and 'old-one' not in json.dumps(result)
    assert result['diff']['after']['metadata']['admin-password'] == '********'
    assert any('Dashboard' in w for w in result['warnings'])

    stripe.load(subscriptions=[subscription()])
    stripe.calls.clear()
    result = run(admin_password=SECRET)
    assert not result['changed'] and not stripe.writes
    assert any('generates' in w for w in result['warnings'])


def test_a_stripe_error_echoing_the_password_is_masked(run, stripe):
    stripe.load(subscriptions=[subscription()])
    stripe.failures['subscriptions.update'] = ApiError(f"Invalid metadata value {SECRET}", status=400)
    result = run(admin_password=SECRET, store_admin_password=True)
    assert result['failed'] and SECRET not in result['msg'] and '********' in result['msg']


def test_scrub_removes_the_password(run, stripe):
    stripe.load(subscriptions=[subscription(**{'admin-password': SECRET})])
    result = run(scrub_admin_password=True)
    assert stripe.writes[0].params == {'metadata': {'admin-password': ''}}
    assert 'admin-password' not in result['subscription']['metadata']
    assert SECRET not in json.dumps(result)


def test_the_same_tenant_on_another_customer_fails_on_create(run, stripe, failed):
    stripe.load(subscriptions=[subscription(customer='cus_2')])
    failed(run(price='small'), r"^tenant_id: tenant 'acme' already has the live subscription sub_1 \(customer cus_2\)")
    assert not stripe.writes


def test_two_matches_fail_with_their_ids(run, stripe, failed):
    stripe.load(subscriptions=[subscription('sub_1'), subscription('sub_2')])
    assert failed(run(price='small'), 'sub_1, sub_2')['candidates'] == ['sub_1', 'sub_2']


def test_the_next_claim_slot_after_the_tenant_was_canceled(run, stripe):
    first = run(price='small')['subscription']
    run(state='absent')
    result = run(price='small')
    assert result['changed'] and result['subscription']['id'] != first['id']
    # slot 0 replays the canceled subscription (read again by ID), so the create moves to slot 1
    assert [call.natural_key for call in stripe.writes if call.method == 'subscriptions.create'
            ] == ['thingsstack-tenant-claim-acme-0', 'thingsstack-tenant-claim-acme-0', 'thingsstack-tenant-claim-acme-1']
    assert [sub['status'] for sub in stripe.objects['subscriptions'].values()] == ['canceled', 'active']


def hide_from_search(stripe, monkeypatch):
    """Search behind by more than the subscriptions made so far, as Stripe's search is after a create."""
    monkeypatch.setattr(stripe, 'search', lambda resource, params: {'object': 'search_result', 'data': [], 'has_more': False})


def test_another_customers_claim_that_search_misses_is_refused_by_the_claim_key(run, stripe, failed, monkeypatch):
    run(price='small', customer='cus_2')
    hide_from_search(stripe, monkeypatch)
    result = failed(run(price='large', claim_lookup='search'),
                    r"^tenant_id: tenant 'acme' already has the live subscription sub_new1 \(customer cus_2\)")
    assert result['conflicts'] == ['sub_new1']
    assert len(stripe.objects['subscriptions']) == 1
    # the refused create, then the strongly consistent list of the recent subscriptions that explains it
    assert stripe.methods[-2:] == ['subscriptions.create', 'subscriptions.list']
    assert stripe.calls[-1].params['created'] == {'gte': pytest.approx(stripe.now - 25 * 3600, abs=10**8)}


def test_own_earlier_claim_with_other_parameters_is_converged_not_duplicated(run, stripe, monkeypatch):
    run(price='small')
    hide_from_search(stripe, monkeypatch)
    monkeypatch.setattr(
        stripe,
        'page',
        lambda resource, parent, params: (  # the customer's own list misses it too
            {'object': 'list', 'data': [], 'has_more': False}
            if 'customer' in params else type(stripe).page(stripe, resource, parent, params)))
    result = run(price='small', quantity=3, claim_lookup='search')
    assert result['changed']
    assert len(stripe.objects['subscriptions']) == 1
    assert stripe.writes[-1].method == 'subscriptions.update' and stripe.writes[-1].params['items'][0]['quantity'] == 3


def test_a_claim_whose_create_failed_moves_to_the_next_slot(run, stripe):
    stripe.idempotency['thingsstack-tenant-claim-acme-0'] = ({'customer': 'cus_9', 'payment_behavior': 'error_if_incomplete'}, {})
    result = run(price='small')
    assert result['changed'] and result['subscription']['customer'] == 'cus_1'
    assert stripe.writes[-1].natural_key == 'thingsstack-tenant-claim-acme-1'


def test_a_create_still_in_flight_fails_and_says_to_run_again(run, stripe, failed):
    stripe.failures['subscriptions.create'] = ApiError('Stripe API error (HTTP 409, idempotency_error)', status=409,
                                                       stripe_error={'type': 'idempotency_error'})
    failed(run(price='small'), r"^tenant_id: another request is creating a subscription for tenant 'acme' right now")
    assert not stripe.objects['subscriptions']


def test_a_stale_search_hit_is_read_again_before_it_decides(run, stripe, monkeypatch):
    stripe.load(subscriptions=[subscription('sub_old', customer='cus_2', status='canceled')])
    stale = dict(subscription('sub_old', customer='cus_2'))
    monkeypatch.setattr(stripe, 'search', lambda resource, params: {'object': 'search_result', 'data': [stale], 'has_more': False})
    result = run(price='small', claim_lookup='search')
    assert result['changed'] and result['subscription']['customer'] == 'cus_1'
    assert 'subscriptions.retrieve' in stripe.methods


def test_changing_the_tenant_id_by_id_needs_force(run, stripe, failed):
    stripe.load(subscriptions=[subscription()])
    failed(run(id='sub_1', tenant_id='other'), 'would create a second tenant')
    assert not stripe.writes
    result = run(id='sub_1', tenant_id='other', force_tenant_id_change=True)
    assert stripe.writes[0].params == {'metadata': {'tenant-id': 'other'}}
    assert any('no longer updates' in w for w in result['warnings'])


def test_adopting_warns_about_deprecated_keys_and_never_writes_them(run, stripe):
    stripe.load(subscriptions=[subscription(company='Acme Old')])
    result = run(id='sub_1', price='small')
    assert not result['changed'] and not stripe.writes
    assert any("deprecated metadata 'company'" in w and "'Acme Old'" in w for w in result['warnings'])


def test_absent_cancels_now_or_at_period_end_and_once(run, stripe):
    stripe.load(subscriptions=[subscription()])
    result = run(state='absent', cancel_at_period_end=True)
    assert stripe.writes[0][:3] == ('subscriptions.update', ('sub_1', ), {'cancel_at_period_end': True})
    assert result['diff'] == {'before': {'cancel_at_period_end': False}, 'after': {'cancel_at_period_end': True}}
    assert not run(state='absent', cancel_at_period_end=True)['changed']
    result = run(state='absent')
    assert result['changed'] and result['subscription']['status'] == 'canceled'
    assert stripe.writes[-1].method == 'subscriptions.cancel'
    assert not run(state='absent')['changed']
    assert not run(id='sub_1', state='absent')['changed']
    assert len(stripe.writes) == 2


def test_present_with_the_id_of_a_canceled_subscription_fails(run, stripe, failed):
    stripe.load(subscriptions=[subscription(status='canceled')])
    failed(run(id='sub_1', price='small'), '^id: subscription sub_1 is canceled')
    assert not stripe.writes


@pytest.mark.parametrize('args, option', [
    ({'price': 'priced', 'quantity': 2**40}, 'quantity'),
    ({'items': [{'price': 'small', 'quantity': 1}, {'price': 'priced', 'quantity': 111112}]}, r'items\[1\]\.quantity'),
])
def test_an_amount_stripe_cannot_charge_is_refused_before_any_write(run, stripe, failed, args, option):
    stripe.load(prices=[{'id': 'price_900', 'lookup_key': 'priced', 'currency': 'eur', 'unit_amount': 900, 'unit_amount_decimal': '900'}])
    failed(run(**args), rf"^{option}: .* is [0-9]+, more than Stripe's maximum amount of 99999999 \(8 digits\)")
    assert stripe.writes == []


def test_large_quantities_of_small_or_unpriced_units_are_fine(run, stripe):
    stripe.load(prices=[{'id': 'price_tenth', 'lookup_key': 'tenth', 'currency': 'eur', 'unit_amount': None, 'unit_amount_decimal': '0.1'},
                        {'id': 'price_tiers', 'lookup_key': 'tiers', 'currency': 'eur', 'billing_scheme': 'tiered'}])
    result = run(price='tenth', quantity=900000000)  # 90,000,000.0 cents
    assert result['changed'], result
    assert run(price='tiers', quantity=2**40, tenant_id='globex')['changed']


@pytest.mark.parametrize(
    'billing, refused',
    [
        (subscription('sub_a', customer='cus_2'), True),  # another customer's live subscription bills the tenant
        (subscription('sub_a', customer='cus_2', status='canceled'), False),  # ended: the tenant can be taken over
        (subscription('sub_a', customer='cus_2', tenant='other'), False),  # no longer the tenant's
    ])
def test_a_tenant_billed_by_another_customers_live_subscription_is_not_taken_over(run, stripe, failed, billing, refused):
    stripe.load(subscriptions=[billing, subscription('sub_b', customer='cus_1', quantity=2)])
    result = run(price='small', tenant_subscription='sub_a')
    if refused:
        failed(result, r"^tenant_id: tenant 'acme' is billed by the live subscription sub_a of customer cus_2")
        assert not stripe.writes
    else:
        assert not result.get('failed'), result
    assert ('subscriptions.retrieve', ('sub_a', )) in [call[:2] for call in stripe.reads]


def test_the_tenant_subscription_that_is_the_managed_one_costs_no_read(run, stripe):
    stripe.load(subscriptions=[subscription()])
    result = run(price='small', tenant_subscription='sub_1')
    assert not result['changed'] and 'subscriptions.retrieve' not in stripe.methods


METERED = {
    'id': 'price_devices', 'lookup_key': 'devices', 'currency': 'eur', 'unit_amount': 50, 'recurring':
    {'interval': 'month', 'usage_type': 'metered', 'meter': 'mtr_devices'}
}


def test_a_metered_price_gets_no_quantity_and_is_never_compared_on_it(run, stripe):
    stripe.load(prices=[METERED])
    result = run(items=[{'price': 'small', 'quantity': 2}, {'price': 'devices'}])
    create, = stripe.writes
    assert create.params['items'] == [{'price': 'price_small', 'quantity': 2}, {'price': 'price_devices'}]
    assert result['subscription']['items']['data'][1]['quantity'] is None
    stripe.calls.clear()
    assert not run(items=[{'price': 'small', 'quantity': 2}, {'price': 'devices'}])['changed']
    assert stripe.writes == []


def test_switching_an_item_to_a_metered_price_sends_no_quantity(run, stripe):
    stripe.load(prices=[METERED], subscriptions=[subscription(quantity=3)])
    result = run(price='devices')
    update, = stripe.writes
    assert update.params == {'items': [{'id': 'si_1', 'price': 'price_devices'}]}
    assert result['diff']['after'] == {'items': [{'price': 'price_devices', 'quantity': None}]}
    assert not run(price='devices')['changed'] and len(stripe.writes) == 1


@pytest.mark.parametrize('args, option', [
    ({'price': 'devices', 'quantity': 1}, 'quantity'),
    ({'items': [{'price': 'small'}, {'price': 'devices', 'quantity': 5}]}, r'items\[1\]\.quantity'),
])
def test_a_quantity_for_a_metered_price_is_refused_naming_the_option(run, stripe, failed, args, option):
    stripe.load(prices=[METERED])
    failed(
        run(**args), rf"^{option}: price price_devices is metered \(recurring.usage_type metered\): Stripe bills the usage "
        "its meter measures and refuses a quantity")
    assert stripe.writes == []


def test_a_price_read_just_before_is_not_read_again(run, stripe):
    result = run(price='price_small', price_info={'changed': False, 'prices': [dict(SMALL, unit_amount=1000)]})
    create, = stripe.writes
    assert create.params['items'] == [{'price': 'price_small', 'quantity': 1}] and result['changed']
    assert [call.method for call in stripe.reads] == ['subscriptions.list', 'subscriptions.list']  # no prices.retrieve
    # a price it does not hold is read as without it
    del stripe.calls[:]
    run(tenant_id='globex', price='large', price_info={'prices': [SMALL]})
    assert 'prices.list' in [call.method for call in stripe.reads]


@pytest.mark.parametrize('price_info', [{'prices': 'price_small'}, {'prices': [{'lookup_key': 'small'}]}, {'prices': ['price_small']}])
def test_price_info_that_is_no_price_list_is_refused_before_any_request(run, stripe, failed, price_info):
    failed(run(price='small', price_info=price_info), '^price_info: must be a result of thingsstack.tenancy.stripe_price_info')
    assert not stripe.reads and not stripe.writes
