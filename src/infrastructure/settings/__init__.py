"""Configuration from environment variables, validated once at start-up (12-factor).

``Settings`` holds the service's own groups as fields (``settings.service.port``: service,
branding, storage, jobs, telemetry) and reads any other group by its type, once, on first
use: ``settings.group(SignInSettings).jwt_secret``
(docs/decisions/0825-settings-read-by-group-type.md). It names no capability's group: each
unit's record lists its own (``Unit.settings``), and the start checks them all at once
(``check``, from bootstrap/units.py). A field keeps its variable's name, lower-cased, in
whichever group it is: ``JWT_SECRET`` is read as ``jwt_secret``, and
``Settings(jwt_secret=...)`` takes it by that name too. Each group checks its own fields,
what the production profile demands of them, and what relates them to another group's
(``problems_beside``), then fills in what follows from the others (``fill_in``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, PrivateAttr, ValidationError, model_validator
from pydantic_core import ErrorDetails, InitErrorDetails
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from infrastructure.settings.group import SettingsGroup, invalid_configuration
from infrastructure.settings.platform.branding import BrandingSettings
from infrastructure.settings.platform.jobs import JobSettings
from infrastructure.settings.platform.service import ServiceSettings
from infrastructure.settings.platform.storage import StorageSettings
from infrastructure.settings.platform.telemetry import TelemetrySettings


class Settings(BaseSettings):  # noqa: PLW1641 - unhashable, as every pydantic model that may change
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    service: ServiceSettings
    branding: BrandingSettings
    storage: StorageSettings
    jobs: JobSettings
    telemetry: TelemetrySettings

    # The values this was made with, for the groups read by their type (``group``).
    _given: dict[str, Any] = PrivateAttr(default_factory=dict)
    # Each group read by its type, read once: a development default (a random key) is the
    # same object at every read.
    _groups: dict[type[SettingsGroup], SettingsGroup] = PrivateAttr(default_factory=dict)

    def __init__(self, **values: Any) -> None:
        """``values`` by their variables' names (``jwt_secret=...``), over the environment's;
        an invalid one is named as its variable is, whichever group holds it."""
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(
                exc.title, [_by_variable(error) for error in exc.errors()]
            ) from None
        self._given = {name.lower(): value for name, value in values.items()}

    def __eq__(self, other: object) -> bool:
        """Settings made alike are equal whichever groups each has read yet: the same values
        given, the same service groups, and every group either has read the same in both
        (each read on the other if it has not been)."""
        if not isinstance(other, Settings):
            return NotImplemented
        if type(self) is not type(other) or self._given != other._given:
            return False
        if self.__dict__ != other.__dict__:  # the service's own groups
            return False
        return all(
            self.group(kind) == other.group(kind) for kind in {*self._groups, *other._groups}
        )

    def group[G: SettingsGroup](self, group: type[G]) -> G:
        """The settings group ``group`` (a unit's ``bootstrap/<unit>.py`` or its
        ``infrastructure/<unit>/settings.py`` names it): each variable as this was made
        with it, else as the environment has it; checked as the start checks it, named by
        its variable when invalid; read once, then the same object at every read."""
        found = self._groups.get(group)
        if found is None:
            made = self._validated(group)
            problems = self._problems(made)
            if problems:
                raise _refused(problems)
            made.fill_in(self)
            found = self._groups.setdefault(group, made)
        if not isinstance(found, group):  # never: each is kept under its own type
            raise TypeError(f"{group.__name__} is kept as {type(found).__name__}")
        return found

    def with_values(self, **values: Any) -> Settings:
        """These settings with ``values``, by their variables' names, in place of theirs (not
        validated: the caller's own); what else a group read holds is kept, its development
        keys the same objects."""
        given = {name.lower(): value for name, value in values.items()}
        own = {GROUP_OF[name] for name in given if name in GROUP_OF}  # the service's groups
        copy = self.model_copy(update={name: _updated(getattr(self, name), given) for name in own})
        copy._given = self._given | given
        copy._groups = {kind: _updated(group, given) for kind, group in self._groups.items()}
        return copy

    def check(self, groups: Iterable[type[SettingsGroup]]) -> None:
        """What a start refuses: each of ``groups`` read (``group``), with the service's
        production problems; every invalid value named at once (ValidationError), else
        every problem in one message (gunicorn's master prints it alone)."""
        errors: list[InitErrorDetails] = []
        made: list[SettingsGroup] = []
        for group in dict.fromkeys(groups):
            if group in self._groups:
                continue
            try:
                made.append(self._validated(group))
            except ValidationError as exc:
                errors += [_by_variable(error) for error in exc.errors()]
        if errors:
            raise ValidationError.from_exception_data("Settings", errors)
        problems = self.service.production_problems() if self._production else []
        for found in made:
            try:
                its = self._problems(found)
            except ValueError:
                if problems:  # another group's, which it reads: already among the problems
                    continue
                raise
            problems += its
            if not its:
                found.fill_in(self)
                self._groups.setdefault(type(found), found)
        if problems:
            raise _refused(problems)

    @property
    def _production(self) -> bool:
        return self.service.app_profile == "production"

    def _validated[G: SettingsGroup](self, group: type[G]) -> G:
        values = _Variables(type(self)).values_of(group) | {
            name: value for name, value in self._given.items() if name in group.model_fields
        }
        try:
            return group.model_validate(values)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(
                exc.title, [_by_variable(error) for error in exc.errors()]
            ) from None

    def _problems(self, group: SettingsGroup) -> list[str]:
        problems = group.problems_beside(self)
        if self._production:
            problems += group.production_problems()
        return problems

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Variables(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _grouped(cls, data: object) -> object:
        """Each value to the group of the field of its name; other names are ignored here
        (a group read by its type takes its own: ``group``)."""
        if not isinstance(data, dict):
            return data
        grouped: dict[str, dict[str, Any]] = {name: {} for name in GROUPS}
        for name, value in data.items():
            if name in GROUP_OF:
                grouped[GROUP_OF[name]][name] = value
            elif name in GROUPS:  # a group as a whole: its values under the variables'
                given = _given(value)
                grouped[name] = {**given, **grouped[name]}
        return grouped

    @model_validator(mode="after")
    def _defaults_from_the_service(self) -> Settings:
        """Pushes to this port, Pub/Sub set up in the local profile, and its emulator's
        bucket."""
        jobs, service = self.jobs, self.service
        if not jobs.job_push_endpoint:
            jobs.job_push_endpoint = f"http://127.0.0.1:{service.port}/internal/jobs"
        if jobs.pubsub_setup is None:
            jobs.pubsub_setup = service.app_profile == "local"
        # Local runs use the emulator's bucket; production names its bucket explicitly
        # (without one, the dataset and file routes answer 503 storage_not_configured).
        if not self.storage.storage_bucket and service.app_profile == "local":
            project = service.google_cloud_project or "demo-firegate"
            self.storage.storage_bucket = f"{project}.appspot.com"
        return self


GROUPS: dict[str, type[SettingsGroup]] = {
    name: field.annotation
    for name, field in Settings.model_fields.items()
    if isinstance(field.annotation, type) and issubclass(field.annotation, SettingsGroup)
}
"""The service's own groups, ``Settings``' fields; the others are the units' (``Unit.settings``)."""
GROUP_OF: dict[str, str] = {
    variable: group for group, model in GROUPS.items() for variable in model.model_fields
}
"""Which of the service's own groups holds each of its variables (lower-cased)."""


class _Variables(EnvSettingsSource):
    """The environment, read for every group's fields by their own names (no prefix, no
    nesting): the documented variables (docs/configuration.md)."""

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for model in GROUPS.values():
            found |= self.values_of(model)
        return found

    def values_of(self, model: type[SettingsGroup]) -> dict[str, Any]:
        """The variables of ``model``'s fields that the environment sets."""
        found: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            value, _, is_complex = self.get_field_value(field, name)
            value = self.prepare_field_value(name, field, value, is_complex)
            if value is not None:
                found[name] = value
        return found


def _given(group: object) -> dict[str, Any]:
    if isinstance(group, BaseModel):
        return {name: getattr(group, name) for name in group.model_fields_set}
    if isinstance(group, dict):
        return group
    raise ValueError(f"a settings group is a mapping of its variables, not {group!r}")


def _updated[G: SettingsGroup](group: G, values: dict[str, Any]) -> G:
    """``group`` with those of ``values`` that are its fields'."""
    update = {name: value for name, value in values.items() if name in type(group).model_fields}
    return group.model_copy(update=update) if update else group


def _by_variable(error: ErrorDetails) -> InitErrorDetails:
    """``error`` located by its variable (``jwt_leeway``), not by its group's path to it."""
    loc = error["loc"]
    if loc and loc[0] in GROUPS:
        loc = loc[1:]
    details = InitErrorDetails(type=error["type"], loc=loc, input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


def _refused(problems: list[str]) -> ValidationError:
    """``problems`` as the one error a start stops with."""
    details = InitErrorDetails(
        type="value_error", loc=(), input="settings", ctx={"error": invalid_configuration(problems)}
    )
    return ValidationError.from_exception_data("Settings", [details])


def load_settings() -> Settings:
    return Settings()
