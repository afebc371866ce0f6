# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``main()`` of every module file of this collection.

The work happens on the controller in the action plugin of the same name, which validates its arguments
against the module file's ``ARGUMENT_SPEC`` and ``ARGUMENT_RULES``. The module file builds an AnsibleModule
from them too, so ansible-test validate-modules checks that the documentation matches the spec.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule


def run_on_controller(argument_spec, argument_rules):
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **argument_rules)
    module.fail_json(msg='This module runs on the Ansible controller through its action plugin; '
                     'call it by its name in a task instead of executing the module file.')
