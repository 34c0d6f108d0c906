"""The suite's fixtures come from clusapi's own pytest plugin (clusapi.testing.pytest_plugin),
loaded through its pytest11 entry point like in any project that installs the package: the
reference cluster factories, the Pacemaker lab fixtures (pacemaker_lab, pacemaker_lab3; a test
using one is marked ``pacemaker``) and the ``virtual_time`` marker."""
