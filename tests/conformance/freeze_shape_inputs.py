#!/usr/bin/python3
"""Copies ONNX node test cases whose shape-giving inputs (Resize/Upsample scales, sizes and roi,
MaxUnpool output_shape) are graph inputs, turning those inputs into initializers holding the values
of test_data_set_0. Nuri needs static shapes, so such cases cannot pass as shipped; frozen, they
check the kernels themselves.

    /usr/bin/python3 tests/conformance/freeze_shape_inputs.py OUT [--filter REGEX]
    /usr/bin/python3 tests/conformance/run.py --data OUT --suites node --expected-failures EMPTY_FILE -v
"""
import argparse
import glob
import os
import re
import shutil

import onnx
from onnx import numpy_helper

# op type -> first input index that gives a shape (inputs from there on are frozen)
SHAPE_INPUTS = {"Resize": 1, "Upsample": 1, "MaxUnpool": 2}
DATA = "/usr/share/libonnx-testdata/data/node"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    pattern = re.compile(args.filter)
    count = 0
    for case_dir in sorted(glob.glob(os.path.join(args.data, "*"))):
        case = os.path.basename(case_dir)
        if not pattern.search(case) or not os.path.exists(os.path.join(case_dir, "model.onnx")):
            continue
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        inits = {t.name for t in model.graph.initializer}
        runtime = [vi.name for vi in model.graph.input if vi.name not in inits]
        freeze = set()
        for node in model.graph.node:
            first = SHAPE_INPUTS.get(node.op_type)
            if first is not None:
                freeze.update(n for n in node.input[first:] if n in runtime)
        if not freeze:
            continue
        sets = sorted(glob.glob(os.path.join(case_dir, "test_data_set_*")))
        values = {}
        for i, name in enumerate(runtime):
            if name in freeze:
                t = onnx.TensorProto()
                with open(os.path.join(sets[0], f"input_{i}.pb"), "rb") as f:
                    t.ParseFromString(f.read())
                values[name] = numpy_helper.to_array(t)
        for name, value in values.items():
            model.graph.initializer.append(numpy_helper.from_array(value, name))
        kept = [vi for vi in model.graph.input if vi.name not in freeze]
        del model.graph.input[:]
        model.graph.input.extend(kept)
        dest = os.path.join(args.out, "node", case)
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest)
        onnx.save(model, os.path.join(dest, "model.onnx"))
        # Only data sets whose frozen inputs equal set 0's stay valid.
        for ds in sets[:1]:
            out_ds = os.path.join(dest, os.path.basename(ds))
            os.makedirs(out_ds)
            j = 0
            for i, name in enumerate(runtime):
                if name not in freeze:
                    shutil.copy(os.path.join(ds, f"input_{i}.pb"), os.path.join(out_ds, f"input_{j}.pb"))
                    j += 1
            for p in glob.glob(os.path.join(ds, "output_*.pb")):
                shutil.copy(p, out_ds)
        count += 1
    print(f"froze {count} cases into {os.path.join(args.out, 'node')}")


if __name__ == "__main__":
    main()
