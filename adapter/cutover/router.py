"""``Cutover``: which mode serves an expense request, and what each mode records.

The web layer asks :meth:`Cutover.route` for the request's :class:`Routing` (the company,
if known, and its mode: the company's decision if one holds, else what the cutover file
says) and then serves the request in that mode:

* export: the translation answers; :meth:`Cutover.answered` feeds the fallback's window;
* legacy: Pleo's legacy API answers, unchanged;
* shadow: the legacy API answers, and :meth:`Cutover.shadow_list` / :meth:`Cutover.shadow_ids`
  start the comparison in the background.

Shadow comparisons need the company's v3 credential beside the client's legacy token, which
only credentials mode has. In passthrough mode the client's one ``Authorization`` header can
serve only one of the two APIs (a legacy token must never go to the Export API), so a shadow
request is answered as in legacy mode and its comparison is skipped (counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from adapter.cutover.companies import CompanyCache, company_of
from adapter.cutover.comparison import AnswerShape
from adapter.cutover.decisions import DecisionBook
from adapter.cutover.policy import CutoverPolicy, Mode
from adapter.cutover.reload import PolicySource
from adapter.cutover.shadow import ShadowComparer, ShadowRunner
from adapter.legacy.query import ExpenseQuery
from adapter.tenancy import Tenant

__all__ = ["Cutover", "Routing"]

_log = structlog.stdlib.get_logger("adapter.cutover")


@dataclass(frozen=True, slots=True)
class Routing:
    """How one request is served: the company (None: not known) and its mode."""

    company_id: str | None
    mode: Mode
    policy: CutoverPolicy


class Cutover:
    def __init__(
        self,
        *,
        policies: PolicySource,
        decisions: DecisionBook,
        companies: CompanyCache,
        runner: ShadowRunner,
        comparer: ShadowComparer | None,
    ) -> None:
        self._policies = policies
        self._decisions = decisions
        self._companies = companies
        self._runner = runner
        self._comparer = comparer

    @property
    def runner(self) -> ShadowRunner:
        return self._runner

    @property
    def decisions(self) -> DecisionBook:
        return self._decisions

    def policy(self) -> CutoverPolicy:
        """The cutover file as it stands (looked at again at most once per interval)."""
        return self._policies.current()

    def default_mode(self) -> Mode:
        """The mode of a request whose company is not known (yet)."""
        return self._policies.current().default_mode

    async def route(self, tenant: Tenant, policy: CutoverPolicy | None = None) -> Routing:
        """How ``tenant``'s request is served under ``policy`` (default: the current one)."""
        policy = policy or self._policies.current()
        company_id = company_of(tenant, self._companies)
        mode = await self._decisions.mode_for(policy, company_id)
        return Routing(company_id, mode, policy)

    async def answered(self, routing: Routing, status: int) -> None:
        """An export-mode expense call was answered with ``status`` (fallback evidence).

        Never raises: the client's answer does not depend on the bookkeeping.
        """
        if routing.company_id is None:
            return
        try:
            await self._decisions.record_answer(routing.policy, routing.company_id, status)
        except Exception:
            _log.exception("fallback evidence could not be recorded")

    def shadow_list(
        self, routing: Routing, tenant: Tenant, query: ExpenseQuery, route: str, body: bytes
    ) -> None:
        comparer = self._comparer_for(tenant)
        if comparer is not None:
            self._runner.submit(
                lambda: comparer.compare_list(tenant, query, body),
                company_id=routing.company_id,
                route=route,
            )

    def shadow_ids(
        self, routing: Routing, tenant: Tenant, shape: AnswerShape, route: str, body: bytes
    ) -> None:
        comparer = self._comparer_for(tenant)
        if comparer is not None:
            self._runner.submit(
                lambda: comparer.compare_ids(tenant, body, shape),
                company_id=routing.company_id,
                route=route,
            )

    def skip_shadow(self, reason: str) -> None:
        self._runner.skip(reason)

    def _comparer_for(self, tenant: Tenant) -> ShadowComparer | None:
        if self._comparer is None:
            self._runner.skip("shadow comparisons are not set up")
            return None
        if tenant.company_id is None:
            self._runner.skip("passthrough mode has no v3 credential beside the legacy token")
            return None
        return self._comparer

    async def aclose(self) -> None:
        await self._runner.aclose()
