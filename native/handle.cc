#include "handle.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.h"

namespace cgmgr {
namespace {

constexpr size_t kMaxPath = 4096;

int Openat2(int dirfd, const char* path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EINTR && errno != EAGAIN) return -errno;
  }
}

int OpenatRetry(int dirfd, const char* path, int flags) {
  for (;;) {
    int fd = openat(dirfd, path, flags);
    if (fd >= 0) return fd;
    if (errno != EINTR) return -errno;
  }
}

// One component at a time: every intermediate is an O_PATH directory opened with O_NOFOLLOW, so neither a symlink
// nor ".." (rejected by validation) can lead out of dirfd.
int WalkBeneath(int dirfd, std::string_view rel, int flags, int32_t* syscall_id) {
  *syscall_id = kSysOpenat;
  if (rel.empty()) return OpenatRetry(dirfd, ".", flags);
  char name[256];
  int cur = dirfd;
  while (true) {
    size_t slash = rel.find('/');
    std::string_view part = rel.substr(0, slash);
    if (part.size() >= sizeof name) {
      if (cur != dirfd) close(cur);
      return -ENAMETOOLONG;
    }
    memcpy(name, part.data(), part.size());
    name[part.size()] = '\0';
    bool last = slash == std::string_view::npos;
    int next = OpenatRetry(cur, name, last ? (flags | O_NOFOLLOW) : (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (cur != dirfd) close(cur);
    if (next < 0 || last) return next;
    cur = next;
    rel = rel.substr(slash + 1);
  }
}

// The process-wide budget (see handle.h). Atomics: engines in several threads (libuv workers, worker_threads) hold
// and release concurrently.
std::atomic<size_t> g_held{0};
std::atomic<size_t> g_watch_held{0};  // of g_held: the OOM watches' share
std::atomic<size_t> g_budget{SIZE_MAX};
std::atomic<size_t> g_limit{SIZE_MAX};
std::atomic<bool> g_pressure{false};
std::once_flag g_budget_once;

size_t BudgetForLimit(size_t limit) {
  if (limit == SIZE_MAX) return SIZE_MAX;
  size_t headroom = limit / 4 > kProcessHeadroom ? limit / 4 : kProcessHeadroom;
  return limit > headroom ? limit - headroom : 0;
}

void EnsureProcessBudget() {
  std::call_once(g_budget_once, [] { RefreshProcessFdBudget(); });
}

bool TryTake(std::atomic<size_t>& counter, size_t n, size_t limit) {
  size_t cur = counter.load();
  while (cur + n <= limit && cur + n >= cur) {
    if (counter.compare_exchange_weak(cur, cur + n)) return true;
  }
  return false;
}

// Opens a file beneath a directory for one read or write: never a symlink, never blocking (O_NONBLOCK: a FIFO opens
// at once), and only a regular file (checked on the descriptor, so nothing can be swapped in between).
int OpenRegular(int dirfd, std::string_view name, int flags, int32_t* syscall_id) {
  char buf[256];
  memcpy(buf, name.data(), name.size());
  buf[name.size()] = '\0';
  *syscall_id = kSysOpenat;
  int fd = OpenatRetry(dirfd, buf, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fd;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    *syscall_id = kSysFstat;
    return -err;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return HandleTable::kNotRegular;
  }
  return fd;
}

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // vDSO: no syscall
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool HasOpenat2() {
  static const bool has = [] {
    int fd = Openat2(AT_FDCWD, "/", O_PATH | O_CLOEXEC);
    if (fd >= 0) close(fd);
    return fd != -ENOSYS && fd != -EPERM;  // EPERM: a seccomp filter that refuses unknown syscalls
  }();
  return has;
}

}  // namespace

bool IsValidName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\0') return false;
  }
  return name.size() < 256;
}

