# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import (check_country, check_email, check_length,
                                                                                     check_metadata, check_range)


@pytest.mark.parametrize('email', ['billing@acme.example', 'a.b+c@sub.example.co.uk'])
def test_good_emails_pass(email):
    check_email('email', email)


@pytest.mark.parametrize('email', ['not-an-email', 'a@b', 'a b@c.example', '@c.example', 'a@@c.example'])
def test_bad_emails_name_the_option(email):
    with pytest.raises(InvalidOption, match=r'^email: .* is not a valid email address'):
        check_email('email', email)


def test_country_must_be_iso_alpha2():
    check_country('address.country', 'DE')
    with pytest.raises(InvalidOption, match=r"^address.country: must be an ISO 3166-1 alpha-2 .*'Germany'"):
        check_country('address.country', 'Germany')
    with pytest.raises(InvalidOption):
        check_country('address.country', 'de')
    with pytest.raises(InvalidOption):
        check_country('address.country', 'XX')


def test_metadata_limits():
    check_metadata('metadata', {f'k{i}': 'v' for i in range(50)})
    with pytest.raises(InvalidOption, match='^metadata: at most 50 keys are allowed, got 51'):
        check_metadata('metadata', {f'k{i}': 'v' for i in range(51)})
    check_metadata('metadata', {'k' * 40: 'v'})
    with pytest.raises(InvalidOption, match="^metadata: key 'k{41}' must be 1 to 40 characters"):
        check_metadata('metadata', {'k' * 41: 'v'})
    with pytest.raises(InvalidOption, match='without'):
        check_metadata('metadata', {'a[b]': 'v'})
    check_metadata('metadata', {'k': 'v' * 500})
    with pytest.raises(InvalidOption, match='at most 500 characters'):
        check_metadata('metadata', {'k': 'v' * 501})
    with pytest.raises(InvalidOption, match='must be a string or number'):
        check_metadata('metadata', {'k': {'nested': 1}})


def test_length_rule_text():
    check_length('name', 'abc', 3)
    with pytest.raises(InvalidOption, match='^tenant_id: must be 3 to 36 characters long, got 2$'):
        check_length('tenant_id', 'ab', 36, 3)


def test_range_rule():
    for value in (None, 1, 730):
        check_range('trial_period_days', value, 1, 730)
    for value in (0, 731, -1):
        with pytest.raises(InvalidOption, match=f'^trial_period_days: must be 1 to 730, got {value}$'):
            check_range('trial_period_days', value, 1, 730)
