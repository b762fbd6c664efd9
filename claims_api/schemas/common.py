"""Fields, pagination and header schemas shared by every resource."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from marshmallow import Schema, ValidationError, fields, missing, validate

from claims_api.limits import MAX_REASON_LENGTH, MAX_URL_LENGTH

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 200
MAX_ID = 2**31 - 1
# A BCP 47 language tag, such as en or pt-BR (its length is bounded apart: limits.py).
LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"


# A UTF-16 surrogate on its own: JSON's "\ud800" decodes to one, and no database
# (nor UTF-8) can store it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_text(text: str) -> str | None:
    """Why no text column can store ``text``, or None if one can."""
    if "\x00" in text:
        return "Must not contain NUL characters."
    if LONE_SURROGATE.search(text):
        return "Must not contain unpaired UTF-16 surrogates (such as \\ud800)."
    return None


def unstorable_paths(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Where a decoded JSON value holds text no database can store, and why.

    The one check every writer applies before text reaches the database: the
    request parser for the API, the import readers for bulk files.
    """
    if isinstance(value, str):
        reason = unstorable_text(value)
        if reason:
            yield path, reason
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unstorable_paths(key, path)
            yield from unstorable_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unstorable_paths(item, (*path, index))


def Id(**kwargs: Any) -> fields.Integer:
    """A row id: a positive integer within the database's integer range."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def SerialNumber(minimum: int = 1, **kwargs: Any) -> fields.Integer:
    """A version or revision number: bounded like a row id, since the database compares it
    (SQLite cannot bind an integer past 64 bits)."""
    return fields.Integer(validate=validate.Range(min=minimum, max=MAX_ID), **kwargs)


class JSONNumber(fields.Number[float]):
    """A JSON number kept as the client wrote it: 130000 stays an int, 1.5 a float."""

    num_type = float

    def _format_num(self, value: Any) -> int | float:
        if isinstance(value, bool | str):
            raise self.make_error("invalid")
        if isinstance(value, int):
            return value
        number = float(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise self.make_error("invalid")
        return number

    def _validated(self, value: Any) -> int | float:
        try:
            return self._format_num(value)
        except (TypeError, ValueError) as error:
            raise self.make_error("invalid") from error


class JSONBoolean(fields.Boolean):
    """A JSON true or false, nothing else ("yes", 1 and "true" are refused)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ISODate(fields.String):
    """A calendar date as an ISO 8601 string, stored as it is dumped."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {})["format"] = "date"
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValidationError("Not a valid date (YYYY-MM-DD).") from None


class UTCTimestamp(fields.AwareDateTime):
    """An RFC 3339 timestamp read as UTC: without an offset it is taken as UTC, with
    another offset it is converted, so that it reads back exactly as it is stored."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return super()._deserialize(value, attr, data, **kwargs).astimezone(UTC)
        except OverflowError:
            raise ValidationError("Out of the range of dates this service stores.") from None


def WebURL(**kwargs: Any) -> fields.String:
    """An absolute http(s) URL, as the document says (the service also normalises it)."""
    metadata = {"pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]"}
    metadata.update(kwargs.pop("metadata", {}))
    return fields.String(
        validate=validate.Length(min=1, max=MAX_URL_LENGTH), metadata=metadata, **kwargs
    )


def Timestamp(**kwargs: Any) -> fields.AwareDateTime:
    return UTCTimestamp(format="iso", default_timezone=UTC, **kwargs)


def Text(max_length: int, **kwargs: Any) -> fields.String:
    """A non-blank string of bounded length, stripped of surrounding white space."""
    return StrippedString(validate=validate.Length(min=1, max=max_length), **kwargs)


class StrippedString(fields.String):
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()

    def openapi_properties(self) -> dict[str, Any]:
        """White space alone strips to nothing: the document says a non-blank text."""
        return {"pattern": r"\S"}


class PageArgs(Schema):
    """Query arguments every list takes: a page size and the cursor of the page."""

    limit = fields.Integer(
        load_default=PAGE_SIZE_DEFAULT,
        validate=validate.Range(min=1, max=PAGE_SIZE_MAX),
        metadata={"description": f"Items per page (1-{PAGE_SIZE_MAX})."},
    )
    cursor = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "The `next_cursor` of the previous page."},
    )


