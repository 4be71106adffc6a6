#include "process.h"

#include <climits>
#include <filesystem>
#include <sys/wait.h>
#include <unistd.h>

namespace nuri {

std::string sibling(const char *name) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return name;
  self[n] = 0;
  return (std::filesystem::path(self).parent_path() / name).string();
}

int runCommand(const std::vector<std::string> &argv, std::string &output) {
  int pipefd[2];
  if (pipe(pipefd) != 0)
    return 127;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    std::vector<char *> args;
    for (const std::string &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  char buffer[4096];
  ssize_t got;
  while ((got = read(pipefd[0], buffer, sizeof buffer)) > 0)
    output.append(buffer, size_t(got));
  close(pipefd[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0)
    return 127;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

} // namespace nuri
