"""What an OCF agent says about a resapi resource type: its name, parameters and meta-data.

``OCF_RESKEY_<attribute>`` variables become the type's private properties (checked by its
table), and the type's properties and timeouts become the agent's ``meta-data`` XML. See
docs/ocf.md ("Parameters" and "Meta-data").
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Final

from ._agent import OCF_ERR_ARGS, OCF_ERR_CONFIGURED, OCF_ERR_INSTALLED, AgentError, _decimal

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clusapi._properties import PropertyItem, PropertyTable

    from .._resource import Resource

__all__ = (
    "OCF_API_VERSION",
    "agent_name",
    "load_type",
    "meta_data",
    "parameters_from_env",
    "value_from_text",
)

#: The OCF RA API version the meta-data declares (``<version>``).
OCF_API_VERSION: Final = "1.0"
#: Default timeout of monitor, validate-all and meta-data, in seconds.
_SHORT_TIMEOUT: Final = 20
#: The tag of resapi's ``<special>`` element in the meta-data (OCF 1.1's place for what a
#: vendor adds): its ``<required-dependency>`` children name the types a resource of this
#: type must depend on (``Resource.required_dependencies``), which OCF has no field for.
SPECIAL_TAG: Final = "resapi"
_TRUE: Final = frozenset({"1", "true", "yes", "on", "y"})
_FALSE: Final = frozenset({"0", "false", "no", "off", "n"})


def agent_name(type_name: str) -> str:
    """The agent's file name for a resource type: ``"Echo Server"`` → ``"echo-server"``.

    Lower case, and every run of characters other than ``a-z``, ``0-9``, ``.``, ``_`` and
    ``-`` becomes one ``-`` (``"Bob's Service"`` → ``"bob-s-service"``), so the name is safe
    as a file name under the OCF root and as a word of a shell script. A name with nothing
    usable left (``"!!"``, ``".."``) becomes ``type-`` and a hash of the type name.
    """
    name = re.sub(r"[^a-z0-9._-]+", "-", type_name.lower())[:200].strip("-.")
    if not name:
        import hashlib

        digest = hashlib.sha1(type_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = f"type-{digest}"
    return name


def load_type(path: str) -> type[Resource]:
    """Import ``"package.module:Class"`` and check that it is a resapi resource type.

    Raises:
        AgentError: ERR_ARGS for a malformed path or a target that is not a Resource
            subclass; ERR_INSTALLED for a module or class that cannot be imported.
    """
    from clusapi._errors import ClusterError

    from .._monitor._process import load_resource_type
    from .._resource import Resource

    module, colon, qualname = path.partition(":")
    if not colon or not module or not qualname:
        raise AgentError(
            OCF_ERR_ARGS, f"bad resource type path {path!r}: expected 'package.module:Class'"
        )
    try:
        target: object = load_resource_type(path)
    except ClusterError as exc:
        raise AgentError(OCF_ERR_INSTALLED, str(exc)) from None
    if not (isinstance(target, type) and issubclass(target, Resource)):
        raise AgentError(OCF_ERR_ARGS, f"{path!r} is {target!r}, not a resapi.Resource subclass")
    return target


def _ocf_type(item: PropertyItem) -> str:
    from clusapi._enums import PropertyFormat

    if item.boolean:
        return "boolean"
    if item.format in (PropertyFormat.SZ, PropertyFormat.EXPAND_SZ, PropertyFormat.MULTI_SZ):
        return "string"
    if item.format is PropertyFormat.BINARY:
        return "string"
    return "integer"


def _to_text(item: PropertyItem, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def value_from_text(item: PropertyItem, text: str) -> object:
    """A property value from its text, as an agent reads ``OCF_RESKEY_<name>`` (and
    ``python -m resapi check`` reads ``--property``): ValueError if it is not of the form."""
    from clusapi._enums import PropertyFormat

    kind = _ocf_type(item)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"parameter {item.attribute!r} must be a boolean, not {text!r}")
    if item.format is PropertyFormat.MULTI_SZ:
        return tuple(text.split())
    if item.format is PropertyFormat.BINARY:
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"parameter {item.attribute!r} must be hex, not {text!r}") from None
    if kind == "integer":
        try:
            return _decimal(text)
        except ValueError:
            raise ValueError(
                f"parameter {item.attribute!r} must be a decimal integer, not {text!r}"
            ) from None
    return text


def parameters_from_env(
    table: type[PropertyTable], environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The private properties (property name → value) from ``OCF_RESKEY_<attribute>``
    variables, checked by the table's own validation (defaults filled in).

    Raises:
        AgentError: ERR_CONFIGURED with the table's message for a missing required property
            or a bad value.
    """
    from clusapi._errors import ClusterError

    env = os.environ if environ is None else environ
    stored: dict[str, object] = {}
    try:
        for item in table.items():
            for key in (item.attribute, item.name):
                text = env.get(f"OCF_RESKEY_{key}")
                if text is not None:
                    stored[item.name] = value_from_text(item, text)
                    break
        return dict(table.load(stored).to_dict())
    except (ValueError, ClusterError) as exc:
        raise AgentError(OCF_ERR_CONFIGURED, _exit_reason(table, exc)) from None


