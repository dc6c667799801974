"""One generic handler set for the legacy API's reference resources (accounts, employees, ...).

Each resource is a :class:`Resource` row (which directory kind, which body fields a write may
set and with which JSON types, which are required, how a list is wrapped, which query flag
filters it) plus, where the legacy API behaves specially, a named hook. Writes are in-memory
mutations of the company's :class:`~adapter.sandbox.legacy_directory.LegacyDirectory` records:

- create (``POST``): required fields present and typed, references resolve (else 400), a new
  deterministic id; answers the record (``employees``: ``{"id"}``, per the document);
- update (``PUT``/``PATCH``): the given fields are merged into the record; unknown ids 404;
- delete: removes the record and answers ``{}``; hooks may refuse or soften it;
- unknown body fields are ignored, as lenient JSON APIs do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from adapter.sandbox.errors import bad_request
from adapter.sandbox.http import read_json
from adapter.sandbox.legacy_http import (
    DEFAULT_PAGE_SIZE,
    legacy_json,
    not_found,
    offset_page,
    page_bounds,
    query_flag,
)
from adapter.sandbox.models import JsonObject
from adapter.sandbox.state import SandboxState

__all__ = ["Context", "Field", "Parent", "Resource", "ResourceApi"]


@dataclass(frozen=True, slots=True)
class Field:
    """The JSON type a body field must have."""

    kind: str  # "string", "number", "boolean" or "array"
    nullable: bool = False
    enum: tuple[str, ...] | None = None

    def check(self, name: str, value: object) -> None:
        """400 unless ``value`` fits."""
        if value is None and self.nullable:
            return
        fits = {
            "string": isinstance(value, str),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "array": isinstance(value, list),
        }[self.kind]
        if not fits or (self.enum is not None and value not in self.enum):
            allowed = f" ({', '.join(self.enum)})" if self.enum else ""
            msg = f"'{name}' must be a {self.kind}{allowed}."
            raise bad_request(msg)


@dataclass(slots=True)
class Context:
    """What a hook may look at: the world and the calling company."""

    state: SandboxState
    company_id: str

    def records(self, kind: str) -> dict[str, JsonObject]:
        """The company's records of ``kind``."""
        return self.state.directory.collection(self.company_id, kind)

    def new_id(self, kind: str) -> str:
        """A fresh deterministic id."""
        return self.state.directory.new_id(self.company_id, kind)


# before_write(context, record as it will be stored, record before the write or None on create)
WriteHook = Callable[[Context, JsonObject, JsonObject | None], None]
# before_delete(context, record, request) -> whether to remove the record (False: it handled it)
DeleteHook = Callable[[Context, JsonObject, Request], bool]


@dataclass(frozen=True, slots=True)
class Resource:
    """How one legacy resource behaves (see the module docstring)."""

    kind: str
    label: str
    id_param: str
    fields: Mapping[str, Field] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    required_on_update: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    references: Mapping[str, str] = field(default_factory=dict)  # body field -> kind
    envelope: str | None = None  # list wrapper key; None: a bare array
    paged: bool = False  # metadata.pageInfo in the list answer
    page_size: int | None = None  # offset paging without metadata (teams)
    flag: str | None = None  # boolean query parameter filtering on the same record field
    # Other boolean query parameters the document lists: checked (400 unless true/false), no effect.
    inert_flags: tuple[str, ...] = ()
    parent: Parent | None = None  # the record the records are nested under
    expand: Callable[[Context, JsonObject, bool], JsonObject] | None = None  # (.., one record?)
    before_write: WriteHook | None = None  # after validation, before the record is stored
    before_delete: DeleteHook | None = None  # may raise to refuse
    created_answer: Callable[[JsonObject], JsonObject] | None = None


@dataclass(frozen=True, slots=True)
class Parent:
    """Records nested under another record: ``/tag-groups/{tagGroupId}/tags``."""

    param: str  # the path parameter, also the record field holding the parent id
    kind: str
    label: str


