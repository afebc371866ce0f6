# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""stripe_subscription when another run creates the same tenant's subscription while this one runs (issue 8, point 6)."""

from __future__ import annotations

import pytest

SMALL = {'id': 'price_small', 'lookup_key': 'small'}


def subscription(sub_id, customer='cus_1'):
    return {
        'id': sub_id, 'object': 'subscription', 'customer': customer, 'status': 'active', 'collection_method': 'send_invoice',
        'days_until_due': 30, 'description': None, 'cancel_at_period_end': False, 'metadata': {'tenant-id': 'acme'}, 'items':
        {'data': [{'id': 'si_1', 'price': dict(SMALL), 'quantity': 1}]}
    }


@pytest.fixture
def concurrent(stripe):
    """The other run's subscription appears between this run's read of the customer's subscriptions and its uniqueness check."""
    stripe.load(prices=[SMALL])
    read = stripe.read

    def read_then_race(method, *args, params=None):
        if method == 'subscriptions.list' and 'customer' not in (params or {}) and not stripe.objects['subscriptions']:
            stripe.load(subscriptions=[stripe.made_concurrently])
        return read(method, *args, params=params)

    stripe.read = read_then_race
    return stripe


@pytest.mark.parametrize('their_description, changed', [(None, False), ('theirs', True)])
def test_the_same_customers_new_subscription_is_converged_not_refused(run_action, concurrent, their_description, changed):
    concurrent.made_concurrently = dict(subscription('sub_theirs'), description=their_description)
    result = run_action('stripe_subscription', customer='cus_1', tenant_id='acme', price='small', collection_method='send_invoice',
                        days_until_due=30, description=None if their_description is None else 'ours')
    assert not result.get('failed'), result
    assert result['subscription']['id'] == 'sub_theirs'
    assert result['changed'] is changed
    assert [call.method for call in concurrent.writes] == (['subscriptions.update'] if changed else [])


def test_another_customers_subscription_of_the_tenant_is_still_refused(run_action, concurrent, failed):
    concurrent.made_concurrently = subscription('sub_theirs', customer='cus_2')
    result = run_action('stripe_subscription', customer='cus_1', tenant_id='acme', price='small')
    failed(result, r"^tenant_id: tenant 'acme' already has the live subscription sub_theirs \(customer cus_2\)")
    assert concurrent.writes == []


def test_claim_lookup_search_finds_other_customers_claims_with_one_request(run_action, stripe, failed):
    stripe.load(
        prices=[SMALL],
        subscriptions=[subscription('sub_other', customer='cus_2'),
                       dict(subscription('sub_old', customer='cus_3'), status='canceled')])
    result = run_action('stripe_subscription', customer='cus_1', tenant_id='acme', price='small', claim_lookup='search')
    failed(result, r"^tenant_id: tenant 'acme' already has the live subscription sub_other \(customer cus_2\)")
    # the live hit is read again by ID before it decides (search may be stale); the ended one cannot be live again
    assert [call.method for call in stripe.reads] == ['subscriptions.list', 'prices.list', 'subscriptions.search', 'subscriptions.retrieve']
    assert stripe.reads[-2].params['query'] == "metadata['tenant-id']:'acme'"
    assert stripe.reads[-1].args == ('sub_other', )


def test_claim_lookup_search_creates_when_only_ended_subscriptions_carry_the_tenant(run_action, stripe):
    stripe.load(prices=[SMALL], subscriptions=[dict(subscription('sub_old', customer='cus_3'), status='canceled')])
    result = run_action('stripe_subscription', customer='cus_1', tenant_id='acme', price='small', claim_lookup='search')
    assert result['changed'] and [call.method for call in stripe.writes] == ['subscriptions.create']
