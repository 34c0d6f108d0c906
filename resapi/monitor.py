"""``python -m resapi.monitor``: a Resource Monitor process for one resource.

Started by the cluster service (:class:`resapi._monitor._process_host.ProcessHost`) for a
resource whose ``SeparateMonitor`` is set; it speaks the framed protocol of
:mod:`resapi._monitor._protocol` on its stdin and stdout. Not meant to be run by hand.
"""

from __future__ import annotations

__all__ = ()

if __name__ == "__main__":
    from resapi._monitor._process import run

    run()