bool IsValidRelPath(std::string_view rel) {
  if (rel.empty()) return true;
  if (rel.size() >= kMaxPath) return false;
  while (true) {
    size_t slash = rel.find('/');
    if (!IsValidName(rel.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    rel = rel.substr(slash + 1);
  }
}

int OpenBeneath(int dirfd, std::string_view rel, int flags, ResolveMode mode, int32_t* syscall_id) {
  if (!IsValidRelPath(rel)) {
    *syscall_id = kSysOpenat;
    return -EINVAL;
  }
  if (mode == ResolveMode::kWalk || (mode == ResolveMode::kAuto && !HasOpenat2())) {
    return WalkBeneath(dirfd, rel, flags, syscall_id);
  }
  *syscall_id = kSysOpenat2;
  char path[kMaxPath];
  if (rel.empty()) {
    path[0] = '.';
    path[1] = '\0';
  } else {
    memcpy(path, rel.data(), rel.size());
    path[rel.size()] = '\0';
  }
  return Openat2(dirfd, path, flags);
}

ProcessFds ProcessFdUsage() {
  EnsureProcessBudget();
  return {g_held.load(), g_budget.load(), g_limit.load(), g_pressure.load()};
}

void RefreshProcessFdBudget() {
  struct rlimit rl;
  size_t limit = SIZE_MAX;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) limit = static_cast<size_t>(rl.rlim_cur);
  g_limit = limit;
  if (!g_pressure.load()) g_budget = BudgetForLimit(limit);
}

bool TryHoldProcessFds(size_t n) {
  EnsureProcessBudget();
  return TryTake(g_held, n, g_budget.load());
}

void ReleaseProcessFds(size_t n) { g_held -= n; }

bool TryHoldWatchFds(size_t n) {
  EnsureProcessBudget();
  if (!TryTake(g_watch_held, n, g_budget.load() / 2)) return false;
  if (TryHoldProcessFds(n)) return true;
  g_watch_held -= n;
  return false;
}

void ReleaseWatchFds(size_t n) {
  g_watch_held -= n;
  ReleaseProcessFds(n);
}

void NoteFdPressure() {
  EnsureProcessBudget();
  g_pressure = true;
  size_t held = g_held.load();
  size_t cut = held > 64 ? held - 64 : 0;
  size_t cur = g_budget.load();
  while (cut < cur && !g_budget.compare_exchange_weak(cur, cut)) {
  }
}

HandleTable::~HandleTable() {
  for (Handle& h : handles_) {
    if (h.live) CloseHandleFds(h);
  }
  for (Hierarchy& hier : hierarchies_) {
    if (hier.root_fd >= 0) close(hier.root_fd);
  }
}

SysResult HandleTable::Init(const std::vector<std::string>& paths, size_t fd_budget, ResolveMode mode, size_t* failed) {
  budget_ = fd_budget;
  mode_ = mode;
  EnsureProcessBudget();
  RefreshProcessFdBudget();
  if (mode_ == ResolveMode::kOpenat2 && !HasOpenat2()) return {kSysOpenat2, ENOSYS};
  for (size_t i = 0; i < paths.size(); i++) {
    int fd = OpenatRetry(AT_FDCWD, paths[i].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      *failed = i;
      return {kSysOpenat, -fd};
    }
    struct statfs sfs;
    bool cgfs = fstatfs(fd, &sfs) == 0 && (sfs.f_type == CGROUP_SUPER_MAGIC || sfs.f_type == CGROUP2_SUPER_MAGIC);
    hierarchies_.push_back({paths[i], fd, cgfs});
  }
  return {};
}

SysResult HandleTable::Open(std::string_view rel, uint32_t* id) {
  if (!IsValidRelPath(rel)) return {kSysOpenat, EINVAL};
  if (shut_down_) return {kSysOpenat, EBADF};
  uint32_t slot;
  // A slot on the free list has a generation left (spent ones are retired in Close).
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    if (handles_.size() > kSlotMask) return {kSysOpenat, EMFILE};
    slot = static_cast<uint32_t>(handles_.size());
    handles_.emplace_back();
  }
  Handle& h = handles_[slot];
  h.rel.assign(rel.data(), rel.size());
  h.dirs.assign(hierarchies_.size(), HandleDir());
  h.file_fds.clear();
  SysResult last_error{kSysOpenat, ENOENT};
  bool any = false;
  for (size_t i = 0; i < hierarchies_.size(); i++) {
    int32_t sc = 0;
    int r = ResolveDir(h, static_cast<uint32_t>(i), &sc);
    if (r < 0) {
      if (r != -ENOENT) last_error = {sc, -r};
      if (r == -EMFILE || r == -ENFILE) NoteFdPressure();
      if (r != -ENOENT && r != -ENOTDIR) {
        // A real failure (EACCES, EMFILE, ELOOP from a symlink, a failed fstat, ...), not absence: report it.
        CloseHandleFds(h);
        free_.push_back(slot);
        return last_error;
      }
      h.dirs[i].recheck_ns = MonotonicNs() + kAbsentRecheckNs;  // kMissing: looked for again later (FoundMissingDir)
      continue;
    }
    any = true;
  }
  if (!any) {
    free_.push_back(slot);
    return last_error;
  }
  h.live = true;
  h.generation++;  // at most kMaxGeneration: a slot that reached it was retired, not freed
  *id = (h.generation << kSlotBits) | slot;
  return {};
}

