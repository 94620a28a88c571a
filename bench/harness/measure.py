"""Running one contender and measuring it: wall time, peak RSS and bytes written.

`os.wait4` hands back the child's rusage when it is reaped, so the numbers are exact
without polling or cgroups: `ru_oublock` counts 512-byte blocks the process (and the
children it waited for) caused to be written to storage, the same counter as
`/proc/<pid>/io` `write_bytes`. The peak resident set comes from GNU time around the
command: the child's own `ru_maxrss` would not do, because Linux carries the
spawning process's peak across `exec`, so every contender would show at least this
harness's RSS (a 200 MB Python spawning `/bin/true` reads 218,808 KiB).
"""

import os
import re
import selectors
import subprocess
import tempfile
import time
from dataclasses import dataclass


class BenchError(Exception):
    """A contender failed: the benchmark stops rather than report a wrong number."""


@dataclass
class Run:
    """What one run of a command took."""

    wall: float
    peak_rss_kib: int
    write_bytes: int
    stdout: str


def run(cmd, env=None, cwd=None, what=None):
    """Runs `cmd` to its end and measures it; a non-zero exit is a BenchError with its
    stderr's tail."""
    # What the run before left dirty (the 10x sync leaves gigabytes) goes to disk first,
    # outside the timing: written back during this run, it would slow its fsyncs and
    # count against whichever contender comes next.
    os.sync()
    with tempfile.NamedTemporaryFile("r", prefix="bench-rss-") as rss:
        # GNU time forks the command from its own small process and writes the
        # command's peak RSS (KiB) to its own file, leaving stderr to the command.
        timed = ["/usr/bin/time", "-o", rss.name, "-f", "%M"] + list(cmd)
        start = time.perf_counter()
        proc = subprocess.Popen(timed, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = _drain(proc)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        # Popen must not reap it again (it would find no child).
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise BenchError(f"{what or cmd[0]} exited {code}: {err.strip()[-2000:]}")
        peak = rss.read().split()
    if not peak or not peak[-1].isdigit():
        raise BenchError(f"GNU time reported no peak RSS for {what or cmd[0]}")
    return Run(wall, int(peak[-1]), usage.ru_oublock * 512, out)


def _drain(proc):
    """Reads stdout and stderr to their end without reaping the child (communicate()
    would wait for it), so that wait4 still gets its rusage."""
    chunks = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    with selectors.DefaultSelector() as sel:
        for fd in chunks:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            for key, _ in sel.select():
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    sel.unregister(key.fd)
    proc.stdout.close()
    proc.stderr.close()
    out, err = (b"".join(c).decode(errors="replace") for c in chunks.values())
    return out, err


def instructions(cmd, env=None, cwd=None, toggle=None, what=None, out_file="/dev/null"):
    """Instructions executed by `cmd` under `valgrind --tool=callgrind` (repeatable on
    a noisy machine, unlike time); with `toggle`, only inside functions matching it;
    the profile is kept in `out_file` for `hot_spots`."""
    args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]
    if toggle:
        args.append(f"--toggle-collect={toggle}")
    proc = subprocess.run(args + list(cmd), env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BenchError(f"callgrind of {what or cmd[0]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    found = re.findall(r"Collected : (\d+)", proc.stderr)
    if not found:
        raise BenchError(f"callgrind of {what or cmd[0]} reported no count")
    return int(found[-1])


def rss_kib(pid, field="VmRSS"):
    """A running process's resident set (or VmHWM, its peak so far), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {field} for pid {pid}")


def hot_spots(profile, count=12):
    """The functions of a callgrind profile with the most instructions of their own:
    (instructions, share in %, function), from `callgrind_annotate`."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", profile],
                         capture_output=True, text=True)
    spots = []
    for line in out.stdout.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            name = m.group(3).split(":", 1)[-1] if ":" in m.group(3) else m.group(3)
            spots.append((int(m.group(1).replace(",", "")), float(m.group(2)), name.split(" [")[0]))
    return spots[:count]


def syscalls(cmd, env=None, out_file=None):
    """{syscall: calls} of `cmd` and its threads, from `strace -f -c`."""
    proc = subprocess.run(["strace", "-f", "-c", "-o", out_file] + list(cmd), env=env, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise BenchError(f"strace of {cmd[0]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    calls = {}
    with open(out_file) as f:
        for line in f:
            parts = line.split()
            # "% time  seconds  usecs/call  calls  [errors]  syscall"
            if len(parts) >= 5 and parts[0].replace(".", "").isdigit() and parts[3].isdigit():
                calls[parts[-1]] = int(parts[3])
    return calls
