// A read plan: which files to read for every cgroup of a batch, how to parse each, and where its values go in a row.
// Plans are compiled once (per stats shape) and shared by sync and async reads; they are immutable once built.
#ifndef CGMGR_PLAN_H_
#define CGMGR_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cgmgr {

// Keep in step with lib/engine.ts FORMAT.
enum class Format : uint8_t {
  kSingle = 0,       // 1 slot
  kFlatKeyed = 1,    // keys slots (strict: every line checked)
  kKeyLookup = 2,    // keys slots (lenient: first "<key> " line wins)
  kList = 3,         // 1 + cap slots: count, values
  kCpuacctStat = 4,  // 2 slots: user, system (ticks)
  kPsi = 5,          // 8 slots
  kIoStat = 6,       // 1 + cap * (2 + keys) slots: count, then per device major, minor, keys
  kBlkio = 7,        // 1 + cap * 4 slots: count, then per entry major, minor, op, value
  kCpuset = 8,       // 1 slot: number of cpus/nodes
  kNewlines = 9,     // 1 slot: number of '\n' (v2 pids fallback)
  kCpuMax = 10,      // 2 slots: quota ("max" -> kMax), period (v2 cpu.max)
  kCount = 11,
};

struct PlanFile {
  uint32_t file_id = 0;  // HandleTable file id (hierarchy + name)
  uint32_t hierarchy = 0;
  Format format = Format::kSingle;
  bool hold = true;  // keep the descriptor open for pread (within the budget)
  uint8_t tier = 0;  // a read given per-row tiers skips this file in rows whose tier is lower (kFileNotRead)
  uint32_t cap = 0;  // list/device/entry capacity
  uint32_t slot_offset = 0;
  uint32_t slot_count = 0;
  std::vector<std::string> key_storage;
  std::vector<std::string_view> keys;  // views into key_storage
};

struct Plan {
  std::vector<PlanFile> files;
  uint32_t slots = 0;    // slots per row
  uint8_t max_tier = 0;  // the highest PlanFile::tier
};

// Slot count of one file of a plan; 0 when the format/cap/keys combination is invalid.
uint32_t SlotCount(Format format, uint32_t keys, uint32_t cap);

constexpr uint32_t kMaxCap = 1u << 16;
constexpr uint32_t kMaxKeys = 256;
constexpr uint32_t kMaxPlanFiles = 4096;
constexpr uint32_t kMaxPlanSlots = 1u << 24;

}  // namespace cgmgr

#endif  // CGMGR_PLAN_H_
