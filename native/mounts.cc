#include "mounts.h"

#include <sys/statfs.h>

#include <cerrno>

#include "errors.h"

namespace cgmgr {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
        s[i + 3] >= '0' && s[i + 3] <= '7') {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Options of a v1 cgroup mount that are not controllers.
bool IsMountOption(std::string_view opt) {
  static constexpr std::string_view kOptions[] = {
      "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods", "none"};
  for (auto o : kOptions) {
    if (opt == o) return true;
  }
  return opt.starts_with("release_agent=");
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') i++;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

std::vector<CgroupMount> ParseMountinfo(std::string_view text) {
  std::vector<CgroupMount> mounts;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
    std::vector<std::string_view> f = Fields(line);
    size_t sep = 0;
    for (size_t i = 6; i < f.size(); i++) {
      if (f[i] == "-") {
        sep = i;
        break;
      }
    }
    if (sep == 0 || sep + 1 >= f.size()) continue;
    std::string_view fstype = f[sep + 1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.root = Unescape(f[3]);
    m.mount_point = Unescape(f[4]);
    m.v2 = fstype == "cgroup2";
    if (!m.v2 && sep + 3 < f.size()) {
      std::string_view opts = f[sep + 3];
      while (!opts.empty()) {
        size_t comma = opts.find(',');
        std::string_view opt = opts.substr(0, comma);
        opts = comma == std::string_view::npos ? std::string_view() : opts.substr(comma + 1);
        if (!opt.empty() && !IsMountOption(opt)) m.controllers.emplace_back(opt);
      }
    }
    mounts.push_back(std::move(m));
  }
  return mounts;
}

namespace {

Napi::Value JsParseMountinfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowTypeError(env, "parseMountinfo(text): text must be a string");
    return env.Undefined();
  }
  std::string text = info[0].As<Napi::String>().Utf8Value();
  std::vector<CgroupMount> mounts = ParseMountinfo(text);
  Napi::Array out = Napi::Array::New(env, mounts.size());
  for (size_t i = 0; i < mounts.size(); i++) {
    Napi::Object m = Napi::Object::New(env);
    m.Set("mountPoint", mounts[i].mount_point);
    m.Set("root", mounts[i].root);
    m.Set("version", mounts[i].v2 ? 2 : 1);
    Napi::Array c = Napi::Array::New(env, mounts[i].controllers.size());
    for (size_t j = 0; j < mounts[i].controllers.size(); j++) c.Set(j, mounts[i].controllers[j]);
    m.Set("controllers", c);
    out.Set(i, m);
  }
  return out;
}

// statfsType(path) -> f_type; throws a CgroupError on failure.
Napi::Value JsStatfsType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    ThrowTypeError(env, "statfsType(path): path must be a string");
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct statfs st;
  if (statfs(path.c_str(), &st) != 0) {
    ThrowSysError(env, errno, "statfs", path);
    return env.Undefined();
  }
  return Napi::Number::New(env, static_cast<double>(st.f_type));
}

}  // namespace

void InitMountsBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("parseMountinfo", Napi::Function::New(env, JsParseMountinfo, "parseMountinfo"));
  exports.Set("statfsType", Napi::Function::New(env, JsStatfsType, "statfsType"));
  exports.Set("CGROUP2_SUPER_MAGIC", Napi::Number::New(env, kCgroup2SuperMagic));
  exports.Set("CGROUP_SUPER_MAGIC", Napi::Number::New(env, kCgroupSuperMagic));
}

}  // namespace cgmgr
