# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter thingsstack.tenancy.webhook_endpoint_errors (documented in webhook_endpoint_errors.yml): the input rules of
stripe_webhook_endpoint, for a playbook that checks its variables before its first request (billing_setup.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_webhook_endpoint
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import plain
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import checked, module_params


def filter_webhook_endpoint_errors(options, names=None):
    """One message per broken rule of the stripe_webhook_endpoint ``options``, naming ``names[option]`` (the playbook's
    variable) where given, else the option; empty when the task would pass its input check."""
    if not isinstance(options, dict):
        raise AnsibleFilterError(f"webhook_endpoint_errors: the options must be a dict, got {type(options).__name__}")
    if names is not None and not isinstance(names, dict):
        raise AnsibleFilterError(f"webhook_endpoint_errors: names must be a dict, got {type(names).__name__}")
    # Imported when used (once per playbook): the URL rules pull in requests, which the role's filters must not load.
    from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_webhooks import check_endpoint_options  # pylint: disable=import-outside-toplevel

    options, names = plain(options), plain(names or {})
    params = {}

    def validate():
        declared = {key: value for key, value in options.items() if key != 'allow_http'}  # a connection option
        params.update(dict.fromkeys(stripe_webhook_endpoint.ARGUMENT_SPEC), **module_params(stripe_webhook_endpoint, declared))
        params['allow_http'] = bool(options.get('allow_http'))
        check_endpoint_options(params)

    error = checked(validate, names, '')
    return [error] if error else []


class FilterModule:
    """thingsstack.tenancy webhook endpoint input check."""

    def filters(self):
        return {'webhook_endpoint_errors': filter_webhook_endpoint_errors}
