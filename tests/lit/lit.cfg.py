# lit configuration for Nuri's FileCheck tests.
import os
import lit.formats

config.name = "Nuri"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nuri_build_dir, "tests", "lit")
config.environment["PATH"] = os.pathsep.join(
    [os.path.join(config.nuri_build_dir, "bin"), config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%onnx_node", "/usr/share/libonnx-testdata/data/node"))
config.substitutions.append(("%python", "/usr/bin/python3"))
