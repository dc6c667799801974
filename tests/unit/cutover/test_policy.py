"""The cutover file: modes per company, a sticky rollout, optional promotion and fallback."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.cutover import CutoverPolicy, Mode, parse_policy, rollout_bucket
from adapter.cutover.policy import Fallback, Promotion, Rollout
from adapter.errors import ConfigurationError

SHADOWED = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
EXPORTED = "5e9f4b0a-3f1c-4a3b-9a2e-6f3e2b7d1c44"

# The file exactly as issue #10 gives it.
ISSUE_FILE = f"""\
default_mode = "legacy"            # legacy | shadow | export: companies not listed below
[rollout]                          # optional: a sticky share of the unlisted companies gets \
another mode
mode = "export"
percent = 20                       # by a stable hash of the company id; raising it only adds \
companies
[companies]
"{SHADOWED}" = "shadow"
"{EXPORTED}" = "export"
[promotion]        # shadow -> export after enough clean evidence
after_compared = 200
[fallback]         # export -> legacy when the translation misbehaves
max_error_rate = 0.05
window = 200
"""


def parse(text: str, *, legacy_api: bool = True) -> CutoverPolicy:
    return parse_policy(text, source="cutover.toml", legacy_api=legacy_api)


def problem(text: str, *, legacy_api: bool = True) -> str:
    with pytest.raises(ConfigurationError) as caught:
        parse(text, legacy_api=legacy_api)
    message = caught.value.message
    assert "\n" not in message
    assert message.startswith("cutover file cutover.toml: ")
    return message


def test_the_issues_file_parses_to_its_modes_rollout_promotion_and_fallback() -> None:
    """Every part of the documented file is read as written."""
    policy = parse(ISSUE_FILE)

    assert policy.default_mode is Mode.LEGACY
    assert policy.rollout == Rollout(Mode.EXPORT, 20)
    assert dict(policy.companies) == {SHADOWED: Mode.SHADOW, EXPORTED: Mode.EXPORT}
    assert policy.promotion == Promotion(200)
    assert policy.fallback == Fallback(0.05, 200)


def test_a_listed_company_gets_its_line_whatever_the_rollout_says() -> None:
    """Listed companies keep their line; case does not matter in ids."""
    policy = parse(ISSUE_FILE.replace("percent = 20", "percent = 100"))

    assert policy.mode_of(SHADOWED.upper()) is Mode.SHADOW
    assert policy.mode_of(EXPORTED) is Mode.EXPORT
    assert policy.mode_of(str(uuid.UUID(int=7))) is Mode.EXPORT  # rolled out
    assert policy.mode_of(None) is Mode.LEGACY  # unknown company: the default


def test_unlisted_companies_in_the_rollout_share_get_its_mode() -> None:
    """A company whose bucket is below percent gets the rollout's mode, others the default."""
    policy = parse(ISSUE_FILE)
    ids = [str(uuid.UUID(int=n)) for n in range(400)]

    rolled = [i for i in ids if policy.mode_of(i) is Mode.EXPORT]

    assert rolled == [i for i in ids if rollout_bucket(i) < 20]
    assert 40 < len(rolled) < 120  # about a fifth of 400: the hash spreads companies


@given(
    st.lists(st.uuids().map(str), min_size=1, max_size=30),
    st.integers(0, 100),
    st.integers(0, 100),
)
def test_raising_the_rollout_percent_only_adds_companies(
    companies: list[str], low: int, high: int
) -> None:
    """Every company rolled out at a lower percent is still rolled out at a higher one."""
    low, high = sorted((low, high))

    def rolled(percent: int) -> set[str]:
        policy = parse(
            f'default_mode = "legacy"\n[rollout]\nmode = "shadow"\npercent = {percent}\n'
        )
        return {c for c in companies if policy.mode_of(c) is Mode.SHADOW}

    assert rolled(low) <= rolled(high)


def test_the_bucket_of_a_company_never_changes() -> None:
    """The bucket is a pure function of the id (SHA-256), the same in every process."""
    assert rollout_bucket(SHADOWED) == rollout_bucket(SHADOWED.upper()) == rollout_bucket(SHADOWED)
    assert [rollout_bucket(str(uuid.UUID(int=n))) for n in range(3)] == [
        rollout_bucket(str(uuid.UUID(int=n))) for n in range(3)
    ]
    assert all(0 <= rollout_bucket(str(uuid.UUID(int=n))) < 100 for n in range(200))


