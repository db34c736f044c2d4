#include "proc_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "errors.h"

namespace cgmgr {
namespace {

struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

constexpr char kSocket[] = "socket";
constexpr size_t kSocketLen = sizeof kSocket - 1;
constexpr char kNofile[] = "Max open files";
constexpr size_t kNofileLen = sizeof kNofile - 1;
// No limits file is this big (lib/stats/process.ts said the same): a larger one is not read.
constexpr size_t kMaxLimitsSize = 1 << 20;

// "<root>/<pid>/<leaf>" into buf (false when it does not fit).
bool PidPath(const std::string& root, int32_t pid, const char* leaf, char* buf, size_t size) {
  size_t rl = root.size();
  while (rl > 1 && root[rl - 1] == '/') rl--;  // a trailing slash is the same root
  int n = snprintf(buf, size, "%.*s/%d/%s", static_cast<int>(rl), root.data(), pid, leaf);
  return n > 0 && static_cast<size_t>(n) < size;
}

// Whether proc_root is "/proc" and that /proc shows this process's pid namespace (its "self" is our pid): then a pid of
// cgroup.procs is a pid prlimit(2) understands. Checked once (a process does not change its pid namespace).
bool IsOwnProc(const std::string& root) {
  size_t rl = root.size();
  while (rl > 1 && root[rl - 1] == '/') rl--;
  if (rl != 5 || root.compare(0, 5, "/proc") != 0) return false;
  static std::atomic<int> own{-1};
  int v = own.load(std::memory_order_relaxed);
  if (v < 0) {
    char link[32];
    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    char pid[32];
    int pl = snprintf(pid, sizeof pid, "%d", static_cast<int>(getpid()));
    v = (n > 0 && n == pl && memcmp(link, pid, static_cast<size_t>(n)) == 0) ? 1 : 0;
    own.store(v, std::memory_order_relaxed);
  }
  return v == 1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Reads a whole small file into `small` (or `big` when it does not fit); returns its length, or -1.
ssize_t ReadWhole(const char* path, char* small, size_t small_size, std::string* big, const char** data) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  char* buf = small;
  size_t cap = small_size;
  for (;;) {
    if (len == cap) {
      if (cap >= kMaxLimitsSize) {
        close(fd);
        return -1;
      }
      if (buf == small) big->assign(small, len);
      big->resize(cap * 4);
      cap = big->size();
      buf = big->data();
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return -1;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  close(fd);
  *data = buf;
  return static_cast<ssize_t>(len);
}

// scanProcesses(procRoot: string, pids: Int32Array, count: number, out: BigUint64Array(5), limits: boolean)
//   -> out = [fds, sockets, ulimitSoft, ulimitFound, starved]
// scanProcFds(procRoot: string, pids: Int32Array) -> Float64Array [fds, sockets, starved] (the collector's)
bool ProcArgs(const Napi::CallbackInfo& info, std::string* root, Napi::Int32Array* pids) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowTypeError(env, "expected (procRoot: string, pids: Int32Array, ...)");
    return false;
  }
  *root = info[0].As<Napi::String>().Utf8Value();
  if (root->empty() || (*root)[0] != '/' || root->find('\0') != std::string::npos) {
    ThrowTypeError(env, "procRoot must be an absolute path");
    return false;
  }
  *pids = info[1].As<Napi::Int32Array>();
  return true;
}

Napi::Value JsScanProcFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root;
  Napi::Int32Array pids;
  if (!ProcArgs(info, &root, &pids)) return env.Undefined();
  ProcFigures f;
  for (size_t i = 0; i < pids.ElementLength(); i++) ScanPidFds(root, pids[i], &f);
  Napi::Float64Array out = Napi::Float64Array::New(env, 3);
  out[0] = static_cast<double>(f.fds);
  out[1] = static_cast<double>(f.sockets);
  out[2] = static_cast<double>(f.starved);
  return out;
}

Napi::Value JsScanProcesses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root;
  Napi::Int32Array pids;
  if (!ProcArgs(info, &root, &pids)) return env.Undefined();
  if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsTypedArray() ||
      info[3].As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array ||
      info[3].As<Napi::TypedArray>().ElementLength() < 5) {
    ThrowTypeError(env, "scanProcesses(procRoot: string, pids: Int32Array, count: number, out: BigUint64Array(5))");
    return env.Undefined();
  }
  double count = info[2].As<Napi::Number>().DoubleValue();
  if (!(count >= 0) || count > static_cast<double>(pids.ElementLength()) || count != static_cast<size_t>(count)) {
    ThrowRangeError(env, "count must be an integer within pids");
    return env.Undefined();
  }
  auto out = info[3].As<Napi::TypedArray>();
  auto* o = reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(out.ArrayBuffer().Data()) + out.ByteOffset());
  ProcFigures f;
  for (size_t i = 0; i < static_cast<size_t>(count); i++) {
    ScanPidFds(root, pids[i], &f);
    ScanPidLimits(root, pids[i], &f);
  }
  o[0] = f.fds;
  o[1] = f.sockets;
  o[2] = f.ulimit_soft;
  o[3] = f.has_ulimit ? 1 : 0;
  o[4] = f.starved;
  return env.Undefined();
}

}  // namespace

