#include "core/eval/resnet.h"

#include <cmath>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/io/error.h"
#include "core/io/safetensors.h"
#include "core/models/state_dict.h"

namespace diffii {

namespace {

int64_t expansion(ResNetBlock block) { return block == ResNetBlock::Bottleneck ? 4 : 1; }

torch::nn::Conv2d resnetConv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding) {
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false));
}

// BasicBlock (two 3x3) and Bottleneck (1x1, 3x3 with the stride, 1x1 × 4), torchvision v1.5 layout (the stride on
// the 3x3), with the optional downsample Sequential(conv1x1, BatchNorm) of the identity path.
class BlockImpl : public torch::nn::Module {
public:
    BlockImpl(ResNetBlock type, int64_t inplanes, int64_t planes, int64_t stride) : m_type(type) {
        const int64_t out = planes * expansion(type);
        if (type == ResNetBlock::Basic) {
            conv1 = register_module("conv1", resnetConv(inplanes, planes, 3, stride, 1));
            bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
            conv2 = register_module("conv2", resnetConv(planes, planes, 3, 1, 1));
            bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
        } else {
            conv1 = register_module("conv1", resnetConv(inplanes, planes, 1, 1, 0));
            bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
            conv2 = register_module("conv2", resnetConv(planes, planes, 3, stride, 1));
            bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
            conv3 = register_module("conv3", resnetConv(planes, out, 1, 1, 0));
            bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
        }
        if (stride != 1 || inplanes != out) {
            downsample = register_module("downsample", torch::nn::Sequential(resnetConv(inplanes, out, 1, stride, 0),
                                                                             torch::nn::BatchNorm2d(out)));
        }
    }

    torch::Tensor forward(const torch::Tensor& x) {
        auto y = torch::relu(bn1(conv1(x)));
        y = bn2(conv2(y));
        if (m_type == ResNetBlock::Bottleneck) y = bn3(conv3(torch::relu(y)));
        return torch::relu(y + (downsample ? downsample->forward(x) : x));
    }

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
    torch::nn::Sequential downsample{nullptr};

private:
    ResNetBlock m_type;
};
TORCH_MODULE(Block);

std::string listText(const std::vector<int64_t>& v) {
    std::ostringstream os;
    os << '[';
    for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
    os << ']';
    return os.str();
}

}  // namespace

std::string ResNetConfig::describe() const {
    return std::string(block == ResNetBlock::Bottleneck ? "Bottleneck " : "BasicBlock ") + listText(layers) +
           ", width " + std::to_string(width) + ", " + std::to_string(numClasses) + " classes";
}

int64_t ResNetConfig::featureChannels() const { return width * (int64_t{1} << (layers.size() - 1)) * expansion(block); }

ResNetConfig resnetConfig(const std::string& arch, int64_t numClasses) {
    ResNetConfig c;
    c.numClasses = numClasses;
    if (arch == "resnet18") {
        c.layers = {2, 2, 2, 2};
    } else if (arch == "resnet34") {
        c.layers = {3, 4, 6, 3};
    } else if (arch == "resnet50") {
        c.block = ResNetBlock::Bottleneck;
        c.layers = {3, 4, 6, 3};
    } else if (arch == "resnet101") {
        c.block = ResNetBlock::Bottleneck;
        c.layers = {3, 4, 23, 3};
    } else {
        throw Error("unknown architecture '" + arch + "' (resnet18, resnet34, resnet50 or resnet101)");
    }
    return c;
}

