#include "core/models/unet_2d_blocks.h"

namespace diffii {

namespace nn = torch::nn;

namespace {

ResnetBlock2D makeResnet(const UNetBlockOptions& o, int64_t in, int64_t out) {
    ResnetBlock2DOptions r;
    r.inChannels = in;
    r.outChannels = out;
    r.tembChannels = o.tembChannels;
    r.groups = o.resnetGroups;
    r.eps = o.resnetEps;
    r.outputScaleFactor = o.outputScaleFactor;
    return ResnetBlock2D(r);
}

Transformer2DModel makeTransformer(const UNetBlockOptions& o, int64_t channels) {
    Transformer2DModelOptions t;
    t.heads = o.numAttentionHeads;
    t.dimHead = channels / o.numAttentionHeads;
    t.inChannels = channels;
    t.numLayers = o.transformerLayers;
    t.crossAttentionDim = o.crossAttentionDim;
    t.normNumGroups = o.resnetGroups;
    t.useLinearProjection = o.useLinearProjection;
    t.onlyCrossAttention = o.onlyCrossAttention;
    t.upcastAttention = o.upcastAttention;
    return Transformer2DModel(t);
}

}  // namespace

DownBlock2DImpl::DownBlock2DImpl(const UNetBlockOptions& o, bool withAttention) {
    for (int64_t i = 0; i < o.numLayers; ++i) {
        m_resnets.push_back(makeResnet(o, i == 0 ? o.inChannels : o.outChannels, o.outChannels));
        if (withAttention) m_attentions.push_back(makeTransformer(o, o.outChannels));
    }
    // Registration order follows diffusers' __init__ (attentions first), which fixes the state-dict order.
    if (withAttention) {
        attentions = register_module("attentions", nn::ModuleList());
        for (auto& a : m_attentions) attentions->push_back(a);
    }
    resnets = register_module("resnets", nn::ModuleList());
    for (auto& r : m_resnets) resnets->push_back(r);
    if (o.addDownsample) {
        m_downsampler = Downsample2D(o.outChannels, o.outChannels, o.downsamplePadding);
        downsamplers = register_module("downsamplers", nn::ModuleList(m_downsampler));
    }
}

std::pair<torch::Tensor, std::vector<torch::Tensor>> DownBlock2DImpl::forward(const torch::Tensor& x,
                                                                              const torch::Tensor& temb,
                                                                              const torch::Tensor& context) {
    std::vector<torch::Tensor> states;
    auto h = x;
    for (size_t i = 0; i < m_resnets.size(); ++i) {
        h = m_resnets[i](h, temb);
        if (!m_attentions.empty()) h = m_attentions[i](h, context);
        states.push_back(h);
    }
    if (m_downsampler) {
        h = m_downsampler(h);
        states.push_back(h);
    }
    return {h, std::move(states)};
}

UpBlock2DImpl::UpBlock2DImpl(const UNetBlockOptions& o, bool withAttention) {
    for (int64_t i = 0; i < o.numLayers; ++i) {
        const int64_t skip = i == o.numLayers - 1 ? o.inChannels : o.outChannels;
        const int64_t in = i == 0 ? o.prevOutputChannels : o.outChannels;
        m_resnets.push_back(makeResnet(o, in + skip, o.outChannels));
        if (withAttention) m_attentions.push_back(makeTransformer(o, o.outChannels));
    }
    if (withAttention) {
        attentions = register_module("attentions", nn::ModuleList());
        for (auto& a : m_attentions) attentions->push_back(a);
    }
    resnets = register_module("resnets", nn::ModuleList());
    for (auto& r : m_resnets) resnets->push_back(r);
    if (o.addUpsample) {
        m_upsampler = Upsample2D(o.outChannels, o.outChannels);
        upsamplers = register_module("upsamplers", nn::ModuleList(m_upsampler));
    }
}

torch::Tensor UpBlock2DImpl::forward(const torch::Tensor& x, std::vector<torch::Tensor> skips,
                                     const torch::Tensor& temb, const torch::Tensor& context,
                                     const std::optional<std::vector<int64_t>>& outputSize) {
    TORCH_CHECK(skips.size() == m_resnets.size(), "up block expects ", m_resnets.size(), " skip states, got ",
                skips.size());
    auto h = x;
    for (size_t i = 0; i < m_resnets.size(); ++i) {
        h = torch::cat({h, skips.back()}, 1);
        skips.pop_back();
        h = m_resnets[i](h, temb);
        if (!m_attentions.empty()) h = m_attentions[i](h, context);
    }
    if (m_upsampler) h = m_upsampler(h, outputSize);
    return h;
}

UNetMidBlock2DCrossAttnImpl::UNetMidBlock2DCrossAttnImpl(const UNetBlockOptions& o) {
    m_resnets.push_back(makeResnet(o, o.inChannels, o.inChannels));
    for (int64_t i = 0; i < o.numLayers; ++i) {
        m_attentions.push_back(makeTransformer(o, o.inChannels));
        m_resnets.push_back(makeResnet(o, o.inChannels, o.inChannels));
    }
    attentions = register_module("attentions", nn::ModuleList());
    for (auto& a : m_attentions) attentions->push_back(a);
    resnets = register_module("resnets", nn::ModuleList());
    for (auto& r : m_resnets) resnets->push_back(r);
}

torch::Tensor UNetMidBlock2DCrossAttnImpl::forward(const torch::Tensor& x, const torch::Tensor& temb,
                                                   const torch::Tensor& context) {
    auto h = m_resnets[0](x, temb);
    for (size_t i = 0; i < m_attentions.size(); ++i) {
        h = m_attentions[i](h, context);
        h = m_resnets[i + 1](h, temb);
    }
    return h;
}

DownEncoderBlock2DImpl::DownEncoderBlock2DImpl(const UNetBlockOptions& o) {
    resnets = register_module("resnets", nn::ModuleList());
    for (int64_t i = 0; i < o.numLayers; ++i) {
        m_resnets.push_back(makeResnet(o, i == 0 ? o.inChannels : o.outChannels, o.outChannels));
        resnets->push_back(m_resnets.back());
    }
    if (o.addDownsample) {
        m_downsampler = Downsample2D(o.outChannels, o.outChannels, o.downsamplePadding);
        downsamplers = register_module("downsamplers", nn::ModuleList(m_downsampler));
    }
}

torch::Tensor DownEncoderBlock2DImpl::forward(const torch::Tensor& x) {
    auto h = x;
    for (auto& r : m_resnets) h = r(h);
    if (m_downsampler) h = m_downsampler(h);
    return h;
}

UpDecoderBlock2DImpl::UpDecoderBlock2DImpl(const UNetBlockOptions& o) {
    resnets = register_module("resnets", nn::ModuleList());
    for (int64_t i = 0; i < o.numLayers; ++i) {
        m_resnets.push_back(makeResnet(o, i == 0 ? o.inChannels : o.outChannels, o.outChannels));
        resnets->push_back(m_resnets.back());
    }
    if (o.addUpsample) {
        m_upsampler = Upsample2D(o.outChannels, o.outChannels);
        upsamplers = register_module("upsamplers", nn::ModuleList(m_upsampler));
    }
}

torch::Tensor UpDecoderBlock2DImpl::forward(const torch::Tensor& x) {
    auto h = x;
    for (auto& r : m_resnets) h = r(h);
    if (m_upsampler) h = m_upsampler(h);
    return h;
}

UNetMidBlock2DImpl::UNetMidBlock2DImpl(const UNetBlockOptions& o) {
    m_resnets.push_back(makeResnet(o, o.inChannels, o.inChannels));
    for (int64_t i = 0; i < o.numLayers; ++i) {
        AttentionOptions a;
        a.queryDim = o.inChannels;
        a.heads = 1;
        a.dimHead = o.inChannels;
        a.bias = true;
        a.upcastSoftmax = true;
        a.normNumGroups = o.resnetGroups;
        a.normEps = o.resnetEps;
        a.residualConnection = true;
        a.rescaleOutputFactor = o.outputScaleFactor;
        m_attentions.push_back(Attention(a));
        m_resnets.push_back(makeResnet(o, o.inChannels, o.inChannels));
    }
    attentions = register_module("attentions", nn::ModuleList());
    for (auto& a : m_attentions) attentions->push_back(a);
    resnets = register_module("resnets", nn::ModuleList());
    for (auto& r : m_resnets) resnets->push_back(r);
}

torch::Tensor UNetMidBlock2DImpl::forward(const torch::Tensor& x) {
    auto h = m_resnets[0](x);
    for (size_t i = 0; i < m_attentions.size(); ++i) {
        h = m_attentions[i](h);
        h = m_resnets[i + 1](h);
    }
    return h;
}

}  // namespace diffii