class ResourceApi:
    """List, read, create, update and delete for any :class:`Resource`."""

    def __init__(self, state: SandboxState, company_of: Callable[[Request], str]) -> None:
        self.state = state
        self.company_of = company_of

    def _context(self, request: Request) -> Context:
        return Context(self.state, self.company_of(request))

    def _scoped(self, resource: Resource, context: Context, request: Request) -> list[JsonObject]:
        records = list(context.records(resource.kind).values())
        if resource.parent is None:
            return records
        parent = resource.parent
        parent_id = str(request.path_params[parent.param])
        if parent_id not in context.records(parent.kind):
            raise not_found(parent.label)
        return [record for record in records if record[parent.param] == parent_id]

    def _one(self, resource: Resource, context: Context, request: Request) -> JsonObject:
        record_id = str(request.path_params[resource.id_param])
        for record in self._scoped(resource, context, request):
            if record["id"] == record_id:
                return record
        raise not_found(resource.label)

    def _render(self, resource: Resource, context: Context, record: JsonObject, one: bool) -> Any:
        return resource.expand(context, record, one) if resource.expand else record

    async def list(self, resource: Resource, request: Request) -> Response:
        context = self._context(request)
        records = self._scoped(resource, context, request)
        for name in resource.inert_flags:
            query_flag(request, name)
        if resource.flag is not None:
            wanted = query_flag(request, resource.flag) or False
            records = [r for r in records if bool(r.get(resource.flag)) == wanted]
        info = None
        if resource.paged or resource.page_size is not None:
            offset, size = page_bounds(request, resource.page_size or DEFAULT_PAGE_SIZE)
            records, info = offset_page(records, offset, size)
        rendered = [self._render(resource, context, record, False) for record in records]
        if resource.envelope is None:
            return legacy_json(rendered)
        body: JsonObject = {resource.envelope: rendered}
        if resource.paged:
            body["metadata"] = {"pageInfo": info}
        return legacy_json(body)

    async def get(self, resource: Resource, request: Request) -> Response:
        context = self._context(request)
        record = self._one(resource, context, request)
        return legacy_json(self._render(resource, context, record, True))

    async def _changes(
        self, resource: Resource, context: Context, request: Request, required: tuple[str, ...]
    ) -> JsonObject:
        body = await read_json(request)
        if not isinstance(body, dict):
            msg = "The body must be a JSON object."
            raise bad_request(msg)
        for name in required:
            if body.get(name) is None:
                msg = f"'{name}' is required."
                raise bad_request(msg)
        changes = {name: body[name] for name in resource.fields if name in body}
        for name, value in changes.items():
            resource.fields[name].check(name, value)
            target = resource.references.get(name)
            if target is not None and value is not None and value not in context.records(target):
                msg = f"'{name}' names no record of this company."
                raise bad_request(msg)
        return changes

    async def create(self, resource: Resource, request: Request) -> Response:
        context = self._context(request)
        self._scoped(resource, context, request)  # 404 for an unknown parent
        changes = await self._changes(resource, context, request, resource.required)
        record = {"id": self.state.directory.new_id(context.company_id, resource.kind)}
        record.update(resource.defaults)
        if resource.parent is not None:
            record[resource.parent.param] = str(request.path_params[resource.parent.param])
        record.update(changes)
        if resource.before_write is not None:
            resource.before_write(context, record, None)
        context.records(resource.kind)[record["id"]] = record
        if resource.created_answer is not None:
            return legacy_json(resource.created_answer(record))
        return legacy_json(self._render(resource, context, record, True))

    async def update(self, resource: Resource, request: Request) -> Response:
        context = self._context(request)
        record = self._one(resource, context, request)
        changes = await self._changes(resource, context, request, resource.required_on_update)
        updated = {**record, **changes}
        if resource.before_write is not None:
            resource.before_write(context, updated, record)
        record.update(updated)
        return legacy_json(self._render(resource, context, record, True))

    async def delete(self, resource: Resource, request: Request) -> Response:
        context = self._context(request)
        record = self._one(resource, context, request)
        if resource.before_delete is None or resource.before_delete(context, record, request):
            del context.records(resource.kind)[record["id"]]
        return legacy_json({})
