#!/usr/bin/python3
"""Markdown tables of npu-sim runs: one row per model, and per kernel of one model with what limits it.

    /usr/bin/python3 benchmarks/npu_report.py WORKDIR [--kernels MODEL]

WORKDIR is what tests/e2e/peer_models.py --device npu-sim wrote (WORKDIR/nuri/MODEL/stats.json and
run.seconds). A kernel's limit is its busiest engine per core: "matrix" (the matrix engine's time, with
the array's fill of its tiles), "dma" (DRAM traffic at the core's share of the bandwidth), "vector".
"""
import argparse
import json
import os
import sys

MODELS = ["mlp", "resnet18", "mobilenetv2", "bert4", "matmul1024", "conv3x3_64"]


def load(workdir, model):
    path = os.path.join(workdir, "nuri", model, "stats.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workdir")
    ap.add_argument("--kernels", default="resnet18", help="model whose kernels to list [%(default)s]")
    args = ap.parse_args()
    print("| model | cycles | roofline_cycles | ratio | MAC utilization | DRAM MB (min) | NPU / host dispatches | simulator s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    found = False
    for m in MODELS:
        s = load(args.workdir, m)
        if not s:
            continue
        found = True
        print(f"| {m} | {s['cycles']} | {s['roofline_cycles']} | {s['cycles_over_roofline']:.2f} | "
              f"{s['mac_utilization']:.3f} | {s['dram_bytes'] / 1e6:.1f} ({s['min_dram_bytes'] / 1e6:.1f}) | "
              f"{s['npu_dispatches']} / {s['host_fallback']['dispatches']} | {s['simulator_seconds']:.2f} |")
    if not found:
        print(f"npu_report.py: error: no stats.json under {args.workdir}/nuri/", file=sys.stderr)
        return 1
    s = load(args.workdir, args.kernels)
    if not s:
        return 0
    cores = max(1, round(s["peak_macs_per_cycle"] and s["peak_macs_per_cycle"] / (128 * 128)))
    print(f"\n{args.kernels}, per kernel (busy cycles are per core, averaged over {cores} cores):\n")
    print("| kernel | MACs (M) | cycles | roofline | ratio | DMA busy | matrix busy | vector busy | limit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for k in s["kernels"]:
        b = {q: v / cores for q, v in k["busy_cycles"].items()}
        limit = max(b, key=b.get)
        print(f"| {k['name']} | {k['macs'] / 1e6:.1f} | {k['cycles']} | {k['roofline_cycles']} | "
              f"{k['cycles'] / max(1, k['roofline_cycles']):.2f} | {b['dma']:.0f} | {b['matrix']:.0f} | "
              f"{b['vector']:.0f} | {limit} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