class SettingMaximum(fields.Integer):
    """An integer of at most the app's setting ``setting``, as the document also says."""

    def __init__(self, setting: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.setting = setting

    def _validated(self, value: Any) -> int:
        number: int = super()._validated(value)
        maximum = current_app.config[self.setting]
        if number > maximum:
            raise ValidationError(f"Must be at most {maximum} (CLAIMS_{self.setting}).")
        return number

    def openapi_properties(self) -> dict[str, Any]:
        return {"maximum": current_app.config[self.setting]}


class ReasonHeaders(Schema):
    """Headers a write request may carry (the actor is the API key's name)."""

    reason = fields.String(
        data_key="X-Reason",
        validate=validate.Length(max=MAX_REASON_LENGTH),
        metadata={"description": "Why; recorded in the revision."},
    )


class OptionalIfMatchHeaders(ReasonHeaders):
    """A write that checks the version only when told which (If-Match)."""

    if_match = fields.String(
        data_key="If-Match",
        metadata={"description": "The ETag the change is based on; without it, any version."},
    )


class WriteHeaders(ReasonHeaders):
    """An edit: it needs If-Match, so that no change overwrites another unseen.

    Loaded as optional so that its absence is answered 428, not 422; documented as
    required, which it is.
    """

    if_match = fields.String(
        data_key="If-Match",
        metadata={
            "description": "The ETag the change is based on (428 without it, 412 when stale).",
            "documented_required": True,
        },
    )


def page_schema(item_schema: type[Schema] | Schema, name: str) -> type[Schema]:
    """The ``{"items": [...], "next_cursor": ...}`` envelope of a list."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end."},
            ),
        },
        name=name,
    )


def compiled_dump(schema: Schema) -> Callable[[Any], dict[str, Any]]:
    """``schema.dump`` of one object as a plain function, an order of magnitude faster.

    For every read of a claim (a page of 200 dumps about a thousand nested objects)
    and for writers that dump a schema per row in bulk (revision snapshots of an
    import): the same fields, names and values as ``schema.dump``, each read as
    ``dump`` reads it (a dict's key, else an attribute) and converted by the field's
    own ``_serialize``, or inline for the plain strings, integers, lists and nested
    schemas that ``_serialize`` would only pass through. The function is generated
    from the schema's fields, once: no per-field bookkeeping on each call. Only the
    schemas' declared fields are supported: dump hooks and dump defaults are refused.
    """
    if any(schema._hooks.get(tag) for tag in ("pre_dump", "post_dump")):
        raise TypeError(f"{type(schema).__name__} has dump hooks: use its dump()")
    namespace: dict[str, Any] = {"MISSING": missing, "step": _step}
    # Two readers, of a dict's keys and of an object's attributes, as dump() reads each.
    readers = {
        "from_mapping": "item.get({!r}, MISSING)",
        "from_object": "getattr(item, {!r}, MISSING)",
    }
    body = []
    for index, (name, field) in enumerate(schema.dump_fields.items()):
        if field.dump_default is not missing:
            raise TypeError(f"{type(schema).__name__}.{name} has a dump default: use dump()")
        first, *rest = (field.attribute or name).split(".")
        steps = [f"    value = step(value, {key!r})" for key in rest]
        converted = _conversion(field, "value", f"f{index}", namespace)
        body.append((first, steps, f"        dumped[{field.data_key or name!r}] = {converted}"))
    lines = []
    for reader, read in readers.items():
        lines += [f"def {reader}(item):", "    dumped = {}"]
        for first, steps, assignment in body:
            lines += [f"    value = {read.format(first)}", *steps]
            lines += ["    if value is not MISSING:", assignment]
        lines.append("    return dumped")
    lines += [
        "def dump(item):",
        "    return from_mapping(item) if isinstance(item, dict) else from_object(item)",
    ]
    exec("\n".join(lines), namespace)  # the code is built from the field names alone
    dump: Callable[[Any], dict[str, Any]] = namespace["dump"]
    return dump


def _step(value: Any, key: str) -> Any:
    """One step down a dotted attribute (``source.url``), as ``dump`` takes it."""
    return value.get(key, missing) if isinstance(value, dict) else getattr(value, key, missing)


def _conversion(
    field: fields.Field[Any], value: str, prefix: str, namespace: dict[str, Any]
) -> str:
    """The expression ``compiled_dump`` turns one field's ``value`` into what ``dump`` gives;
    what it needs (nested dumps, fields' serialisers) goes into ``namespace``."""
    if isinstance(field, fields.Nested):
        namespace[prefix] = compiled_dump(field.schema)
        if field.many:
            return f"None if {value} is None else [{prefix}(each) for each in {value}]"
        return f"None if {value} is None else {prefix}({value})"
    if isinstance(field, fields.List):
        inner = _conversion(field.inner, "each", f"{prefix}_", namespace)
        return f"None if {value} is None else [{inner} for each in {value}]"
    # The two most common fields, as their _serialize has it, without the method calls.
    if type(field) is fields.String:
        return f"None if {value} is None else str({value})"
    if type(field) is fields.Integer and not field.as_string:
        return f"None if {value} is None else int({value})"
    namespace[prefix] = field._serialize
    return f"{prefix}({value}, None, None)"
