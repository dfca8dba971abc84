#!/usr/bin/python3
"""Write env.json for a benchmark run: the machine and build a result came from.

usage: env_json.py OUT.json [--build-dir DIR] [--root DIR] [--set KEY=VALUE ...]

Records CPU model, cores, kernel, compilers, the flags the benchmark sources
were really compiled with (from DIR/compile_commands.json), the git commit,
the CPU frequency governor, SMT and ASLR state, Google Benchmark and Go
versions. Fields that cannot be read are "unknown"; never fails for that.
Standard library only.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import socket
import subprocess


def run(cmd, cwd=None):
    try:
        r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=20)
        return r.stdout.strip() if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def cpu_model():
    txt = read("/proc/cpuinfo") or ""
    for ln in txt.splitlines():
        if ln.startswith("model name"):
            return ln.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def compile_flags(build_dir):
    """The compile command of harness/bench_micro.c and of one backend
    source, minus file names: what 'same flags for every backend' means."""
    out = {}
    if not build_dir:
        return out
    try:
        with open(os.path.join(build_dir, "compile_commands.json")) as f:
            cmds = json.load(f)
    except (OSError, ValueError):
        return out
    want = {"bench_micro": "harness/bench_micro.c", "backend_chan": "/chan.c",
            "shim": "harness/gbench_shim.cc"}
    for key, suffix in want.items():
        for c in cmds:
            if c.get("file", "").endswith(suffix):
                args = c.get("arguments") or shlex.split(c.get("command", ""))
                keep = [a for a in args[1:] if a.startswith(("-O", "-f", "-m", "-W", "-D", "-g", "-std"))]
                out[key] = {"compiler": os.path.basename(args[0]) if args else "unknown",
                            "flags": " ".join(keep), "file": os.path.relpath(c["file"], c.get("directory", "."))
                            if os.path.isabs(c["file"]) else c["file"]}
                break
    return out


def first_line(s):
    return s.splitlines()[0] if s else "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--build-dir")
    ap.add_argument("--root", default=".")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = ap.parse_args()
    cache = {}
    if a.build_dir:
        txt = read(os.path.join(a.build_dir, "CMakeCache.txt")) or ""
        for ln in txt.splitlines():
            for k in ("CMAKE_BUILD_TYPE", "CMAKE_C_COMPILER", "CMAKE_CXX_COMPILER",
                      "CMAKE_C_FLAGS_RELEASE", "CMAKE_CXX_FLAGS_RELEASE", "CMAKE_C_FLAGS"):
                if ln.startswith(k + ":"):
                    cache[k] = ln.split("=", 1)[1]
    commit = run(["git", "rev-parse", "HEAD"], cwd=a.root) or "unknown (no commit)"
    dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=a.root)
    env = {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": first_line(run(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"])),
        "governor": read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") or "unknown (no cpufreq: VM?)",
        "smt_active": read("/sys/devices/system/cpu/smt/active") or "unknown",
        "aslr": read("/proc/sys/kernel/randomize_va_space") or "unknown",
        "load_avg": list(os.getloadavg()),
        "pinning": "none (the OS schedules tasks; same policy for every backend and Go)",
        "compilers": {
            "gcc": first_line(run(["gcc", "--version"])),
            "g++": first_line(run(["g++", "--version"])),
            "clang-14": first_line(run(["clang-14", "--version"])),
            "go": run(["go", "version"]) or "unknown",
        },
        "cmake_cache": cache,
        "compile_flags": compile_flags(a.build_dir),
        "google_benchmark": run(["dpkg-query", "-W", "-f=${Version}", "libbenchmark-dev"]) or "unknown",
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else "unknown",
    }
    for kv in a.set:
        k, _, v = kv.partition("=")
        env[k] = v
    with open(a.out, "w") as f:
        json.dump(env, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
