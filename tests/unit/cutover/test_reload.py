"""The cutover file is re-read when it changes, at most once per interval, never fatally."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapter.cutover import CutoverPolicy, Mode, PolicyFile, load_policy
from adapter.errors import ConfigurationError
from tests.support.clocks import FakeClock
from tests.support.cutover import cutover_text, write_cutover_file
from tests.support.log_fixtures import CapturedLogs

COMPANY = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def policy_file(path: Path, clock: FakeClock) -> PolicyFile:
    return PolicyFile(
        path, load=lambda p: load_policy(p, legacy_api=True), check_seconds=1.0, clock=clock
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return write_cutover_file(
        tmp_path / "cutover.toml", cutover_text("legacy", {COMPANY: "shadow"})
    )


def test_an_edit_applies_at_the_first_look_after_the_interval(path: Path, clock: FakeClock) -> None:
    """Within a second of the last look the file is not even stat'ed; after it, the edit is in."""
    source = policy_file(path, clock)
    write_cutover_file(path, cutover_text("legacy", {COMPANY: "export"}))

    clock.advance(0.5)
    early = source.current().mode_of(COMPANY)
    clock.advance(0.5)
    due = source.current().mode_of(COMPANY)

    assert (early, due) == (Mode.SHADOW, Mode.EXPORT)


def test_an_unchanged_file_is_not_parsed_again(path: Path, clock: FakeClock) -> None:
    """Same modification time, size and inode: the policy object is the one already parsed."""
    loads: list[Path] = []

    def load(p: Path) -> CutoverPolicy:
        loads.append(p)
        return load_policy(p, legacy_api=True)

    source = PolicyFile(path, load=load, clock=clock)
    first = source.current()
    clock.advance(5)

    assert source.current() is first
    assert len(loads) == 1


def test_a_broken_file_keeps_the_last_good_policy_and_logs_one_line(
    path: Path, clock: FakeClock, logs: CapturedLogs
) -> None:
    """However often the broken version is looked at, one error line; a fix applies at once."""
    source = policy_file(path, clock)
    write_cutover_file(path, 'default_mode = "legacy"\n[companies]\n"' + COMPANY + '" = "on"\n')

    modes = []
    for _ in range(5):
        clock.advance(1)
        modes.append(source.current().mode_of(COMPANY))
    write_cutover_file(path, cutover_text("legacy", {COMPANY: "export"}))
    clock.advance(1)
    fixed = source.current().mode_of(COMPANY)

    assert modes == [Mode.SHADOW] * 5
    assert fixed is Mode.EXPORT
    (refused,) = logs.events("cutover file refused; keeping the last good policy")
    assert refused["level"] == "error"
    assert "'on' is not legacy, shadow or export" in refused["problem"]
    assert len(logs.events("cutover file reloaded")) == 1


def test_each_new_bad_version_is_reported_once(
    path: Path, clock: FakeClock, logs: CapturedLogs
) -> None:
    """Two different broken saves give two lines, not one per look."""
    source = policy_file(path, clock)
    for text in ("default_mode = ", 'default_mode = "nope"\n'):
        write_cutover_file(path, text)
        for _ in range(3):
            clock.advance(1)
            source.current()

    assert len(logs.events("cutover file refused; keeping the last good policy")) == 2


def test_a_file_that_went_away_keeps_the_last_good_policy(
    path: Path, clock: FakeClock, logs: CapturedLogs
) -> None:
    """A deleted file is one error line, and the policy stays until the file is back."""
    source = policy_file(path, clock)
    path.unlink()

    modes = []
    for _ in range(3):
        clock.advance(1)
        modes.append(source.current().mode_of(COMPANY))
    write_cutover_file(path, cutover_text("export"))
    clock.advance(1)

    assert modes == [Mode.SHADOW] * 3
    assert source.current().mode_of(COMPANY) is Mode.EXPORT
    assert len(logs.events("cutover file cannot be read; keeping the last good policy")) == 1


def test_a_bad_file_at_start_up_stops_start_up(tmp_path: Path, clock: FakeClock) -> None:
    """The first version must parse: the error names the file and the problem."""
    path = write_cutover_file(tmp_path / "cutover.toml", 'default_mode = "maybe"\n')

    with pytest.raises(ConfigurationError, match=r"cutover\.toml: default_mode: 'maybe'"):
        policy_file(path, clock)
