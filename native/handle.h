// Cgroup handles: the directory descriptors of one cgroup (one per hierarchy it lives in), opened once and kept under
// a descriptor budget, plus the file descriptors the reader chooses to keep open for re-reading with pread.
//
// Path safety: every path is relative to a hierarchy's root descriptor, validated (no "..", ".", empty or absolute
// components), and resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS); where the
// kernel lacks openat2 (or the fallback is forced) it is walked one component at a time with O_NOFOLLOW.
//
// Thread safety: a HandleTable is used from the JS thread and from batch workers, several at once when a batch is split
// across the libuv pool. Everything that changes the table (open, close, plans, pid writes) holds mutex() exclusively.
// A reader holds it shared for one row, plus the row lock of that handle (row_mutex), so rows of different handles are
// read in parallel while a handle's own descriptors change under one lock; the descriptor count is atomic. Closing a
// handle mid-batch waits for the row being read and is then seen by the next row.
#ifndef CGMGR_HANDLE_H_
#define CGMGR_HANDLE_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cgmgr {

// Result of a syscall-level operation: 0, or the syscall id and errno that failed.
struct SysResult {
  int32_t syscall = 0;
  int err = 0;
  bool ok() const { return err == 0; }
};

enum class ResolveMode { kAuto, kOpenat2, kWalk };

// A path component check: non-empty, not "." or "..", no "/" and no NUL.
bool IsValidName(std::string_view name);
// A relative cgroup path: "" (the hierarchy root) or valid names joined by single "/".
bool IsValidRelPath(std::string_view rel);

// Opens rel (validated by the caller) beneath dirfd with the given flags, never leaving dirfd and never following a
// symlink. Returns the fd or -errno; *syscall says which call failed.
int OpenBeneath(int dirfd, std::string_view rel, int flags, ResolveMode mode, int32_t* syscall);

struct Hierarchy {
  std::string path;  // absolute path of the hierarchy root (for error messages)
  int root_fd = -1;  // O_PATH | O_DIRECTORY
  // A mounted cgroup filesystem (not a recorded tree of plain files): a removed cgroup's open files read ENODEV, so a
  // read that succeeds proves the cgroup is still there.
  bool cgroupfs = false;
};

// Per hierarchy state of one handle.
struct HandleDir {
  enum State : uint8_t { kMissing = 0, kHeld = 1, kTransient = 2 };
  State state = kMissing;
  int fd = -1;               // held O_PATH directory descriptor (state kHeld)
  int row_fd = -1;           // kTransient: the directory resolved for the row being read (closed by EndRow)
  bool used_in_row = false;  // a file was opened through this directory during the row being read (reset by EndRow)
  uint64_t ino = 0;          // identity of the directory at open time
  uint64_t dev = 0;
  // kMissing: when to look for the directory again (CLOCK_MONOTONIC ns). A cgroup found in one hierarchy before its
  // creator made it in the others (runc makes memory's before cpu's and cpuacct's; a discovery watching one hierarchy
  // opens it in between) gains them within kAbsentRecheckNs instead of never.
  int64_t recheck_ns = 0;
};

struct Handle {
  bool live = false;
  uint32_t generation = 0;
  std::string rel;              // relative path below each hierarchy root ("" = root)
  std::vector<HandleDir> dirs;  // one per hierarchy
  std::vector<int> file_fds;    // held file descriptors, indexed by file id (-1 = not held, kAbsentFd = absent)
  // Files found absent (ENOENT in a cgroup that was not gone, e.g. blkio.bfq.* without BFQ) are remembered until then
  // (CLOCK_MONOTONIC ns), so a row does not probe them, nor re-check the cgroup's identity, on every read. A file that
  // appears later (a controller enabled, a scheduler loaded) is seen within kAbsentRecheckNs.
  int64_t absent_until_ns = 0;
};
constexpr int kAbsentFd = -2;
constexpr int64_t kAbsentRecheckNs = 1000000000;

class HandleTable {
 public:
  HandleTable() = default;
  ~HandleTable();
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // Opens the hierarchy roots. On failure returns the error and the index of the hierarchy that failed.
  SysResult Init(const std::vector<std::string>& paths, size_t fd_budget, ResolveMode mode, size_t* failed);

