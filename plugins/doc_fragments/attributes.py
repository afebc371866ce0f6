# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Resource modules (with ansible.builtin.action_common_attributes and its .flow fragment).
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    details: Runs on the Ansible controller; the managed host is not contacted.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows exactly the fields that change; secrets are masked.
  platform:
    platforms: all
"""

    # Read-only *_info modules.
    INFO_MODULE = r"""
attributes:
  action:
    support: full
    details: Runs on the Ansible controller; the managed host is not contacted.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reads only, so it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: all
"""
