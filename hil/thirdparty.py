"""Keep third-party deprecation noise out of hil's output.

cryptography 51 warns "DSA is deprecated" whenever Ansible imports it, and paramiko, fabric or Ansible
may do the same for their own APIs tomorrow. Those warnings are for the authors of those packages, not
for a hil user: they never reach a hil user's terminal or JSON. Real errors still do: only deprecation
warnings are filtered, only those attributed to the named packages, and only in hil's own process and
in the ansible-playbook processes hil starts.
"""

from __future__ import annotations

import warnings

THIRD_PARTY = ("ansible", "ansible_runner", "paramiko", "fabric", "invoke", "cryptography")
_MODULES = r"(" + "|".join(THIRD_PARTY) + r")(\..*)?$"

# For the ansible-playbook processes that ansible-runner starts. PYTHONWARNINGS can name neither a module
# by pattern nor a third-party category (it is read before site-packages can be imported), so it names the
# built-in categories CryptographyDeprecationWarning derives from. In that process every Python-level
# warning comes from a library: Ansible reports its own problems through its display, which stays on.
# ANSIBLE_DEPRECATION_WARNINGS: Ansible's "[DEPRECATION WARNING]" lines about hil's playbooks.
SUBPROCESS_ENV = {
    "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::PendingDeprecationWarning,ignore::UserWarning",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
}


def silence_deprecations() -> None:
    """Ignore deprecation warnings raised from third-party packages in this process."""
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=_MODULES)
    # cryptography's CryptographyDeprecationWarning is a UserWarning; naming its class would import
    # cryptography into every light command, so it is matched by its wording instead.
    warnings.filterwarnings("ignore", message=r".*deprecat", category=UserWarning, module=_MODULES)