  // Opens a cgroup by relative path and stores its id in *id. A cgroup that exists in no hierarchy fails with ENOENT;
  // one missing from some hierarchies is fine (HandleDir::kMissing there).
  SysResult Open(std::string_view rel, uint32_t* id);
  bool Close(uint32_t id);
  void CloseAll();
  // CloseAll, and the hierarchy roots too: nothing of the table holds a descriptor afterwards; Open fails (EBADF).
  void Shutdown();
  bool shut_down() const { return shut_down_; }
  Handle* Get(uint32_t id);  // nullptr for an id that is not (or no longer) open
  size_t open_count() const { return handles_.size() - free_.size(); }

  // Registers a file (hierarchy, name) and returns its id; the same pair always gets the same id.
  uint32_t FileId(uint32_t hierarchy, std::string_view name);
  uint32_t FileHierarchy(uint32_t file) const { return files_[file].hierarchy; }
  const std::string& FileName(uint32_t file) const { return files_[file].name; }

  // Opens a file of a handle for reading (O_RDONLY) or writing (O_WRONLY). *held says whether the returned fd is kept
  // in the handle (the caller must not close it) or transient (the caller closes it). Budget policy: a directory is
  // held from the first file opened in it, and a file from its first read, while the budget lasts; past it, every
  // descriptor saves about the same (a held file saves openat + close per read, a held directory the openat2 +
  // fstat + close of resolving it once per row), so first come, first held: stable, and no descriptor churn. Except
  // that files come before directories that save nothing: a file the budget refuses takes the share of its own
  // held directory (which serves the rest of the row), and once the budget has refused a file (squeezed), EndRow
  // gives back every held directory the row opened nothing through (it is resolved again, once per row, when a row
  // next opens a file there). Returns the fd or -errno with
  // *syscall set; -ENOENT when the handle has no directory in that hierarchy is reported as kNotInHierarchy.
  static constexpr int kNotInHierarchy = -100000;
  // Only regular files are read or written: a FIFO, device or directory at a file's name (in a recorded tree, say) is
  // refused after the open (which is O_NONBLOCK, so a FIFO cannot block it) with this value.
  static constexpr int kNotRegular = -100001;
  // The file was found absent on an earlier read and is remembered so (see Handle::absent_until_ns): ENOENT, no
  // syscall made.
  static constexpr int kKnownAbsent = -100002;
  // Beyond the budget, a reader resolves a directory once per row, not once per file: OpenFile keeps it in
  // HandleDir::row_fd until EndRow.
  int OpenFile(Handle& h, uint32_t file, bool for_write, bool may_hold, bool* held, int32_t* syscall);
  int OpenFileByName(Handle& h, uint32_t hierarchy, std::string_view name, int flags, int32_t* syscall,
                     bool keep_for_row = false);
  void EndRow(Handle& h);

  // Resolves h's directory in hierarchy hier beneath its root and records its identity (kTransient, no descriptor
  // kept): 0, or -errno with *syscall_id the call that failed (openat, or fstat).
  int ResolveDir(Handle& h, uint32_t hier, int32_t* syscall_id);
  // A kMissing directory of h in hierarchy hier, looked for again when its recheck time has come: true when it is
  // there now (the directory becomes kTransient, with its identity).
  bool FoundMissingDir(Handle& h, uint32_t hier);
  // Remembers that a file of a live cgroup is absent (the caller saw ENOENT and checked the cgroup is not gone).
  void MarkAbsent(Handle& h, uint32_t file);
  // Drops a held file descriptor (after it read ENODEV, say).
  void DropFile(Handle& h, uint32_t file);
  // Closes every descriptor a handle holds (its directories become transient): room to read when the process is out
  // of descriptors.
  void DropHeld(Handle& h);
  // Out of descriptors (an open failed with EMFILE/ENFILE) while reading a row of h: gives back up to kFdRelief held
  // descriptors of the table, h's and OTHER handles' alike (files first; directories only when no file was held), so
  // that the row can be read transiently. The caller holds mutex() (shared or exclusive) and h's row lock. Returns how
  // many were closed.
  static constexpr size_t kFdRelief = 64;
  size_t RelieveFdPressure(Handle& h);

