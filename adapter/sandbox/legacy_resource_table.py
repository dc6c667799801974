"""The legacy reference resources as data: one :class:`Resource` row each, their special rules
as small hooks, and which legacy operationId runs which generic action on which resource.

Special rules, from the document's descriptions:
- ``POST /tag-groups`` gives each ``tagAttributes`` element an id; ``PATCH`` merges elements by
  ``id`` (an unknown attribute id is a 400). ``DELETE ?archive=true`` archives the group
  (``archived: true``, hidden from ``GET /tag-groups`` unless ``?archived=true``); a plain
  ``DELETE`` removes the group and its tags.
- ``POST .../tags`` needs ``attributeValues`` naming attributes of that group. ``DELETE`` of a
  tag that an expense line uses is a 409 ("If this tag is not already in use, the tag will be
  deleted, otherwise an error will be returned.").
- A team is read with its members (employees whose ``teamId`` is the team) and no reviewers;
  deleting a team clears its members' ``teamId``. ``GET /account-groups/{id}`` lists the group's
  accounts. ``POST /employees`` answers ``{"id"}`` only. ``GET /tax-codes`` shows every tax code
  (all are enabled, so ``hidden`` changes nothing).
"""

from __future__ import annotations

from starlette.requests import Request

from adapter.sandbox.errors import ApiError, bad_request
from adapter.sandbox.legacy_http import query_flag
from adapter.sandbox.legacy_resources import Context, Field, Parent, Resource
from adapter.sandbox.models import JsonObject

__all__ = ["EMPLOYEES", "RESOURCE_OPERATIONS", "TEAMS"]


STRING = Field("string")
NULLABLE_STRING = Field("string", nullable=True)
BOOLEAN = Field("boolean")
NULLABLE_NUMBER = Field("number", nullable=True)
NUMBER = Field("number")
ARRAY = Field("array")
TYPE_KEYS = (
    "entertainment",
    "equipment_and_hardware",
    "marketing_and_advertising",
    "meals_and_drinks",
    "office_expenses",
    "phone_and_internet",
    "services_and_consultancy",
    "software",
    "supplies",
    "travel",
    "other",
    "no_suitable_category",
)


def _object(value: object, where: str) -> JsonObject:
    if not isinstance(value, dict):
        msg = f"Each of '{where}' must be a JSON object."
        raise bad_request(msg)
    return value


def _tag_attributes(context: Context, record: JsonObject, previous: JsonObject | None) -> None:
    requested = [_object(value, "tagAttributes") for value in record["tagAttributes"]]
    if previous is None:
        attributes = []
        for element in requested:
            STRING.check("tagAttributes[].name", element.get("name"))
            if "displayOrder" in element:
                NUMBER.check("tagAttributes[].displayOrder", element["displayOrder"])
            attributes.append(
                {
                    "id": context.new_id("tagAttributes"),
                    "name": element["name"],
                    "displayOrder": element.get("displayOrder"),
                    "hidden": False,
                }
            )
        record["tagAttributes"] = attributes
        return
    by_id = {attribute["id"]: dict(attribute) for attribute in previous["tagAttributes"]}
    for element in requested:
        if element.get("id") not in by_id:
            msg = "'tagAttributes[].id' must name an attribute of this tag group."
            raise bad_request(msg)
        for name, kind in (
            ("name", STRING),
            ("displayOrder", NULLABLE_NUMBER),
            ("hidden", BOOLEAN),
        ):
            if name in element:
                kind.check(f"tagAttributes[].{name}", element[name])
                by_id[element["id"]][name] = element[name]
    record["tagAttributes"] = list(by_id.values())


def _delete_or_archive_group(context: Context, record: JsonObject, request: Request) -> bool:
    if query_flag(request, "archive"):
        record["archived"] = True
        return False
    tags = context.records("tags")
    for tag_id in [tag["id"] for tag in tags.values() if tag["tagGroupId"] == record["id"]]:
        del tags[tag_id]
    return True


def _tag_values(context: Context, record: JsonObject, previous: JsonObject | None) -> None:
    group = context.records("tagGroups")[record["tagGroupId"]]
    attribute_ids = {attribute["id"] for attribute in group["tagAttributes"]}
    for element in record["attributeValues"]:
        value = _object(element, "attributeValues")
        STRING.check("attributeValues[].value", value.get("value"))
        if value.get("attributeId") not in attribute_ids:
            msg = "'attributeValues[].attributeId' must name an attribute of this tag group."
            raise bad_request(msg)


def _refuse_tag_in_use(context: Context, record: JsonObject, request: Request) -> bool:
    for entry in context.state.entries_by_company[context.company_id]:
        for line in entry.item["accountingEntryLines"]:
            if any(tag["id"] == record["id"] for tag in line.get("tags") or []):
                raise ApiError(409, "CONFLICT", "The tag is in use and cannot be deleted.")
    return True


def _with_members(context: Context, record: JsonObject, one: bool) -> JsonObject:
    members = [e for e in context.records("employees").values() if e["teamId"] == record["id"]]
    return {**record, "employees": members, "reviewers": []}


def _release_members(context: Context, record: JsonObject, request: Request) -> bool:
    for employee in context.records("employees").values():
        if employee["teamId"] == record["id"]:
            employee["teamId"] = None
    return True


def _with_accounts(context: Context, record: JsonObject, one: bool) -> JsonObject:
    if not one:
        return record
    accounts = context.records("accounts").values()
    return {**record, "accounts": [a for a in accounts if a["accountCategoryId"] == record["id"]]}


