// diffii: the headless command-line front over the same core jobs as the GUI.
// Argument parsing and wiring only; every piece of work lives in core/.
#include <cstdio>
#include <exception>
#include <functional>
#include <map>

#include <unistd.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStringList>

#include "core/io/error.h"
#include "core/diffii/pair.h"
#include "core/diffii/textual_inversion.h"
#include "core/io/image.h"
#include "core/io/safetensors.h"
#include "core/models/lora.h"
#include "core/models/stable_diffusion.h"

namespace {

struct Command {
    const char* summary;
    std::function<int(const QStringList&)> run;
};

void printUsage(const std::map<QString, Command>& commands) {
    std::printf("usage: diffii <command> [options]\n\ncommands:\n");
    for (const auto& [name, cmd] : commands) std::printf("  %-10s %s\n", qPrintable(name), cmd.summary);
    std::printf("\n'diffii <command> --help' describes a command's options.\n");
}

// Parses a subcommand's arguments; exits on --help or a usage error.
void parseOrExit(QCommandLineParser& parser, const QStringList& args, const QString& name, const QString& description) {
    parser.setApplicationDescription(description);
    parser.addHelpOption();
    QStringList argv = args;
    argv.prepend(QStringLiteral("diffii ") + name);
    if (!parser.parse(argv)) {
        std::fprintf(stderr, "diffii %s: %s\n", qPrintable(name), qPrintable(parser.errorText()));
        std::exit(2);
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::printf("%s", qPrintable(parser.helpText()));
        std::exit(0);
    }
}

int runInfo(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("MODEL_DIR"), QStringLiteral("Stable Diffusion folder in the diffusers layout"));
    QCommandLineOption noVerify(QStringLiteral("no-verify"),
                                QStringLiteral("Only read headers; do not build the models to check names and shapes"));
    parser.addOption(noVerify);
    parseOrExit(parser, args, QStringLiteral("info"),
                QStringLiteral("Print a model folder's components, configs, parameter counts and stored dtypes, and "
                               "check every weight name and shape against the model built from its config."));
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) {
        std::fprintf(stderr, "diffii info: expected exactly one MODEL_DIR (see --help)\n");
        return 2;
    }
    const auto report = diffii::inspectModelFolder(pos[0].toStdString(), !parser.isSet(noVerify));
    std::printf("%s", report.format().c_str());
    std::printf("status: ok%s\n", parser.isSet(noVerify) ? " (headers only)" : " (all weights match their configs)");
    return 0;
}

// A single progress line on stderr, rewritten in place when stderr is a terminal.
void printProgress(const diffii::Progress& p) {
    static const bool tty = isatty(fileno(stderr));
    std::fprintf(stderr, "%s%s %lld/%lld%s%s", tty ? "\r" : "", p.stage.c_str(), static_cast<long long>(p.done),
                 static_cast<long long>(p.total), p.detail.empty() ? "" : " ", p.detail.c_str());
    std::fprintf(stderr, tty ? "\033[K" : "\n");
    if (tty && p.done == p.total) std::fprintf(stderr, "\n");
}

double parseDouble(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const double v = parser.value(name).toDouble(&ok);
    if (!ok) throw diffii::Error("--" + name.toStdString() + ": '" + parser.value(name).toStdString() + "' is not a number");
    return v;
}

long long parseInt(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const long long v = parser.value(name).toLongLong(&ok);
    if (!ok) throw diffii::Error("--" + name.toStdString() + ": '" + parser.value(name).toStdString() + "' is not an integer");
    return v;
}

