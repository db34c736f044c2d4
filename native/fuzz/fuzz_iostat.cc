// ParseIoStat against fs2/io.go (readCgroup2MapFile into a map, then statIo), devices in order of first appearance.
#include <set>

#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

namespace {

struct Device {
  uint64_t major, minor;
  std::vector<std::optional<uint64_t>> values;
};

struct Expect {
  cgmgr::ParseStatus status;
  std::vector<Device> devices;
};

Expect RefIoStat(const std::string& text, const std::vector<std::string>& keys) {
  const ref::ScanResult sr = ref::ScanLines(text);
  if (sr.too_long) return {cgmgr::ParseStatus::kMalformed, {}};
  std::map<std::string, std::vector<std::string>> m;
  std::vector<std::string> order;
  for (const auto& line : sr.lines) {
    auto parts = ref::Fields(line);
    if (parts.size() < 2) continue;
    if (!m.count(parts[0])) order.push_back(parts[0]);
    m[parts[0]] = std::vector<std::string>(parts.begin() + 1, parts.end());
  }
  Expect e{cgmgr::ParseStatus::kOk, {}};
  for (const auto& k : order) {
    const auto d = ref::Split(k, ':');
    if (d.size() != 2) continue;
    const auto major = ref::StrictUint(d[0]);
    const auto minor = ref::StrictUint(d[1]);
    if (!major || !minor) return {cgmgr::ParseStatus::kMalformed, {}};
    Device dev{*major, *minor, std::vector<std::optional<uint64_t>>(keys.size())};
    for (const auto& item : m[k]) {
      const auto kv = ref::Split(item, '=');
      if (kv.size() != 2) continue;
      for (size_t i = 0; i < keys.size(); ++i) {
        if (kv[0] != keys[i]) continue;
        const auto v = ref::StrictUint(kv[1]);
        if (!v) return {cgmgr::ParseStatus::kMalformed, {}};
        dev.values[i] = *v;
      }
    }
    e.devices.push_back(dev);
  }
  return e;
}

void Run(const fuzz::ExactBuffer& in, const std::vector<std::string>& keys) {
  const Expect e = RefIoStat(in.str(), keys);
  std::vector<std::string_view> views(keys.begin(), keys.end());
  const cgmgr::KeySet ks{views.data(), static_cast<uint32_t>(views.size())};
  const size_t per = 2 + keys.size();
  for (const uint32_t cap : {0u, 1u, 3u, 32u}) {
    fuzz::GuardedSlots slots(cap * per);
    uint32_t count = 0xFFFFFFFF;
    cgmgr::ParseError perr;
    const cgmgr::ParseStatus st = cgmgr::ParseIoStat(in.view(), ks, slots.slots(), cap, &count, &perr);
    fuzz::CheckParseError(perr, st, in.view());
    fuzz::CheckStatus(st);
    slots.CheckGuard();
    if (e.status == cgmgr::ParseStatus::kMalformed) {
      FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed, "cap %u: status %d, Go malformed", cap, fuzz::Status(st));
      for (size_t i = 0; i < cap * per; ++i) {
        FUZZ_CHECK(slots.flag(i) <= cgmgr::kFloat || slots.flag(i) == fuzz::kCanaryFlag, "flag %u", slots.flag(i));
      }
      continue;
    }
    FUZZ_CHECK(count == e.devices.size(), "cap %u: count %u, Go %zu", cap, count, e.devices.size());
    FUZZ_CHECK(st == (count > cap ? cgmgr::ParseStatus::kOverflow : cgmgr::ParseStatus::kOk), "cap %u: status %d", cap,
               fuzz::Status(st));
    const size_t stored = std::min<size_t>(cap, count);
    slots.CheckFlags(0, stored * per, false);
    for (size_t d = 0; d < stored; ++d) {
      const size_t b = d * per;
      FUZZ_CHECK(slots.flag(b) == cgmgr::kValue && slots.value(b) == e.devices[d].major, "device %zu major", d);
      FUZZ_CHECK(slots.flag(b + 1) == cgmgr::kValue && slots.value(b + 1) == e.devices[d].minor, "device %zu minor", d);
      for (size_t i = 0; i < keys.size(); ++i) {
        const auto& want = e.devices[d].values[i];
        const bool has = slots.flag(b + 2 + i) == cgmgr::kValue;
        FUZZ_CHECK(has == want.has_value() && (!has || slots.value(b + 2 + i) == *want), "device %zu key %s", d,
                   keys[i].c_str());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  std::vector<std::string> keys = {"rbytes",     "wbytes",    "rios",        "wios",
                                   "cost.usage", "cost.wait", "cost.indebt", "cost.indelay"};
  Run(in, keys);
  // Also every token name the input has (values of requested keys are parsed, so this finds bad ones).
  std::set<std::string> seen(keys.begin(), keys.end());
  for (const auto& f : ref::Fields(in.str())) {
    if (keys.size() >= 16) break;
    const std::string name = f.substr(0, f.find('='));
    if (seen.insert(name).second) keys.push_back(name);
  }
  keys.push_back("rbytes");  // requested twice
  Run(in, keys);
  Run(in, {});
  return 0;
}
