// Hierarchy discovery: the cgroup and cgroup2 mounts of a mountinfo file, and the filesystem magic of a path.
#ifndef CGMGR_MOUNTS_H_
#define CGMGR_MOUNTS_H_

#include <napi.h>

#include <string>
#include <string_view>
#include <vector>

namespace cgmgr {

constexpr long kCgroup2SuperMagic = 0x63677270;
constexpr long kCgroupSuperMagic = 0x27e0eb;

struct CgroupMount {
  std::string mount_point;  // unescaped (mountinfo's \040 etc. decoded)
  std::string root;         // the cgroup (namespace-relative) path mounted there
  bool v2 = false;
  std::vector<std::string> controllers;  // v1: cpu, cpuacct, name=systemd, ...; v2: empty
};

// Parses /proc/<pid>/mountinfo content; lines that are not cgroup mounts are skipped, malformed lines too.
std::vector<CgroupMount> ParseMountinfo(std::string_view text);

void InitMountsBinding(Napi::Env env, Napi::Object exports);

}  // namespace cgmgr

#endif  // CGMGR_MOUNTS_H_
