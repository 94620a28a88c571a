"""The machine and the versions of everything measured, for the report's header."""

import os
import platform
import subprocess


def _first_line(cmd, cwd=None):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "not found"


def host():
    """Cores, CPU, memory and kernel, in a line."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return f"{os.cpu_count()} cores ({cpu}), {mem_kib / 1048576:.1f} GiB, {platform.system()} {platform.release()}"


def describe(paths, load_at_start):
    """Lines of `what: value` for the machine and each tool."""
    py = paths["venv_python"]
    return [
        ("machine", f"{host()}; load average at start {load_at_start:.2f}, at the end {os.getloadavg()[0]:.2f}"),
        ("rustc", _first_line(["rustc", "--version"])),
        ("SQLite (bundled by rusqlite)", paths["sqlite_version"]),
        ("node", _first_line(["node", "--version"])),
        ("@sap/cds / @cap-js/sqlite", paths["cap_versions"]),
        ("quicktype", _first_line([paths["quicktype"], "--version"])),
        ("python (peers)", _first_line([py, "--version"])),
        ("dlt", _first_line([py, "-c", "import dlt; print(dlt.__version__)"])),
        ("requests", _first_line([py, "-c", "import requests; print(requests.__version__)"])),
        ("python sqlite3", _first_line([py, "-c", "import sqlite3; print(sqlite3.sqlite_version)"])),
        ("wrk", _first_line(["wrk", "--version"])),
        ("valgrind", _first_line(["valgrind", "--version"])),
    ]