  // True when the cgroup the handle was opened on is gone from hierarchy hier: its path no longer resolves, or now
  // resolves to another directory (a cgroup re-created at the same path).
  bool IsGone(Handle& h, uint32_t hier);
  // h's directory in hierarchy hier resolved again beneath its root (a transient O_PATH descriptor the caller closes),
  // if it is still the cgroup recorded at open(); -ENOENT (syscall openat) when another directory stands there now,
  // else -errno of the resolution with *syscall_id set.
  int OpenSameDir(Handle& h, uint32_t hier, int32_t* syscall_id);
  // h's directory in hierarchy hier resolved beneath its root (an O_PATH descriptor the caller closes) and its stat in
  // *st: the descriptor, or -errno with *syscall_id the call that failed (the resolution's, or fstat).
  int OpenDirStat(const Handle& h, uint32_t hier, struct stat* st, int32_t* syscall_id);

  std::string FullPath(const Handle& h, uint32_t hier, std::string_view name) const;
  size_t hierarchy_count() const { return hierarchies_.size(); }
  const Hierarchy& hierarchy(uint32_t i) const { return hierarchies_[i]; }
  size_t held_fds() const { return held_.load(); }
  // Slots retired after their last generation (their ids are never handed out again).
  size_t retired_slots() const { return retired_; }
  size_t fd_budget() const { return budget_; }
  ResolveMode mode() const { return mode_; }
  std::shared_mutex& mutex() { return mu_; }
  std::mutex& row_mutex(uint32_t id) { return row_mu_[id % kRowLocks]; }

 private:
  struct FileEntry {
    uint32_t hierarchy;
    std::string name;
  };
  void CloseHandleFds(Handle& h);
  size_t DropHeldFiles(Handle& h);
  size_t DropHeldDirs(Handle& h);
  void FreeSlot(uint32_t slot);
  // Takes one descriptor of the engine's budget and of the process budget; false when either is spent.
  bool TryHold();
  void ReleaseHeld();
  static constexpr size_t kRowLocks = 64;

  std::vector<Hierarchy> hierarchies_;
  std::vector<Handle> handles_;
  std::vector<uint32_t> free_;  // reusable slots (a slot whose generation is spent is retired instead)
  size_t retired_ = 0;
  bool shut_down_ = false;
  std::vector<FileEntry> files_;
  size_t budget_ = 0;
  std::atomic<size_t> held_{0};
  // The budget refused to hold a file at least once: EndRow gives back directories that saved nothing in their row.
  std::atomic<bool> squeezed_{false};
  ResolveMode mode_ = ResolveMode::kAuto;
  std::shared_mutex mu_;
  std::mutex row_mu_[kRowLocks];
};

// Handle ids (uint32, so a batch is a Uint32Array) carry an 8-bit generation over a 24-bit slot: id = generation << 24
// | slot. A slot is reused with the next generation, and retired (never reused) once its generation reaches
// kMaxGeneration, so an id is unique over the engine's lifetime: a closed id never becomes valid again. 2^24 slots
// of 255 generations each allow about 4.3e9 opens per engine; past that open() fails with EMFILE.
constexpr uint32_t kSlotBits = 24;
constexpr uint32_t kSlotMask = (1u << kSlotBits) - 1;
constexpr uint32_t kMaxGeneration = 0xff;

// The process-wide descriptor budget, shared by every HandleTable (every Engine, in every worker thread) and the v1
// OOM watches: RLIMIT_NOFILE's soft limit less headroom for Node itself (a quarter, at least kProcessHeadroom).
constexpr size_t kProcessHeadroom = 128;
struct ProcessFds {
  size_t held;    // descriptors held now (engines' held directories and files, OOM watches)
  size_t budget;  // most that may be held
  size_t limit;   // RLIMIT_NOFILE soft limit (SIZE_MAX: unlimited)
  bool pressure;  // an open failed with EMFILE/ENFILE: the budget was cut to what was held then
};
ProcessFds ProcessFdUsage();
// Re-reads RLIMIT_NOFILE (an Engine's constructor does) and sets the budget from it, unless pressure cut it.
void RefreshProcessFdBudget();
// Takes n descriptors of the process budget; false when it is spent.
bool TryHoldProcessFds(size_t n);
void ReleaseProcessFds(size_t n);
// The same for the v1 OOM watches, which together take at most half of the process budget (so that reads keep room).
bool TryHoldWatchFds(size_t n);
void ReleaseWatchFds(size_t n);
// Called when an open failed with EMFILE or ENFILE: stop holding more (the budget becomes what is held now, less a
// margin), so that reads go transient (openat + read + close) instead of failing.
void NoteFdPressure();

}  // namespace cgmgr

#endif  // CGMGR_HANDLE_H_
