// The files a plugin search path names (NURI_DRIVER_PATH for drivers,
// NURI_PLUGIN_PATH for nuri-compile's targets): a colon-separated list of
// plugin files and directories, a directory standing for its *.so files in
// name order. Header-only, so the compiler's loader uses it without
// linking the runtime.
#ifndef NURI_HAL_PLUGIN_PATH_H
#define NURI_HAL_PLUGIN_PATH_H

#include <algorithm>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

namespace nuri {

inline std::vector<std::string> pluginFiles(const std::string &list) {
  std::vector<std::string> files;
  for (size_t start = 0; start <= list.size();) {
    size_t end = list.find(':', start);
    if (end == std::string::npos)
      end = list.size();
    std::string entry = list.substr(start, end - start);
    start = end + 1;
    if (entry.empty())
      continue;
    struct stat st;
    if (::stat(entry.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      files.push_back(entry); // a file, or a missing entry the loader names
      continue;
    }
    std::vector<std::string> inDir;
    if (DIR *dir = ::opendir(entry.c_str())) {
      while (dirent *e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name.size() > 3 && name.compare(name.size() - 3, 3, ".so") == 0)
          inDir.push_back(entry + "/" + name);
      }
      ::closedir(dir);
    }
    std::sort(inDir.begin(), inDir.end());
    files.insert(files.end(), inDir.begin(), inDir.end());
  }
  return files;
}

} // namespace nuri

#endif
