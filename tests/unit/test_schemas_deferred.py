"""The API's models build their validators when first used, not as their modules are
imported: a route module's first request then builds only what it uses (docs/benchmarks.md,
"Cold start")."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import interfaces.http.schemas
from bootstrap.units import every_unit
from interfaces.http.schemas.common import Schema
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
SRC = Path(__file__).resolve().parents[2] / "src"


def api_models() -> list[type[BaseModel]]:
    for module in pkgutil.walk_packages(
        interfaces.http.schemas.__path__, interfaces.http.schemas.__name__ + "."
    ):
        importlib.import_module(module.name)
    found: list[type[BaseModel]] = []
    pending = list(BaseModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        # (A generic's parametrization, ``RootModel[A | B]``, is pydantic's own class.)
        if model.__module__.startswith("interfaces.http.") and "[" not in model.__qualname__:
            found.append(model)
    return found


def test_every_model_of_the_api_defers_its_build() -> None:
    for unit in every_unit(make_settings()):  # the units' route modules, with their models
        unit.api()
        unit.compat_api()
    models = api_models()
    assert len(models) > 50
    assert [m.__qualname__ for m in models if not m.model_config.get("defer_build")] == []
    assert all(issubclass(m, Schema) for m in models if "RootModel" not in str(m.__mro__))


def test_importing_a_route_modules_models_builds_none_of_them() -> None:
    code = (
        "import interfaces.http.schemas.accounts.accounts as m\n"
        "from pydantic import BaseModel\n"
        "built = [n for n, v in vars(m).items() if isinstance(v, type)"
        " and issubclass(v, BaseModel) and v.__module__ == m.__name__"
        " and v.__pydantic_complete__]\n"
        "print(built)\n"
        "m.UserOut.model_json_schema()\n"
        "print(m.UserOut.__pydantic_complete__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=SRC, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["[]", "True"]