Handle* HandleTable::Get(uint32_t id) {
  uint32_t slot = id & kSlotMask;
  if (slot >= handles_.size()) return nullptr;
  Handle& h = handles_[slot];
  if (!h.live || h.generation != (id >> kSlotBits)) return nullptr;
  return &h;
}

bool HandleTable::Close(uint32_t id) {
  Handle* h = Get(id);
  if (h == nullptr) return false;
  CloseHandleFds(*h);
  h->live = false;
  FreeSlot(id & kSlotMask);
  return true;
}

void HandleTable::CloseAll() {
  for (size_t slot = 0; slot < handles_.size(); slot++) {
    if (!handles_[slot].live) continue;
    CloseHandleFds(handles_[slot]);
    handles_[slot].live = false;
    FreeSlot(static_cast<uint32_t>(slot));
  }
}

void HandleTable::FreeSlot(uint32_t slot) {
  Handle& h = handles_[slot];
  if (h.generation >= kMaxGeneration) {
    retired_++;  // every id of this slot has been used: never hand it out again
    h.rel.clear();
    h.rel.shrink_to_fit();
    h.dirs = {};
    h.file_fds = {};
    return;
  }
  free_.push_back(slot);
}

void HandleTable::Shutdown() {
  CloseAll();
  for (Hierarchy& hier : hierarchies_) {
    if (hier.root_fd >= 0) close(hier.root_fd);
    hier.root_fd = -1;
  }
  shut_down_ = true;
}

void HandleTable::CloseHandleFds(Handle& h) {
  EndRow(h);
  for (HandleDir& d : h.dirs) {
    if (d.state == HandleDir::kHeld && d.fd >= 0) {
      close(d.fd);
      ReleaseHeld();
    }
    d = HandleDir();
  }
  for (int& fd : h.file_fds) {
    if (fd >= 0) {
      close(fd);
      ReleaseHeld();
    }
    fd = -1;
  }
}

void HandleTable::DropHeld(Handle& h) {
  DropHeldDirs(h);
  DropHeldFiles(h);
}

uint32_t HandleTable::FileId(uint32_t hierarchy, std::string_view name) {
  for (uint32_t i = 0; i < files_.size(); i++) {
    if (files_[i].hierarchy == hierarchy && files_[i].name == name) return i;
  }
  files_.push_back({hierarchy, std::string(name)});
  return static_cast<uint32_t>(files_.size() - 1);
}

int HandleTable::OpenFileByName(Handle& h, uint32_t hier, std::string_view name, int flags, int32_t* syscall_id,
                                bool keep_for_row) {
  HandleDir& d = h.dirs[hier];
  if (d.state == HandleDir::kMissing && !FoundMissingDir(h, hier)) return kNotInHierarchy;
  if (!IsValidName(name)) {
    *syscall_id = kSysOpenat;
    return -EINVAL;
  }
  d.used_in_row = true;
  if (d.state == HandleDir::kHeld || d.row_fd >= 0) {
    return OpenRegular(d.state == HandleDir::kHeld ? d.fd : d.row_fd, name, flags, syscall_id);
  }
  // Transient: resolve the directory again and make sure it is still the same cgroup before using it.
  int dfd = OpenSameDir(h, hier, syscall_id);
  if (dfd < 0) return dfd;
  int fd = OpenRegular(dfd, name, flags, syscall_id);
  if (TryHold()) {
    d.state = HandleDir::kHeld;  // it is the same cgroup: keep its directory for the next file
    d.fd = dfd;
  } else if (keep_for_row) {
    d.row_fd = dfd;  // for the other files of this row
  } else {
    close(dfd);
  }
  return fd;
}

