// SPDX-License-Identifier: Apache-2.0
//
// ETIOLOG_DCHECK(cond, what): an invariant the code relies on (an offset
// that only grows, a position inside its buffer). Checked in debug builds
// (the sanitizer build CI runs), where a violation prints the file, line
// and what broke, then aborts; compiled out with NDEBUG (release builds),
// so it costs nothing on the hot path. Not for bad input: input is never
// trusted, and bad input is reported, not asserted (see ARCHITECTURE.md,
// "Bad input").
//
// Thread safety: stateless.

#ifndef ETIOLOG_INGEST_CHECK_H_
#define ETIOLOG_INGEST_CHECK_H_

#ifdef NDEBUG
#define ETIOLOG_DCHECK(cond, what) \
  do {                             \
  } while (false)
#else
#include <cstdio>
#include <cstdlib>
#define ETIOLOG_DCHECK(cond, what)                                                                 \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", __FILE__, __LINE__, what, #cond); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (false)
#endif

#endif  // ETIOLOG_INGEST_CHECK_H_
