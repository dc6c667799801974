"""The cutover file: which mode serves each company's expense calls.

``ADAPTER_CUTOVER_FILE`` names a TOML file::

    default_mode = "legacy"            # legacy | shadow | export: companies not listed below
    [rollout]                          # optional: a sticky share of the unlisted companies
    mode = "export"
    percent = 20
    [companies]
    "3c90c3cc-0d44-4b50-8888-8dd25736052a" = "shadow"
    [promotion]                        # optional: shadow -> export after clean evidence
    after_compared = 200
    [fallback]                         # optional: export -> legacy when the translation fails
    max_error_rate = 0.05
    window = 200

A listed company gets its line; an unlisted one gets the rollout's mode when its bucket (the
first 8 bytes of the SHA-256 of its lower-cased id, modulo 100) is below ``percent``, else
``default_mode``. The bucket never changes, so raising ``percent`` only adds companies.

:func:`parse_policy` collects every problem and raises one
:class:`~adapter.errors.ConfigurationError` naming them all on one line. Each company's raw
line is kept (:attr:`Standing.line`): a decision taken by :mod:`adapter.cutover.decisions`
holds only while the file still says the same for that company.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

from adapter.errors import ConfigurationError

__all__ = [
    "EXPORT_EVERYWHERE",
    "CutoverPolicy",
    "Fallback",
    "Mode",
    "Promotion",
    "Rollout",
    "Standing",
    "load_policy",
    "parse_policy",
    "rollout_bucket",
]

_TOP_KEYS = frozenset({"default_mode", "rollout", "companies", "promotion", "fallback"})
_MAX_COUNT = 1_000_000


class Mode(StrEnum):
    """How a company's expense calls are served."""

    LEGACY = "legacy"  # passed through to Pleo's legacy API, unchanged
    SHADOW = "shadow"  # as legacy, and the translation is compared off the request path
    EXPORT = "export"  # the translation of the Export API serves the call


@dataclass(frozen=True, slots=True)
class Rollout:
    mode: Mode
    percent: int


@dataclass(frozen=True, slots=True)
class Promotion:
    after_compared: int


@dataclass(frozen=True, slots=True)
class Fallback:
    max_error_rate: float
    window: int

    @property
    def max_errors(self) -> float:
        """More 5xx answers than this among the last ``window`` calls means fall back."""
        return self.max_error_rate * self.window


@dataclass(frozen=True, slots=True)
class Standing:
    """What the file says for one company: its mode, which part of the file said it, and
    the company's own line as written (``None`` when it is not listed)."""

    mode: Mode
    source: Literal["companies", "rollout", "default"]
    line: str | None

    @property
    def key(self) -> str:
        """Equal for two versions of the file exactly when they say the same for the company."""
        return f"{self.source}|{self.mode}|{self.line or ''}"