def _exit_reason(table: type[PropertyTable], exc: Exception) -> str:
    """A rejected value as the operator who set it reads it: the OCF parameter
    (``port``, what ``OCF_RESKEY_port`` and ``crm_resource --set-parameter`` name) where the
    table says the property name (``Port``) of its class (``EchoProperties``)."""
    text = str(exc)
    name = getattr(exc, "property_name", None)
    if name is None:
        return text
    label = f"property {name!r} of {table.__qualname__} "
    parameter = next((i.attribute for i in table.items() if i.name == name), name)
    return text.replace(label, f"parameter {parameter!r} ", 1)


def _seconds(milliseconds: int) -> str:
    return f"{max(1, -(-milliseconds // 1000))}s"


def meta_data(cls: type[Resource]) -> str:
    """The OCF meta-data XML of a resource type (valid against ``ra-api-1.dtd``, except that
    a type with required dependencies adds OCF 1.1's ``<special tag="resapi">``, which the
    1.0 DTD does not list: see docs/ocf.md).

    ``<version>`` is the OCF RA API version; the type's own ``version`` attribute (if it has
    one, else "1.0") goes in ``<resource-agent version=...>``.
    """
    from xml.sax.saxutils import escape, quoteattr

    doc = (cls.__doc__ or cls.type_name).strip()
    short = doc.splitlines()[0].strip() if doc else cls.type_name
    version = str(getattr(cls, "version", "1.0"))
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
        f"<resource-agent name={quoteattr(agent_name(cls.type_name))} "
        f"version={quoteattr(version)}>",
        f"<version>{OCF_API_VERSION}</version>",
        f'<longdesc lang="en">{escape(doc)}</longdesc>',
        f'<shortdesc lang="en">{escape(short)}</shortdesc>',
        "<parameters>",
    ]
    for item in cls.Properties.items():
        if item.read_only:
            continue
        description = item.description or item.name
        default = (
            "" if item.default is None else f" default={quoteattr(_to_text(item, item.default))}"
        )
        lines += [
            f"<parameter name={quoteattr(item.attribute)} "
            f'required="{int(item.required)}" unique="{int(item.unique)}">',
            f'<longdesc lang="en">{escape(description)} (resapi property {item.name}, '
            f"{item.format.name})</longdesc>",
            f'<shortdesc lang="en">{escape(description)}</shortdesc>',
            f'<content type="{_ocf_type(item)}"{default}/>',
            "</parameter>",
        ]
    pending = _seconds(cls.pending_timeout)
    lines += [
        "</parameters>",
        "<actions>",
        f'<action name="start" timeout="{pending}"/>',
        f'<action name="stop" timeout="{pending}"/>',
        f'<action name="monitor" depth="0" timeout="{_SHORT_TIMEOUT}s" '
        f'interval="{_seconds(cls.looks_alive_poll_interval)}"/>',
        f'<action name="monitor" depth="10" timeout="{_SHORT_TIMEOUT}s" '
        f'interval="{_seconds(cls.is_alive_poll_interval)}"/>',
        '<action name="meta-data" timeout="5s"/>',
        f'<action name="validate-all" timeout="{_SHORT_TIMEOUT}s"/>',
        "</actions>",
    ]
    if cls.required_dependencies:
        lines += [
            f'<special tag="{SPECIAL_TAG}">',
            *(
                f"<required-dependency>{escape(name)}</required-dependency>"
                for name in cls.required_dependencies
            ),
            "</special>",
        ]
    lines.append("</resource-agent>")
    return "\n".join(lines) + "\n"
