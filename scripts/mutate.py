"""A mutation run over the tap's guards: ``.venv/bin/python scripts/mutate.py``.

Each :class:`~mutations.Mutation` in ``scripts/mutations/`` names a guard, the file it lives
in, the exact text that is the guard and what to put in its place (the guard removed or
inverted), and the tests that should notice. For each one the script writes the change, runs
those tests (``-x``, warnings as errors, as the suite does), puts the file back and prints
**killed** with the first test that failed (the guard is proven; that test's file is run
again unmutated, and a kill by a test that fails either way is **UNSURE**, not counted), or
**SURVIVED** (the tests passed: the guard is untested or redundant). Survivors are listed in
README's "Development" section, each with its reason; the run exits 1 while any survives.

The tests of each mutation are the ones named beside it, not the whole suite (which takes
eight minutes or more): a mutation's list should hold every test file that could plausibly
notice it. ``--whole`` runs the whole suite for each mutation instead (hours).

The run is honest about what it measured: the named tests must pass unmutated first; a
mutation whose text is not in its file exactly once, that does not compile, or whose tests
end in anything but pass or fail (a collection error, a bad test path) stops the run as an
error, never a kill; a mutation whose tests hang past :data:`TIMEOUT_SECONDS` counts as
killed (the suite would hang too). Mutations are made in place, so the script refuses a tree
whose mutated files have uncommitted changes, puts each file back even when interrupted
(Ctrl-C, SIGTERM), and drops the file's cached bytecode each time so no run imports a stale
copy. Options: ``--only NAME`` (repeatable), ``--whole``, ``--list``.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import typing as t
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from mutations import KEPT, MUTATIONS, Mutation  # noqa: E402 (the list lives beside this script)

PYTEST = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header"]
#: A mutation whose tests run this long is killed as a hang (a failure the suite would see too);
#: each mutation's tests take about a minute at most unmutated.
TIMEOUT_SECONDS = 240
PASSED, FAILED = 0, 1  # pytest's exit codes; any other is an error of the run, not a verdict


class RunError(Exception):
    """Something that makes a verdict meaningless: the run stops and says what."""


class Outcome(t.NamedTuple):
    """How one pytest run ended."""

    passed: bool
    seconds: float
    first_failure: str  # the first failing test's ID ("timeout" for a hang), "" when passed
    output: str = ""


def dirty(paths: set[str]) -> list[str]:
    """Files among ``paths`` with uncommitted changes."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", *sorted(paths)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line[3:] for line in out.splitlines()]


def run_tests(tests: t.Sequence[str]) -> Outcome:
    """Run ``tests`` (every test when empty); an exit other than pass or fail is a RunError."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*PYTEST, *tests], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        return Outcome(False, time.monotonic() - started, "timeout")
    seconds = time.monotonic() - started
    if done.returncode == PASSED:
        return Outcome(True, seconds, "")
    if done.returncode != FAILED:
        msg = f"pytest exited {done.returncode} (neither pass nor fail):\n{tail(done.stdout + done.stderr)}"
        raise RunError(msg)
    failed = [
        line.split(" ", 1)[1].split(" - ", 1)[0]
        for line in done.stdout.splitlines()
        if line.startswith(("FAILED tests/", "ERROR tests/"))  # the summary, not a captured log line
    ]
    return Outcome(False, seconds, failed[0] if failed else "?", done.stdout)


def check(mutation: Mutation) -> str:
    """The original text of the mutation's file, which must hold the guard's text exactly once."""
    original = (ROOT / mutation.path).read_text()
    found = original.count(mutation.old)
    if found != 1:
        msg = f"{mutation.name}: {mutation.path} holds its text {found} times, not once; update its entry"
        raise RunError(msg)
    mutated = original.replace(mutation.old, mutation.new)
    try:
        compile(mutated, mutation.path, "exec")
    except SyntaxError as exc:
        msg = f"{mutation.name}: the mutated {mutation.path} does not compile ({exc.msg}, line {exc.lineno})"
        raise RunError(msg) from None
    return original


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` and drop its cached bytecode (pyc freshness is by second and size)."""
    path.write_text(text)
    for cached in path.parent.glob(f"__pycache__/{path.stem}.*.pyc"):
        cached.unlink(missing_ok=True)


