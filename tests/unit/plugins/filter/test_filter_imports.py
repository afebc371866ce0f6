# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's filters run in forked workers, which import a filter plugin for every task that uses it: they must not pull
in the Stripe SDK (0.2 s with aiohttp) or requests, which cost more than the task itself."""

from __future__ import annotations

import glob
import os
import subprocess
import sys


def test_filter_plugins_import_no_client_library():
    filters = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'filter', '*.py')
    names = sorted(os.path.splitext(os.path.basename(path))[0] for path in glob.glob(filters))
    assert 'tenant_input' in names and 'tenant_from_billing' in names
    code = ''.join(f'import ansible_collections.thingsstack.tenancy.plugins.filter.{name}\n' for name in names)
    code += 'import sys\nprint(sorted({name.split(".")[0] for name in sys.modules} & {"stripe", "requests", "aiohttp"}))\n'
    out = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == '[]'
