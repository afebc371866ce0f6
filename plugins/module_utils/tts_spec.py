# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec shared by The Things Stack modules (documented in the ``thingsstack.tenancy.tts`` doc fragment)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback


def tts_argument_spec():
    """Connection options every TTS module accepts, with the environment fallbacks AWX credentials inject."""
    return dict(
        url=dict(type='str', required=True, fallback=(env_fallback, ['TTS_URL'])),
        tenant_admin_key=dict(type='str', required=True, no_log=True, fallback=(env_fallback, ['TTS_TENANT_ADMIN_KEY'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['TTS_VALIDATE_CERTS'])),
        ca_path=dict(type='path', fallback=(env_fallback, ['TTS_CA_PATH'])),
        allow_http=dict(type='bool', default=False, fallback=(env_fallback, ['TTS_ALLOW_HTTP'])),
        timeout=dict(type='float', default=30.0),
        max_retries=dict(type='int', default=5),
    )