ResNetConfig inferResNetConfig(const std::string& path) {
    SafeTensorsFile file(path);
    auto shapeOf = [&](const std::string& key) {
        if (!file.contains(key)) throw Error(path + ": key '" + key + "' is missing (not a torchvision ResNet)");
        return file.info(key).shape;
    };
    ResNetConfig c;
    const auto stem = shapeOf("conv1.weight");
    if (stem.size() != 4 || stem[1] != 3) throw Error(path + ": key 'conv1.weight' is not a (C, 3, k, k) convolution");
    c.width = stem[0];
    const auto fcShape = shapeOf("fc.weight");
    if (fcShape.size() != 2) throw Error(path + ": key 'fc.weight' is not a matrix");
    c.numClasses = fcShape[0];
    const std::regex blockKey(R"(^layer([0-9]+)\.([0-9]+)\.)");
    std::map<int64_t, std::set<int64_t>> blocks;
    bool bottleneck = false;
    for (const auto& key : file.keys()) {
        std::smatch m;
        if (!std::regex_search(key, m, blockKey)) continue;
        blocks[std::stoll(m[1])].insert(std::stoll(m[2]));
        if (key.find(".conv3.") != std::string::npos) bottleneck = true;
    }
    c.block = bottleneck ? ResNetBlock::Bottleneck : ResNetBlock::Basic;
    c.layers.clear();
    for (int64_t stage = 1; blocks.count(stage); ++stage) {
        const auto& idx = blocks[stage];
        if (*idx.rbegin() + 1 != static_cast<int64_t>(idx.size()))
            throw Error(path + ": the blocks of layer" + std::to_string(stage) + " are not numbered 0.." +
                        std::to_string(idx.size() - 1));
        c.layers.push_back(static_cast<int64_t>(idx.size()));
    }
    if (c.layers.empty() || c.layers.size() != blocks.size())
        throw Error(path + ": no layer1.0.* keys, or stages not numbered from layer1 (not a torchvision ResNet)");
    if (fcShape[1] != c.featureChannels())
        throw Error(path + ": key 'fc.weight' has " + std::to_string(fcShape[1]) + " inputs but " + c.describe() +
                    " gives " + std::to_string(c.featureChannels()) + " features");
    // The metadata, when the writer recorded it, must agree with the names.
    const auto& meta = file.metadata();
    if (const auto it = meta.find("block");
        it != meta.end() && it->second != (bottleneck ? "Bottleneck" : "BasicBlock"))
        throw Error(path + ": metadata 'block' is '" + it->second + "' but the keys describe " + c.describe());
    if (const auto it = meta.find("layers"); it != meta.end()) {
        std::vector<int64_t> layers;
        try {
            layers = nlohmann::json::parse(it->second).get<std::vector<int64_t>>();
        } catch (const std::exception&) {
            throw Error(path + ": metadata 'layers' is not a list of integers: '" + it->second + "'");
        }
        if (layers != c.layers)
            throw Error(path + ": metadata 'layers' is " + it->second + " but the keys describe " + listText(c.layers));
    }
    if (const auto it = meta.find("num_classes"); it != meta.end() && it->second != std::to_string(c.numClasses))
        throw Error(path + ": metadata 'num_classes' is " + it->second + " but 'fc.weight' has " +
                    std::to_string(c.numClasses) + " rows");
    return c;
}

ResNetImpl::ResNetImpl(const ResNetConfig& config) : m_config(config) {
    if (config.layers.empty() || config.width < 1 || config.numClasses < 1)
        throw Error("ResNet: invalid architecture " + config.describe());
    conv1 = register_module("conv1", resnetConv(3, config.width, 7, 2, 3));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(config.width));
    int64_t inplanes = config.width;
    for (size_t i = 0; i < config.layers.size(); ++i) {
        const int64_t planes = config.width << i;
        torch::nn::Sequential stage;
        for (int64_t b = 0; b < config.layers[i]; ++b) {
            stage->push_back(Block(config.block, inplanes, planes, b == 0 && i > 0 ? 2 : 1));
            inplanes = planes * expansion(config.block);
        }
        stages.push_back(register_module("layer" + std::to_string(i + 1), stage));
    }
    fc = register_module("fc", torch::nn::Linear(inplanes, config.numClasses));
}

std::map<std::string, torch::Tensor> ResNetImpl::forwardWithIntermediates(const torch::Tensor& x) {
    std::map<std::string, torch::Tensor> out;
    auto y = torch::relu(bn1(conv1(x)));
    out["relu"] = y;
    y = torch::max_pool2d(y, 3, 2, 1);
    out["maxpool"] = y;
    for (size_t i = 0; i < stages.size(); ++i) {
        y = stages[i]->forward(y);
        out["layer" + std::to_string(i + 1)] = y;
    }
    y = torch::adaptive_avg_pool2d(y, {1, 1});
    out["avgpool"] = y;
    out["logits"] = fc(y.flatten(1));
    return out;
}

torch::Tensor ResNetImpl::features(const torch::Tensor& x) {
    auto y = torch::max_pool2d(torch::relu(bn1(conv1(x))), 3, 2, 1);
    for (auto& s : stages) y = s->forward(y);
    return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
}

torch::Tensor ResNetImpl::forward(const torch::Tensor& x) { return fc(features(x)); }

std::vector<std::pair<std::string, torch::Tensor>> ResNetImpl::namedTensors(bool buffers) const {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    if (buffers)
        for (const auto& b : named_buffers()) out.emplace_back(b.key(), b.value());
    else
        for (const auto& p : named_parameters()) out.emplace_back(p.key(), p.value());
    return out;
}

void ResNetImpl::resetClassifier(int64_t numClasses) {
    if (numClasses < 1) throw Error("ResNet: the classifier needs at least one class");
    fc = replace_module("fc", torch::nn::Linear(m_config.featureChannels(), numClasses));
    m_config.numClasses = numClasses;
}

void ResNetImpl::initialiseFromScratch() {
    torch::NoGradGuard g;
    for (auto& m : modules(/*include_self=*/false)) {
        if (auto* c = m->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
        } else if (auto* b = m->as<torch::nn::BatchNorm2d>()) {
            b->weight.fill_(1.0);
            b->bias.zero_();
        }
    }
}

ResNet loadResNet(const std::string& path) {
    ResNet net(inferResNetConfig(path));
    LoadOptions options;
    options.allowSqueezedLinear = false;
    loadStateDict(*net, {path}, options);
    return net;
}

torch::Tensor imagenetNormalize(const torch::Tensor& images01) {
    const auto mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1});
    const auto std = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
    return (images01 - mean) / std;
}

}  // namespace diffii
