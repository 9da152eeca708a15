// The full-size SD 1.5 and SD 2.1 (768-v) architectures built from their config.json (random initialisation, no
// weights) have exactly the state-dict entries (name, shape, parameter/buffer) of the reference manifests.
// A component is added by registering a builder in builders() and a row in matchesManifest_data().
#include <QtTest/QtTest>

#include <functional>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/io/json_config.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/state_dict.h"
#include "core/models/unet_2d_condition.h"
#include "tests/test_registry.h"
#include "tests/test_support.h"

// One namespace per file, so that the unity batches of the test executables (tests/CMakeLists.txt) keep each file's
// helpers apart; empty (anonymous) when the file is compiled alone.
#if !defined(DIFFII_UNIT) && !defined(Q_MOC_RUN)
#define DIFFII_UNIT
#endif
namespace DIFFII_UNIT {

namespace {

struct Entry {
    std::vector<int64_t> shape;
    std::string kind;  // "parameter" or "buffer"
    bool operator==(const Entry& o) const { return shape == o.shape && kind == o.kind; }
};

std::string describe(const Entry& e) {
    std::ostringstream os;
    os << e.kind << " [";
    for (size_t i = 0; i < e.shape.size(); ++i) os << (i ? ", " : "") << e.shape[i];
    os << "]";
    return os.str();
}

using Builder = std::function<std::shared_ptr<torch::nn::Module>(const std::string& configPath)>;

// component name (folder of the model) -> module built from its config.json.
const std::map<std::string, Builder>& builders() {
    static const std::map<std::string, Builder> b{
        {"unet",
         [](const std::string& path) {
             return std::make_shared<diffii::UNet2DConditionModelImpl>(diffii::UNet2DConditionConfig::fromFile(path));
         }},
        {"vae",
         [](const std::string& path) {
             return std::make_shared<diffii::AutoencoderKLImpl>(diffii::AutoencoderKLConfig::fromFile(path));
         }},
    };
    return b;
}

std::map<std::string, Entry> moduleEntries(const torch::nn::Module& m) {
    std::map<std::string, Entry> out;
    for (const auto& p : m.named_parameters(true)) out[p.key()] = {p.value().sizes().vec(), "parameter"};
    for (const auto& b : m.named_buffers(true)) out[b.key()] = {b.value().sizes().vec(), "buffer"};
    return out;
}

}  // namespace

class TestModelManifests : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { DIFFII_REQUIRE_FIXTURES(); }

    void matchesManifest_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("component");
        for (const auto& model : diffii::test::fixtureSubfolders("manifests", "model_index.json"))
            for (const char* component : {"unet", "vae"})
                QTest::newRow((model + "/" + component).c_str())
                    << QString::fromStdString(model) << QString::fromLatin1(component);
    }

    void matchesManifest() {
        QFETCH(QString, model);
        QFETCH(QString, component);
        const std::string dir = diffii::test::fixture("manifests/" + model.toStdString());
        const std::string comp = component.toStdString();
        const auto manifest = diffii::readJsonFile(dir + "/" + comp + ".manifest.json");
        std::map<std::string, Entry> expected;
        for (const auto& t : manifest.at("tensors"))
            expected[t.at("name").get<std::string>()] = {t.at("shape").get<std::vector<int64_t>>(),
                                                         t.at("kind").get<std::string>()};
        QCOMPARE(expected.size(), manifest.at("num_tensors").get<size_t>());

        torch::NoGradGuard noGrad;
        // Built one at a time on the CPU (LibTorch 1.13 modules cannot be constructed on the meta device): the
        // full-size UNet takes about 3.4 GB while it lives.
        auto module = builders().at(comp)(dir + "/" + comp + "/config.json");
        const auto actual = moduleEntries(*module);
        const int64_t params = diffii::parameterCount(*module);
        module.reset();

        std::vector<std::string> problems;
        for (const auto& [name, e] : expected) {
            const auto it = actual.find(name);
            if (it == actual.end())
                problems.push_back("missing " + name + " " + describe(e));
            else if (!(it->second == e))
                problems.push_back(name + ": built " + describe(it->second) + ", manifest " + describe(e));
        }
        for (const auto& [name, e] : actual)
            if (!expected.count(name)) problems.push_back("unexpected " + name + " " + describe(e));
        std::string msg;
        for (size_t i = 0; i < problems.size() && i < 20; ++i) msg += "\n  " + problems[i];
        QVERIFY2(problems.empty(), (std::to_string(problems.size()) + " differences:" + msg).c_str());
        QCOMPARE(params, manifest.at("total_parameters").get<int64_t>());
    }
};

DIFFII_TEST_MAIN(TestModelManifests, None)
}  // namespace DIFFII_UNIT
#include "test_model_manifests.moc"
