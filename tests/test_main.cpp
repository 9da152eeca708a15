// main() of diffii_tests and diffii_ui_tests: `EXE NAME [Qt Test options]` runs the registered class NAME
// (tests/test_registry.h) inside the application object it asks for; `EXE` alone lists the classes.
#include <cstdio>
#include <cstring>
#include <memory>

#include <QCoreApplication>
#ifdef DIFFII_TEST_GUI
#include <QApplication>
#endif

#include "core/jobs/threads.h"
#include "tests/test_registry.h"

namespace diffii::test {

std::vector<RegisteredTest>& registeredTests() {
    static std::vector<RegisteredTest> tests;
    return tests;
}

}  // namespace diffii::test

int main(int argc, char** argv) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    const auto& tests = diffii::test::registeredTests();
    const diffii::test::RegisteredTest* chosen = nullptr;
    if (argc >= 2)
        for (const auto& t : tests)
            if (t.name == argv[1]) chosen = &t;
    if (!chosen) {
        std::fprintf(argc >= 2 ? stderr : stdout, "%s%s%s\nusage: %s NAME [Qt Test options]; NAME is one of:\n",
                     argc >= 2 ? "no test class '" : "", argc >= 2 ? argv[1] : "", argc >= 2 ? "'" : "", argv[0]);
        for (const auto& t : tests) std::printf("  %s\n", t.name.c_str());
        return argc >= 2 ? 2 : 0;
    }
    // The class sees argv[0] followed by the options after NAME, as its own main would.
    argv[1] = argv[0];
    --argc;
    ++argv;
    std::unique_ptr<QCoreApplication> app;
    if (chosen->app == diffii::test::TestApp::Core) app = std::make_unique<QCoreApplication>(argc, argv);
#ifdef DIFFII_TEST_GUI
    if (chosen->app == diffii::test::TestApp::Gui) {
        app = std::make_unique<QApplication>(argc, argv);
        app->setAttribute(Qt::AA_Use96Dpi, true);
    }
#else
    if (chosen->app == diffii::test::TestApp::Gui) {
        std::fprintf(stderr, "%s: '%s' needs the GUI test executable\n", argv[0], chosen->name.c_str());
        return 2;
    }
#endif
    return chosen->run(argc, argv);
}
