// Helpers shared by the Qt Test classes: fixture paths and tensor comparisons.
#pragma once

#include <string>

#include <torch/torch.h>

namespace diffii::test {

// ../shared/fixtures relative to the project root (absolute path).
std::string fixturesDir();
std::string fixture(const std::string& relative);
// A fresh temporary directory (removed by the OS-level tmp cleanup; tests remove what they make).
std::string makeTempDir(const std::string& tag);

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b);

// Asserts equal shapes and max|a-b| <= tol; the failure message names what was compared.
bool closeOrReport(const torch::Tensor& actual, const torch::Tensor& expected, double tol, const std::string& what,
                   std::string* message);

}  // namespace diffii::test

// QVERIFY2 wrapper for tensors: fails the current test with the compared name, shapes and max-abs-diff.
#define DIFFII_COMPARE_TENSORS(actual, expected, tol, what)                                   \
    do {                                                                                     \
        std::string diffiiMsg_;                                                              \
        const bool diffiiOk_ = diffii::test::closeOrReport((actual), (expected), (tol), (what), &diffiiMsg_); \
        QVERIFY2(diffiiOk_, diffiiMsg_.c_str());                                             \
    } while (false)
