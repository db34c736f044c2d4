#include "fsops.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine.h"
#include "errors.h"
#include "handle.h"

namespace cgmgr {
namespace {

// "cgmgr-engine" in two words: marks the objects the Engine constructor made, so an arbitrary object (or another
// wrapped class with Engine's prototype) is refused instead of being unwrapped as an Engine.
const napi_type_tag kEngineTag = {0x63676d67722d656eULL, 0x67696e652d746167ULL};

struct FsRequest {
  FsOpCode op = FsOpCode::kMkdir;
  int root_fd = -1;
  ResolveMode mode = ResolveMode::kAuto;
  std::string rel;   // the cgroup, relative to the hierarchy root ("" = the root)
  std::string name;  // the file of kRead / kWrite
  std::string data;  // what kWrite writes
};

struct FsResult {
  int err = 0;                     // errno of the failed call, 0 on success
  const char* syscall = "";        // which call failed
  bool not_regular = false;        // kRead / kWrite met something other than a regular file
  bool flag = false;               // kMkdir: created (false: it existed); kRmdir: removed (false: it did not exist)
  bool missing = false;            // kList: the directory does not exist
  std::string text;                // kRead
  std::vector<std::string> names;  // kList

  void Fail(int e, const char* call) {
    err = e;
    syscall = call;
  }
};

int CloseFd(int fd) { return fd >= 0 ? close(fd) : 0; }

// Splits "a/b/c" into "a/b" and "c" ("c" into "" and "c").
std::pair<std::string_view, std::string_view> SplitLast(std::string_view rel) {
  size_t slash = rel.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

// The directory rel beneath the root, as an O_PATH descriptor (or -errno with *call set).
int OpenDir(const FsRequest& r, std::string_view rel, const char** call) {
  int32_t sc = 0;
  int fd = OpenBeneath(r.root_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC, r.mode, &sc);
  if (fd < 0) *call = SyscallName(sc);
  return fd;
}

int OpenatRetry(int dirfd, const char* name, int flags, mode_t mode = 0) {
  for (;;) {
    int fd = openat(dirfd, name, flags, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

void Mkdir(const FsRequest& r, FsResult* out) {
  auto [parent, last] = SplitLast(r.rel);
  std::string name(last);
  int dfd = OpenDir(r, parent, &out->syscall);
  if (dfd < 0) return out->Fail(-dfd, out->syscall);
  if (mkdirat(dfd, name.c_str(), 0755) == 0) {
    out->flag = true;
  } else if (errno == EEXIST) {
    // Something is there: fine when it is a directory; a file or a symlink is not followed and not accepted.
    struct stat st;
    if (fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) out->Fail(EEXIST, "mkdirat");
  } else {
    out->Fail(errno, "mkdirat");
  }
  CloseFd(dfd);
}

void Rmdir(const FsRequest& r, FsResult* out) {
  auto [parent, last] = SplitLast(r.rel);
  std::string name(last);
  int dfd = OpenDir(r, parent, &out->syscall);
  if (dfd == -ENOENT) return;  // nothing to remove
  if (dfd < 0) return out->Fail(-dfd, out->syscall);
  // unlinkat never follows: a symlink in the cgroup's place is ENOTDIR, not the removal of its target.
  if (unlinkat(dfd, name.c_str(), AT_REMOVEDIR) == 0) {
    out->flag = true;
  } else if (errno != ENOENT) {
    out->Fail(errno, "unlinkat");
  }
  CloseFd(dfd);
}

void List(const FsRequest& r, FsResult* out) {
  int32_t sc = 0;
  int fd = OpenBeneath(r.root_fd, r.rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC, r.mode, &sc);
  if (fd == -ENOENT) {
    out->missing = true;
    return;
  }
  if (fd < 0) return out->Fail(-fd, SyscallName(sc));
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    int e = errno;
    CloseFd(fd);
    return out->Fail(e, "fdopendir");
  }
  for (;;) {
    errno = 0;
    struct dirent* ent = readdir(d);
    if (ent == nullptr) {
      if (errno != 0) out->Fail(errno, "getdents64");
      break;
    }
    std::string_view n(ent->d_name);
    if (n == "." || n == "..") continue;
    bool is_dir = ent->d_type == DT_DIR;
    if (ent->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = fstatat(dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (is_dir) out->names.emplace_back(n);
  }
  closedir(d);  // closes fd
}

// Opens the file for reading or writing relative to its cgroup directory, never following a symlink and never
// blocking (a FIFO), and checks that it is a regular file. Returns the fd, or -1 with out set.
int OpenRegular(const FsRequest& r, bool for_write, FsResult* out) {
  int dfd = OpenDir(r, r.rel, &out->syscall);
  if (dfd < 0) {
    out->Fail(-dfd, out->syscall);
    return -1;
  }
  const int base = O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  int fd = OpenatRetry(dfd, r.name.c_str(), for_write ? (base | O_WRONLY | O_TRUNC) : (base | O_RDONLY));
  int open_err = fd < 0 ? errno : 0;
  if (fd < 0 && open_err == ENOENT && for_write) {
    // cgroupfs makes its files itself; a plain directory standing in for it (a recorded or scratch tree) gets the
    // file created, as fs.writeFileSync would. On cgroupfs a missing file stays ENOENT.
    struct statfs sfs;
    if (fstatfs(dfd, &sfs) == 0 && sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC) {
      fd = OpenatRetry(dfd, r.name.c_str(), base | O_WRONLY | O_CREAT | O_EXCL, 0644);
      if (fd < 0) open_err = errno;
    }
  }
  CloseFd(dfd);
  if (fd < 0) {
    out->Fail(open_err, "openat");
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    out->Fail(errno, "fstat");
    CloseFd(fd);
    return -1;
  }
  if (S_ISDIR(st.st_mode)) {
    out->Fail(EISDIR, for_write ? "write" : "read");  // as Node's fs says it
    CloseFd(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    out->not_regular = true;
    CloseFd(fd);
    return -1;
  }
  return fd;
}

void Read(const FsRequest& r, FsResult* out) {
  int fd = OpenRegular(r, false, out);
  if (fd < 0) return;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      out->Fail(errno, "read");
      break;
    }
    if (n == 0) break;
    if (out->text.size() + static_cast<size_t>(n) > kFsReadMax) {
      out->Fail(EFBIG, "read");
      break;
    }
    out->text.append(buf, static_cast<size_t>(n));
  }
  CloseFd(fd);
}

void Write(const FsRequest& r, FsResult* out) {
  int fd = OpenRegular(r, true, out);
  if (fd < 0) return;
  ssize_t n;
  do {
    n = write(fd, r.data.data(), r.data.size());  // one value, one write(2): cgroup files parse each write
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out->Fail(errno, "write");
  } else if (static_cast<size_t>(n) != r.data.size()) {
    out->Fail(EIO, "write");
  }
  CloseFd(fd);
}

void Run(const FsRequest& r, FsResult* out) {
  switch (r.op) {
    case FsOpCode::kMkdir:
      return Mkdir(r, out);
    case FsOpCode::kRmdir:
      return Rmdir(r, out);
    case FsOpCode::kList:
      return List(r, out);
    case FsOpCode::kRead:
      return Read(r, out);
    case FsOpCode::kWrite:
      return Write(r, out);
    case FsOpCode::kCount:
      break;
  }
}

// The JS value of a result, or undefined with an exception pending.
Napi::Value ToJs(Napi::Env env, const FsRequest& r, const FsResult& res, const std::string& path) {
  if (res.not_regular) {
    ThrowCgroupError(env, "ERR_CGROUP_NOT_REGULAR_FILE", path + " is not a regular file", path);
    return env.Undefined();
  }
  if (res.err != 0) {
    ThrowSysError(env, res.err, res.syscall, path);
    return env.Undefined();
  }
  switch (r.op) {
    case FsOpCode::kMkdir:
    case FsOpCode::kRmdir:
      return Napi::Boolean::New(env, res.flag);
    case FsOpCode::kList: {
      if (res.missing) return env.Null();
      Napi::Array a = Napi::Array::New(env, res.names.size());
      for (uint32_t i = 0; i < res.names.size(); i++) a.Set(i, res.names[i]);
      return a;
    }
    case FsOpCode::kRead:
      return Napi::String::New(env, res.text);
    default:
      return env.Undefined();
  }
}

class FsWorker : public Napi::AsyncWorker {
 public:
  FsWorker(Napi::Env env, Napi::Object engine, FsRequest req, std::string path)
      : Napi::AsyncWorker(env, "cgmgr.fsOp"),
        deferred_(Napi::Promise::Deferred::New(env)),
        engine_(Napi::Persistent(engine)),
        req_(std::move(req)),
        path_(std::move(path)) {}
  ~FsWorker() override { CloseFd(req_.root_fd); }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { Run(req_, &res_); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Value v = ToJs(env, req_, res_, path_);
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
    } else {
      deferred_.Resolve(v);
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference engine_;  // keeps the engine (and its hierarchy table) alive while the worker runs
  FsRequest req_;
  std::string path_;
  FsResult res_;
};

bool Uint32At(const Napi::CallbackInfo& info, size_t i, const char* what, uint32_t* out) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    Napi::RangeError::New(info.Env(), std::string(what) + " must be an unsigned 32-bit integer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

bool StringAt(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out) {
  if (i >= info.Length() || !info[i].IsString()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a string").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::String>().Utf8Value();
  return true;
}

// Validates fsOp(engine, op, hierarchy, relPath, name, data) into a request and the path used in errors.
bool ParseArgs(const Napi::CallbackInfo& info, FsRequest* req, std::string* path) {
  Napi::Env env = info.Env();
  bool tagged = false;
  if (info.Length() < 1 || !info[0].IsObject() ||
      napi_check_object_type_tag(env, info[0], &kEngineTag, &tagged) != napi_ok || !tagged) {
    Napi::TypeError::New(env, "fsOp(engine, op, hierarchy, path, name, data): engine must be an Engine")
        .ThrowAsJavaScriptException();
    return false;
  }
  Engine* engine = Engine::Unwrap(info[0].As<Napi::Object>());
  if (engine == nullptr) return false;
  const HandleTable& table = engine->table();
  uint32_t op = 0, hier = 0;
  if (!Uint32At(info, 1, "op", &op) || !Uint32At(info, 2, "hierarchy", &hier)) return false;
  if (op >= static_cast<uint32_t>(FsOpCode::kCount)) {
    Napi::RangeError::New(env, "fsOp: no such operation").ThrowAsJavaScriptException();
    return false;
  }
  if (hier >= table.hierarchy_count()) {
    Napi::RangeError::New(env, "fsOp: no such hierarchy").ThrowAsJavaScriptException();
    return false;
  }
  req->op = static_cast<FsOpCode>(op);
  if (!StringAt(info, 3, "path", &req->rel)) return false;
  if (!IsValidRelPath(req->rel)) {
    ThrowCgroupError(
        env, "ERR_CGROUP_INVALID_PATH",
        "invalid cgroup path '" + req->rel + "': a relative path of names (no '..', '.', empty or absolute parts)");
    return false;
  }
  if ((req->op == FsOpCode::kMkdir || req->op == FsOpCode::kRmdir) && req->rel.empty()) {
    ThrowCgroupError(env, "ERR_CGROUP_ROOT_REFUSED",
                     std::string("refusing to ") + (req->op == FsOpCode::kMkdir ? "create" : "remove") +
                         " the hierarchy root " + table.hierarchy(hier).path);
    return false;
  }
  if (req->op == FsOpCode::kRead || req->op == FsOpCode::kWrite) {
    if (!StringAt(info, 4, "name", &req->name)) return false;
    if (!IsValidName(req->name)) {
      ThrowCgroupError(env, "ERR_CGROUP_INVALID_PATH", "invalid file name '" + req->name + "'");
      return false;
    }
  }
  if (req->op == FsOpCode::kWrite && !StringAt(info, 5, "data", &req->data)) return false;
  req->root_fd = table.hierarchy(hier).root_fd;
  req->mode = table.mode();
  *path = table.hierarchy(hier).path;
  for (const std::string* part : {&req->rel, &req->name}) {
    if (part->empty()) continue;
    if (path->empty() || path->back() != '/') *path += '/';
    *path += *part;
  }
  return true;
}

// fsOp(engine, op, hierarchy, relPath, name, data): mkdir -> created?; rmdir -> removed?; list -> names | null;
// read -> text; write -> undefined. Throws CgroupError (code, errno, syscall, path).
Napi::Value FsOp(const Napi::CallbackInfo& info) {
  FsRequest req;
  std::string path;
  if (!ParseArgs(info, &req, &path)) return info.Env().Undefined();
  FsResult res;
  Run(req, &res);
  return ToJs(info.Env(), req, res, path);
}

// fsOpAsync(...): the same on the libuv pool, as a Promise.
Napi::Value FsOpAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  FsRequest req;
  std::string path;
  if (!ParseArgs(info, &req, &path)) return env.Undefined();
  // The worker uses its own copy of the root descriptor: nothing the engine does meanwhile can close it under it.
  req.root_fd = fcntl(req.root_fd, F_DUPFD_CLOEXEC, 0);
  if (req.root_fd < 0) {
    ThrowSysError(env, errno, "fcntl", path);
    return env.Undefined();
  }
  auto* worker = new FsWorker(env, info[0].As<Napi::Object>(), std::move(req), std::move(path));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void TagEngine(napi_env env, napi_value object) { napi_type_tag_object(env, object, &kEngineTag); }

void InitFsOpsBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("fsOp", Napi::Function::New(env, FsOp, "fsOp"));
  exports.Set("fsOpAsync", Napi::Function::New(env, FsOpAsync, "fsOpAsync"));
}

}  // namespace cgmgr
