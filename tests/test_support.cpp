#include "tests/test_support.h"

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace diffii::test {

std::string fixturesDir() {
    if (const char* env = std::getenv("DIFFII_FIXTURES")) return env;
    return std::filesystem::weakly_canonical(std::filesystem::path(DIFFII_SHARED_DIR) / "fixtures").string();
}

bool fixturesPresent() { return std::filesystem::is_directory(fixturesDir()); }

std::string fixture(const std::string& relative) { return fixturesDir() + "/" + relative; }

std::string makeTempDir(const std::string& tag) {
    std::string templ = (std::filesystem::temp_directory_path() / ("diffii-" + tag + "-XXXXXX")).string();
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed for " + templ);
    return templ;
}

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

bool closeOrReport(const torch::Tensor& actual, const torch::Tensor& expected, double tol, const std::string& what,
                   std::string* message) {
    std::ostringstream os;
    if (!actual.sizes().equals(expected.sizes())) {
        os << what << ": shape " << actual.sizes() << " != expected " << expected.sizes();
        *message = os.str();
        return false;
    }
    const double diff = actual.numel() ? maxAbsDiff(actual, expected) : 0.0;
    os << what << ": max-abs-diff " << diff << " (tolerance " << tol << ")";
    *message = os.str();
    if (std::getenv("DIFFII_PRINT_DIFFS")) std::fprintf(stderr, "  %s\n", message->c_str());
    return diff <= tol;
}

}  // namespace diffii::test