def raise_interrupt(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C, so the ``finally`` that puts a file back runs."""
    raise KeyboardInterrupt


def validate(chosen: list[Mutation]) -> None:
    """Every name unique, every mutation a change, every text found, before anything runs."""
    names = [m.name for m in MUTATIONS]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise RunError(f"mutation names used twice: {', '.join(twice)}")
    for m in chosen:
        if m.old == m.new or not m.tests:
            raise RunError(f"{m.name}: changes nothing or names no tests")
        check(m)


def confirmed(test: str) -> bool:
    """Whether the file of ``test``, which failed mutated, passes unmutated (else no kill is counted).

    The file, not the test ID: a parametrized ID (bytes, spaces) does not always select itself.
    """
    again = run_tests([test.split("::", 1)[0]])
    if not again.passed:
        print(tail(again.output), file=sys.stderr)
    return again.passed


def tail(output: str, lines: int = 30) -> str:
    """The end of a pytest run's output."""
    return "\n".join(output.splitlines()[-lines:])


def mutate(chosen: list[Mutation], *, whole: bool) -> dict[str, list[str]]:
    """Run each mutation; returns the names of the survivors and of the unsure (flaky kills)."""
    survivors: list[str] = []
    unsure: list[str] = []
    for m in chosen:
        path = ROOT / m.path
        original = check(m)
        try:
            write(path, original.replace(m.old, m.new))
            outcome = run_tests([] if whole else m.tests)
        finally:
            write(path, original)
        if outcome.passed and m.name in KEPT:
            verdict, note = "kept", KEPT[m.name]  # a survivor kept on purpose, with why
        elif outcome.passed:
            verdict, note = "SURVIVED", m.why
            survivors.append(m.name)
        elif outcome.first_failure in ("timeout", "?") or confirmed(outcome.first_failure):
            verdict, note = "killed", f"by {outcome.first_failure}"
        else:
            verdict, note = "UNSURE", f"{outcome.first_failure} fails unmutated too"
            unsure.append(m.name)
        print(f"{verdict:<9} {m.name:<36} {outcome.seconds:4.0f} s  {note}", flush=True)
    return {"survivors": survivors, "unsure (rerun them)": unsure}


def main() -> int:
    """Parse the options, check the list and the tree, run, summarise."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run only this mutation (repeatable)")
    parser.add_argument("--whole", action="store_true", help="run the whole suite for each mutation")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:<36} {m.path:<32} {m.why}")
        return 0
    unknown = set(args.only) - {m.name for m in MUTATIONS}
    if unknown:
        parser.error(f"no mutation named {', '.join(sorted(unknown))} (see --list)")
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    signal.signal(signal.SIGTERM, raise_interrupt)
    started = time.monotonic()
    try:
        changed = dirty({m.path for m in chosen})
        if changed:
            raise RunError(f"uncommitted changes in {', '.join(changed)} (mutations are made in place)")
        validate(chosen)
        tests = [] if args.whole else sorted({test for m in chosen for test in m.tests})
        baseline = run_tests(tests)
        if not baseline.passed:
            print(tail(baseline.output), file=sys.stderr)
            raise RunError(f"the tests fail unmutated ({baseline.first_failure}): fix them first")
        print(f"unmutated: the tests pass ({baseline.seconds:.0f} s)", flush=True)
        verdicts = mutate(chosen, whole=args.whole)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if dirty({m.path for m in chosen}):
        print("error: a mutated file differs from git after the run", file=sys.stderr)
        return 2
    minutes = (time.monotonic() - started) / 60
    killed = len(chosen) - sum(map(len, verdicts.values()))
    print(f"{killed} of {len(chosen)} killed in {minutes:.0f} min", end="")
    for kind, names in verdicts.items():
        print(f"; {kind}: {', '.join(names) or 'none'}", end="")
    print()
    return 1 if any(verdicts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