EMPLOYEES = Resource(
    kind="employees",
    label="Employee",
    id_param="employeeId",
    fields={
        "firstName": STRING,
        "lastName": STRING,
        "email": STRING,
        "jobTitle": NULLABLE_STRING,
        "phone": NULLABLE_STRING,
        "code": NULLABLE_STRING,
    },
    required=("email",),
    defaults={
        "jobTitle": None,
        "role": "member",
        "phone": None,
        "avatar": {"url": None},
        "code": None,
        "teamId": None,
    },
    envelope="employees",
    paged=True,
    created_answer=lambda record: {"id": record["id"]},
)
ACCOUNTS = Resource(
    kind="accounts",
    label="Account",
    id_param="accountId",
    fields={
        "accountNumber": STRING,
        "name": STRING,
        "taxCodeId": STRING,
        "accountCategoryId": STRING,
        "hidden": BOOLEAN,
    },
    required=("name", "accountCategoryId"),
    defaults={"hidden": False},
    references={"accountCategoryId": "accountGroups", "taxCodeId": "taxCodes"},
    envelope="accounts",
    paged=True,
)
ACCOUNT_GROUPS = Resource(
    kind="accountGroups",
    label="Account group",
    id_param="accountCategoryId",
    fields={"name": STRING, "typeKey": Field("string", enum=TYPE_KEYS), "hidden": BOOLEAN},
    required=("name", "typeKey"),
    defaults={"hidden": False},
    envelope="accountGroups",
    paged=True,
    expand=_with_accounts,
)
TEAMS = Resource(
    kind="teams",
    label="Team",
    id_param="teamId",
    fields={"name": STRING, "code": NULLABLE_STRING},
    required=("name",),
    required_on_update=("name",),
    defaults={"code": None},
    envelope="teams",
    page_size=25,  # the document's default for GET /teams
    expand=_with_members,
    before_delete=_release_members,
)
TAX_CODES = Resource(
    kind="taxCodes",
    label="Tax code",
    id_param="taxCodeId",
    envelope="taxCodes",
    inert_flags=("force", "hidden"),
)
TAG_GROUPS = Resource(
    kind="tagGroups",
    label="Tag group",
    id_param="tagGroupId",
    fields={"name": STRING, "tagAttributes": ARRAY, "archived": BOOLEAN},
    required=("name", "tagAttributes"),
    defaults={"archived": False},
    flag="archived",
    before_write=_tag_attributes,
    before_delete=_delete_or_archive_group,
)
TAGS = Resource(
    kind="tags",
    label="Tag",
    id_param="tagId",
    fields={"attributeValues": ARRAY, "displayOrder": NULLABLE_NUMBER, "hidden": BOOLEAN},
    required=("attributeValues",),
    defaults={"displayOrder": None, "hidden": False},
    flag="hidden",
    parent=Parent("tagGroupId", "tagGroups", "Tag group"),
    before_write=_tag_values,
    before_delete=_refuse_tag_in_use,
)

# operationId -> (ResourceApi action, resource)
RESOURCE_OPERATIONS: dict[str, tuple[str, Resource]] = {
    "getEmployees": ("list", EMPLOYEES),
    "createEmployee": ("create", EMPLOYEES),
    "getEmployee": ("get", EMPLOYEES),
    "updateEmployee": ("update", EMPLOYEES),
    "deleteEmployee": ("delete", EMPLOYEES),
    "getAccounts": ("list", ACCOUNTS),
    "createAccount": ("create", ACCOUNTS),
    "getAccount": ("get", ACCOUNTS),
    "updateAccount": ("update", ACCOUNTS),
    "deleteAccount": ("delete", ACCOUNTS),
    "getAccountGroups": ("list", ACCOUNT_GROUPS),
    "createAccountGroup": ("create", ACCOUNT_GROUPS),
    "getAccountGroup": ("get", ACCOUNT_GROUPS),
    "updateAccountGroup": ("update", ACCOUNT_GROUPS),
    "deleteAccountGroup": ("delete", ACCOUNT_GROUPS),
    "getAccountGroupsV1_1": ("list", ACCOUNT_GROUPS),
    "createAccountGroupV1_1": ("create", ACCOUNT_GROUPS),
    "getAccountGroupV1_1": ("get", ACCOUNT_GROUPS),
    "updateAccountGroupV1_1": ("update", ACCOUNT_GROUPS),
    "deleteAccountGroupV1_1": ("delete", ACCOUNT_GROUPS),
    "getTeams": ("list", TEAMS),
    "createTeam": ("create", TEAMS),
    "getTeam": ("get", TEAMS),
    "updateTeam": ("update", TEAMS),
    "deleteTeam": ("delete", TEAMS),
    "getTaxCodes": ("list", TAX_CODES),
    "getTaxCode": ("get", TAX_CODES),
    "getTagGroups": ("list", TAG_GROUPS),
    "createTagGroup": ("create", TAG_GROUPS),
    "getTagGroup": ("get", TAG_GROUPS),
    "updateTagGroup": ("update", TAG_GROUPS),
    "deleteTagGroup": ("delete", TAG_GROUPS),
    "getTags": ("list", TAGS),
    "createTag": ("create", TAGS),
    "getTag": ("get", TAGS),
    "updateTag": ("update", TAGS),
    "deleteTag": ("delete", TAGS),
}
