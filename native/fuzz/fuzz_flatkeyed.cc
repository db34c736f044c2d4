// ParseFlatKeyed, strict (bufio.Scanner + fscommon.ParseKeyValue into a map) and lookup (fscommon.GetValueByKey per
// key), against the references. Keys: a fixed realistic set plus the first word of every line of the input.
#include <set>

#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

namespace {

struct Expect {
  cgmgr::ParseStatus status;
  std::vector<std::optional<uint64_t>> values;
};

Expect RefStrict(const std::string& text, const std::vector<std::string>& keys) {
  const ref::ScanResult sr = ref::ScanLines(text);
  std::map<std::string, uint64_t> m;
  for (const std::string& line : sr.lines) {
    const size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 == line.size()) return {cgmgr::ParseStatus::kMalformed, {}};
    const auto v = ref::FsParseUint(line.substr(sp + 1));
    if (!v) return {cgmgr::ParseStatus::kMalformed, {}};
    m[line.substr(0, sp)] = *v;
  }
  if (sr.too_long) return {cgmgr::ParseStatus::kMalformed, {}};
  Expect e{cgmgr::ParseStatus::kOk, {}};
  for (const auto& k : keys) {
    auto it = m.find(k);
    e.values.push_back(it == m.end() ? std::nullopt : std::optional<uint64_t>(it->second));
  }
  return e;
}

Expect RefLookup(const std::string& text, const std::vector<std::string>& keys) {
  const std::vector<std::string> lines = ref::Split(text, '\n');
  Expect e{cgmgr::ParseStatus::kOk, {}};
  for (const auto& k : keys) {
    std::optional<uint64_t> found;
    const std::string prefix = k + " ";
    for (const auto& line : lines) {
      if (line.compare(0, prefix.size(), prefix) != 0 || line.size() < prefix.size()) continue;
      const auto v = ref::FsParseUint(line.substr(prefix.size()));
      if (!v) return {cgmgr::ParseStatus::kMalformed, {}};
      found = *v;
      break;
    }
    e.values.push_back(found);
  }
  return e;
}

void Run(const fuzz::ExactBuffer& in, const std::vector<std::string>& keys, bool strict) {
  std::vector<std::string_view> views(keys.begin(), keys.end());
  fuzz::GuardedSlots slots(keys.size());
  cgmgr::ParseError perr;
  const cgmgr::ParseStatus st = cgmgr::ParseFlatKeyed(
      in.view(), cgmgr::KeySet{views.data(), static_cast<uint32_t>(views.size())}, strict, slots.slots(), &perr);
  fuzz::CheckParseError(perr, st, in.view());
  fuzz::CheckStatus(st);
  slots.CheckGuard();
  slots.CheckFlags(0, keys.size(), false);
  for (size_t i = 0; i < keys.size(); ++i) {
    FUZZ_CHECK(slots.flag(i) == cgmgr::kAbsent || slots.flag(i) == cgmgr::kValue, "flag %u", slots.flag(i));
  }
  const Expect e = strict ? RefStrict(in.str(), keys) : RefLookup(in.str(), keys);
  FUZZ_CHECK(st == e.status, "strict=%d: status %d, Go %d", strict, fuzz::Status(st), fuzz::Status(e.status));
  if (st != cgmgr::ParseStatus::kOk) return;
  for (size_t i = 0; i < keys.size(); ++i) {
    const bool has = slots.flag(i) == cgmgr::kValue;
    FUZZ_CHECK(has == e.values[i].has_value() && (!has || slots.value(i) == *e.values[i]),
               "strict=%d key '%s': has=%d value=%llu, Go has=%d", strict, keys[i].c_str(), has,
               (unsigned long long)slots.value(i), e.values[i].has_value());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  std::vector<std::string> keys = {"cache",    "total_rss", "total_inactive_file", "anon", "file", "inactive_file",
                                   "oom_kill", "max",       "usage_usec",          "k",    ""};
  std::set<std::string> seen(keys.begin(), keys.end());
  for (const std::string& line : ref::Split(in.str(), '\n')) {
    if (keys.size() >= 24) break;
    const std::string w = line.substr(0, line.find(' '));
    if (seen.insert(w).second) keys.push_back(w);
  }
  keys.push_back("k");  // a key requested twice
  Run(in, keys, true);
  Run(in, keys, false);
  return 0;
}