def rollout_bucket(company_id: str) -> int:
    """The company's fixed bucket, 0-99."""
    digest = hashlib.sha256(company_id.strip().lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


@dataclass(frozen=True, slots=True)
class CutoverPolicy:
    """One parsed version of the cutover file. Company ids are kept lower-cased."""

    default_mode: Mode
    rollout: Rollout | None = None
    companies: Mapping[str, Mode] = field(default_factory=dict)
    lines: Mapping[str, str] = field(default_factory=dict)
    promotion: Promotion | None = None
    fallback: Fallback | None = None

    def standing(self, company_id: str | None) -> Standing:
        """What the file says for ``company_id`` (``None``: not known, the default)."""
        if company_id is None:
            return Standing(self.default_mode, "default", None)
        key = company_id.strip().lower()
        listed = self.companies.get(key)
        if listed is not None:
            return Standing(listed, "companies", self.lines.get(key))
        if self.rollout is not None and rollout_bucket(key) < self.rollout.percent:
            return Standing(self.rollout.mode, "rollout", None)
        return Standing(self.default_mode, "default", None)

    def mode_of(self, company_id: str | None) -> Mode:
        return self.standing(company_id).mode

    @property
    def modes_used(self) -> frozenset[Mode]:
        """Every mode some company may be served in under this file."""
        used = {self.default_mode, *self.companies.values()}
        if self.rollout is not None and self.rollout.percent > 0:
            used.add(self.rollout.mode)
        return frozenset(used)


# Every company in export mode: the behaviour without a cutover file.
EXPORT_EVERYWHERE = CutoverPolicy(default_mode=Mode.EXPORT)


def load_policy(path: Path, *, legacy_api: bool) -> CutoverPolicy:
    """Read and parse the file at ``path``; see :func:`parse_policy`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cutover file {path}: cannot read it ({type(exc).__name__})"
        raise ConfigurationError(msg) from None
    return parse_policy(text, source=str(path), legacy_api=legacy_api)


def parse_policy(text: str, *, source: str, legacy_api: bool) -> CutoverPolicy:
    """The policy ``text`` describes, or one :class:`ConfigurationError` listing every problem.

    ``legacy_api`` says whether a legacy API is configured: without one, a file that sends
    any company to legacy or shadow mode is refused.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"cutover file {source}: not valid TOML ({exc})"
        raise ConfigurationError(msg) from None
    problems: list[str] = []
    for key in sorted(set(document) - _TOP_KEYS):
        problems.append(f"unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    default_mode = _mode(document.get("default_mode"), "default_mode", problems, required=True)
    companies = _companies(document.get("companies"), problems)
    policy = CutoverPolicy(
        # A missing default is already a problem; EXPORT only keeps the object whole.
        default_mode=default_mode or Mode.EXPORT,
        rollout=_rollout(document.get("rollout"), problems),
        companies=companies,
        lines=_lines(text, companies),
        promotion=_promotion(document.get("promotion"), problems),
        fallback=_fallback(document.get("fallback"), problems),
    )
    if not problems and not legacy_api:
        needs_legacy = sorted(policy.modes_used & {Mode.LEGACY, Mode.SHADOW})
        if needs_legacy:
            problems.append(
                f"{' and '.join(needs_legacy)} mode need Pleo's legacy API; set "
                "ADAPTER_LEGACY_API_URL"
            )
    if problems:
        msg = f"cutover file {source}: {'; '.join(problems)}"
        raise ConfigurationError(msg)
    return policy


def _mode(value: object, where: str, problems: list[str], *, required: bool) -> Mode | None:
    if value is None:
        if required:
            problems.append(f"{where} is required (legacy, shadow or export)")
        return None
    if isinstance(value, str) and value in {mode.value for mode in Mode}:
        return Mode(value)
    problems.append(f"{where}: {value!r} is not legacy, shadow or export")
    return None


def _table(value: object, where: str, keys: frozenset[str], problems: list[str]) -> bool:
    if not isinstance(value, dict):
        problems.append(f"[{where}] must be a table")
        return False
    for key in sorted(set(value) - keys):
        problems.append(f"[{where}]: unknown key {key!r} (known: {', '.join(sorted(keys))})")
    return True


def _whole(value: object, where: str, low: int, high: int, problems: list[str]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{where} must be a whole number from {low} to {high}")
        return None
    return value


def _rollout(value: object, problems: list[str]) -> Rollout | None:
    if value is None or not _table(value, "rollout", frozenset({"mode", "percent"}), problems):
        return None
    assert isinstance(value, dict)  # noqa: S101 - checked by _table
    mode = _mode(value.get("mode"), "rollout.mode", problems, required=True)
    percent = _whole(value.get("percent"), "rollout.percent", 0, 100, problems)
    return Rollout(mode, percent) if mode is not None and percent is not None else None


def _companies(value: object, problems: list[str]) -> dict[str, Mode]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append("[companies] must be a table of company id = mode")
        return {}
    companies: dict[str, Mode] = {}
    for raw_id, raw_mode in value.items():
        try:
            company_id = str(uuid.UUID(raw_id)) if len(raw_id) == 36 else ""
        except ValueError:
            company_id = ""
        if not company_id:
            problems.append(f"[companies]: {raw_id!r} is not a company id (a UUID)")
            continue
        mode = _mode(raw_mode, f"[companies] {raw_id}", problems, required=True)
        if company_id in companies:
            problems.append(f"[companies]: {raw_id} is listed twice")
        elif mode is not None:
            companies[company_id] = mode
    return companies


def _lines(text: str, companies: Mapping[str, Mode]) -> dict[str, str]:
    """Each listed company's line as written (comments included), whitespace collapsed."""
    lines: dict[str, str] = {}
    for company_id in companies:
        pattern = re.compile(rf"^[^\S\n]*\S*{re.escape(company_id)}\S*[^\S\n]*=.*$", re.I | re.M)
        found = pattern.search(text)
        written = found.group(0) if found is not None else f'"{company_id}" = ?'
        lines[company_id] = " ".join(written.split())
    return lines


def _promotion(value: object, problems: list[str]) -> Promotion | None:
    if value is None or not _table(value, "promotion", frozenset({"after_compared"}), problems):
        return None
    assert isinstance(value, dict)  # noqa: S101 - checked by _table
    after = _whole(value.get("after_compared"), "promotion.after_compared", 1, _MAX_COUNT, problems)
    return Promotion(after) if after is not None else None


def _fallback(value: object, problems: list[str]) -> Fallback | None:
    keys = frozenset({"max_error_rate", "window"})
    if value is None or not _table(value, "fallback", keys, problems):
        return None
    assert isinstance(value, dict)  # noqa: S101 - checked by _table
    rate = value.get("max_error_rate")
    window = _whole(value.get("window"), "fallback.window", 1, _MAX_COUNT, problems)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1:
        problems.append("fallback.max_error_rate must be a number from 0 up to (not incl.) 1")
        return None
    return Fallback(float(rate), window) if window is not None else None
