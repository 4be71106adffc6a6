#!/usr/bin/env python3
"""nuri-cts on the in-tree drivers (they must pass) and on a deliberately
faulty driver plugin (it must fail exactly the checks its faults break,
crashes and hangs included, and pass the rest).

usage: check_kit.py BUILD_DIR
"""
import re
import subprocess
import sys

FAULTY_FAILS = {"buffer.allocate", "buffer.device_local", "buffer.out_of_memory", "copy.offsets",
                "executable.load_errors", "semaphore.signal", "semaphore.submit_waits"}
FAULTY_PASSES = {"device.create", "command_buffer.order", "semaphore.timeout", "submit.concurrent"}
FAULTY_SKIPS = {"executable.host_kernels"}


def cts(build, *args):
    p = subprocess.run([f"{build}/bin/nuri-cts", *args], capture_output=True, text=True, timeout=900)
    results = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s+(PASS|FAIL|SKIP)\s+(\S+)\s+(.*)", line)
        if m:
            results[m.group(2)] = (m.group(1), m.group(3))
    return p.returncode, results, p.stdout + p.stderr


def main():
    build = sys.argv[1]
    failures = []

    def check(ok, what, log=""):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            failures.append(what)
            if log:
                print(log)

    for args in (["--device", "cpu"], ["--device", "npu-sim", "--target", "npu"],
                 ["--driver-plugin", f"{build}/lib/libnuri_npu_sim_plugin.so"], ["--device", "vulkan"]):
        rc, results, log = cts(build, *args)
        if args[-1] == "vulkan" and "no Vulkan" in log:
            print("skip  nuri-cts --device vulkan: no Vulkan device")
            continue
        bad = [n for n, (r, _) in results.items() if r == "FAIL"]
        check(rc == 0 and len(results) == 12 and not bad,
              f"nuri-cts {' '.join(args)}: exit {rc}, {len(results)} checks, failed: {bad}", log)
        if "--target" in args:
            m = re.search(r"(\d+) kernel cases: (\d+) native, (\d+) partial, (\d+) fall back, (\d+) wrong", log)
            check(m is not None and int(m.group(5)) == 0 and int(m.group(2)) > 0,
                  f"kernel suite on npu-sim: {m.group(0) if m else 'no summary'}", log)

    rc, results, log = cts(build, "--driver-plugin", f"{build}/lib/libnuri_faulty_driver.so", "--timeout", "3",
                           "--report", f"{build}/tests/cts/faulty.md")
    check(rc == 1, f"the faulty driver fails the kit (exit {rc})", log)
    for name in sorted(FAULTY_FAILS):
        got = results.get(name, ("missing", ""))
        check(got[0] == "FAIL", f"faulty: {name} fails ({got[0]}: {got[1]})")
    for name in sorted(FAULTY_PASSES):
        got = results.get(name, ("missing", ""))
        check(got[0] == "PASS", f"faulty: {name} passes ({got[0]}: {got[1]})")
    for name in sorted(FAULTY_SKIPS):
        check(results.get(name, ("missing",))[0] == "SKIP", f"faulty: {name} is skipped")
    check("crashed" in results.get("buffer.out_of_memory", ("", ""))[1], "the crash is reported as a crash")
    check("a hang" in results.get("semaphore.signal", ("", ""))[1], "the hang is reported as a hang")
    check("expected 0 (zero-filled)" in results.get("buffer.allocate", ("", ""))[1],
          "the report says what was expected")
    # The node suite through the kit: the NPU's matmuls pass at the bf16
    # tolerance and fail the f32 one (the kit reports which cases).
    nodes = ["--device", "npu-sim", "--target", "npu", "--node-suite", "--only", "device.create",
             "--node-filter", "node/test_(relu|add|softmax|matmul)"]
    rc, _, log = cts(build, *nodes, "--metric", "bf16")
    m = re.search(r"node suite: (\d+) run in \d+s: (\d+) passed", log)
    check(rc == 0 and m is not None and int(m.group(1)) > 10 and m.group(1) == m.group(2),
          f"node suite on npu-sim at the bf16 tolerance: exit {rc}, {m.group(0) if m else 'no summary'}", log)
    rc, _, log = cts(build, *nodes, "--metric", "f32")
    check(rc == 1 and "node/test_matmul_2d [compare]" in log,
          f"node suite on npu-sim at the f32 tolerance fails the matmuls, named (exit {rc})", log)
    rc, _, log = cts(build, "--only", "no.such.check", "--device", "cpu")
    check(rc == 2 and "no check named" in log, f"an unknown --only check is a usage error (exit {rc})")
    print(f"nuri-cts checks: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
