"""``pleo-export-adapter compare``: exit codes 0/1/2, the JSON shape, GET requests only."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from adapter import jsonio
from adapter.cli import main
from adapter.export.models import ExportItemV3
from adapter.mapping import MappingTable, to_expense
from tests.support.compare_scenario import wire
from tests.support.openapi import documents_available, validate_request_of
from tests.support.pleo_payloads import (
    BASE_URL,
    COMPANY_ID,
    JOB_ID,
    export_item_json,
    job_item_json,
    job_json,
    page_json,
    url,
)

LEGACY = "https://openapi.pleo.test"
LEGACY_TOKEN = "legacy-canary-77f1"
API_KEY = "v3-canary-0c2a"
ITEMS = [1, 2, 3]
JOBS_QUERY = [
    ("statuses", "pending"),
    ("statuses", "in_progress"),
    ("company_id", COMPANY_ID),
    ("limit", "100"),
]

Expense = dict[str, Any]


@pytest.fixture
def env(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Both origins and both credentials set, nothing else from the developer's shell."""
    for name in ("PLEO_LEGACY_TOKEN", "PLEO_API_KEY", "PLEO_BEARER_TOKEN"):
        clean_env.delenv(name, raising=False)
    clean_env.setenv("ADAPTER_LEGACY_API_URL", LEGACY)
    clean_env.setenv("ADAPTER_EXPORT_API_URL", BASE_URL)
    clean_env.setenv("PLEO_LEGACY_TOKEN", LEGACY_TOKEN)
    clean_env.setenv("PLEO_API_KEY", API_KEY)
    return clean_env


@pytest.fixture(autouse=True)
def only_gets_that_follow_the_contract(httpx_mock: HTTPXMock) -> Any:
    """After each test: every request was a GET, and every v3 one satisfies Pleo's OpenAPI."""
    yield
    requests = httpx_mock.get_requests()
    assert {r.method for r in requests} <= {"GET"}
    if documents_available():
        for request in requests:
            if request.url.path.startswith("/v3/"):
                validate_request_of(request)


def translation(table: MappingTable) -> list[Expense]:
    """What the proxy makes of the faked export items: the legacy API's side, to spoil."""
    items = [ExportItemV3.model_validate(export_item_json(n)) for n in ITEMS]
    return [wire(to_expense(table, item, "pending").model_dump()) for item in items]


def legacy_page(expenses: list[Expense]) -> bytes:
    info = {"pageSize": len(expenses), "totalCount": len(expenses), "nextPageOffset": None}
    return jsonio.dumps({"expenses": expenses, "metadata": {"pageInfo": info}})


def serve(httpx_mock: HTTPXMock, first: list[Expense], second: list[Expense] | None = None) -> None:
    """Two legacy reads (the A/A pass) and the Export API's one job of three items."""
    legacy_url = httpx.URL(
        f"{LEGACY}/v1/expenses",
        params=[("status", "QUEUED"), ("pageOffset", "0"), ("pageSize", "500")],
    )
    httpx_mock.add_response(url=legacy_url, content=legacy_page(first))
    httpx_mock.add_response(url=url("/v3/export-jobs", JOBS_QUERY), json=page_json([job_json()]))
    httpx_mock.add_response(
        url=url(f"/v3/export-jobs/{JOB_ID}/items", [("limit", "100")]),
        json=page_json([job_item_json(n) for n in ITEMS]),
    )
    httpx_mock.add_response(
        url=url("/v3/export-items", [("job_id", JOB_ID), ("limit", "100")]),
        json=page_json([export_item_json(n) for n in ITEMS]),
    )
    httpx_mock.add_response(url=legacy_url, content=legacy_page(second or first))