int HandleTable::OpenFile(Handle& h, uint32_t file, bool for_write, bool may_hold, bool* held, int32_t* syscall_id) {
  *held = false;
  if (file < h.file_fds.size() && h.file_fds[file] != -1) {
    if (h.file_fds[file] >= 0) {
      *held = true;
      return h.file_fds[file];
    }
    if (MonotonicNs() < h.absent_until_ns) {
      if (!for_write) {
        *syscall_id = kSysOpenat;
        return kKnownAbsent;
      }
    } else {
      // Time to look again: forget every absence of this handle.
      for (int& fd : h.file_fds) {
        if (fd == kAbsentFd) fd = -1;
      }
    }
  }
  const FileEntry& f = files_[file];
  const int flags = (for_write ? O_WRONLY : O_RDONLY) | O_CLOEXEC;
  int fd = OpenFileByName(h, f.hierarchy, f.name, flags, syscall_id, true);
  if (fd == -EMFILE || fd == -ENFILE) {
    // Out of descriptors (other engines, Node, the application): stop holding, give this handle's back and read
    // transiently rather than fail the row.
    NoteFdPressure();
    RelieveFdPressure(h);
    fd = OpenFileByName(h, f.hierarchy, f.name, flags, syscall_id, true);
  }
  if (fd < 0) return fd;
  if (may_hold) {
    bool hold = TryHold();
    if (!hold) {
      if (!squeezed_.load(std::memory_order_relaxed)) squeezed_.store(true, std::memory_order_relaxed);
      // Out of budget, but this handle holds the file's directory: the file saves an openat + close per read, the
      // directory only a resolve per row while a file there is still opened per read. Its share goes to the file;
      // the directory serves the rest of this row (EndRow closes it) and is resolved again when next needed.
      HandleDir& d = h.dirs[f.hierarchy];
      if (d.state == HandleDir::kHeld && d.fd >= 0 && d.row_fd < 0) {
        d.row_fd = d.fd;
        d.fd = -1;
        d.state = HandleDir::kTransient;
        hold = true;
      }
    }
    if (hold) {
      if (h.file_fds.size() <= file) h.file_fds.resize(files_.size(), -1);
      h.file_fds[file] = fd;
      *held = true;
    }
  }
  return fd;
}

size_t HandleTable::DropHeldFiles(Handle& h) {
  size_t freed = 0;
  for (int& fd : h.file_fds) {
    if (fd >= 0) {
      close(fd);
      ReleaseHeld();
      freed++;
    }
    fd = -1;
  }
  return freed;
}

size_t HandleTable::DropHeldDirs(Handle& h) {
  size_t freed = 0;
  for (HandleDir& d : h.dirs) {
    if (d.state == HandleDir::kHeld && d.fd >= 0) {
      close(d.fd);
      ReleaseHeld();
      freed++;
      d.fd = -1;
      d.state = HandleDir::kTransient;
    }
  }
  return freed;
}

size_t HandleTable::RelieveFdPressure(Handle& self) {
  const size_t n = handles_.size();
  const size_t self_slot = static_cast<size_t>(&self - handles_.data());
  size_t freed = 0;
  // Pass 0 gives back file descriptors only (a held directory saves the most: it spares resolving the path per row);
  // pass 1, when no file was held anywhere, the directories too.
  for (int pass = 0; pass < 2 && freed == 0; pass++) {
    // Starting with the reader's own handle, then round the table from the next slot on.
    for (size_t k = 0; k < n && freed < kFdRelief; k++) {
      const size_t slot = (self_slot + k) % n;
      Handle& o = handles_[slot];
      if (!o.live && slot != self_slot) continue;
      // A handle's descriptors change only under its row lock (or the table's exclusive lock). The caller holds the
      // row lock of its own stripe; another stripe is only tried (never waited on: no lock order to keep), and a
      // handle whose row is being read elsewhere is left alone.
      std::unique_lock<std::mutex> lock;
      if (slot % kRowLocks != self_slot % kRowLocks) {
        lock = std::unique_lock<std::mutex>(row_mu_[slot % kRowLocks], std::try_to_lock);
        if (!lock.owns_lock()) continue;
      }
      freed += pass == 0 ? DropHeldFiles(o) : DropHeldDirs(o);
    }
  }
  return freed;
}

bool HandleTable::TryHold() {
  if (!TryTake(held_, 1, budget_)) return false;
  if (TryHoldProcessFds(1)) return true;
  held_--;
  return false;
}

void HandleTable::ReleaseHeld() {
  held_--;
  ReleaseProcessFds(1);
}

