// SPDX-License-Identifier: Apache-2.0
//
// Input enumeration: turns what the user named on the command line into the
// list of inputs to read.
//
//   "-"          standard input
//   a file       read as given (globs do not filter it: it was named)
//   a directory  every file below it, recursively, in sorted path order,
//                kept if it matches an --include glob (when any is given)
//                and no --exclude glob
// A glob without '/' is matched against the file name ("*.log"); one with
// '/' against the path relative to the directory named ("*/scheduler/*";
// '*' crosses '/'). Symbolic links are followed, to files and to
// directories; a link that leads back into a directory being walked is a
// loop and is reported, one that leads to a file already listed (Kubernetes'
// /var/log/containers links to /var/log/pods) is skipped silently. Dangling
// links and unreadable directories are reported; the walk goes on.
//
// User labels (--label component=scheduler PATH) ride along with the input
// they were given for and override what the logs say about the process.
//
// Thread safety: pure functions over the file system.

#ifndef ETIOLOG_INGEST_INPUT_SET_H_
#define ETIOLOG_INGEST_INPUT_SET_H_

#include <string>
#include <string_view>
#include <vector>

#include "ingest/record.h"
#include "ingest/status.h"

namespace etiolog::ingest {

// One input to read, with the labels the user attached to it.
struct InputSpec {
  std::string path;        // File path, or "-" for standard input.
  ProcessIdentity labels;  // Empty fields: no label.
};

struct EnumerateOptions {
  std::vector<std::string> include;  // Keep only files matching one of these.
  std::vector<std::string> exclude;  // Drop files matching any of these.
};

struct Enumeration {
  std::vector<InputSpec> inputs;    // In the order given; directories sorted.
  std::vector<std::string> errors;  // One message per path that cannot be
                                    // listed, naming it.
};

// Expands given into inputs. A path that does not exist is kept, so that
// opening it reports the error with the others.
Enumeration EnumerateInputs(const std::vector<InputSpec>& given, const EnumerateOptions& options);

// True if path (relative to the walked directory) matches glob, by the rules
// above.
bool MatchesGlob(std::string_view glob, std::string_view relative_path);

// Parses a label "key=value" into *labels. Keys: component, host, pid.
// Returns InvalidArgument naming the label otherwise.
Status ParseLabel(std::string_view label, ProcessIdentity* labels);

}  // namespace etiolog::ingest

#endif  // ETIOLOG_INGEST_INPUT_SET_H_