def test_a_file_with_only_a_default_is_enough() -> None:
    """Rollout, companies, promotion and fallback are all optional."""
    policy = parse('default_mode = "export"\n')

    assert (policy.default_mode, policy.rollout, dict(policy.companies)) == (Mode.EXPORT, None, {})
    assert (policy.promotion, policy.fallback) == (None, None)


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("", "default_mode is required"),
        ('default_mode = "canary"', "default_mode: 'canary' is not legacy, shadow or export"),
        ('default_mode = "legacy"\ndefault-mode = "x"', "unknown key 'default-mode'"),
        ('default_mode = "legacy"\n[rollout]\nmode = "export"', "rollout.percent must be"),
        ('default_mode = "legacy"\n[rollout]\nmode = "export"\npercent = 101', "0 to 100"),
        ('default_mode = "legacy"\n[rollout]\nmode = "export"\npercent = true', "rollout.percent"),
        ('default_mode = "legacy"\n[rollout]\npercent = 5', "rollout.mode is required"),
        ('default_mode = "legacy"\n[rollout]\nmode="x"\npercent=1\nseed=2', "unknown key 'seed'"),
        ('default_mode = "legacy"\n[companies]\n"acme" = "export"', "'acme' is not a company id"),
        (f'default_mode = "legacy"\n[companies]\n"{SHADOWED}" = "on"', "is not legacy, shadow"),
        (
            f'default_mode = "legacy"\n[companies]\n"{SHADOWED}" = "export"\n'
            f'"{SHADOWED.upper()}" = "shadow"',
            "listed twice",
        ),
        ('default_mode = "legacy"\n[promotion]\nafter_compared = 0', "1 to 1000000"),
        ('default_mode = "legacy"\n[fallback]\nmax_error_rate = 1.0\nwindow = 9', "up to (not"),
        ('default_mode = "legacy"\n[fallback]\nmax_error_rate = 0.1', "fallback.window"),
        ('default_mode = "legacy"\ncompanies = 3', "[companies] must be a table"),
        ('default_mode = "legacy"\n[companies', "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_with_one_line_naming_the_problem(text: str, mentions: str) -> None:
    """Each mistake is named in one line that starts with the file's name."""
    assert mentions in problem(text)


def test_every_problem_is_named_at_once() -> None:
    """A file with several mistakes lists them all, so one edit can fix them."""
    message = problem('default_mode = "nope"\n[rollout]\nmode = "export"\npercent = -1\n')

    assert "default_mode" in message
    assert "rollout.percent" in message


def test_legacy_and_shadow_modes_need_a_legacy_api() -> None:
    """Without ADAPTER_LEGACY_API_URL only export mode can serve, and the file must say so."""
    assert "ADAPTER_LEGACY_API_URL" in problem(ISSUE_FILE, legacy_api=False)
    assert parse('default_mode = "export"\n', legacy_api=False).default_mode is Mode.EXPORT
    rollout_off = 'default_mode = "export"\n[rollout]\nmode = "shadow"\npercent = 0\n'
    assert parse(rollout_off, legacy_api=False).rollout == Rollout(Mode.SHADOW, 0)


def test_what_the_file_says_for_a_company_changes_with_its_line_comment_included() -> None:
    """The standing of a listed company changes when its line (even its comment) does, and
    not when another company's line does."""
    base = parse(ISSUE_FILE).standing(SHADOWED)
    commented = parse(ISSUE_FILE.replace('"shadow"', '"shadow"  # day 2')).standing(SHADOWED)
    other = parse(ISSUE_FILE.replace(f'"{EXPORTED}" = "export"', f'"{EXPORTED}" = "legacy"'))

    assert base.line == f'"{SHADOWED}" = "shadow"'
    assert commented.mode is base.mode is Mode.SHADOW
    assert commented.key != base.key
    assert other.standing(SHADOWED).key == base.key


def test_an_unlisted_companys_standing_follows_the_default_and_the_rollout() -> None:
    """An unlisted company stands by the rollout or the default; both are part of its key."""
    company = next(
        str(uuid.UUID(int=n)) for n in range(100) if rollout_bucket(str(uuid.UUID(int=n))) >= 20
    )
    before = parse(ISSUE_FILE).standing(company)
    after = parse(ISSUE_FILE.replace('default_mode = "legacy"', 'default_mode = "shadow"'))

    assert (before.source, before.mode, before.line) == ("default", Mode.LEGACY, None)
    assert after.standing(company).key != before.key