void HandleTable::EndRow(Handle& h) {
  const bool squeezed = squeezed_.load(std::memory_order_relaxed);
  for (HandleDir& d : h.dirs) {
    if (d.row_fd >= 0) {
      close(d.row_fd);
      d.row_fd = -1;
    }
    if (squeezed && d.state == HandleDir::kHeld && !d.used_in_row && d.fd >= 0) {
      // Every file this row read here is held: the directory saved nothing; its descriptor goes to a file.
      close(d.fd);
      ReleaseHeld();
      d.fd = -1;
      d.state = HandleDir::kTransient;
    }
    d.used_in_row = false;
  }
}

void HandleTable::MarkAbsent(Handle& h, uint32_t file) {
  if (h.file_fds.size() <= file) h.file_fds.resize(files_.size(), -1);
  if (h.file_fds[file] >= 0) return;
  bool first = true;
  for (int fd : h.file_fds) first = first && fd != kAbsentFd;
  h.file_fds[file] = kAbsentFd;
  if (first) h.absent_until_ns = MonotonicNs() + kAbsentRecheckNs;
}

void HandleTable::DropFile(Handle& h, uint32_t file) {
  if (file < h.file_fds.size() && h.file_fds[file] >= 0) {
    close(h.file_fds[file]);
    h.file_fds[file] = -1;
    ReleaseHeld();
  }
}

int HandleTable::OpenDirStat(const Handle& h, uint32_t hier, struct stat* st, int32_t* syscall_id) {
  int fd = OpenBeneath(hierarchies_[hier].root_fd, h.rel, O_PATH | O_DIRECTORY | O_CLOEXEC, mode_, syscall_id);
  if (fd < 0) return fd;
  if (fstat(fd, st) != 0) {
    int err = errno;
    close(fd);
    *syscall_id = kSysFstat;
    return -err;
  }
  return fd;
}

int HandleTable::ResolveDir(Handle& h, uint32_t hier, int32_t* syscall_id) {
  struct stat st;
  int fd = OpenDirStat(h, hier, &st, syscall_id);
  if (fd < 0) return fd;
  close(fd);
  HandleDir& d = h.dirs[hier];
  d.ino = st.st_ino;
  d.dev = st.st_dev;
  // Not held yet: a directory descriptor is kept only for the hierarchies a caller actually uses (the first file
  // opened there holds it, budget permitting). A v1 container lives in ~10 hierarchies; stats read 4 or 5.
  d.state = HandleDir::kTransient;
  return 0;
}

bool HandleTable::FoundMissingDir(Handle& h, uint32_t hier) {
  HandleDir& d = h.dirs[hier];
  const int64_t now = MonotonicNs();
  if (now < d.recheck_ns) return false;
  d.recheck_ns = now + kAbsentRecheckNs;
  int32_t sc = 0;
  return ResolveDir(h, hier, &sc) == 0;  // else still not there (or not resolvable): not in this hierarchy
}

int HandleTable::OpenSameDir(Handle& h, uint32_t hier, int32_t* syscall_id) {
  const HandleDir& d = h.dirs[hier];
  struct stat st;
  int fd = OpenDirStat(h, hier, &st, syscall_id);
  if (fd < 0 && *syscall_id != kSysFstat) return fd;
  if (fd < 0 || st.st_ino != d.ino || st.st_dev != d.dev) {
    if (fd >= 0) close(fd);
    *syscall_id = kSysOpenat;
    return -ENOENT;  // the cgroup we opened is gone (another one may stand at its path)
  }
  return fd;
}

bool HandleTable::IsGone(Handle& h, uint32_t hier) {
  if (h.dirs[hier].state == HandleDir::kMissing) return false;
  int32_t sc = 0;
  int fd = OpenSameDir(h, hier, &sc);
  if (fd < 0) return fd == -ENOENT || fd == -ENOTDIR || fd == -ENODEV;
  close(fd);
  return false;
}

std::string HandleTable::FullPath(const Handle& h, uint32_t hier, std::string_view name) const {
  std::string p = hierarchies_[hier].path;
  if (!h.rel.empty()) {
    if (p.empty() || p.back() != '/') p += '/';
    p += h.rel;
  }
  if (!name.empty()) {
    if (p.empty() || p.back() != '/') p += '/';
    p += name;
  }
  return p;
}

}  // namespace cgmgr
