// SPDX-License-Identifier: Apache-2.0
//
// Test helpers shared by all module test binaries: Status assertions that
// print the error message on failure.

#ifndef ETIOLOG_TESTS_TEST_UTIL_H_
#define ETIOLOG_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include "ingest/status.h"

namespace etiolog::testing {

inline ::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.ToString();
}

template <typename T>
::testing::AssertionResult IsOk(const Result<T>& r) {
  return IsOk(r.status());
}

}  // namespace etiolog::testing

#define ASSERT_OK(expr) ASSERT_TRUE(::etiolog::testing::IsOk(expr))
#define EXPECT_OK(expr) EXPECT_TRUE(::etiolog::testing::IsOk(expr))

#endif  // ETIOLOG_TESTS_TEST_UTIL_H_