void ScanPidFds(const std::string& proc_root, int32_t pid, ProcFigures* out) {
  if (pid <= 0) return;
  char dir[4096];
  if (!PidPath(proc_root, pid, "fd", dir, sizeof dir)) return;
  // Transient, as the engine's reads past its held descriptors (the process budget keeps headroom below the limit for
  // these): opened, read and closed here.
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == EMFILE || errno == ENFILE) out->starved++;  // a partial sum would be a wrong number
    return;                                                  // otherwise exited, or not ours to read
  }
  alignas(8) char buf[8192];
  char link[16];
  uint64_t fds = 0;
  uint64_t sockets = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
    if (n < 0) {
      // The directory could not be read to its end (the process exited meanwhile): the pid adds nothing.
      close(dfd);
      return;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
      off += d->d_reclen;
      if (d->d_name[0] == '.' && (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0'))) continue;
      fds++;
      ssize_t len = readlinkat(dfd, d->d_name, link, sizeof link);
      if (len >= static_cast<ssize_t>(kSocketLen) && memcmp(link, kSocket, kSocketLen) == 0) sockets++;
    }
  }
  close(dfd);
  out->fds += fds;
  out->sockets += sockets;
}

bool ParseNofileSoft(const char* text, size_t len, uint64_t* out) {
  // The first line that starts with the label.
  size_t at = 0;
  for (;;) {
    if (len - at >= kNofileLen && memcmp(text + at, kNofile, kNofileLen) == 0) break;
    const void* nl = memchr(text + at, '\n', len - at);
    if (nl == nullptr) return false;
    at = static_cast<size_t>(static_cast<const char*>(nl) - text) + 1;
    if (at >= len) return false;
  }
  size_t i = at + kNofileLen;
  while (i < len && IsSpace(text[i])) i++;
  size_t start = i;
  uint64_t v = 0;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
    uint64_t d = static_cast<uint64_t>(text[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;  // past u64
    v = v * 10 + d;
  }
  if (i == start) return false;                                       // no value, or not a number ("unlimited")
  if (i < len && text[i] != '\n' && !IsSpace(text[i])) return false;  // "12abc"
  *out = v;
  return true;
}

void ScanPidLimits(const std::string& proc_root, int32_t pid, ProcFigures* out) {
  if (pid <= 0) return;
  if (IsOwnProc(proc_root)) {
    // What /proc/<pid>/limits prints, without the kernel formatting its sixteen lines (a third of a pid's scan):
    // RLIMIT_NOFILE's soft value, "unlimited" being RLIM_INFINITY. The file when prlimit may not ask (EPERM: another
    // user's process, whose limits file everyone may read).
    struct rlimit lim;
    if (prlimit(pid, RLIMIT_NOFILE, nullptr, &lim) == 0) {
      if (lim.rlim_cur != RLIM_INFINITY) {
        out->ulimit_soft = static_cast<uint64_t>(lim.rlim_cur);
        out->has_ulimit = true;
      }
      return;
    }
    if (errno != EPERM) return;  // ESRCH: exited, as a limits file that cannot be read
  }
  char file[4096];
  if (!PidPath(proc_root, pid, "limits", file, sizeof file)) return;
  char small[4096];
  std::string big;
  const char* data = nullptr;
  ssize_t len = ReadWhole(file, small, sizeof small, &big, &data);
  if (len < 0) return;
  uint64_t v = 0;
  if (ParseNofileSoft(data, static_cast<size_t>(len), &v)) {
    out->ulimit_soft = v;
    out->has_ulimit = true;
  }
}

void InitProcScanBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("scanProcFds", Napi::Function::New(env, JsScanProcFds, "scanProcFds"));
  exports.Set("scanProcesses", Napi::Function::New(env, JsScanProcesses, "scanProcesses"));
}

}  // namespace cgmgr
