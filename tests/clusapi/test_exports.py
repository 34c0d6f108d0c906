"""The public surface is deliberate: each package's __all__ is exactly its public names."""

from __future__ import annotations

import importlib
import pickle
import types

import pytest

PUBLIC_MODULES = [
    "clusapi",
    "clusapi.lowlevel",
    "clusapi.testing",
    "clusapi.pacemaker",
    "resapi",
    "resapi.testing",
    "resapi.ocf",
]


def public_names(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)  # submodules are reached as attributes
        and name != "annotations"  # from __future__ import annotations
    }


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_all_equals_the_public_names(module_name: str):
    module = importlib.import_module(module_name)
    assert isinstance(module.__all__, tuple)
    assert len(set(module.__all__)) == len(module.__all__), "duplicates in __all__"
    for name in module.__all__:  # a lazy package (clusapi.testing) binds a name when used
        getattr(module, name)
    assert set(module.__all__) == public_names(module)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_public_classes_report_their_public_module(module_name: str):
    module = importlib.import_module(module_name)
    root = module_name.split(".")[0]
    for name in module.__all__:
        obj = getattr(module, name)
        if isinstance(obj, type) and obj.__module__.startswith(root):
            assert obj.__module__ in PUBLIC_MODULES, f"{module_name}.{name}: {obj.__module__}"
            # ...and the module it reports really has it, so pickle and docs find it.
            home = importlib.import_module(obj.__module__)
            assert getattr(home, obj.__name__, None) is obj, f"{name} not at {obj.__module__}"


def test_each_clusapi_export_lives_in_one_tier():
    tiers = [
        importlib.import_module(m)
        for m in ("clusapi", "clusapi.lowlevel", "clusapi.testing", "clusapi.pacemaker")
    ]
    seen: dict[int, str] = {}
    for tier in tiers:
        for name in tier.__all__:
            obj = getattr(tier, name)
            if isinstance(obj, (int, str)):
                continue  # plain constants may coincide by value
            assert id(obj) not in seen, f"{name} exported by {seen.get(id(obj))} and {tier}"
            seen[id(obj)] = tier.__name__


def test_clusapi_does_not_import_its_testing_tier():
    import subprocess
    import sys

    code = "import sys, clusapi; print('clusapi.testing' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_resapi_reexports_the_shared_vocabulary_of_clusapi():
    import clusapi
    import resapi

    for name in (
        "ClusterError",
        "ResourceState",
        "Win32Error",
        "ControlCode",
        "PropertyFormat",
        "Characteristics",
        "ResourceClass",
    ):
        assert getattr(resapi, name) is getattr(clusapi, name)


def test_public_values_pickle_by_their_public_path():
    import clusapi

    error = clusapi.GroupNotFoundError(clusapi.Win32Error.ERROR_GROUP_NOT_FOUND, "no group 'x'")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is clusapi.GroupNotFoundError
    assert str(again) == str(error)
    assert pickle.loads(pickle.dumps(clusapi.ResourceState.ONLINE)) is clusapi.ResourceState.ONLINE
