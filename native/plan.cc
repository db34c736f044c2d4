#include "plan.h"

#include "parse/parse.h"

namespace cgmgr {

uint32_t SlotCount(Format format, uint32_t keys, uint32_t cap) {
  if (keys > kMaxKeys || cap > kMaxCap) return 0;
  switch (format) {
    case Format::kSingle:
    case Format::kCpuset:
    case Format::kNewlines:
      return 1;
    case Format::kFlatKeyed:
    case Format::kKeyLookup:
      return keys;
    case Format::kList:
      return cap == 0 ? 0 : 1 + cap;
    case Format::kCpuacctStat:
    case Format::kCpuMax:
      return 2;
    case Format::kPsi:
      return kPsiSlots;
    case Format::kIoStat:
      return cap == 0 ? 0 : 1 + cap * (2 + keys);
    case Format::kBlkio:
      return cap == 0 ? 0 : 1 + cap * kBlkioSlotsPerEntry;
    case Format::kCount:
      break;
  }
  return 0;
}

}  // namespace cgmgr
