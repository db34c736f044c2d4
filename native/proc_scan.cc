#include "proc_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
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

// scanProcFds(procRoot: string, pids: Int32Array) -> Float64Array [fds, sockets, starved]
Napi::Value JsScanProcFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowTypeError(env, "scanProcFds(procRoot: string, pids: Int32Array)");
    return env.Undefined();
  }
  std::string root = info[0].As<Napi::String>().Utf8Value();
  if (root.empty() || root[0] != '/' || root.find('\0') != std::string::npos) {
    ThrowTypeError(env, "procRoot must be an absolute path");
    return env.Undefined();
  }
  Napi::Int32Array pids = info[1].As<Napi::Int32Array>();
  ProcFigures f;
  for (size_t i = 0; i < pids.ElementLength(); i++) ScanPidFds(root, pids[i], &f);
  Napi::Float64Array out = Napi::Float64Array::New(env, 3);
  out[0] = static_cast<double>(f.fds);
  out[1] = static_cast<double>(f.sockets);
  out[2] = static_cast<double>(f.starved);
  return out;
}

}  // namespace

void ScanPidFds(const std::string& proc_root, int32_t pid, ProcFigures* out) {
  if (pid <= 0) return;
  std::string dir = proc_root + "/" + std::to_string(pid) + "/fd";
  // Transient, as the engine's reads past its held descriptors (the process budget keeps headroom below the limit for
  // these): opened, read and closed here.
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == EMFILE || errno == ENFILE) out->starved++;  // a partial sum would be a wrong number
    return;                                                  // otherwise exited, or not ours to read
  }
  alignas(8) char buf[8192];
  char link[16];
  for (;;) {
    long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
    if (n <= 0) break;  // end, or an error (the process exited meanwhile): what was counted stays
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
      off += d->d_reclen;
      if (d->d_name[0] == '.' && (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0'))) continue;
      out->fds++;
      ssize_t len = readlinkat(dfd, d->d_name, link, sizeof link);
      if (len >= static_cast<ssize_t>(kSocketLen) && memcmp(link, kSocket, kSocketLen) == 0) out->sockets++;
    }
  }
  close(dfd);
}

void InitProcScanBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("scanProcFds", Napi::Function::New(env, JsScanProcFds, "scanProcFds"));
}

}  // namespace cgmgr
