// Parse cost of the seed corpus files (real kernel content), in ns per parse. Not a fuzz target:
//   g++ -std=c++20 -O2 -Inative native/parse/*.cc native/fuzz/bench_parse.cc -o build-fuzz/bench_parse
//   build-fuzz/bench_parse            (run from the repository root)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parse.h"

namespace {

std::string Slurp(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

volatile uint64_t sink;

// The best of 15 rounds of ~20 ms each (the machine this was written on is a noisy VM: the minimum is the stable
// number).
template <typename F>
void Bench(const char* name, F&& f) {
  for (int i = 0; i < 10000; ++i) f();
  size_t iters = 1000;
  for (;;) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < iters; ++i) f();
    if (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() > 20) break;
    iters *= 2;
  }
  double best = 1e300;
  for (int round = 0; round < 15; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < iters; ++i) f();
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ns / static_cast<double>(iters));
  }
  std::printf("%-44s %8.1f ns/parse\n", name, best);
}

}  // namespace

int main() {
  using namespace cgmgr;
  uint64_t values[64];
  uint8_t flags[64];
  const Slots out{values, flags};

  const std::string v1 = Slurp("native/fuzz/corpus/flatkeyed/v1-memory.stat");
  const std::string v2 = Slurp("native/fuzz/corpus/flatkeyed/v2-memory.stat");
  if (v1.empty() || v2.empty()) {
    std::fprintf(stderr, "run from the repository root\n");
    return 1;
  }
  const std::string_view k1[] = {"cache",         "total_rss",        "total_inactive_file",
                                 "total_pgfault", "total_pgmajfault", "total_unevictable"};
  const std::string_view k2[] = {"anon", "file", "inactive_file", "pgfault", "pgmajfault", "kernel_stack"};
  std::printf("v1 memory.stat: %zu bytes; v2 memory.stat: %zu bytes\n", v1.size(), v2.size());
  Bench("flatKeyed strict, v1 memory.stat, 6 keys", [&] {
    sink = static_cast<uint64_t>(ParseFlatKeyed(v1, KeySet{k1, 6}, true, out)) + values[2];
  });
  Bench("flatKeyed strict, v2 memory.stat, 6 keys", [&] {
    sink = static_cast<uint64_t>(ParseFlatKeyed(v2, KeySet{k2, 6}, true, out)) + values[2];
  });
  Bench("flatKeyed lookup, v1 memory.stat, 6 keys", [&] {
    sink = static_cast<uint64_t>(ParseFlatKeyed(v1, KeySet{k1, 6}, false, out)) + values[2];
  });
  const std::string psi = Slurp("native/fuzz/corpus/psi/cpu.pressure");
  Bench("psi, cpu.pressure", [&] { sink = static_cast<uint64_t>(ParsePsi(psi, out)) + values[0]; });
  const std::string io = Slurp("native/fuzz/corpus/iostat/io.stat");
  const std::string_view ik[] = {"rbytes", "wbytes", "rios", "wios"};
  Bench("ioStat, 2 devices, 4 keys", [&] {
    uint32_t n = 0;
    sink = static_cast<uint64_t>(ParseIoStat(io, KeySet{ik, 4}, out, 8, &n)) + n;
  });
  const std::string single = "9223372036854771712\n";
  Bench("single, memory.limit_in_bytes", [&] { sink = static_cast<uint64_t>(ParseSingle(single, out)) + values[0]; });
  const std::string stat = Slurp("native/fuzz/corpus/cpuacct/cpuacct.stat");
  Bench("cpuacctStat", [&] { sink = static_cast<uint64_t>(ParseCpuacctStat(stat, out)) + values[0]; });
  const std::string blk = Slurp("native/fuzz/corpus/blkio/io_service_bytes_recursive");
  Bench("blkio, 12 entries", [&] {
    uint32_t n = 0;
    sink = static_cast<uint64_t>(ParseBlkio(blk, out, 16, &n)) + n;
  });
  return 0;
}
