"""The legacy API's reference records per company, seeded from the same companies as the v3 data.

Kinds and where they come from (every id an expense or export item shows exists here, so a
client can resolve it):

- ``employees``: the company's users (id, ``code``; name split into first and last name), plus
  an email, job title, role, phone and team picked deterministically from the user id.
- ``teams``: the company's teams (id, name, code); members are the employees whose ``teamId``
  names the team, listed when a team is read.
- ``accounts``: the company's GL accounts (``accountNumber`` = code) and, as entries are made,
  the contra accounts their export items show; each in an ``accountGroups`` record.
- ``accountGroups``: one per legacy ``typeKey`` the accounts use (``/account-groups`` and the
  deprecated ``/account-categories`` are the same records).
- ``taxCodes``: the company's tax codes (``inclusive``/``exclusive`` -> ``NORMAL``,
  ``reverse`` -> ``REVERSE`` with its tax accounts), all enabled.
- ``tagGroups``: one per v3 ``groupCode``, whose **id is the groupCode** (the legacy expense's
  ``tagIds[].tagGroupId`` is the tag's ``groupCode``, pleo-api.md A.1), with two attributes,
  ``Code`` and ``Name``; ``tags``: the company's tags in their group.

Records are the JSON the legacy API answers with; ids of records created through the API are
deterministic (a counter), so a seeded sandbox stays reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from adapter.sandbox.clock import format_timestamp
from adapter.sandbox.ids import stable_fraction, stable_uuid
from adapter.sandbox.models import Company, Entry, JsonObject
from adapter.sandbox.reference import ACCOUNT_GROUP_OF, JOB_TITLES, TAG_GROUPS, TAXES

__all__ = ["KINDS", "LegacyDirectory"]

KINDS = ("employees", "teams", "accounts", "accountGroups", "taxCodes", "tagGroups", "tags")
_CONTRA_GROUP = ("other", "Other")
_ROLES = ("owner", "bookkeeper")


class LegacyDirectory:
    """``{company id: {kind: {record id: record}}}``, in insertion order."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, dict[str, JsonObject]]] = {}
        self._created = 0

    @classmethod
    def seed(cls, companies: Iterable[Company], start: datetime) -> LegacyDirectory:
        """The records of every company (see the module docstring)."""
        directory = cls()
        for company in companies:
            kinds = directory._records.setdefault(company.id, {kind: {} for kind in KINDS})
            for kind, records in _seed_company(company, start).items():
                kinds[kind].update((record["id"], record) for record in records)
        return directory

    def collection(self, company_id: str, kind: str) -> dict[str, JsonObject]:
        """One company's records of one kind, by id (mutable)."""
        return self._records[company_id][kind]

    def new_id(self, company_id: str, kind: str) -> str:
        """A fresh, deterministic id for a record created through the API."""
        self._created += 1
        return stable_uuid(company_id, kind, "created", str(self._created))

    def note_entries(self, company_id: str, entries: Iterable[Entry]) -> None:
        """Add the contra accounts new entries show, so every account id resolves."""
        accounts = self.collection(company_id, "accounts")
        for entry in entries:
            contra = entry.item.get("contraAccount")
            if contra and contra["id"] not in accounts:
                accounts[contra["id"]] = {
                    "id": contra["id"],
                    "accountNumber": contra["code"],
                    "name": contra["name"],
                    "accountCategoryId": _group_id(company_id, _CONTRA_GROUP[0]),
                    "hidden": False,
                }


def _group_id(company_id: str, type_key: str) -> str:
    return stable_uuid(company_id, "account-group", type_key)


