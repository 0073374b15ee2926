#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Exactly-once under SIGKILL: `etiolog tail --db STORE DIR` is killed at
random moments while writers append to files in DIR and rotate them; after
each kill, and at the end, the store must hold every matching line the
writers wrote exactly once.

Writers (threads), each writing lines that carry a unique id (req=<id>):
  plain   Airflow api-server lines (structlog), half of them matching the
          pack (UI "JWT token is not valid: Signature verification failed"),
          some written in two write()s (a partial line completed later).
  docker  a Docker json-file log; long matching lines are split the way the
          daemon splits lines over 16 KiB: pieces whose "log" lacks the
          trailing newline. The first piece is written, then the writer
          sleeps, then the rest: kills land between the pieces.
  cri     a Kubernetes CRI log; matching lines split into P pieces at random
          places (the literal included), lines of the other stream between
          them, the rest written after a sleep.
Each rotates by rename (f -> f.N in the same directory, then a new f) at
random moments, also while etiolog is down. Rotated files are never deleted
(deleting unread data while nothing follows it loses it, a documented
limit), and a rotation never falls inside a logical line.

After each kill (the writers are held while it happens, so what they had
written is known exactly) the store is opened read-only and checked:
  - PRAGMA integrity_check is ok;
  - every event belongs to a matching line a writer wrote, in the file
    (inode) and at the offset it was written at (a joined line: its first
    piece), and its text holds the whole line (no piece lost);
  - no line has an event twice (the same rule in two sources, i.e. a file
    read again as a new generation, or two offsets);
  - every matching line before a source's checkpoint is there;
  - no checkpoint is past the first piece of a line that was incomplete
    when the kill came (a resume must re-read the pieces and join the whole
    line).
At the end the writers stop, tail runs once more with --exit-when-idle to
catch up, and every matching line must be there exactly once, and every
file read to its end.

