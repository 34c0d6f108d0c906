"""The lab's fence agent, ``fence_clusapi_lab``: Pacemaker's stonith calls it to power a node off.

:class:`~clusapi.testing.PacemakerLab` installs this file (with a ``#!<python> -I`` line in
front) as ``fence_clusapi_lab`` in a directory that each node sees in ``/usr/sbin``. Running as
root inside a node's namespaces, it cannot power another node off by itself: it asks the lab
over a Unix socket (``socket=``), and the lab does the work. It speaks the fence agent API
(``key=value`` options on stdin; off, on, reboot, status, monitor, list, metadata). The whole
story, what each action does and the socket's checks: docs/pacemaker.md, "The lab's fence
device".

Standard library only, and no import of clusapi: it runs under ``python -I`` (no working
directory, no environment, no user site on ``sys.path``) as root.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import sys

AGENT = "fence_clusapi_lab"
#: What a request or reply may weigh; more is a broken peer.
MAX_MESSAGE = 65536
#: How long the agent waits for the lab (an ``off`` kills a node: a few seconds at most).
TIMEOUT = 60.0
ACTIONS = ("off", "on", "reboot", "status", "monitor", "list", "metadata")
#: The actions that name a node.
TARGETED = ("off", "on", "reboot", "status")

METADATA = f"""<?xml version="1.0" ?>
<resource-agent name="{AGENT}" shortdesc="Power a clusapi PacemakerLab node off or on">
<longdesc>Fence agent of clusapi.testing.PacemakerLab: asks the lab, through its Unix socket,
to kill every process of a lab node and take its link down (off), to bring the link back (on),
or both (reboot).</longdesc>
<parameters>
  <parameter name="action" unique="0" required="1">
    <getopt mixed="-o, --action=[action]"/>
    <content type="string" default="reboot"/>
    <shortdesc lang="en">Fencing action</shortdesc>
  </parameter>
  <parameter name="plug" unique="0" required="1">
    <getopt mixed="-n, --plug=[name]"/>
    <content type="string"/>
    <shortdesc lang="en">The lab node to act on (node1, node2, ...)</shortdesc>
  </parameter>
  <parameter name="port" unique="0" required="0" deprecated="1">
    <getopt mixed="--port=[name]"/>
    <content type="string"/>
    <shortdesc lang="en">Same as plug</shortdesc>
  </parameter>
  <parameter name="socket" unique="0" required="1">
    <getopt mixed="--socket=[path]"/>
    <content type="string"/>
    <shortdesc lang="en">The lab's fence socket (set by the lab)</shortdesc>
  </parameter>
</parameters>
<actions>
  <action name="on" automatic="0"/>
  <action name="off"/>
  <action name="reboot"/>
  <action name="status"/>
  <action name="monitor"/>
  <action name="list"/>
  <action name="metadata"/>
</actions>
</resource-agent>
"""


def parse_options(argv: list[str], stdin_text: str) -> dict[str, str]:
    """The agent's options from ``argv`` if it has any, else from ``stdin_text`` lines."""
    options: dict[str, str] = {}
    if argv:
        short = {"-o": "action", "-n": "plug"}
        args = iter(argv)
        for arg in args:
            if arg.startswith("--") and "=" in arg:
                key, _, value = arg[2:].partition("=")
                options[key] = value
            elif arg in short:
                options[short[arg]] = next(args, "")
        return options
    for raw in stdin_text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            options[key.strip()] = value.strip()
    return options


def check_socket(path: str) -> None:
    """Refuse a socket that is not root's, or in a directory others could swap it in.

    ``socket=`` comes from the CIB, which the ``haclient`` group may write: pointed at a
    socket of theirs, the agent (root) would take their word that a node was fenced.

    Raises:
        ValueError: what is wrong with ``path``.
        OSError: it cannot be looked at (e.g. it does not exist).
    """
    info = os.lstat(path)
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != 0:
        raise ValueError(f"{path} is not a socket owned by root")
    parent = os.lstat(os.path.dirname(path))
    if not stat.S_ISDIR(parent.st_mode) or parent.st_uid != 0 or parent.st_mode & 0o022:
        raise ValueError(f"{os.path.dirname(path)} is not root's, or others can write it")


def request(path: str, action: str, node: str) -> tuple[int, str]:
    """Ask the lab listening on ``path`` to do ``action`` to ``node``: (exit code, output)."""
    check_socket(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(TIMEOUT)
        conn.connect(path)
        try:
            conn.sendall(json.dumps({"action": action, "node": node}).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
        except BrokenPipeError:
            pass  # the lab refused without reading (a peer it does not trust): read why
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
            if len(data) > MAX_MESSAGE:
                raise ValueError("the lab's reply is too long")
    reply = json.loads(data)
    return int(reply["rc"]), str(reply["out"])


def main(argv: list[str]) -> int:
    options = parse_options(argv, "" if argv else sys.stdin.read(MAX_MESSAGE))
    action = options.get("action", "reboot")
    if action == "metadata":
        sys.stdout.write(METADATA)
        return 0
    if action not in ACTIONS:
        print(f"{AGENT}: unknown action {action!r}; one of {', '.join(ACTIONS)}", file=sys.stderr)
        return 1
    node = options.get("plug") or options.get("port") or options.get("nodename") or ""
    if action in TARGETED and not node:
        print(f"{AGENT}: {action} needs plug= (the lab node's name)", file=sys.stderr)
        return 1
    path = options.get("socket", "")
    if not path.startswith("/"):
        print(f"{AGENT}: socket= must be the lab's absolute socket path", file=sys.stderr)
        return 1
    try:
        code, out = request(path, action, node)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"{AGENT}: the lab at {path} did not answer {action} {node}: {exc}", file=sys.stderr)
        return 1
    (sys.stdout if code in (0, 2) else sys.stderr).write(out)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
