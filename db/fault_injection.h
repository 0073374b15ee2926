// SPDX-License-Identifier: Apache-2.0
//
// Fault injection for the store: a SQLite VFS that forwards to the default
// one until told to fail, so tests can show what a full disk, an I/O error
// or a database locked by another process does to a run (a clear error
// naming the store, nothing stored twice, a store that still passes
// PRAGMA integrity_check). Stores opened with Store::Options::vfs =
// kFaultVfsName go through it; the plan says when and how it fails.
// Tests only: production code never opens a store through it.
//
// Thread safety: the plan is global; set it while no store uses the VFS.

#ifndef ETIOLOG_DB_FAULT_INJECTION_H_
#define ETIOLOG_DB_FAULT_INJECTION_H_

#include <cstdint>

#include "ingest/status.h"

namespace etiolog::db {

inline constexpr char kFaultVfsName[] = "etiolog-fault";

struct FaultPlan {
  enum class Fault {
    kNone,      // Forward everything.
    kDiskFull,  // Writes fail with SQLITE_FULL ("database or disk is full").
    kIoError,   // Writes fail with SQLITE_IOERR_WRITE ("disk I/O error").
    kLocked,    // Taking a lock fails with SQLITE_BUSY ("database is locked").
  };
  Fault fault = Fault::kNone;
  // Operations (writes for kDiskFull and kIoError, lock requests for
  // kLocked) that still succeed before the first failure. Default: 0.
  int64_t after = 0;
};

// Registers the fault VFS (once; the default VFS stays the default) and
// installs plan, resetting the count of operations. Returns Internal if
// SQLite has no default VFS to wrap.
Status SetFaultPlan(const FaultPlan& plan);

// Operations that failed since the plan was installed.
int64_t FaultsInjected();

}  // namespace etiolog::db

#endif  // ETIOLOG_DB_FAULT_INJECTION_H_