int runPair(const QStringList& args) {
    QCommandLineParser parser;
    auto opt = [&](const char* name, const char* help, const char* valueName = nullptr, const char* def = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
        if (valueName) o.setValueName(QString::fromLatin1(valueName));
        if (def) o.setDefaultValue(QString::fromLatin1(def));
        parser.addOption(o);
    };
    opt("model", "Stable Diffusion folder (diffusers layout)", "DIR");
    opt("embeddings", "Textual-inversion file {token: vector}; repeatable", "FILE");
    opt("lora", "LoRA file (diffusers, attn-procs, PEFT or kohya keys)", "FILE");
    opt("image", "Source image; give exactly two", "FILE");
    opt("size", "Image size WxH (default: the model's native size)", "WxH");
    opt("prompt", "Class prompt, e.g. \"a photo of a <bird-0> bird\"", "TEXT");
    opt("suffix", "Scene suffix for the first stage", "TEXT", "");
    opt("alpha", "Rotation parameter of the circle formula (0 = first image, -1 = second)", "X");
    opt("seed", "Draw alpha ~ U(0, 2*pi/theta) from this seed", "N");
    opt("split", "Split ratio s: timesteps t >= 1000*(1-s) use prompt + suffix", "S", "0.5");
    opt("steps", "Denoising steps", "N", "25");
    opt("invert-steps", "DDIM inversion steps", "N", "50");
    opt("guidance", "Classifier-free guidance of the denoising", "G", "7.5");
    opt("invert-guidance", "Guidance of the inversion (<= 1: none)", "G", "1.0");
    opt("out", "Output PNG", "PNG");
    opt("raw", "Also write the decoded image as float32 safetensors tensor 'image' (3, H, W) in [0, 1]", "FILE");
    opt("bf16", "Compute in bfloat16 (faster, not bit-comparable with the float32 reference)");
    parseOrExit(parser, args, QStringLiteral("pair"),
                QStringLiteral("Invert two images with the prompt, rotate along the circle through their inversions "
                               "by alpha, denoise in two stages and write the PNG."));
    for (const char* required : {"model", "prompt", "out"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    const QStringList images = parser.values(QStringLiteral("image"));
    if (images.size() != 2) throw diffii::Error("--image must be given exactly twice, got " + std::to_string(images.size()));
    if (parser.isSet(QStringLiteral("alpha")) == parser.isSet(QStringLiteral("seed")))
        throw diffii::Error("give exactly one of --alpha X or --seed N");

    diffii::LoadSettings settings;
    if (parser.isSet(QStringLiteral("bf16"))) settings.dtype = torch::kBFloat16;
    auto sd = diffii::StableDiffusion::load(parser.value(QStringLiteral("model")).toStdString(), settings);
    for (const QString& e : parser.values(QStringLiteral("embeddings")))
        diffii::loadTextualInversion(e.toStdString(), sd->tokenizer(), *sd->textEncoder());
    if (parser.isSet(QStringLiteral("lora"))) {
        auto lora = diffii::UNetLoraImpl::load(parser.value(QStringLiteral("lora")).toStdString(), *sd->unet());
        if (settings.dtype != torch::kFloat32) lora->to(settings.dtype);
        lora->attach(*sd->unet(), 1.0);
    }

    diffii::PairRequest req;
    req.imageA = images[0].toStdString();
    req.imageB = images[1].toStdString();
    if (parser.isSet(QStringLiteral("size"))) {
        const QStringList wh = parser.value(QStringLiteral("size")).toLower().split(QLatin1Char('x'));
        bool ok1 = false, ok2 = false;
        if (wh.size() == 2) {
            req.width = wh[0].toLongLong(&ok1);
            req.height = wh[1].toLongLong(&ok2);
        }
        if (!ok1 || !ok2 || req.width <= 0 || req.height <= 0)
            throw diffii::Error("--size: '" + parser.value(QStringLiteral("size")).toStdString() + "' is not WxH");
    }
    req.prompt = parser.value(QStringLiteral("prompt")).toStdString();
    req.suffix = parser.value(QStringLiteral("suffix")).toStdString();
    if (parser.isSet(QStringLiteral("alpha"))) req.alpha = parseDouble(parser, QStringLiteral("alpha"));
    else req.seed = static_cast<uint64_t>(parseInt(parser, QStringLiteral("seed")));
    req.denoise.split = parseDouble(parser, QStringLiteral("split"));
    req.denoise.steps = static_cast<int>(parseInt(parser, QStringLiteral("steps")));
    req.denoise.guidance = parseDouble(parser, QStringLiteral("guidance"));
    req.inversion.steps = static_cast<int>(parseInt(parser, QStringLiteral("invert-steps")));
    req.inversion.guidance = parseDouble(parser, QStringLiteral("invert-guidance"));

    diffii::JobContext job;
    job.onProgress = printProgress;
    const auto result = diffii::generatePair(*sd, req, &job);
    diffii::saveImagePng(parser.value(QStringLiteral("out")).toStdString(), result.image);
    if (parser.isSet(QStringLiteral("raw")))
        diffii::saveSafetensors(parser.value(QStringLiteral("raw")).toStdString(), {{"image", result.image.contiguous()}},
                                {{"theta", std::to_string(result.circle.theta)}, {"alpha", std::to_string(result.circle.alpha)}});
    std::printf("theta %.6f alpha %.6f (%s) -> %s\n", result.circle.theta, result.circle.alpha,
                diffii::isInterpolation(result.circle.theta, result.circle.alpha) ? "interpolation" : "extrapolation",
                qPrintable(parser.value(QStringLiteral("out"))));
    return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("diffii"));
    const std::map<QString, Command> commands = {
        {QStringLiteral("info"), {"inspect a Stable Diffusion model folder (diffusers layout)", runInfo}},
        {QStringLiteral("pair"), {"generate one Diff-II image from two images (invert, rotate, denoise)", runPair}},
    };
    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    if (args.isEmpty() || args[0] == QLatin1String("--help") || args[0] == QLatin1String("-h") ||
        args[0] == QLatin1String("help")) {
        printUsage(commands);
        return args.isEmpty() ? 2 : 0;
    }
    if (args[0] == QLatin1String("--version")) {
        std::printf("diffii %s\n", PROJECT_VERSION_STRING);
        return 0;
    }
    const QString name = args.takeFirst();
    const auto it = commands.find(name);
    if (it == commands.end()) {
        std::fprintf(stderr, "diffii: unknown command '%s'\n\n", qPrintable(name));
        printUsage(commands);
        return 2;
    }
    try {
        return it->second.run(args);
    } catch (const diffii::Error& e) {
        std::fprintf(stderr, "diffii %s: error: %s\n", qPrintable(name), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "diffii %s: unexpected error: %s\n", qPrintable(name), e.what());
        return 1;
    }
}
