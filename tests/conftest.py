"""The suite's fixtures come from clusapi's own pytest plugin (clusapi.testing.pytest_plugin),
loaded through its pytest11 entry point like in any project that installs the package: the
reference cluster factories, the Pacemaker lab fixtures (pacemaker_lab, pacemaker_lab3; a test
using one is marked ``pacemaker``) and the ``virtual_time`` marker."""

# One line per skip reason at the end of a run (pyproject's addopts: -rfExX, not -ra).
from tests._skip_summary import pytest_terminal_summary as pytest_terminal_summary
