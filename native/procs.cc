#include "procs.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "errors.h"

namespace cgmgr {
namespace {

void SleepMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int32_t WritePid(int fd, int32_t pid) {
  char buf[16];
  int len = snprintf(buf, sizeof buf, "%d", pid);
  for (int attempt = 1;; attempt++) {
    ssize_t n = write(fd, buf, static_cast<size_t>(len));
    if (n >= 0) return kPidOk;
    int err = errno;
    if (err == EINTR) continue;
    if (err != EINVAL || attempt >= kEinvalAttempts) return EncodeSysStatus(kSysWrite, err);
    SleepMs(kEinvalRetryDelayMs);
  }
}

void CloseAll(std::vector<int>& fds) {
  for (int& fd : fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

}  // namespace

void WritePids(HandleTable& table, const uint32_t* ids, const int32_t* pids, size_t count, int32_t hier,
               int32_t* results) {
  const size_t nh = table.hierarchy_count();
  std::vector<int> fds(nh, -1);          // cgroup.procs of the current cgroup, per hierarchy
  std::vector<int32_t> open_err(nh, 0);  // why a hierarchy has no descriptor
  bool have_current = false;
  uint32_t current = 0;
  for (size_t i = 0; i < count; i++) {
    if (pids[i] <= 0) {
      results[i] = kPidInvalid;
      continue;
    }
    if (!have_current || ids[i] != current) {
      CloseAll(fds);
      have_current = false;
      std::lock_guard<std::shared_mutex> lock(table.mutex());
      Handle* h = table.Get(ids[i]);
      if (h == nullptr) {
        results[i] = kPidBadHandle;
        continue;
      }
      for (uint32_t k = 0; k < nh; k++) {
        if (hier >= 0 && static_cast<uint32_t>(hier) != k) continue;
        int32_t sc = 0;
        int fd = table.OpenFileByName(*h, k, "cgroup.procs", O_WRONLY | O_CLOEXEC, &sc);
        if (fd == HandleTable::kNotInHierarchy) {
          open_err[k] = kPidNotInHierarchy;
        } else if (fd == HandleTable::kNotRegular) {
          open_err[k] = kPidNotRegular;
        } else if (fd < 0) {
          open_err[k] = EncodeSysStatus(sc, -fd);
        } else {
          fds[k] = fd;
          open_err[k] = 0;
        }
      }
      have_current = true;
      current = ids[i];
    }
    int32_t result = kPidOk;
    for (uint32_t k = 0; k < nh && result == kPidOk; k++) {
      if (hier >= 0 && static_cast<uint32_t>(hier) != k) continue;
      if (fds[k] >= 0) {
        result = WritePid(fds[k], pids[i]);
      } else if (hier >= 0 || open_err[k] != kPidNotInHierarchy) {
        result = open_err[k];  // all-hierarchy writes skip hierarchies the cgroup is not in
      }
    }
    results[i] = result;
  }
  CloseAll(fds);
}

namespace {

// Opens a file of a handle for one read or write; 0 with *fd set, or the status.
int32_t OpenOne(HandleTable& table, uint32_t id, uint32_t hier, std::string_view name, int flags, int* fd) {
  int32_t sc = 0;
  {
    std::lock_guard<std::shared_mutex> lock(table.mutex());
    Handle* h = table.Get(id);
    if (h == nullptr) return kPidBadHandle;
    if (hier >= table.hierarchy_count()) return kPidNotInHierarchy;
    *fd = table.OpenFileByName(*h, hier, name, flags | O_CLOEXEC, &sc);
  }
  if (*fd == HandleTable::kNotInHierarchy) return kPidNotInHierarchy;
  if (*fd == HandleTable::kNotRegular) return kPidNotRegular;
  if (*fd < 0) return EncodeSysStatus(sc, -*fd);
  return kPidOk;
}

}  // namespace

int32_t ReadText(HandleTable& table, uint32_t id, uint32_t hier, std::string_view name, std::string* out) {
  int fd = -1;
  int32_t st = OpenOne(table, id, hier, name, O_RDONLY, &fd);
  if (st != kPidOk) return st;
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return EncodeSysStatus(kSysRead, err);
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > kMaxTextFile) {
      close(fd);
      return EncodeSysStatus(kSysRead, EFBIG);
    }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return kPidOk;
}

}  // namespace cgmgr
