"""The Properties API: ``/crm/v3/properties/{objectType}`` (properties and property groups)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.hubspot.errors import HubSpotError, error_body, not_found, standard_error, validation_error
from sandbox.hubspot.schema import FIELD_TYPES, PROPERTY_TYPES, GroupDef, OptionDef, PropertyDef, resolve_type
from sandbox.wire import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from collections.abc import Callable

    from sandbox.hubspot.app import HubSpotApp
    from sandbox.hubspot.portal import Portal

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_REQUIRED = ("name", "label", "type", "fieldType", "groupName")


def _type(m: re.Match[str]) -> str:
    resolved = resolve_type(m["type"])
    if resolved is None:
        raise HubSpotError(400, error_body("VALIDATION_ERROR", f"Unable to infer object type from: {m['type']}"))
    return resolved


def _body(request: SandboxRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except orjson.JSONDecodeError:
        raise validation_error("Invalid input JSON on line 1") from None
    if not isinstance(body, dict):
        raise validation_error("The request body must be a JSON object")
    return body


def _options(raw: Any, name: str) -> tuple[OptionDef, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise validation_error(f"options of {name} must be an array")
    out = []
    for i, opt in enumerate(raw):
        if not isinstance(opt, dict) or not opt.get("value") or not opt.get("label"):
            raise validation_error(f"option {i} of {name} needs a label and a value")
        out.append(OptionDef(str(opt["label"]), str(opt["value"]), int(opt.get("displayOrder", i)),
                             bool(opt.get("hidden", False))))
    return tuple(out)


def parse_property(portal: Portal, type_name: str, body: dict[str, Any]) -> PropertyDef:
    """A PropertyCreate body as a PropertyDef; raises 400 naming the field that is wrong."""
    missing = [k for k in _REQUIRED if not body.get(k)]
    if missing:
        raise validation_error(f"Missing required fields: {', '.join(missing)}",
                               errors=[{"message": f"{k} is required", "code": "REQUIRED_FIELD",
                                        "context": {"field": [k]}} for k in missing])
    name, ptype, ftype, group = str(body["name"]), str(body["type"]), str(body["fieldType"]), str(body["groupName"])
    if not _NAME.fullmatch(name):
        raise validation_error(f"Invalid property name {name!r}: lower-case letters, digits and underscores, "
                               "starting with a letter")
    if ptype not in PROPERTY_TYPES:
        raise validation_error(f"Invalid type {ptype!r}; allowed: {', '.join(sorted(PROPERTY_TYPES))}")
    if ftype not in FIELD_TYPES:
        raise validation_error(f"Invalid fieldType {ftype!r}; allowed: {', '.join(sorted(FIELD_TYPES))}")
    if group not in portal.groups[type_name]:
        raise validation_error(f"Property group {group!r} does not exist on {type_name}")
    options = _options(body.get("options"), name)
    if ptype == "enumeration" and not options:
        raise validation_error(f"Enumeration property {name!r} needs options")
    if ptype == "bool" and not options:
        options = (OptionDef("True", "true", 0), OptionDef("False", "false", 1))
    return PropertyDef(name, str(body["label"]), ptype, ftype, group, options, hubspot_defined=False,
                       description=str(body.get("description") or ""),
                       has_unique_value=bool(body.get("hasUniqueValue", False)))


def _create_one(portal: Portal, type_name: str, body: dict[str, Any]) -> PropertyDef:
    prop = parse_property(portal, type_name, body)
    if prop.name in portal.tables[type_name].props:
        raise HubSpotError(409, error_body("OBJECT_ALREADY_EXISTS", f"Property named '{prop.name}' already exists."))
    portal.add_property(type_name, prop)
    return prop


def _list(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    props = portal.tables[_type(m)].props.values()
    return SandboxResponse.json(200, {"results": [p.to_json() for p in props]}, batch_size=len(props))


def _create(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    prop = _create_one(portal, _type(m), _body(request))
    return SandboxResponse.json(201, prop.to_json(), batch_size=1)


def _batch_create(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    type_name = _type(m)
    inputs = _body(request).get("inputs") or []
    results, errors = [], []
    for item in inputs:
        try:
            results.append(_create_one(portal, type_name, item).to_json())
        except HubSpotError as exc:
            errors.append(standard_error(exc.body.get("category", "VALIDATION_ERROR"), exc.body["message"],
                                         {"name": [str(item.get("name"))]}))
    payload: dict[str, Any] = {"status": "COMPLETE", "results": results}
    if errors:
        payload.update(numErrors=len(errors), errors=errors)
    return SandboxResponse.json(207 if errors else 201, payload, batch_size=len(inputs))


def _batch_read(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    props = portal.tables[_type(m)].props
    inputs = _body(request).get("inputs") or []
    names = [str(i.get("name")) for i in inputs if isinstance(i, dict)]
    results = [props[n].to_json() for n in names if n in props]
    return SandboxResponse.json(200, {"status": "COMPLETE", "results": results}, batch_size=len(inputs))


def _get(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    prop = portal.tables[_type(m)].props.get(m["name"])
    if prop is None:
        raise not_found(f"Unable to find property with name {m['name']}")
    return SandboxResponse.json(200, prop.to_json(), batch_size=1)


def _patch(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    type_name = _type(m)
    table = portal.tables[type_name]
    prop = table.props.get(m["name"])
    if prop is None:
        raise not_found(f"Unable to find property with name {m['name']}")
    body = _body(request)
    merged = {"name": prop.name, "label": prop.label, "type": prop.type, "fieldType": prop.field_type,
              "groupName": prop.group, "description": prop.description,
              "options": [o.to_json() for o in prop.options]}
    merged.update({k: v for k, v in body.items() if k != "name"})
    new = parse_property(portal, type_name, merged)
    new = PropertyDef(new.name, new.label, new.type, new.field_type, new.group, new.options, prop.read_only,
                      prop.hubspot_defined, new.description, prop.has_unique_value, prop.created_ms)
    table.props[prop.name] = new
    return SandboxResponse.json(200, new.to_json(), batch_size=1)


def _delete(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    table = portal.tables[_type(m)]
    prop = table.props.get(m["name"])
    if prop is None:
        raise not_found(f"Unable to find property with name {m['name']}")
    if prop.hubspot_defined:
        raise validation_error(f"{prop.name} is a HubSpot-defined property and cannot be deleted")
    del table.props[prop.name]
    table.columns.pop(prop.name, None)
    return SandboxResponse(204)


def _group_list(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    groups = portal.groups[_type(m)].values()
    return SandboxResponse.json(200, {"results": [g.to_json() for g in groups]}, batch_size=len(groups))


def _group_create(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    groups = portal.groups[_type(m)]
    body = _body(request)
    name, label = str(body.get("name") or ""), str(body.get("label") or "")
    if not name or not label:
        raise validation_error("A property group needs a name and a label")
    if not _NAME.fullmatch(name):
        raise validation_error(f"Invalid group name {name!r}: lower-case letters, digits and underscores")
    if name in groups:
        raise HubSpotError(409, error_body("OBJECT_ALREADY_EXISTS", f"Property group named '{name}' already exists."))
    group = GroupDef(name, label, int(body.get("displayOrder", -1)))
    groups[name] = group
    return SandboxResponse.json(201, group.to_json(), batch_size=1)


def _group_get(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    group = portal.groups[_type(m)].get(m["name"])
    if group is None:
        raise not_found(f"Unable to find property group with name {m['name']}")
    return SandboxResponse.json(200, group.to_json(), batch_size=1)


def _group_patch(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    groups = portal.groups[_type(m)]
    group = groups.get(m["name"])
    if group is None:
        raise not_found(f"Unable to find property group with name {m['name']}")
    body = _body(request)
    group = GroupDef(group.name, str(body.get("label") or group.label),
                     int(body.get("displayOrder", group.display_order)))
    groups[group.name] = group
    return SandboxResponse.json(200, group.to_json(), batch_size=1)


def _group_delete(app: HubSpotApp, portal: Portal, request: SandboxRequest, m: re.Match[str]) -> SandboxResponse:
    type_name = _type(m)
    groups = portal.groups[type_name]
    if m["name"] not in groups:
        raise not_found(f"Unable to find property group with name {m['name']}")
    if any(p.group == m["name"] for p in portal.tables[type_name].props.values()):
        raise validation_error(f"Property group {m['name']} still holds properties; move or delete them first")
    del groups[m["name"]]
    return SandboxResponse(204)


_T = r"/crm/v3/properties/(?P<type>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str], Callable[[HubSpotApp, Portal, SandboxRequest, re.Match[str]],
                                                   SandboxResponse]]] = [
    ("GET", re.compile(rf"{_T}/groups/?"), _group_list),
    ("POST", re.compile(rf"{_T}/groups/?"), _group_create),
    ("GET", re.compile(rf"{_T}/groups/(?P<name>[^/]+)/?"), _group_get),
    ("PATCH", re.compile(rf"{_T}/groups/(?P<name>[^/]+)/?"), _group_patch),
    ("DELETE", re.compile(rf"{_T}/groups/(?P<name>[^/]+)/?"), _group_delete),
    ("POST", re.compile(rf"{_T}/batch/create/?"), _batch_create),
    ("POST", re.compile(rf"{_T}/batch/read/?"), _batch_read),
    ("GET", re.compile(rf"{_T}/?"), _list),
    ("POST", re.compile(rf"{_T}/?"), _create),
    ("GET", re.compile(rf"{_T}/(?P<name>[^/]+)/?"), _get),
    ("PATCH", re.compile(rf"{_T}/(?P<name>[^/]+)/?"), _patch),
    ("DELETE", re.compile(rf"{_T}/(?P<name>[^/]+)/?"), _delete),
]