Usage: tail_kill_test.py ETIOLOG [--kills N] [--seed S] [--keep]
Prints the seed; a failure reproduces (up to timing) with the same seed.
"""
import argparse
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ID_RE = re.compile(rb"req=([a-z][0-9]+-[0-9]+)")
LOGGER = "[airflow.api_fastapi.auth.managers.base_auth_manager] loc=base_auth_manager.py:107"
FAILURE = "JWT token is not valid: Signature verification failed"
DOCKER_PIECE = 16 * 1024  # The Docker daemon's split size.
RUN_TIMEOUT_S = 180


def iso_now(digits=6):
    ns = time.time_ns()
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000))
    frac = f"{ns % 1_000_000_000:09d}"[:digits]
    return f"{s}.{frac}Z"


class Line:
    """A logical line as written: where, and what the store must show."""

    __slots__ = ("id", "inode", "offset", "message", "matching", "complete")

    def __init__(self, id_, inode, offset, message, matching):
        self.id = id_
        self.inode = inode
        self.offset = offset  # Of its first byte (a split line: its first piece).
        self.message = message.encode()  # The stored text must contain it.
        self.matching = matching
        self.complete = False  # All its pieces are written.


class Writer(threading.Thread):
    """Appends lines of one kind to one file and rotates it by rename.

    self.lock is held while bytes are written and records updated (never
    while sleeping), so a holder sees a consistent state of the file."""

    def __init__(self, kind, tag, directory, filename, seed):
        super().__init__(daemon=True)
        self.kind = kind
        self.tag = tag
        self.dir = directory
        self.path = os.path.join(directory, filename)
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.rotate_now = threading.Event()
        self.lines = []
        self.files = []  # Every file this writer created (current names).
        self.rotations = 0
        self.seq = 0
        self.error = None
        os.makedirs(directory, exist_ok=True)
        self._open()

    def _open(self):
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.inode = os.fstat(self.fd).st_ino
        self.size = 0
        self.files.append(self.path)

    def _rotate(self):
        with self.lock:
            os.close(self.fd)
            self.rotations += 1
            rotated = f"{self.path}.{self.rotations}"
            os.rename(self.path, rotated)
            self.files[-1] = rotated
            self._open()

    def _write(self, data):
        """Appends data. REQUIRES: self.lock held."""
        n = os.write(self.fd, data)
        assert n == len(data), "short write"
        self.size += n

    def _new_line(self, message, matching):
        """Records a line about to be written at the end of the file.
        REQUIRES: self.lock held."""
        line = Line(f"{self.tag}-{self.seq:06d}", self.inode, self.size, message, matching)
        self.seq += 1
        self.lines.append(line)
        return line

    def _message(self, matching, pad=0):
        ts = iso_now()
        id_ = f"{self.tag}-{self.seq:06d}"
        if matching:
            text = f"{ts} [error    ] {FAILURE} {LOGGER} req={id_}"
        else:
            text = f"{ts} [info     ] request served {LOGGER} req={id_} status=200"
        if pad:
            # Varied text, so the pieces are not all alike.
            text += " pad=" + "".join(self.rng.choice("abcdefghij0123456789") for _ in range(pad))
        return text

    def _sleep(self, lo, hi):
        self.stop.wait(self.rng.uniform(lo, hi))

    def run(self):
        try:
            while not self.stop.is_set():
                if self.rotate_now.is_set() or self.rng.random() < 0.04:
                    self.rotate_now.clear()
                    self._rotate()
                getattr(self, "_step_" + self.kind)()
        except Exception as e:  # Reported by the main thread.
            self.error = f"{self.kind} writer: {e!r}"

    # One step of each kind: a few lines, then a pause.
    def _step_plain(self):
        for _ in range(self.rng.randint(1, 12)):
            matching = self.rng.random() < 0.5
            data = (self._message(matching) + "\n").encode()
            if self.rng.random() < 0.1:
                # A line in two writes: the first without its newline.
                cut = self.rng.randint(1, len(data) - 1)
                with self.lock:
                    line = self._new_line(data[:-1].decode(), matching)
                    self._write(data[:cut])
                self._sleep(0.0, 0.2)
                with self.lock:
                    self._write(data[cut:])
                    line.complete = True
            else:
                with self.lock:
                    line = self._new_line(data[:-1].decode(), matching)
                    self._write(data)
                    line.complete = True
        self._sleep(0.0, 0.03)

    def _docker_record(self, log, time_):
        return (
            '{"log":'
            + json_string(log)
            + ',"stream":"stdout","time":"'
            + time_
            + '"}\n'
        ).encode()

    def _step_docker(self):
        matching = self.rng.random() < 0.6
        long_line = matching and self.rng.random() < 0.7
        text = self._message(matching, pad=self.rng.randint(17000, 50000) if long_line else 0)
        log = text + "\n"
        pieces = [log[i : i + DOCKER_PIECE] for i in range(0, len(log), DOCKER_PIECE)]
        with self.lock:
            line = self._new_line(text, matching)
            self._write(self._docker_record(pieces[0], iso_now(9)))
            line.complete = len(pieces) == 1
        for i, piece in enumerate(pieces[1:], 1):
            self._sleep(0.05, 0.5)  # Kills land here.
            with self.lock:
                self._write(self._docker_record(piece, iso_now(9)))
                line.complete = i == len(pieces) - 1
        self._sleep(0.0, 0.05)

    def _step_cri(self):
        matching = self.rng.random() < 0.6
        split = matching and self.rng.random() < 0.7
        text = self._message(matching, pad=self.rng.randint(0, 3000) if split else 0)
        if not split:
            with self.lock:
                line = self._new_line(text, matching)
                self._write(f"{iso_now(9)} stderr F {text}\n".encode())
                line.complete = True
            self._sleep(0.0, 0.05)
            return
        # Cut anywhere, the literal and the id included; 2 to 4 pieces.
        cuts = sorted(self.rng.sample(range(1, len(text)), self.rng.randint(1, 3)))
        parts = [text[a:b] for a, b in zip([0] + cuts, cuts + [len(text)])]
        with self.lock:
            line = self._new_line(text, matching)
            self._write(f"{iso_now(9)} stderr P {parts[0]}\n".encode())
        for i, part in enumerate(parts[1:], 1):
            self._sleep(0.05, 0.5)  # Kills land here.
            with self.lock:
                if self.rng.random() < 0.5:
                    # The other stream goes on meanwhile.
                    other = self._message(False)
                    self._new_line(other, False).complete = True
                    self._write(f"{iso_now(9)} stdout F {other}\n".encode())
                tag = "F" if i == len(parts) - 1 else "P"
                self._write(f"{iso_now(9)} stderr {tag} {part}\n".encode())
                line.complete = tag == "F"
        self._sleep(0.0, 0.05)


def json_string(s):
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif ord(c) < 0x20:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


class Checker:
    """Reads the store after a kill and compares it with what was written."""

    def __init__(self, db_path, writers):
        self.db_path = db_path
        self.writers = writers
        self.problems = []
        self.events = 0
        self.duplicates = 0
        self.missing = 0
        self.checkpoints_at_piece = 0  # Checkpoints held at a pending first piece.

    def problem(self, text):
        if len(self.problems) < 50:
            self.problems.append(text)

    def snapshot(self):
        """What was written, by id. REQUIRES: the writers' locks held."""
        by_id = {}
        pending = []  # Split lines not complete yet.
        for w in self.writers:
            for line in w.lines:
                by_id[line.id] = (line, line.complete)
                if not line.complete:
                    pending.append((w.kind, line.inode, line.offset))
        return by_id, pending

    def check(self, when, written, pending, final=False):
        by_id = written
        if not os.path.exists(self.db_path):
            return
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                self.problem(f"{when}: integrity_check: {integrity[:5]}")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "followed_files" not in tables:
                return  # Killed before the schema was created.
            sources = {}  # source_id -> (inode, checkpoint offset, name)
            for sid, inode, cp, name in db.execute(
                "SELECT f.source_id, f.inode, s.checkpoint_offset, s.path "
                "FROM followed_files f JOIN sources s ON s.id = f.source_id"
            ):
                sources[sid] = (inode, cp, name)
            seen = {}  # id -> [(source, offset, rule)]
            count = 0
            for sid, offset, rule, text in db.execute(
                "SELECT source_id, offset, rule, CAST(text AS BLOB) FROM events"
            ):
                count += 1
                m = ID_RE.search(text)
                if not m:
                    self.problem(f"{when}: an event without an id: {text[:200]!r}")
                    continue
                id_ = m.group(1).decode()
                seen.setdefault(id_, []).append((sid, offset, rule))
                entry = by_id.get(id_)
                if entry is None or not entry[0].matching:
                    self.problem(f"{when}: event for {id_}, not a matching line written")
                    continue
                line = entry[0]
                if line.message not in text:
                    self.problem(
                        f"{when}: {id_}: stored text is not the whole line "
                        f"({len(text)} bytes stored, the line has {len(line.message)})"
                    )
                src = sources.get(sid)
                if src is None:
                    self.problem(f"{when}: {id_}: event of a source not followed ({sid})")
                elif src[0] != line.inode or offset != line.offset:
                    self.problem(
                        f"{when}: {id_}: stored at inode {src[0]} offset {offset}, "
                        f"written at inode {line.inode} offset {line.offset}"
                    )
            self.events = count
            self.duplicates = 0
            for id_, evs in seen.items():
                rules = [r for _, _, r in evs]
                places = {(s, o) for s, o, _ in evs}
                if len(rules) != len(set(rules)) or len(places) > 1:
                    self.duplicates += max(len(evs) - len(set(rules)), len(places) - 1)
                    self.problem(f"{when}: {id_} stored more than once: {sorted(evs)}")
            # Nothing missing before a checkpoint; no checkpoint past the
            # first piece of a line still incomplete.
            by_inode = {}
            for sid, (inode, cp, name) in sources.items():
                by_inode.setdefault(inode, []).append((sid, cp, name))
            self.missing = 0
            for id_, (line, complete) in by_id.items():
                srcs = by_inode.get(line.inode, [])
                before = [s for s in srcs if line.offset < s[1]]
                if not before:
                    if final and line.matching:
                        self.missing += 1
                        self.problem(f"{when}: {id_} never read (inode {line.inode})")
                    continue
                if not complete:
                    self.problem(
                        f"{when}: checkpoint past the first piece of {id_}, incomplete "
                        f"at the kill: {before} > {line.offset}"
                    )
                elif line.matching and id_ not in seen:
                    self.missing += 1
                    self.problem(f"{when}: {id_} missing before the checkpoint of {before}")
            for kind, inode, offset in pending:
                if kind != "plain" and any(cp == offset for _, cp, _ in by_inode.get(inode, [])):
                    self.checkpoints_at_piece += 1
        finally:
            db.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("etiolog")
    ap.add_argument("--kills", type=int, default=15)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"tail kill test: seed {seed}, {args.kills} kills", flush=True)
    rng = random.Random(seed)
    scratch = tempfile.mkdtemp(prefix="etiolog-kill-")
    logs = os.path.join(scratch, "logs")
    store = os.path.join(scratch, "tail.db")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(scratch, "empty-config"))
    started = time.monotonic()
    writers = [
        Writer("plain", "p0", os.path.join(logs, "api"), "api-server.log", rng.random()),
        Writer("plain", "p1", os.path.join(logs, "api"), "api-server-2.log", rng.random()),
        Writer(
            "docker",
            "d0",
            os.path.join(logs, "docker", "4f1c9e"),
            "4f1c9e-json.log",
            rng.random(),
        ),
        Writer(
            "cri",
            "c0",
            os.path.join(logs, "pods", "airflow_api-server-7d9_uid", "api-server"),
            "0.log",
            rng.random(),
        ),
    ]
    checker = Checker(store, writers)
    proc = None
    stderr_path = os.path.join(scratch, "tail.err")
    # --from-start: without it a run on a store that knows no file yet (the
    # first, or one killed before it recorded any) starts at the end of the
    # files, skipping what was written before, by design (docs/tail.md). It
    # changes nothing once the store knows a file.
    cmd = [
        args.etiolog,
        "tail",
        "--db",
        store,
        "--from-start",
        "--poll-interval",
        "50ms",
        "--debounce",
        "300ms",
        "--format",
        "jsonl",
        logs,
    ]
    kills = 0
    pending_kills = 0  # Kills that came while a Docker or CRI line was incomplete.
    ok = False
    try:
        for w in writers:
            w.start()
        for k in range(args.kills):
            with open(stderr_path, "ab") as err:
                proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
            time.sleep(rng.choice([rng.uniform(0.0, 0.3), rng.uniform(0.2, 1.5)]))
            for w in writers:
                w.lock.acquire()
            try:
                written, pending = checker.snapshot()
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
            finally:
                for w in writers:
                    w.lock.release()
            if proc.returncode != -signal.SIGKILL:
                checker.problem(f"kill {k + 1}: tail had exited already ({proc.returncode})")
            proc = None
            kills += 1
            pending_kills += any(kind != "plain" for kind, _, _ in pending)
            checker.check(f"after kill {k + 1}", written, pending)
            if checker.problems:
                break
            # Down for a while; writers go on, and sometimes rotate now.
            if rng.random() < 0.3:
                for w in writers:
                    w.rotate_now.set()
            time.sleep(rng.uniform(0.0, 0.4))
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(timeout=30)
            if w.error:
                checker.problem(w.error)
        written, pending = checker.snapshot()
        if not checker.problems:
            # Catch up: one more run to the end.
            with open(stderr_path, "ab") as err:
                proc = subprocess.Popen(
                    cmd[:-1] + ["--exit-when-idle", "2s", logs],
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=env,
                )
            rc = proc.wait(timeout=RUN_TIMEOUT_S)
            proc = None
            if rc != 0:
                checker.problem(f"the last tail run exited {rc}")
            checker.check("at the end", written, pending, final=True)
            # Every file read to its end.
            db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
            # The timeline counted each event once too (a replayed event
            # is not placed again).
            for what, counted, placed in [
                (
                    "instances",
                    "SELECT coalesce(sum(events), 0) FROM instances",
                    "SELECT count(*) FROM events WHERE instance_id IS NOT NULL",
                ),
                (
                    "failure bursts",
                    "SELECT coalesce(sum(events), 0) FROM failure_bursts",
                    "SELECT count(*) FROM events WHERE burst_id IS NOT NULL",
                ),
            ]:
                a, b = db.execute(counted).fetchone()[0], db.execute(placed).fetchone()[0]
                if a != b:
                    checker.problem(f"{what} count {a} events, {b} are placed in them")
            read_to = {}
            for inode, cp in db.execute(
                "SELECT f.inode, max(s.checkpoint_offset) FROM followed_files f "
                "JOIN sources s ON s.id = f.source_id GROUP BY f.inode"
            ):
                read_to[inode] = cp
            db.close()
            for w in writers:
                for path in w.files:
                    st = os.stat(path)
                    if read_to.get(st.st_ino, -1) != st.st_size:
                        checker.problem(
                            f"{path}: read to {read_to.get(st.st_ino)}, size {st.st_size}"
                        )
        lines = sum(len(w.lines) for w in writers)
        matching = sum(1 for w in writers for line in w.lines if line.matching)
        print(
            f"kills {kills}, lines written {lines} ({matching} matching, "
            f"{sum(w.rotations for w in writers)} rotations), events stored {checker.events}, "
            f"duplicates {checker.duplicates}, "
            f"missing {checker.missing}; kills while a split line was "
            f"incomplete {pending_kills}, checkpoints held at its first piece "
            f"{checker.checkpoints_at_piece}; {time.monotonic() - started:.1f}s"
        )
        ok = not checker.problems
        for p in checker.problems:
            print("FAIL", p)
        if not ok:
            print(f"reproduce with: --seed {seed} --kills {args.kills}")
            with open(stderr_path, "rb") as err:
                tail_err = err.read().decode(errors="replace").splitlines()
            print("tail's stderr (last 20 lines):\n  " + "\n  ".join(tail_err[-20:]))
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        for w in writers:
            w.stop.set()
        if args.keep or not ok:
            print(f"scratch kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