def compare(tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    code = main(
        ["compare", "--company-id", COMPANY_ID, "--status", "QUEUED", "--json", str(report), *extra]
    )
    document: dict[str, Any] = json.loads(report.read_bytes(), parse_float=Decimal)
    return code, document


def test_identical_views_exit_0_with_the_json_shape(
    env: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    table: MappingTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The legacy API agreeing with the translation exits 0; the JSON has the issue's shape."""
    serve(httpx_mock, translation(table))
    code, document = compare(tmp_path)
    assert code == 0
    assert document["companyId"] == COMPANY_ID
    summary = {k: document["summary"][k] for k in ("compared", "unexplained", "expectedGaps")}
    assert summary == {"compared": 3, "unexplained": 0, "expectedGaps": 0}
    assert (document["summary"]["noise"], document["summary"]["presence"]) == (0, 0)
    assert document["differences"] == []
    out = capsys.readouterr()
    assert "PASS: 0 unexplained" in out.out
    assert out.err == ""
    legacy_requests = [r for r in httpx_mock.get_requests() if r.url.host == "openapi.pleo.test"]
    assert [r.headers["Authorization"] for r in legacy_requests] == [f"Bearer {LEGACY_TOKEN}"] * 2


def test_an_x100_disagreement_exits_1_naming_field_row_and_source(
    env: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    table: MappingTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A legacy amount 100 times the translated one fails the run and says where it comes from."""
    legacy = translation(table)
    legacy[1]["amountSettled"]["value"] *= 100
    serve(httpx_mock, legacy)
    code, document = compare(tmp_path)
    assert code == 1
    [difference] = document["differences"]
    assert {k: difference[k] for k in ("field", "kind", "mappingRow", "sourcePath")} == {
        "field": "amountSettled",
        "kind": "unexplained",
        "mappingRow": "amountSettled",
        "sourcePath": "amount.inWalletCurrency",
    }
    assert difference["expenseId"] == legacy[1]["id"]
    assert difference["legacy"]["value"] == 100 * difference["translated"]["value"]
    out = capsys.readouterr().out
    assert "amountSettled: 1, amountSettled (transformed) <- amount.inWalletCurrency" in out
    assert "FAIL: 1 unexplained" in out


def test_max_unexplained_allows_that_many(
    env: pytest.MonkeyPatch, httpx_mock: HTTPXMock, table: MappingTable, tmp_path: Path
) -> None:
    """--max-unexplained 1 lets one unexplained difference pass with exit 0."""
    legacy = translation(table)
    legacy[0]["note"] = "changed in the legacy API"
    serve(httpx_mock, legacy)
    code, document = compare(tmp_path, "--max-unexplained", "1")
    assert (code, document["summary"]["unexplained"], document["passed"]) == (0, 1, True)


def test_an_expense_missing_from_the_translation_counts_as_unexplained(
    env: pytest.MonkeyPatch, httpx_mock: HTTPXMock, table: MappingTable, tmp_path: Path
) -> None:
    """An extra legacy expense is a presence difference, and presence fails the run."""
    legacy = translation(table)
    legacy.append({**legacy[0], "id": "only-in-legacy"})
    serve(httpx_mock, legacy)
    code, document = compare(tmp_path)
    assert (code, document["summary"]["presence"]) == (1, 1)
    assert document["differences"][0]["missingOn"] == "translated"


def test_noise_found_by_the_a_a_pass_does_not_fail(
    env: pytest.MonkeyPatch, httpx_mock: HTTPXMock, table: MappingTable, tmp_path: Path
) -> None:
    """updatedAt moving between the two legacy reads is noise, and the run exits 0."""
    first = translation(table)
    first[2]["updatedAt"] = "2026-01-04T12:30:00Z"
    second = json.loads(jsonio.dumps(first), parse_float=Decimal)
    second[2]["updatedAt"] = "2026-01-04T12:30:05Z"
    serve(httpx_mock, first, second)
    code, document = compare(tmp_path)
    assert (code, document["summary"]["noise"]) == (0, 1)
    assert document["differences"][0]["field"] == "updatedAt"


def test_the_html_report_is_written(
    env: pytest.MonkeyPatch, httpx_mock: HTTPXMock, table: MappingTable, tmp_path: Path
) -> None:
    """--html writes one page holding the summary table."""
    serve(httpx_mock, translation(table))
    page = tmp_path / "report.html"
    assert (
        main(["compare", "--company-id", COMPANY_ID, "--status", "QUEUED", "--html", str(page)])
        == 0
    )
    assert '<table id="summary">' in page.read_text(encoding="utf-8")


def test_a_bearer_token_is_sent_as_bearer_to_the_export_api(
    env: pytest.MonkeyPatch, httpx_mock: HTTPXMock, table: MappingTable, tmp_path: Path
) -> None:
    """PLEO_BEARER_TOKEN instead of PLEO_API_KEY authenticates v3 calls as Bearer."""
    env.delenv("PLEO_API_KEY")
    env.setenv("PLEO_BEARER_TOKEN", "oauth-canary")
    serve(httpx_mock, translation(table))
    assert compare(tmp_path)[0] == 0
    v3 = [r for r in httpx_mock.get_requests() if r.url.path.startswith("/v3/")]
    assert {r.headers["Authorization"] for r in v3} == {"Bearer oauth-canary"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ADAPTER_LEGACY_API_URL": None}, "set ADAPTER_LEGACY_API_URL"),
        ({"PLEO_LEGACY_TOKEN": None}, "set PLEO_LEGACY_TOKEN"),
        ({"PLEO_API_KEY": None}, "set exactly one of PLEO_API_KEY or PLEO_BEARER_TOKEN"),
        ({"PLEO_BEARER_TOKEN": "also"}, "set exactly one of PLEO_API_KEY or PLEO_BEARER_TOKEN"),
        ({"ADAPTER_EXPORT_API_URL": "ftp://x"}, "invalid setting ADAPTER_EXPORT_API_URL"),
        ({"ADAPTER_LEGACY_API_URL": "https://h/v1"}, "invalid setting ADAPTER_LEGACY_API_URL"),
        ({"ADAPTER_MAPPINGS_DIR": "."}, "problem(s) in the mapping tables, first:"),
    ],
)
def test_a_configuration_error_exits_2_with_one_line_and_no_request(
    env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, str | None],
    message: str,
) -> None:
    """Missing or invalid settings and credentials stop before anything is sent."""
    for name, value in change.items():
        if value is None:
            env.delenv(name)
        else:
            env.setenv(name, value)
    assert main(["compare", "--company-id", COMPANY_ID]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("pleo-export-adapter compare: ")
    assert message in err


def test_an_unknown_status_exits_2(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--status accepts the four legacy statuses only."""
    assert main(["compare", "--company-id", COMPANY_ID, "--status", "QUEUED,DONE"]) == 2
    assert "unknown --status 'DONE'" in capsys.readouterr().err


def test_a_usage_error_exits_2(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A negative --max-unexplained or a missing --company-id is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as caught:
        main(["compare", "--company-id", COMPANY_ID, "--max-unexplained", "-1"])
    assert caught.value.code == 2
    with pytest.raises(SystemExit) as caught:
        main(["compare"])
    assert caught.value.code == 2
    assert "--company-id" in capsys.readouterr().err


def test_an_upstream_refusal_exits_2_without_showing_the_token(
    env: pytest.MonkeyPatch, httpx_mock: HTTPXMock, capsys: pytest.CaptureFixture[str]
) -> None:
    """The legacy API refusing the token is one line on stderr that never shows the token."""
    httpx_mock.add_response(
        url=httpx.URL(f"{LEGACY}/v1/expenses", params=[("pageOffset", "0"), ("pageSize", "500")]),
        status_code=401,
    )
    assert main(["compare", "--company-id", COMPANY_ID]) == 2
    out = capsys.readouterr()
    assert (
        out.err == "pleo-export-adapter compare: Pleo did not accept the credential (HTTP 401).\n"
    )
    assert LEGACY_TOKEN not in out.out + out.err


def test_a_report_that_cannot_be_written_exits_2(
    env: pytest.MonkeyPatch,
    httpx_mock: HTTPXMock,
    table: MappingTable,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A --json path in a folder that does not exist is one line and exit 2."""
    serve(httpx_mock, translation(table))
    target = tmp_path / "missing" / "report.json"
    assert (
        main(["compare", "--company-id", COMPANY_ID, "--status", "QUEUED", "--json", str(target)])
        == 2
    )
    assert "cannot write the report" in capsys.readouterr().err
