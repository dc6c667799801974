"""Per-company cutover: legacy, shadow or export mode for each company's expense calls.

The file (:mod:`.policy`), reloaded on change (:mod:`.reload`); the company of a request
(:mod:`.companies`); promotion and fallback decisions in the store (:mod:`.decisions`); the
read-only translated read (:mod:`.reader`) and shadow comparisons off the request path
(:mod:`.comparison`, :mod:`.shadow`); the facade the web layer routes by (:mod:`.router`).
Sits below :mod:`adapter.web`; nothing here builds an HTTP response.
"""

from adapter.cutover.companies import CompanyCache, CompanyLearningClient, company_of
from adapter.cutover.comparison import ShadowOutcome, ShadowResult
from adapter.cutover.decisions import CompanyRecord, DecisionBook
from adapter.cutover.policy import (
    EXPORT_EVERYWHERE,
    CutoverPolicy,
    Mode,
    load_policy,
    parse_policy,
    rollout_bucket,
)
from adapter.cutover.reader import (
    PreviewOnly,
    TranslationReader,
)
from adapter.cutover.reload import FixedPolicy, PolicyFile, PolicySource
from adapter.cutover.router import Cutover, Routing
from adapter.cutover.shadow import ShadowComparer, ShadowRunner

__all__ = [
    "EXPORT_EVERYWHERE",
    "CompanyCache",
    "CompanyLearningClient",
    "CompanyRecord",
    "Cutover",
    "CutoverPolicy",
    "DecisionBook",
    "FixedPolicy",
    "Mode",
    "PolicyFile",
    "PolicySource",
    "PreviewOnly",
    "Routing",
    "ShadowComparer",
    "ShadowOutcome",
    "ShadowResult",
    "ShadowRunner",
    "TranslationReader",
    "company_of",
    "load_policy",
    "parse_policy",
    "rollout_bucket",
]
