# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The limits of a tenant of The Things Stack, defined once for the modules and the plugins.

Each limit is a tenant field and tts_tenant option (``max_end_devices``), a price metadata key the Tenant Billing Server
reads (``max-end-devices``) and a sub-option of stripe_price's ``tenant_limits`` (``end_devices``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

LIMITS = ('applications', 'clients', 'end_devices', 'gateways', 'organizations', 'users')
# tts_tenant option and tenant field -> price metadata key
LIMIT_KEYS = dict(('max_' + name, 'max-' + name.replace('_', '-')) for name in LIMITS)
LIMIT_OPTIONS = tuple(LIMIT_KEYS)
