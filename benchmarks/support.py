"""Processes for the benchmark: the sandbox API, the tap and the baseline, each on its own.

The sandbox runs as ``python -m heymarket_sandbox`` (its work never shares the tap's
interpreter lock); the tap and the baseline run as child processes writing Singer lines to a
file, timed by wall clock, with peak memory read by the child itself as it exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.harness import catalog_selecting  # noqa: E402

PYTHON = sys.executable
WORK = Path(tempfile.mkdtemp(prefix="heymarket-bench-"))


# -- the sandbox, in its own process ---------------------------------------------------


class Sandbox:
    """``python -m heymarket_sandbox`` on a free port; a context manager."""

    def __init__(
        self,
        conversations: int,
        inboxes: int = 3,
        latency: float = 0.0,
        reading: str = "",
        *extra: str,
        seed: int | None = None,
    ) -> None:
        args = [PYTHON, "-m", "heymarket_sandbox", "--port", "0"]
        if seed is not None:  # another account of the same size and shape (default: the sandbox's)
            args += ["--seed", str(seed)]
        args += ["--conversations", str(conversations), "--inboxes", str(inboxes)]
        args += ["--latency", str(latency), "--reading", reading, *extra]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = t.cast("t.IO[str]", self.process.stdout).readline()
        self.url = line.split(" on ", 1)[1].split(" ", 1)[0]

    def call(self, method: str, path: str, body: object = None) -> t.Any:
        data = None if body is None else json.dumps(body).encode()
        url = f"{self.url}/_sandbox/{path}"  # the sandbox on localhost
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return json.loads(response.read())

    def stats(self) -> dict[str, t.Any]:
        return t.cast("dict[str, t.Any]", self.call("GET", "stats"))

    def reset(self) -> None:
        self.call("POST", "reset", {})

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait()


# -- one child process: wall time, peak RSS, output -------------------------------------


class Run(t.NamedTuple):
    seconds: float
    peak_rss_mb: float
    records: int
    final_state: dict[str, t.Any] | None
    output: Path
    stats: dict[str, t.Any]
    marks: tuple[tuple[int, float], ...] = ()  # (records, VmHWM in MB then) for BENCH_MARKS
    threads: int = 0  # the most threads the child had alive at once (0: not a Python child)


# The child's peak RSS is read by the child itself (VmHWM) as it exits: the kernel's
# ru_maxrss for a child also counts the moment before exec, when it was a copy of this
# (larger) benchmark process.
PEAK_PRELUDE = """
import atexit, os, threading
_threads = [1]  # the most threads alive at once (each worker holds a page: memory follows them)
_start = threading.Thread.start
def _counted_start(self):
    _start(self)
    _threads[0] = max(_threads[0], threading.active_count())
threading.Thread.start = _counted_start
def _peak():
    with open('/proc/self/status') as status, open(os.environ['BENCH_PEAK'], 'w') as out:
        peak = next(line.split()[1] for line in status if line.startswith('VmHWM:'))
        out.write(f'{peak} {_threads[0]}')
atexit.register(_peak)
if os.environ.get('BENCH_MARKS'):  # VmHWM after so many records, within the run
    from tap_heymarket.final_state import LastMessageWriter
    _marks = sorted(map(int, os.environ['BENCH_MARKS'].split(',')))
    _write, _records = LastMessageWriter.write_message, [0]
    def _write_and_mark(self, message):
        _write(self, message)
        if message.type == 'RECORD':
            _records[0] += 1
            if _marks and _records[0] == _marks[0]:
                _marks.pop(0)
                with open('/proc/self/status') as status:
                    peak = next(line.split()[1] for line in status if line.startswith('VmHWM:'))
                with open(os.environ['BENCH_PEAK'] + '.marks', 'a') as out:
                    out.write(f'{_records[0]} {peak}\\n')
    LastMessageWriter.write_message = _write_and_mark
