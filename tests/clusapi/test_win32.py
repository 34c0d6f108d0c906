"""Tests for ``clusapi._win32.Win32Error`` and the message texts in ``clusapi._messages``.

The numbers were checked against winerror.h (mingw-w64) and the texts against Microsoft's
"System Error Codes" pages; these tests pin both, and tie the enum to the research notes.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import MappingProxyType

import pytest

import clusapi._win32
from clusapi._messages import WIN32_MESSAGES
from clusapi._win32 import Win32Error

# Transcription of the table in ../shared/research/clusapi.md §6 ("Error codes"), one
# (winerror.h name, value) pair per code, in the table's order. The "others" row only names
# its codes by number; their real winerror.h names are filled in here.
SECTION_6: tuple[tuple[str, int], ...] = (
    ("ERROR_SUCCESS", 0),
    ("ERROR_FILE_NOT_FOUND", 2),
    ("ERROR_INVALID_HANDLE", 6),
    ("ERROR_INVALID_DATA", 13),
    ("ERROR_SHARING_PAUSED", 70),
    ("ERROR_INVALID_PARAMETER", 87),
    ("ERROR_INSUFFICIENT_BUFFER", 122),
    ("ERROR_DIR_NOT_EMPTY", 145),
    ("ERROR_ALREADY_EXISTS", 183),
    ("ERROR_MORE_DATA", 234),
    ("WAIT_TIMEOUT", 258),
    ("ERROR_NO_MORE_ITEMS", 259),
    ("ERROR_IO_PENDING", 997),
    ("ERROR_CIRCULAR_DEPENDENCY", 1059),
    ("ERROR_DEPENDENT_RESOURCE_EXISTS", 5001),
    ("ERROR_DEPENDENCY_NOT_FOUND", 5002),
    ("ERROR_DEPENDENCY_ALREADY_EXISTS", 5003),
    ("ERROR_RESOURCE_NOT_ONLINE", 5004),
    ("ERROR_HOST_NODE_NOT_AVAILABLE", 5005),
    ("ERROR_RESOURCE_NOT_AVAILABLE", 5006),
    ("ERROR_RESOURCE_NOT_FOUND", 5007),
    ("ERROR_CANT_EVICT_ACTIVE_NODE", 5009),
    ("ERROR_OBJECT_ALREADY_EXISTS", 5010),
    ("ERROR_OBJECT_IN_LIST", 5011),
    ("ERROR_GROUP_NOT_AVAILABLE", 5012),
    ("ERROR_GROUP_NOT_FOUND", 5013),
    ("ERROR_GROUP_NOT_ONLINE", 5014),
    ("ERROR_HOST_NODE_NOT_RESOURCE_OWNER", 5015),
    ("ERROR_HOST_NODE_NOT_GROUP_OWNER", 5016),
    ("ERROR_RESOURCE_ONLINE", 5019),
    ("ERROR_QUORUM_RESOURCE", 5020),
    ("ERROR_NOT_QUORUM_CAPABLE", 5021),
    ("ERROR_NOT_QUORUM_CLASS", 5025),
    ("ERROR_INVALID_STATE", 5023),
    ("ERROR_RESOURCE_PROPERTIES_STORED", 5024),
    ("ERROR_CORE_RESOURCE", 5026),
    ("ERROR_RESOURCE_FAILED", 5038),
    ("ERROR_CLUSTER_INVALID_NODE", 5039),
    ("ERROR_CLUSTER_NODE_EXISTS", 5040),
    ("ERROR_CLUSTER_NODE_NOT_FOUND", 5042),
    ("ERROR_CLUSTER_INVALID_REQUEST", 5048),
    ("ERROR_CLUSTER_NODE_DOWN", 5050),
    ("ERROR_CLUSTER_NODE_UP", 5056),
    ("ERROR_CLUSTER_NODE_NOT_PAUSED", 5058),
    ("ERROR_INVALID_OPERATION_ON_QUORUM", 5068),
    ("ERROR_DEPENDENCY_NOT_ALLOWED", 5069),
    ("ERROR_CLUSTER_NODE_PAUSED", 5070),
    ("ERROR_NODE_CANT_HOST_RESOURCE", 5071),
    ("ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND", 5078),
    ("ERROR_CLUSTER_OWNER_NOT_IN_PREFLIST", 5082),
    ("ERROR_RESMON_INVALID_STATE", 5084),
    ("ERROR_CLUSTER_PROPERTY_DATA_TYPE_MISMATCH", 5895),
    ("ERROR_CLUSTER_EVICT_WITHOUT_CLEANUP", 5896),
    # "others": network 5045/5047, node 5036/5037/5061/5062/5065, singleton 5940/5941,
    # 2012+ group busy/queued/locked 5944/5959/5960.
    ("ERROR_CLUSTER_NETWORK_NOT_FOUND", 5045),
    ("ERROR_CLUSTER_NETINTERFACE_NOT_FOUND", 5047),
    ("ERROR_NODE_NOT_AVAILABLE", 5036),
    ("ERROR_ALL_NODES_NOT_AVAILABLE", 5037),
    ("ERROR_CLUSTER_NODE_ALREADY_UP", 5061),
    ("ERROR_CLUSTER_NODE_ALREADY_DOWN", 5062),
    ("ERROR_CLUSTER_NODE_ALREADY_MEMBER", 5065),
    ("ERROR_CLUSTER_SINGLETON_RESOURCE", 5940),
    ("ERROR_CLUSTER_GROUP_SINGLETON_RESOURCE", 5941),
    ("ERROR_CLUSTER_GROUP_BUSY", 5944),
    ("ERROR_CLUSTER_GROUP_QUEUED", 5959),
    ("ERROR_CLUSTER_RESOURCE_LOCKED_STATUS", 5960),
    ("ERROR_QUORUM_NOT_ALLOWED_IN_THIS_GROUP", 5928),
    ("ERROR_DEPENDENCY_TREE_TOO_COMPLEX", 5929),
)

# Codes outside §6 that the SDK raises or documents (resapi.md, the cluster runtime).
ALSO_REQUIRED: tuple[tuple[str, int], ...] = (
    ("ERROR_INVALID_FUNCTION", 1),
    ("ERROR_ACCESS_DENIED", 5),
    ("ERROR_NOT_SUPPORTED", 50),
    ("ERROR_DISK_FULL", 112),  # a saved CIB on a full disk (clusapi.pacemaker)
    ("ERROR_BAD_ARGUMENTS", 160),
    ("ERROR_SERVICE_NEVER_STARTED", 1077),
    ("ERROR_REVISION_MISMATCH", 1306),
    ("ERROR_TIMEOUT", 1460),
    ("RPC_S_SERVER_UNAVAILABLE", 1722),
    ("ERROR_SHUTDOWN_CLUSTER", 5008),
    ("ERROR_RESMON_CREATE_FAILED", 5017),
    ("ERROR_RESMON_ONLINE_FAILED", 5018),
    ("ERROR_CLUSTER_SHUTTING_DOWN", 5022),
    ("ERROR_QUORUM_RESOURCE_ONLINE_FAILED", 5027),
    ("ERROR_NETWORK_NOT_AVAILABLE", 5035),
    ("ERROR_CLUSTER_NETWORK_EXISTS", 5044),
    ("ERROR_CLUSTER_NETINTERFACE_EXISTS", 5046),
    ("ERROR_CLUSTER_NODE_UNREACHABLE", 5051),
    ("ERROR_CLUSTER_NODE_NOT_MEMBER", 5052),
    ("ERROR_CLUSTER_INVALID_NETWORK", 5054),
    ("ERROR_CLUSTER_NODE_NOT_READY", 5072),
    ("ERROR_CLUSTER_NODE_SHUTTING_DOWN", 5073),
    ("ERROR_CLUSTER_RESNAME_NOT_FOUND", 5080),
    ("ERROR_CLUSTER_NO_RPC_PACKAGES_REGISTERED", 5081),
    ("ERROR_QUORUM_DISK_NOT_FOUND", 5086),
    ("ERROR_CLUSTER_PARAMETER_MISMATCH", 5897),
    ("ERROR_CLUSTER_GROUP_MOVING", 5908),
    ("ERROR_CLUSTER_RESOURCE_TYPE_BUSY", 5909),
    ("ERROR_RESOURCE_CALL_TIMED_OUT", 5910),
    ("ERROR_CLUSTER_INVALID_STRING_TERMINATION", 5916),
    ("ERROR_CLUSTER_INVALID_STRING_FORMAT", 5917),
    ("ERROR_CLUSTER_NO_QUORUM", 5925),
    ("ERROR_CLUSTER_NOT_INSTALLED", 5932),
)

# Codes resource DLLs commonly return from Online, IsAlive or a control code (issue 16, item
# 5), checked against winerror.h's MessageId/MessageText blocks and Microsoft's "System Error
# Codes" pages.
RESOURCE_DLL_CODES: tuple[tuple[str, int, str], ...] = (
    ("ERROR_FILE_NOT_FOUND", 2, "The system cannot find the file specified."),
    ("ERROR_PATH_NOT_FOUND", 3, "The system cannot find the path specified."),
    ("ERROR_ACCESS_DENIED", 5, "Access is denied."),
    ("ERROR_NOT_READY", 21, "The device is not ready."),
    (
        "ERROR_SHARING_VIOLATION",
        32,
        "The process cannot access the file because it is being used by another process.",
    ),
    ("ERROR_BAD_NETPATH", 53, "The network path was not found."),
    ("ERROR_DEV_NOT_EXIST", 55, "The specified network resource or device is no longer available."),
    ("ERROR_NETNAME_DELETED", 64, "The specified network name is no longer available."),
    ("ERROR_FILE_EXISTS", 80, "The file exists."),
    ("ERROR_DISK_FULL", 112, "There is not enough space on the disk."),
    ("ERROR_BUSY", 170, "The requested resource is in use."),
    ("ERROR_ALREADY_EXISTS", 183, "Cannot create a file when that file already exists."),
    ("WAIT_TIMEOUT", 258, "The wait operation timed out."),
    (
        "ERROR_SERVICE_REQUEST_TIMEOUT",
        1053,
        "The service did not respond to the start or control request in a timely fashion.",
    ),
    ("ERROR_SERVICE_ALREADY_RUNNING", 1056, "An instance of the service is already running."),
    (
        "ERROR_SERVICE_DISABLED",
        1058,
        "The service cannot be started, either because it is disabled or because it has no "
        "enabled devices associated with it.",
    ),
    (
        "ERROR_SERVICE_DOES_NOT_EXIST",
        1060,
        "The specified service does not exist as an installed service.",
    ),
    (
        "ERROR_SERVICE_CANNOT_ACCEPT_CTRL",
        1061,
        "The service cannot accept control messages at this time.",
    ),
    ("ERROR_SERVICE_NOT_ACTIVE", 1062, "The service has not been started."),
    (
        "ERROR_SERVICE_SPECIFIC_ERROR",
        1066,
        "The service has returned a service-specific error code.",
    ),
    ("ERROR_PROCESS_ABORTED", 1067, "The process terminated unexpectedly."),
    ("ERROR_SERVICE_DEPENDENCY_FAIL", 1068, "The dependency service or group failed to start."),
    ("ERROR_SERVICE_LOGON_FAILED", 1069, "The service did not start due to a logon failure."),
    (
        "ERROR_SERVICE_START_HANG",
        1070,
        "After starting, the service hung in a start-pending state.",
    ),
    (
        "ERROR_SERVICE_MARKED_FOR_DELETE",
        1072,
        "The specified service has been marked for deletion.",
    ),
    ("ERROR_CONNECTION_REFUSED", 1225, "The remote system refused the network connection."),
    (
        "ERROR_ADDRESS_ALREADY_ASSOCIATED",
        1227,
        "The network transport endpoint already has an address associated with it.",
    ),
    (
        "ERROR_HOST_UNREACHABLE",
        1232,
        "The network location cannot be reached. For information about network "
        "troubleshooting, see Windows Help.",
    ),
    ("ERROR_TIMEOUT", 1460, "This operation returned because the timeout period expired."),
)


@pytest.mark.parametrize(
    ("name", "value", "text"), RESOURCE_DLL_CODES, ids=[n for n, _, _ in RESOURCE_DLL_CODES]
)
def test_codes_resource_dlls_return_are_members_with_windows_text(
    name: str, value: int, text: str
) -> None:
    assert Win32Error[name] == value
    assert Win32Error(value).name == name
    assert Win32Error(value).phrase == text


RESEARCH = Path(__file__).resolve().parents[3] / "shared" / "research"
_SKIP_REASON = "research files not beside this checkout (../shared/research)"


def _ids(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [f"{name}={value}" for name, value in pairs]


@pytest.mark.parametrize(("name", "value"), SECTION_6, ids=_ids(SECTION_6))
def test_section_6_code_is_a_member_with_that_value(name: str, value: int) -> None:
    assert Win32Error[name] == value
    assert Win32Error(value).name == name


@pytest.mark.parametrize(("name", "value"), ALSO_REQUIRED, ids=_ids(ALSO_REQUIRED))
def test_other_required_code_is_a_member_with_that_value(name: str, value: int) -> None:
    assert Win32Error[name] == value
    assert Win32Error(value).name == name


def test_transcribed_tables_have_no_duplicates() -> None:
    pairs = SECTION_6 + ALSO_REQUIRED
    assert len({name for name, _ in pairs}) == len(pairs)
    assert len({value for _, value in pairs}) == len(pairs)


def test_members_are_ints_named_as_in_winerror_h() -> None:
    for member in Win32Error:
        assert isinstance(member, int)
        assert re.fullmatch(r"(ERROR|WAIT|RPC_S)_[A-Z0-9_]+", member.name), member.name
    # A raw DWORD from a backend compares and hashes like the member.
    assert Win32Error.WAIT_TIMEOUT + 0 == 258
    assert {5013: "found"}[Win32Error.ERROR_GROUP_NOT_FOUND] == "found"


def test_no_aliases() -> None:
    # @enum.unique already refuses aliases; this guards against someone removing it.
    assert len(Win32Error.__members__) == len(Win32Error)


def test_every_member_has_a_non_empty_phrase_that_ends_with_a_full_stop() -> None:
    for member in Win32Error:
        phrase = member.phrase
        assert phrase, member.name
        assert phrase == phrase.strip(), f"{member.name}: stray whitespace in {phrase!r}"
        assert "\r" not in phrase
        assert "\n" not in phrase
        assert phrase.endswith("."), f"{member.name}: {phrase!r}"
        assert phrase[0].isupper(), f"{member.name}: {phrase!r}"


def test_messages_cover_exactly_the_members() -> None:
    assert set(WIN32_MESSAGES) == {member.value for member in Win32Error}


def test_messages_are_read_only() -> None:
    assert isinstance(WIN32_MESSAGES, MappingProxyType)
    with pytest.raises(TypeError):
        WIN32_MESSAGES[87] = "changed"  # type: ignore[index]


# Exact texts, spot-checked against FormatMessage output as published by Microsoft.
EXACT_TEXTS: tuple[tuple[Win32Error, str], ...] = (
    (Win32Error.ERROR_SUCCESS, "The operation completed successfully."),
    (Win32Error.ERROR_INVALID_PARAMETER, "The parameter is incorrect."),
    (Win32Error.WAIT_TIMEOUT, "The wait operation timed out."),
    (Win32Error.ERROR_NO_MORE_ITEMS, "No more data is available."),
    (Win32Error.ERROR_IO_PENDING, "Overlapped I/O operation is in progress."),
    (Win32Error.RPC_S_SERVER_UNAVAILABLE, "The RPC server is unavailable."),
    (Win32Error.ERROR_GROUP_NOT_FOUND, "The cluster group could not be found."),
    (
        Win32Error.ERROR_INVALID_STATE,
        "The group or resource is not in the correct state to perform the requested operation.",
    ),
    (
        Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
        "A cluster node is not available for this operation.",
    ),
    # Windows' own grammar slips are part of the text and must be kept.
    (
        Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM,
        "This operation cannot be performed on the cluster resource as it the quorum "
        "resource. You may not bring the quorum resource offline or modify its possible "
        "owners list.",
    ),
    (
        Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_BUSY,
        "The resource type cannot accept the request since is too busy performing another "
        "operation.",
    ),
)


@pytest.mark.parametrize(
    ("member", "text"), EXACT_TEXTS, ids=[member.name for member, _ in EXACT_TEXTS]
)
def test_exact_windows_text(member: Win32Error, text: str) -> None:
    assert member.phrase == text
    assert WIN32_MESSAGES[member] == text


def test_lookup_round_trips_every_member() -> None:
    for member in Win32Error:
        assert Win32Error.lookup(member) is member
        assert Win32Error.lookup(int(member)) is member
        assert Win32Error.lookup(member.value) is Win32Error(member.value)


@pytest.mark.parametrize("code", [9, 4, 5055, 5999, 6000, -1, 0xFFFFFFFF, 2**64])
def test_lookup_returns_none_for_unknown_codes(code: int) -> None:
    assert Win32Error.lookup(code) is None
    with pytest.raises(ValueError, match="is not a valid Win32Error"):
        Win32Error(code)


def test_all() -> None:
    assert clusapi._win32.__all__ == ("Win32Error",)


def test_docstring_examples() -> None:
    # module=False: still finds the examples once __init__ rewrites __module__ to "clusapi".
    # Private attributes are skipped: enum's _member_type_ is int, with int's own doctests.
    found = doctest.DocTestFinder().find(
        Win32Error, "Win32Error", module=False, globs={"Win32Error": Win32Error}
    )
    tests = [test for test in found if not test.name.startswith("Win32Error._")]
    runner = doctest.DocTestRunner()
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    assert {test.name for test in tests if test.examples} == {
        "Win32Error",
        "Win32Error.phrase",
        "Win32Error.lookup",
    }
    assert runner.tries >= 7
    assert runner.failures == 0, "".join(report)


# --------------------------------------------------------------- against the research notes

# A §6 row: "| ERROR_X / _Y / Z | n / m / k | context |". Shorthand names are expanded
# below: "_Y" replaces a tail of the first name, a bare "Z" means "ERROR_Z".
_ROW = re.compile(
    r"^\|\s*(?P<names>[A-Z_][A-Z0-9_]*(?:\s*/\s*[A-Z_][A-Z0-9_]*)*)\s*"
    r"\|\s*(?P<values>\d+(?:\s*/\s*\d+)*)\s*\|",
    re.MULTILINE,
)
_FULL_NAME = ("ERROR_", "WAIT_", "RPC_S_")


def _section_6(text: str) -> str:
    start = re.search(r"^## 6\..*$", text, re.MULTILINE)
    assert start is not None, "clusapi.md has no '## 6.' section"
    end = re.search(r"^## ", text[start.end() :], re.MULTILINE)
    return text[start.end() : start.end() + end.start()] if end else text[start.end() :]


def _expand(first: str, short: str) -> str | None:
    """Expand a §6 shorthand name, or return None if no Win32Error member matches it."""
    if short.startswith(_FULL_NAME):
        candidates = [short]
    elif short.startswith("_"):
        # "_Y" after "ERROR_A_B_C" is "ERROR_A_B_Y", else "ERROR_A_Y": the longest stem wins.
        words = first.split("_")
        candidates = ["_".join(words[:cut]) + short for cut in range(len(words) - 1, 0, -1)]
    else:
        candidates = ["ERROR_" + short]
    return next((name for name in candidates if name in Win32Error.__members__), None)


def test_research_section_6_codes_are_members() -> None:
    path = RESEARCH / "clusapi.md"
    if not path.is_file():
        pytest.skip(_SKIP_REASON)
    section = _section_6(path.read_text(encoding="utf-8"))

    checked = 0
    problems: list[str] = []
    for row in _ROW.finditer(section):
        names = [part.strip() for part in row["names"].split("/")]
        values = [int(part) for part in row["values"].split("/")]
        if len(names) != len(values):
            problems.append(f"row {row[0]!r}: {len(names)} names but {len(values)} values")
            continue
        for short, value in zip(names, values, strict=True):
            name = _expand(names[0], short)
            if name is None:
                problems.append(f"{short!r} ({value}) in §6 is not a Win32Error member")
            elif Win32Error[name] != value:
                problems.append(f"{name} is {int(Win32Error[name])}, but §6 says {value}")
            checked += 1

    others = re.search(r"^\|\s*others\b[^|]*\|", section, re.MULTILINE)
    if others is None:
        problems.append("no 'others' row in §6")
    else:
        # Cluster codes are 5001-5999; other numbers in the row are years ("2012+").
        for number in re.findall(r"\b5\d{3}\b", others[0]):
            if Win32Error.lookup(int(number)) is None:
                problems.append(f"'others' row names {number}, which is not a Win32Error")
            checked += 1

    assert not problems, "\n".join(problems)
    # Guard against the parser silently matching nothing if the table's layout changes.
    assert checked >= 60, f"only {checked} codes parsed from §6"


def test_every_win32_name_in_the_research_notes_is_a_member() -> None:
    paths = [RESEARCH / "clusapi.md", RESEARCH / "resapi.md"]
    if not all(path.is_file() for path in paths):
        pytest.skip(_SKIP_REASON)
    mentioned = {
        name
        for path in paths
        for name in re.findall(
            r"\b(?:ERROR|WAIT|RPC_S)_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")
        )
    }
    assert mentioned, "no Win32 names found in the research notes"
    assert sorted(mentioned - set(Win32Error.__members__)) == []
