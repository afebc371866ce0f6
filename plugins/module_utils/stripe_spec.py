# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the Stripe modules (documented in the ``thingsstack.tenancy.stripe`` doc fragment)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

STRIPE_API_BASE = 'https://api.stripe.com'
# The Stripe API version this collection is tested with (the one stripe 16.1 pins): what decides the shape of every
# object it reads and writes, so a new SDK does not change it silently.
STRIPE_API_VERSION = '2026-10-28.endive'


def stripe_argument_spec():
    """Connection options every Stripe module accepts, with the environment fallbacks AWX credentials inject."""
    return dict(
        api_key=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['STRIPE_API_KEY'])),
        api_base=dict(type='str', fallback=(env_fallback, ['STRIPE_API_BASE']), default=STRIPE_API_BASE),
        api_version=dict(type='str', fallback=(env_fallback, ['STRIPE_API_VERSION']), default=STRIPE_API_VERSION),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['STRIPE_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['STRIPE_CA_PATH'])),
        allow_http=dict(type='bool', default=False, fallback=(env_fallback, ['STRIPE_ALLOW_HTTP'])),
        timeout=dict(type='float', default=30.0),
        max_retries=dict(type='int', default=5),
    )


def metadata_argument_spec():
    """``metadata`` / ``purge_metadata`` as in amazon.aws ``tags`` / ``purge_tags``."""
    return dict(
        metadata=dict(type='dict'),
        purge_metadata=dict(type='bool', default=False),
    )
