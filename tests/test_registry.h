// The Qt Test classes register themselves here instead of each having a main(): they are linked into two
// executables (diffii_tests, diffii_ui_tests; see tests/CMakeLists.txt) whose main, tests/test_main.cpp, runs the
// class named by its first argument. A class's name is its file's, less "test_" and ".cpp" (the CTest name).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <QtTest/QtTest>

namespace diffii::test {

// What a class needs around it, as QTEST_APPLESS_MAIN, QTEST_GUILESS_MAIN and QTEST_MAIN give it.
enum class TestApp { None, Core, Gui };

struct RegisteredTest {
    std::string name;
    TestApp app = TestApp::None;
    std::function<int(int, char**)> run;
};

std::vector<RegisteredTest>& registeredTests();

inline bool registerTest(const char* file, TestApp app, std::function<int(int, char**)> run) {
    std::string name = file;
    name = name.substr(name.find_last_of('/') + 1);
    if (name.rfind("test_", 0) == 0) name = name.substr(5);
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cpp") == 0) name.resize(name.size() - 4);
    registeredTests().push_back({name, app, std::move(run)});
    return true;
}

}  // namespace diffii::test

#define DIFFII_TEST_CONCAT_(a, b) a##b
#define DIFFII_TEST_CONCAT(a, b) DIFFII_TEST_CONCAT_(a, b)
#define DIFFII_TEST_MAIN(TestClass, appKind)                                                                         \
    namespace {                                                                                                      \
    const bool DIFFII_TEST_CONCAT(diffiiTestRegistered_,                                                             \
                                  __LINE__) = diffii::test::registerTest(__FILE__, diffii::test::TestApp::appKind,   \
                                                                         [](int argc, char** argv) {                 \
                                                                             TestClass test;                         \
                                                                             return QTest::qExec(&test, argc, argv); \
                                                                         });                                         \
    }
