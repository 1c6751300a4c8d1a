"""Loading tenant files: YAML with line numbers, ``${VAR}`` expansion, ``*_file`` secrets, validation.

Every problem found in every file is collected and raised at once as :class:`ConfigError`, each
naming ``file:line: key.path: message`` and what is allowed.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from config.conditions import parse_condition
from config.errors import ConfigError, ConfigIssue, format_path
from config.models import (
    ACTIVITY_ATTRIBUTES,
    STANDARD_PERSON_FIELDS,
    SalesforceCRM,
    Tenant,
)
from config.yamlpos import Path_, YamlSyntaxError, line_of, load_with_lines

DEFAULT_CONFIG_DIR = Path("config/tenants")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$")
SECRET_KEYS = ("access_token", "client_secret", "private_key")
_RULE_KINDS = ("fit", "engagement", "disqualify", "fast_track")
_PERSON_RULES = ("fit", "disqualify")


@dataclass
class _FileContext:
    file: str
    lines: dict[Path_, int]
    issues: list[ConfigIssue] = field(default_factory=list)
    warnings: list[ConfigIssue] = field(default_factory=list)
    expanded: set[tuple[Any, ...]] = field(default_factory=set)   # paths whose value used ${VAR}

    def add(self, path: tuple[Any, ...], message: str) -> None:
        self.issues.append(ConfigIssue(self.file, line_of(self.lines, path), format_path(path), message))

    def warn(self, path: tuple[Any, ...], message: str) -> None:
        self.warnings.append(ConfigIssue(self.file, line_of(self.lines, path), format_path(path), message))


@dataclass
class LoadResult:
    tenants: list[Tenant]
    issues: list[ConfigIssue]
    warnings: list[ConfigIssue]
    files: list[Path]


def config_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """``--config DIR``, else ``$CRMSYNC_CONFIG``, else ``./config/tenants``."""
    if value:
        return Path(value)
    return Path(os.environ.get("CRMSYNC_CONFIG") or DEFAULT_CONFIG_DIR)


def tenant_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def collect_tenants(folder: Path, env: Mapping[str, str] | None = None) -> LoadResult:
    """Load every ``*.yaml``/``*.yml`` in ``folder``; never raises for bad files (see ``issues``)."""
    env = os.environ if env is None else env
    if not folder.is_dir():
        issue = ConfigIssue(str(folder), 0, "", "no such configuration folder (set --config DIR or "
                                                "CRMSYNC_CONFIG)")
        return LoadResult([], [issue], [], [])
    files = tenant_files(folder)
    if not files:
        return LoadResult([], [ConfigIssue(str(folder), 0, "", "no tenant files (*.yaml) in this folder")],
                          [], [])
    tenants: list[Tenant] = []
    issues: list[ConfigIssue] = []
    warnings: list[ConfigIssue] = []
    seen: dict[str, str] = {}
    for path in files:
        tenant, ctx = _load_one(path, env)
        issues += ctx.issues
        warnings += ctx.warnings
        if tenant is None:
            continue
        if tenant.tenant in seen:
            ctx.add(("tenant",), f"tenant `{tenant.tenant}` is already defined in {seen[tenant.tenant]}; "
                                 "tenant names must be unique across the folder")
            issues += ctx.issues[-1:]
            continue
        seen[tenant.tenant] = f"{path}:{line_of(ctx.lines, ('tenant',))}"
        tenants.append(tenant)
    return LoadResult(tenants, issues, warnings, files)


def load_tenants(folder: str | os.PathLike[str] | None = None,
                 env: Mapping[str, str] | None = None) -> list[Tenant]:
    """Every tenant of the folder, or :class:`ConfigError` listing every problem of every file."""
    result = collect_tenants(config_dir(folder), env)
    if result.issues:
        raise ConfigError(result.issues)
    return result.tenants


def load_tenant_file(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Tenant:
    tenant, ctx = _load_one(Path(path), os.environ if env is None else env)
    if tenant is None:
        raise ConfigError(ctx.issues)
    return tenant


def parse_tenant(text: str, file: str = "<tenant>", env: Mapping[str, str] | None = None,
                 base_dir: Path | None = None) -> Tenant:
    tenant, ctx = _parse(text, file, os.environ if env is None else env, base_dir or Path.cwd())
    if tenant is None:
        raise ConfigError(ctx.issues)
    return tenant


def _load_one(path: Path, env: Mapping[str, str]) -> tuple[Tenant | None, _FileContext]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        ctx = _FileContext(str(path), {})
        ctx.issues.append(ConfigIssue(str(path), 0, "", f"cannot read the file: {exc}"))
        return None, ctx
    return _parse(text, str(path), env, path.parent)


def _parse(text: str, file: str, env: Mapping[str, str], base_dir: Path) -> tuple[Tenant | None, _FileContext]:
    try:
        data, lines = load_with_lines(text)
    except YamlSyntaxError as exc:
        ctx = _FileContext(file, {})
        ctx.issues.append(ConfigIssue(file, exc.line, "", exc.message))
        return None, ctx
    ctx = _FileContext(file, lines)
    if not isinstance(data, dict):
        ctx.add((), "a tenant file is a mapping with the keys tenant, crm, scoring (and optionally "
                    "schedule, fields, write_back)")
        return None, ctx
    data = _expand(data, (), env, ctx)
    _read_secret_files(data, base_dir, ctx)
    _check_secrets(data, ctx)
    _salesforce_write_back(data, ctx)
    _parse_conditions(data, ctx)
    if ctx.issues:
        # Still run the schema so that every error of the file is reported in one go.
        _validate(data, ctx)
        return None, ctx
    tenant = _validate(data, ctx)
    if tenant is None or ctx.issues:
        return None, ctx
    return tenant.model_copy(update={"source": file}), ctx


# --------------------------------------------------------------------------- ${VAR} and *_file
def _expand(value: Any, path: tuple[Any, ...], env: Mapping[str, str], ctx: _FileContext) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, (*path, k), env, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*path, i), env, ctx) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name, default = match.group(1), match.group(2)
            ctx.expanded.add(path)
            if name not in env and default is not None:
                return default
            if name not in env:
                ctx.add(path, f"environment variable {name} is not set (referenced as ${{{name}}})")
                return ""
            return env[name]
        return _VAR.sub(substitute, value)
    return value


def _read_secret_files(data: dict[str, Any], base_dir: Path, ctx: _FileContext) -> None:
    crm = data.get("crm")
    if not isinstance(crm, dict):
        return
    for key in SECRET_KEYS:
        file_key = f"{key}_file"
        if file_key not in crm:
            continue
        if key in crm:
            ctx.add(("crm", file_key), f"give either {key} or {file_key}, not both")
            continue
        name = crm[file_key]
        if not isinstance(name, str) or not name.strip():
            ctx.add(("crm", file_key), "expected the path of a file holding the secret")
            continue
        secret_path = Path(name)
        if not secret_path.is_absolute():
            secret_path = base_dir / secret_path
        try:
            secret = secret_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            ctx.add(("crm", file_key), f"cannot read the secret file {name}: {exc.strerror or exc}")
            continue
        if not secret:
            ctx.add(("crm", file_key), f"the secret file {name} is empty")
            continue
        crm[key] = secret


def _check_secrets(data: dict[str, Any], ctx: _FileContext) -> None:
    crm = data.get("crm")
    if not isinstance(crm, dict):
        return
    for key in ("access_token", "client_secret", "private_key", "client_id"):
        if crm.get(key) == "" and ("crm", key) in ctx.expanded and not any(
                i.key == f"crm.{key}" for i in ctx.issues):
            ctx.add(("crm", key), "is empty: the environment variable it names is set but empty")
    for key in ("access_token", "client_secret", "private_key"):
        if f"{key}_file" not in crm and key in crm and ("crm", key) not in ctx.expanded:
            ctx.warn(("crm", key), f"a secret written in the file itself; prefer {key}: ${{VAR}} or {key}_file")


# --------------------------------------------------------------------------- pre-passes
def _salesforce_write_back(data: dict[str, Any], ctx: _FileContext) -> None:
    crm = data.get("crm")
    if not isinstance(crm, dict) or crm.get("kind") != "salesforce":
        return
    write_back = data.get("write_back")
    if write_back is None:
        ctx.add(("write_back",), "required on Salesforce: name the custom fields to write "
                                 "(fields: {fit: Fit_Score__c, ...}) and the lifecycle field")
        return
    if isinstance(write_back, dict):
        if "fields" not in write_back:
            ctx.add(("write_back", "fields"), "required on Salesforce: map fit, engagement, score, grade, "
                                              "status, mql_reason, mql_at to custom fields (e.g. Fit_Score__c)")
        write_back.setdefault("lifecycle", None)


def _parse_conditions(data: dict[str, Any], ctx: _FileContext) -> None:
    scoring = data.get("scoring")
    if not isinstance(scoring, dict):
        return
    raw_fields = data.get("fields")
    extra: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
    person_fields = (*STANDARD_PERSON_FIELDS, *(k for k in extra if isinstance(k, str)))
    for kind in _RULE_KINDS:
        rules = scoring.get(kind)
        if not isinstance(rules, list):
            continue
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict) or "when" not in rule:
                continue
            path = ("scoring", kind, index, "when")
            allowed: Callable[[str], bool]
            if kind in _PERSON_RULES:
                names: Iterable[str] = person_fields
                help_text = ", ".join(person_fields) + " (or add one under `fields:`)"
            else:
                activity = rule.get("activity")
                names = ACTIVITY_ATTRIBUTES.get(activity, ()) if isinstance(activity, str) else ()
                if not names:
                    continue  # the schema reports the bad activity type; skip the attribute check
                help_text = f"{', '.join(names)} (attributes of {activity})"
            name_set = frozenset(names)
            allowed = name_set.__contains__
            condition, errors = parse_condition(rule["when"], allowed, help_text)
            for error in errors:
                ctx.add((*path, *error.path), error.message)
            if errors:
                del rule["when"]
            else:
                rule["when"] = condition


# --------------------------------------------------------------------------- schema
def _validate(data: dict[str, Any], ctx: _FileContext) -> Tenant | None:
    try:
        return Tenant.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = _clean_loc(error["loc"])
            ctx.add(loc, _message(error, loc, data))
        return None


_KINDS = ("hubspot", "salesforce")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for index, part in enumerate(loc):
        if index == 1 and loc[0] == "crm" and part in _KINDS:
            continue
        if part == "[key]":
            continue
        out.append(part)
    return tuple(out)


def _message(error: Any, loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    kind = error["type"]
    ctx_info = error.get("ctx") or {}
    last = loc[-1] if loc else ""
    secret = any(str(part).startswith(SECRET_KEYS) for part in loc)
    shown = "" if secret else _shown(error.get("input"))
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], data)
        return f"unknown key `{last}`" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return f"required key `{last}` is missing"
    if kind == "union_tag_invalid":
        return f"unknown crm kind {ctx_info.get('tag')!r}; allowed: hubspot, salesforce"
    if kind == "union_tag_not_found":
        return "missing `kind`; allowed: hubspot, salesforce"
    if kind == "literal_error":
        return f"invalid value{shown}; allowed: {ctx_info.get('expected', '')}"
    if kind in ("value_error", "assertion_error"):
        text = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            text = text.removeprefix(prefix)
        return text
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number{shown}"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number{shown}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false{shown}"
    if kind in ("string_type",):
        return f"expected text{shown}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        allowed = _allowed_keys(loc, data)
        return f"expected a mapping{shown}" + (f" with keys: {', '.join(allowed)}" if allowed else "")
    if kind in ("list_type", "tuple_type"):
        return f"expected a list{shown}"
    if kind == "too_short" and ctx_info.get("field_type") in ("Tuple", "List"):
        return f"expected {ctx_info.get('min_length')} items"
    return str(error["msg"]) + shown


def _shown(value: Any) -> str:
    if isinstance(value, dict | list) or value is None:
        return ""
    text = repr(value)
    return f", got {text if len(text) <= 60 else text[:57] + '...'}"


def _allowed_keys(loc: tuple[Any, ...], data: dict[str, Any]) -> list[str]:
    model: Any = Tenant
    raw: Any = data
    for part in loc:
        raw = raw[part] if isinstance(raw, dict | list) and _has(raw, part) else None
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(part)
        if info is None:
            return []
        model = _inner_model(info.annotation, raw)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [name for name in model.model_fields if name != "source"]
    return []


def _has(raw: Any, part: Any) -> bool:
    if isinstance(raw, dict):
        return part in raw
    return isinstance(part, int) and 0 <= part < len(raw)


def _inner_model(annotation: Any, raw: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner_model(typing.get_args(annotation)[0], raw)
    if origin in (typing.Union, types.UnionType):
        candidates = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [_inner_model(a, raw) for a in candidates]
        models = [m for m in models if isinstance(m, type) and issubclass(m, BaseModel)]
        kind = raw.get("kind") if isinstance(raw, dict) else None
        for m in models:
            if "kind" in m.model_fields and kind == typing.get_args(m.model_fields["kind"].annotation)[0]:
                return m
        if len(models) == 1:
            return models[0]
        return SalesforceCRM if kind == "salesforce" else (models[0] if models else None)
    if origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return _inner_model(args[0], raw) if args else None
    return annotation
