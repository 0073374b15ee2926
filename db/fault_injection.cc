// SPDX-License-Identifier: Apache-2.0
//
// A shim VFS: every file it opens is the default VFS's file wrapped in one
// of ours, whose methods forward to it except where the plan says to fail.
// The wrapper holds the real file right after itself (szOsFile covers both),
// as SQLite's own shims do.

#include "db/fault_injection.h"

#include <atomic>
#include <cstring>
#include <mutex>

#include <sqlite3.h>

namespace etiolog::db {

namespace {

std::atomic<int> g_fault{0};
std::atomic<int64_t> g_after{0};
std::atomic<int64_t> g_seen{0};
std::atomic<int64_t> g_injected{0};
sqlite3_vfs* g_real = nullptr;

struct File {
  sqlite3_file base;  // Must come first: SQLite sees a File as a sqlite3_file.
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

File* Self(sqlite3_file* f) { return reinterpret_cast<File*>(f); }

// True if the operation of this kind must fail now.
bool Fail(FaultPlan::Fault kind) {
  if (g_fault.load() != static_cast<int>(kind)) return false;
  if (g_seen.fetch_add(1) < g_after.load()) return false;
  g_injected.fetch_add(1);
  return true;
}

int WriteError() {
  return g_fault.load() == static_cast<int>(FaultPlan::Fault::kDiskFull) ? SQLITE_FULL
                                                                         : SQLITE_IOERR_WRITE;
}

bool WriteFault() { return Fail(FaultPlan::Fault::kDiskFull) || Fail(FaultPlan::Fault::kIoError); }

int Close(sqlite3_file* f) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods != nullptr ? r->pMethods->xClose(r) : SQLITE_OK;
}
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xRead(r, buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (WriteFault()) return WriteError();
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xWrite(r, buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (WriteFault()) return WriteError();
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xTruncate(r, size);
}
int Sync(sqlite3_file* f, int flags) {
  if (WriteFault())
    return g_fault.load() == static_cast<int>(FaultPlan::Fault::kDiskFull) ? SQLITE_FULL
                                                                           : SQLITE_IOERR_FSYNC;
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xSync(r, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xFileSize(r, size);
}
int Lock(sqlite3_file* f, int level) {
  if (level > SQLITE_LOCK_SHARED && Fail(FaultPlan::Fault::kLocked)) return SQLITE_BUSY;
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xLock(r, level);
}
int Unlock(sqlite3_file* f, int level) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xUnlock(r, level);
}
int CheckReservedLock(sqlite3_file* f, int* out) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xCheckReservedLock(r, out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xFileControl(r, op, arg);
}
int SectorSize(sqlite3_file* f) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xSectorSize(r);
}
int DeviceCharacteristics(sqlite3_file* f) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xDeviceCharacteristics(r);
}
int ShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xShmMap(r, page, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  // A WAL writer's lock is a shared-memory lock, not xLock.
  if ((flags & SQLITE_SHM_EXCLUSIVE) != 0 && (flags & SQLITE_SHM_LOCK) != 0 &&
      Fail(FaultPlan::Fault::kLocked)) {
    return SQLITE_BUSY;
  }
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xShmLock(r, offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) {
  sqlite3_file* r = Self(f)->real();
  r->pMethods->xShmBarrier(r);
}
int ShmUnmap(sqlite3_file* f, int del) {
  sqlite3_file* r = Self(f)->real();
  return r->pMethods->xShmUnmap(r, del);
}

const sqlite3_io_methods kMethods = {2,
                                     Close,
                                     Read,
                                     Write,
                                     Truncate,
                                     Sync,
                                     FileSize,
                                     Lock,
                                     Unlock,
                                     CheckReservedLock,
                                     FileControl,
                                     SectorSize,
                                     DeviceCharacteristics,
                                     ShmMap,
                                     ShmLock,
                                     ShmBarrier,
                                     ShmUnmap,
                                     nullptr,
                                     nullptr};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* self = Self(f);
  std::memset(self->real(), 0, static_cast<size_t>(g_real->szOsFile));
  int rc = g_real->xOpen(g_real, name, self->real(), flags, out_flags);
  // SQLite calls xClose only on a file whose pMethods is set.
  f->pMethods = self->real()->pMethods != nullptr ? &kMethods : nullptr;
  return rc;
}
int Delete(sqlite3_vfs*, const char* name, int sync) { return g_real->xDelete(g_real, name, sync); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_real->xAccess(g_real, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_real->xFullPathname(g_real, name, n, out);
}
int Randomness(sqlite3_vfs*, int n, char* out) { return g_real->xRandomness(g_real, n, out); }
int Sleep(sqlite3_vfs*, int us) { return g_real->xSleep(g_real, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_real->xCurrentTime(g_real, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_real->xGetLastError(g_real, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_real->xCurrentTimeInt64(g_real, out);
}

sqlite3_vfs g_vfs;

}  // namespace

Status SetFaultPlan(const FaultPlan& plan) {
  static std::once_flag once;
  static int registered = SQLITE_ERROR;
  std::call_once(once, [] {
    g_real = sqlite3_vfs_find(nullptr);
    if (g_real == nullptr) return;
    std::memset(&g_vfs, 0, sizeof g_vfs);
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = kFaultVfsName;
    g_vfs.xOpen = Open;
    g_vfs.xDelete = Delete;
    g_vfs.xAccess = Access;
    g_vfs.xFullPathname = FullPathname;
    g_vfs.xRandomness = Randomness;
    g_vfs.xSleep = Sleep;
    g_vfs.xCurrentTime = CurrentTime;
    g_vfs.xGetLastError = GetLastError;
    g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    registered = sqlite3_vfs_register(&g_vfs, 0);
  });
  if (registered != SQLITE_OK) return Status::Internal("cannot register the fault VFS");
  g_fault.store(static_cast<int>(plan.fault));
  g_after.store(plan.after);
  g_seen.store(0);
  g_injected.store(0);
  return Status::OK();
}

int64_t FaultsInjected() { return g_injected.load(); }

}  // namespace etiolog::db
