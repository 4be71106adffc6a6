// Running the other Nuri tools from one (nuri-compare, nuri-cts).
#ifndef NURI_TOOLS_PROCESS_H
#define NURI_TOOLS_PROCESS_H

#include <string>
#include <vector>

namespace nuri {

/// The path of tool `name` next to this executable (nuri-compile).
std::string sibling(const char *name);

/// Runs a command without a shell, stdout and stderr into `output`;
/// returns its exit status (127: not run, 128: killed by a signal).
int runCommand(const std::vector<std::string> &argv, std::string &output);

} // namespace nuri

#endif