def _seed_company(company: Company, start: datetime) -> dict[str, list[JsonObject]]:
    created = format_timestamp(start - timedelta(days=400))
    groups = {
        type_key: {
            "id": _group_id(company.id, type_key),
            "name": name,
            "typeKey": type_key,
            "hidden": False,
        }
        for type_key, name in (*ACCOUNT_GROUP_OF.values(), _CONTRA_GROUP)
    }
    return {
        "employees": [_employee(company, n, user) for n, user in enumerate(company.users)],
        "teams": [
            {"id": team["id"], "name": team["name"], "code": team["code"]} for team in company.teams
        ],
        "accounts": [_account(company, account) for account in company.accounts],
        "accountGroups": list(groups.values()),
        "taxCodes": [
            _tax_code(tax, name, created)
            for tax, (_code, _rate, _kind, name) in zip(company.taxes, TAXES, strict=True)
        ],
        "tagGroups": [_tag_group(company, code, name) for code, (name, _) in TAG_GROUPS.items()],
        "tags": [_tag(company, tag, position) for position, tag in enumerate(company.tags)],
    }


def _employee(company: Company, index: int, user: JsonObject) -> JsonObject:
    first, _, last = str(user["name"]).partition(" ")
    domain = company.name.split(" ")[0].lower() + ".example"
    pick = stable_fraction(user["id"], "employee")
    phone = f"+45 {int(pick * 10**8):08d}" if pick < 0.7 else None
    return {
        "id": user["id"],
        "firstName": first,
        "lastName": last,
        "email": f"{first}.{last}.{index + 1}@{domain}".lower(),
        "jobTitle": JOB_TITLES[int(pick * len(JOB_TITLES))],
        "role": _ROLES[index] if index < len(_ROLES) else "member",
        "phone": phone,
        "avatar": {"url": None},
        "code": user["code"],
        "teamId": company.teams[int(stable_fraction(user["id"], "team") * len(company.teams))][
            "id"
        ],
    }


def _account(company: Company, account: JsonObject) -> JsonObject:
    type_key, _name = ACCOUNT_GROUP_OF[account["name"]]
    record: JsonObject = {
        "id": account["id"],
        "accountNumber": account["code"],
        "name": account["name"],
        "accountCategoryId": _group_id(company.id, type_key),
        "hidden": False,
    }
    if stable_fraction(account["id"], "tax") < 0.5:
        record["taxCodeId"] = company.taxes[0]["id"]  # the schema has no null: omit instead
    return record


def _tax_code(tax: JsonObject, name: str, created: str) -> JsonObject:
    record: JsonObject = {
        "id": tax["id"],
        "name": name,
        "code": tax["code"],
        "rate": tax["rate"],
        "type": "REVERSE" if tax["type"] == "reverse" else "NORMAL",
        "enabled": True,
        "createdAt": created,
        "updatedAt": created,
        "deletedAt": None,
    }
    if tax["type"] == "reverse":
        record["ingoingTaxAccount"] = "2645"
        record["outgoingTaxAccount"] = "2614"
    return record


def _attribute_ids(company: Company, group_code: str) -> tuple[str, str]:
    return (
        stable_uuid(company.id, "tag-attribute", group_code, "code"),
        stable_uuid(company.id, "tag-attribute", group_code, "name"),
    )


def _tag_group(company: Company, group_code: str, name: str) -> JsonObject:
    code_id, name_id = _attribute_ids(company, group_code)
    return {
        "id": group_code,
        "name": name,
        "tagAttributes": [
            {"id": code_id, "name": "Code", "displayOrder": 0, "hidden": False},
            {"id": name_id, "name": "Name", "displayOrder": 1, "hidden": True},
        ],
        "archived": False,
    }


def _tag(company: Company, tag: JsonObject, position: int) -> JsonObject:
    code_id, name_id = _attribute_ids(company, tag["groupCode"])
    return {
        "id": tag["id"],
        "tagGroupId": tag["groupCode"],
        "attributeValues": [
            {"attributeId": code_id, "value": tag["code"]},
            {"attributeId": name_id, "value": str(tag["code"]).title()},
        ],
        "displayOrder": position,
        "hidden": False,
    }