"""


#: Children run as an installed tap does, from bytecode (pip compiles what it installs): kept in
#: the scratch directory, so neither tree gains ``__pycache__`` and a shell's
#: ``PYTHONDONTWRITEBYTECODE`` cannot make every run compile the package from source again.
BYTECODE = {"PYTHONPYCACHEPREFIX": str(WORK / "bytecode")}


#: What a run imports only once it syncs (the SDK reads the package's metadata through
#: importlib_metadata's email-based adapters): without them here, the first timed child compiled
#: ``email._header_value_parser`` and five more, and its peak RSS was some 4.5 MB higher (the
#: memory section's first run, 2,000 conversations, whichever of "before" and "after" got there first).
LATE_IMPORTS = "importlib_metadata._adapters, email.policy"


def precompile(*trees: Path) -> None:
    """Fill :data:`BYTECODE`'s cache before the first timed child: import the tap (and the
    libraries it loads, whose own ``__pycache__`` the prefix hides) from each tree."""
    for tree in trees:
        env = {**os.environ, **BYTECODE, "PYTHONPATH": str(tree)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        code = f"import tap_heymarket.tap, {LATE_IMPORTS}"
        subprocess.run([PYTHON, "-c", code], check=True, env=env, cwd=WORK)


def python_child(code: str) -> list[str]:
    return [PYTHON, "-c", PEAK_PRELUDE + code]


class Started(t.NamedTuple):
    """A child process under way, with what :func:`wait_child` needs to read its run back."""

    child: subprocess.Popen[bytes]
    sandbox: Sandbox
    name: str
    output: Path
    peak_file: Path
    started: float


def start_child(args: list[str], sandbox: Sandbox, name: str, env: dict[str, str] | None = None) -> Started:
    """Start one process with stdout to a file (in the scratch directory, so that ``-c``'s
    ``sys.path[0]`` is not this tree); the sandbox's request log is reset first."""
    sandbox.reset()
    output = WORK / f"{name}.jsonl"
    peak_file = WORK / f"{name}.peak"
    peak_file.unlink(missing_ok=True)
    peak_file.with_suffix(".peak.marks").unlink(missing_ok=True)
    environment = {**os.environ, **(env or {}), **BYTECODE, "BENCH_PEAK": str(peak_file)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    with output.open("wb") as sink:
        child = subprocess.Popen(args, stdout=sink, stderr=subprocess.DEVNULL, env=environment, cwd=WORK)
    return Started(child, sandbox, name, output, peak_file, time.perf_counter())


def wait_child(*started: t.Any) -> Run:
    """Wait for a started child; its wall time, peak RSS, records, last STATE and request log."""
    return wait_children(Started(*started))[0]


def wait_children(*started: Started) -> list[Run]:
    """Wait for children running at once, each timed to its own exit (waiting for one after
    the other would time a child that ends first to the end of the one before it)."""
    ended: dict[int, tuple[float, int, t.Any]] = {}
    while len(ended) < len(started):
        for run in started:
            if run.child.pid not in ended:
                pid, status, usage = os.wait4(run.child.pid, os.WNOHANG)
                if pid:
                    ended[pid] = (time.perf_counter(), status, usage)
        if len(ended) < len(started):
            time.sleep(0.002)
    return [_finished(run, *ended[run.child.pid]) for run in started]


def _finished(run: Started, at: float, status: int, usage: t.Any) -> Run:
    """One ended child's run, read back."""
    seconds = at - run.started
    peak_kb, threads = float(usage.ru_maxrss), 0
    if run.peak_file.exists():
        peak, _, alive = run.peak_file.read_text().partition(" ")
        peak_kb, threads = float(peak), int(alive or 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{run.name} failed with exit code {code}: {' '.join(map(str, run.child.args))}")
    records, state = 0, None
    with run.output.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
            elif line.startswith(b'{"type":"STATE"'):
                state = json.loads(line)["value"]
    marks_file = run.peak_file.with_suffix(".peak.marks")
    marks = [line.split() for line in marks_file.read_text().splitlines()] if marks_file.exists() else []
    return Run(
        seconds,
        peak_kb / 1024,
        records,
        state,
        run.output,
        run.sandbox.stats(),
        tuple((int(count), float(kb) / 1024) for count, kb in marks),
        threads,
    )


def run_child(args: list[str], sandbox: Sandbox, name: str) -> Run:
    """Run one process with stdout to a file; the sandbox's request log is reset first."""
    return wait_child(*start_child(args, sandbox, name))


def tap_args(
    sandbox: Sandbox,
    name: str,
    state: dict | None = None,
    release: Path | None = None,
    streams: tuple[str, ...] = ("conversations",),
    *,
    marks: tuple[int, ...] = (),
    **settings: t.Any,
) -> Started:
    """Start the tap (``release``: an older copy of the package, imported instead of this tree;
    ``marks``: record counts at which the child notes its VmHWM, in :attr:`Run.marks`)."""
    config = {"api_key": "sandbox-key", "api_url": sandbox.url, "max_requests_per_minute": 1_000_000}
    config.update(settings)
    files = {"config": config, "catalog": catalog_selecting(config, list(streams))}
    if state is not None:
        files["state"] = state
    args = python_child("from tap_heymarket.tap import TapHeymarket; TapHeymarket.cli()")
    for option, content in files.items():
        path = WORK / f"{name}.{option}.json"
        path.write_text(json.dumps(content))
        args += [f"--{option}", str(path)]
    env = {"PYTHONPATH": str(release)} if release is not None else {"PYTHONPATH": str(HERE.parent)}
    if marks:
        env["BENCH_MARKS"] = ",".join(map(str, marks))
    return start_child(args, sandbox, name, env)


def tap(
    sandbox: Sandbox,
    name: str,
    state: dict | None = None,
    streams: tuple[str, ...] = ("conversations",),
    **settings: t.Any,
) -> Run:
    """The tap, ``streams`` selected, as ``tap-heymarket --config … --catalog …``."""
    return wait_child(*tap_args(sandbox, name, state, streams=streams, **settings))


def baseline(sandbox: Sandbox, name: str = "baseline") -> Run:
    script = str(HERE / "baseline.py")
    code = f"import runpy, sys\nsys.argv[1:] = [{sandbox.url!r}]\n"
    code += f"runpy.run_path({script!r}, run_name='__main__')"
    return run_child(python_child(code), sandbox, name)


def record_set(path: Path) -> set[str]:
    """Every RECORD's record, canonically encoded (``time_extracted`` aside)."""
    out = set()
    with path.open() as lines:
        for line in lines:
            message = json.loads(line)
            if message["type"] == "RECORD":
                out.add(json.dumps(message["record"], sort_keys=True))
    return out
