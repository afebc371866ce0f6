# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter thingsstack.tenancy.unknown_options, documented in plugins/filter/unknown_options.yml."""

from __future__ import annotations

import importlib
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import CONNECTION_OPTIONS
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.validation import unknown_spec_keys


def module_options(module):
    """The argument spec of a module of this collection, without the connection options."""
    name = str(module).rsplit('.', 1)[-1]
    if not re.match(r'^[a-z][a-z_]*$', name):
        raise AnsibleFilterError(f"unknown_options: {module!r} is no module of thingsstack.tenancy")
    try:
        spec = importlib.import_module(f'ansible_collections.thingsstack.tenancy.plugins.modules.{name}').ARGUMENT_SPEC
    except (ImportError, AttributeError):
        raise AnsibleFilterError(f"unknown_options: {module!r} is no module of thingsstack.tenancy") from None
    return {key: value for key, value in spec.items() if key not in CONNECTION_OPTIONS}


def filter_unknown_options(entries, module, where, label=None, exclude=None):
    if not isinstance(entries, list):
        raise AnsibleFilterError(f"unknown_options: {where} must be a list, got {type(entries).__name__}")
    spec = {key: value for key, value in module_options(module).items() if key not in (exclude or [])}
    errors = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        name = f" ({entry[label]})" if label and isinstance(entry.get(label), (str, int)) else ''
        for path, message in unknown_spec_keys(entry, spec):
            errors.append(f"{where}[{index}]{name}: {path + ': ' if path else ''}{message}")
    return errors


class FilterModule:
    """thingsstack.tenancy option checks of declarations made for a module."""

    def filters(self):
        return {'unknown_options': filter_unknown_options}
