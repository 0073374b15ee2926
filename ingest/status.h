// SPDX-License-Identifier: Apache-2.0
//
// Status and Result<T>: the error vocabulary of every etiolog module.
//
// A Status is either OK (cheap: no allocation) or carries a Code and a
// human-readable message that names the file, line and what is wrong.
// Result<T> holds either a value or a non-OK Status. Neither throws; errors
// never cross a module boundary as exceptions.
//
// Thread safety: distinct objects may be used from different threads; a
// single object is not synchronised.

#ifndef ETIOLOG_INGEST_STATUS_H_
#define ETIOLOG_INGEST_STATUS_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace etiolog {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,           // Success.
    kNotFound,         // A named file, rule or record does not exist.
    kInvalidArgument,  // Bad configuration, option, rule pack or query.
    kIoError,          // The operating system refused a read or write.
    kCorruption,       // Stored data (the SQLite store) is damaged.
    kUnsupported,      // A valid request this build cannot serve.
    kInternal,         // A broken invariant: always a bug in etiolog.
  };

  // Creates an OK status.
  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg) { return Status(Code::kNotFound, msg); }
  static Status InvalidArgument(std::string_view msg) {
    return Status(Code::kInvalidArgument, msg);
  }
  static Status IoError(std::string_view msg) { return Status(Code::kIoError, msg); }
  static Status Corruption(std::string_view msg) { return Status(Code::kCorruption, msg); }
  static Status Unsupported(std::string_view msg) { return Status(Code::kUnsupported, msg); }
  static Status Internal(std::string_view msg) { return Status(Code::kInternal, msg); }

  bool ok() const { return state_ == nullptr; }
  Code code() const { return state_ ? state_->code : Code::kOk; }
  // The message without the code prefix; empty when OK.
  const std::string& message() const;
  // "OK", or "<Code name>: <message>".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>". OK stays OK.
  Status Annotate(std::string_view prefix) const;

 private:
  struct State {
    Code code;
    std::string message;
  };
  Status(Code code, std::string_view msg)
      : state_(std::make_shared<const State>(State{code, std::string(msg)})) {}

  // Shared and immutable, so copying a Status is cheap and OK costs nothing.
  std::shared_ptr<const State> state_;
};

// Either a value of type T or a non-OK Status.
// REQUIRES: a Result is never constructed from an OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; Status::OK() when a value is held.
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace etiolog

// Evaluates expr (a Status); returns it from the enclosing function if not OK.
#define ETIOLOG_RETURN_IF_ERROR(expr) \
  do {                                \
    ::etiolog::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

#endif  // ETIOLOG_INGEST_STATUS_H_
