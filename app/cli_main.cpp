// diffii: the headless command-line front over the same core jobs as the GUI.
// Argument parsing and wiring only; every piece of work lives in core/.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <sys/ioctl.h>
#include <unistd.h>

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStringList>

#include "core/data/dataset.h"
#include "core/data/project.h"
#include "core/data/project_lock.h"
#include "core/data/splits.h"
#include "core/data/synthetic_manifest.h"
#include "core/demo/demo.h"
#include "core/diffii/pair.h"
#include "core/diffii/suffixes.h"
#include "core/engine/session.h"
#include "core/eval/backbone.h"
#include "core/eval/classifier.h"
#include "core/eval/evaluation.h"
#include "core/eval/metrics.h"
#include "core/io/error.h"
#include "core/io/json_config.h"
#include "core/jobs/device.h"
#include "core/jobs/precision.h"
#include "core/jobs/progress.h"
#include "core/jobs/slurm.h"
#include "core/jobs/threads.h"
#include "core/models/value_scan.h"
#include "core/training/pretrainer.h"

namespace fs = std::filesystem;

namespace {

struct Command {
    const char* summary;
    std::function<int(const QStringList&)> run;
};

void printUsage(const std::map<QString, Command>& commands) {
    std::printf("usage: diffii <command> [options]\n\ncommands:\n");
    int width = 0;
    for (const auto& entry : commands) width = std::max(width, static_cast<int>(entry.first.size()));
    for (const auto& [name, cmd] : commands) std::printf("  %-*s  %s\n", width, qPrintable(name), cmd.summary);
    std::printf("\n'diffii <command> --help' describes a command's options.\n");
}

constexpr const char* kPrecisionHelp =
    "Compute precision: auto (default: bfloat16 where the CPU has it natively, it is faster than float32 there and "
    "the model is full-size, else "
    "float32; diffii info --system tells which), float32 or bfloat16";

constexpr const char* kDeviceHelp =
    "Compute device: cpu (default), cuda (the first GPU) or cuda:N; needs a LibTorch built with CUDA (README, CUDA)";

// --device D, canonical ("cpu", "cuda:0", ...) and checked against this LibTorch before any work.
std::string deviceOf(const QCommandLineParser& parser) {
    if (!parser.isSet(QStringLiteral("device"))) return "cpu";
    const auto device = diffii::parseDevice(parser.value(QStringLiteral("device")).toStdString(), "--device");
    diffii::requireDeviceAvailable(device, "--device");
    return device;
}

// --precision P, or --bf16 (kept as a short form of --precision bfloat16).
diffii::Precision precisionOf(const QCommandLineParser& parser) {
    if (parser.isSet(QStringLiteral("bf16"))) return diffii::Precision::BFloat16;
    if (!parser.isSet(QStringLiteral("precision"))) return diffii::Precision::Auto;
    return diffii::parsePrecision(parser.value(QStringLiteral("precision")).toStdString(), "--precision");
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
        // Qt names the executable's path in the usage line; the command is "diffii <name>".
        QString text = parser.helpText();
        const QString usage = QStringLiteral("Usage: ");
        const qsizetype lineEnd = text.indexOf(QLatin1Char('\n'));
        const qsizetype options = text.indexOf(QStringLiteral(" [options]"));
        if (text.startsWith(usage) && options > 0 && (lineEnd < 0 || options < lineEnd))
            text.replace(usage.size(), options - usage.size(), QStringLiteral("diffii ") + name);
        std::printf("%s", qPrintable(text));
        std::exit(0);
    }
}

void printProgress(const diffii::Progress& p);

int runInfo(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("MODEL_DIR"),
                                 QStringLiteral("Stable Diffusion folder in the diffusers layout, or a single-file "
                                                "checkpoint (.safetensors, original layout)"));
    QCommandLineOption modelConfig(QStringLiteral("model-config"),
                                   QStringLiteral("Single file: diffusers folder with the component configs (for "
                                                  "architectures without a built-in config)"),
                                   QStringLiteral("DIR"));
    parser.addOption(modelConfig);
    QCommandLineOption predictionType(QStringLiteral("prediction-type"),
                                      QStringLiteral("Single file: epsilon or v_prediction (overrides the default)"),
                                      QStringLiteral("P"));
    parser.addOption(predictionType);
    QCommandLineOption noVerify(QStringLiteral("no-verify"),
                                QStringLiteral("Only read headers; do not build the models to check names and shapes"));
    parser.addOption(noVerify);
    QCommandLineOption system(QStringLiteral("system"),
                              QStringLiteral("Print this computer's CPU model and features, the thread plan and the "
                                             "precision that auto chooses, with its reason (MODEL_DIR optional)"));
    parser.addOption(system);
    QCommandLineOption scanValues(QStringLiteral("scan-values"),
                                  QStringLiteral("Also read every weight and report the tensors holding NaN or "
                                                 "infinite values (exit status 1 when there are any)"));
    parser.addOption(scanValues);
    parseOrExit(parser, args, QStringLiteral("info"),
                QStringLiteral("Print a model folder's components, configs, parameter counts and stored dtypes, and "
                               "check every weight name and shape against the model built from its config."));
    const QStringList pos = parser.positionalArguments();
    if (parser.isSet(system)) {
        std::printf("%s", diffii::systemReport().c_str());
        std::printf("%s\n", diffii::deviceReport().c_str());
        if (pos.isEmpty()) return 0;
        std::printf("\n");
    }
    if (pos.size() != 1) {
        std::fprintf(stderr, "diffii info: expected exactly one MODEL_DIR (see --help)\n");
        return 2;
    }
    std::printf("%s", diffii::modelFolderReport(pos[0].toStdString(), !parser.isSet(noVerify),
                                                parser.value(modelConfig).toStdString(),
                                                parser.value(predictionType).toStdString())
                          .c_str());
    if (parser.isSet(scanValues)) {
        diffii::JobContext job;  // no cancel flag: Ctrl-C ends a read-only scan at once
        job.onProgress = printProgress;
        const auto scan = diffii::scanModelValues(pos[0].toStdString(), &job);
        std::printf("\nvalues: %lld in %lld floating-point tensors of %lld files\n",
                    static_cast<long long>(scan.values), static_cast<long long>(scan.tensors),
                    static_cast<long long>(scan.files));
        for (const auto& t : scan.nonFinite)
            std::printf("  non-finite: %s: %s: %lld NaN, %lld infinite of %lld\n", t.file.c_str(), t.name.c_str(),
                        static_cast<long long>(t.nan), static_cast<long long>(t.inf), static_cast<long long>(t.numel));
        if (!scan.nonFinite.empty()) {
            std::printf("status: error (%zu tensors hold non-finite values)\n", scan.nonFinite.size());
            return 1;
        }
    }
    std::printf("status: ok%s%s\n", parser.isSet(noVerify) ? " (headers only)" : " (all weights match their configs)",
                parser.isSet(scanValues) ? ", every value finite" : "");
    return 0;
}

// A terminal's progress line that is still open (no newline yet): an error or a cancel message starts below it.
bool g_progressLineOpen = false;

void endProgressLine() {
    if (g_progressLineOpen) std::fprintf(stderr, "\n");
    g_progressLineOpen = false;
}

// The progress line on stderr: "stage done/total detail, ETA ..." ("..., N s" when a stage ends;
// diffii::ProgressLog). On a terminal it is rewritten in place; in a log it is written as throttled lines.
void printProgress(const diffii::Progress& p) {
    static const bool tty = isatty(fileno(stderr));
    static const auto start = std::chrono::steady_clock::now();
    static std::mutex mutex;
    static diffii::ProgressLog log(tty);
    const std::lock_guard<std::mutex> lock(mutex);
    const double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const auto taken = log.take(p, now);
    if (!taken) return;
    const std::string& timing = taken->timing;
    std::string line = taken->text + timing;
    if (!tty) {
        std::fprintf(stderr, "%s\n", line.c_str());
        return;
    }
    // A line wider than the terminal would wrap, and \r would then rewrite only its last row: the detail is cut
    // (at a UTF-8 character boundary), the timing kept.
    winsize ws{};
    const size_t columns = ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 0;
    if (columns > 0 && line.size() >= columns) {
        size_t keep = columns > timing.size() + 4 ? columns - timing.size() - 4 : 0;
        while (keep > 0 && (static_cast<unsigned char>(line[keep]) & 0xC0) == 0x80) --keep;
        line = line.substr(0, keep) + "..." + timing;
        if (line.size() >= columns) line.resize(columns - 1);
    }
    std::fprintf(stderr, "\r%s\033[K", line.c_str());
    g_progressLineOpen = true;
    if (p.done == p.total) endProgressLine();
}

// "--name" (a one-letter option: "-p").
std::string optionText(const QString& name) { return (name.size() == 1 ? "-" : "--") + name.toStdString(); }

// Every number option is finite: "nan" and "inf" parse as doubles but no setting takes them.
double parseDouble(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const double v = parser.value(name).toDouble(&ok);
    if (!ok) throw diffii::Error(optionText(name) + ": '" + parser.value(name).toStdString() + "' is not a number");
    if (!std::isfinite(v))
        throw diffii::Error(optionText(name) + ": '" + parser.value(name).toStdString() + "' is not a finite number");
    return v;
}

// A seed: a whole number from 0 to 2^64 - 1 (a negative one used to wrap around silently).
uint64_t parseSeed(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const QString text = parser.value(name).trimmed();
    const qulonglong v = text.toULongLong(&ok);
    if (!ok || text.startsWith(QLatin1Char('-')) || text.startsWith(QLatin1Char('+')))
        throw diffii::Error(optionText(name) + ": '" + parser.value(name).toStdString() +
                            "' is not a seed (a whole number from 0 to 18446744073709551615)");
    return static_cast<uint64_t>(v);
}

long long parseInt(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const long long v = parser.value(name).toLongLong(&ok);
    if (!ok) throw diffii::Error(optionText(name) + ": '" + parser.value(name).toStdString() + "' is not an integer");
    return v;
}

// At most one of these options (they choose between ways of doing one thing): two were resolved silently before.
void atMostOneOf(const QCommandLineParser& parser, std::initializer_list<const char*> names) {
    std::vector<std::string> given;
    for (const char* n : names)
        if (parser.isSet(QString::fromLatin1(n))) given.push_back(std::string("--") + n);
    if (given.size() > 1) {
        std::string list;
        for (const auto& g : given) list += (list.empty() ? "" : " and ") + g;
        throw diffii::Error(list + " exclude each other: give one");
    }
}

// A file the command will write (an option's value): not a folder, in a folder that exists.
void checkOutputFile(const QCommandLineParser& parser, const char* name) {
    if (!parser.isSet(QString::fromLatin1(name))) return;
    const fs::path path = parser.value(QString::fromLatin1(name)).toStdString();
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw diffii::Error(std::string("--") + name + ": '" + path.string() + "' is a folder; give the file to write");
    const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    if (!fs::is_directory(folder, ec))
        throw diffii::Error(std::string("--") + name + ": '" + folder.string() +
                            "' is not a folder (the file's folder must exist)");
}

int runPair(const QStringList& args) {
    QCommandLineParser parser;
    auto opt = [&](const char* name, const char* help, const char* valueName = nullptr, const char* def = nullptr) {
        QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
        if (valueName) o.setValueName(QString::fromLatin1(valueName));
        if (def) o.setDefaultValue(QString::fromLatin1(def));
        parser.addOption(o);
    };
    opt("model", "Stable Diffusion folder (diffusers layout) or single-file checkpoint (.safetensors)", "DIR|FILE");
    opt("model-config", "Single-file --model: diffusers folder with its component configs", "DIR");
    opt("prediction-type", "Single-file --model: epsilon or v_prediction", "P");
    parser.addOption(QCommandLineOption(
        {QStringLiteral("embedding"), QStringLiteral("embeddings")},
        QStringLiteral("Textual-inversion embedding (kohya emb_params, A1111 string_to_param, diffusers {token: "
                       "vector}; safetensors), named TOKEN in the prompt or else by the file; repeatable"),
        QStringLiteral("FILE[:TOKEN]")));
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
    opt("precision", kPrecisionHelp, "P", "auto");
    opt("bf16", "Same as --precision bfloat16");
    opt("device", kDeviceHelp, "D", "cpu");
    parseOrExit(parser, args, QStringLiteral("pair"),
                QStringLiteral("Invert two images with the prompt, rotate along the circle through their inversions "
                               "by alpha, denoise in two stages and write the PNG."));
    for (const char* required : {"model", "prompt", "out"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    const QStringList images = parser.values(QStringLiteral("image"));
    if (images.size() != 2)
        throw diffii::Error("--image must be given exactly twice, got " + std::to_string(images.size()));
    if (parser.isSet(QStringLiteral("alpha")) == parser.isSet(QStringLiteral("seed")))
        throw diffii::Error("give exactly one of --alpha X or --seed N");

    diffii::PairModel model;
    model.modelDir = parser.value(QStringLiteral("model")).toStdString();
    model.precision = precisionOf(parser);
    model.device = deviceOf(parser);
    for (const QString& e : parser.values(QStringLiteral("embeddings"))) model.embeddings.push_back(e.toStdString());
    if (parser.values(QStringLiteral("lora")).size() > 1)
        throw diffii::Error("--lora is given " + std::to_string(parser.values(QStringLiteral("lora")).size()) +
                            " times: a pair takes one LoRA");
    model.lora = parser.value(QStringLiteral("lora")).toStdString();
    model.modelConfig = parser.value(QStringLiteral("model-config")).toStdString();
    model.predictionType = parser.value(QStringLiteral("prediction-type")).toStdString();

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
    if (parser.isSet(QStringLiteral("alpha")))
        req.alpha = parseDouble(parser, QStringLiteral("alpha"));
    else
        req.seed = parseSeed(parser, QStringLiteral("seed"));
    req.denoise.split = parseDouble(parser, QStringLiteral("split"));
    req.denoise.steps = static_cast<int>(parseInt(parser, QStringLiteral("steps")));
    req.denoise.guidance = parseDouble(parser, QStringLiteral("guidance"));
    req.inversion.steps = static_cast<int>(parseInt(parser, QStringLiteral("invert-steps")));
    req.inversion.guidance = parseDouble(parser, QStringLiteral("invert-guidance"));

    // The output paths are checked before the model loads: a folder given as --out used to fail only at the rename,
    // after the whole pipeline had run.
    for (const char* name : {"out", "raw"}) checkOutputFile(parser, name);
    {
        // The image is written as PNG: a name of another image format would hold PNG bytes under the wrong name.
        const auto ext = fs::path(parser.value(QStringLiteral("out")).toLower().toStdString()).extension().string();
        for (const char* other : {".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".gif"})
            if (ext == other)
                throw diffii::Error("--out: '" + parser.value(QStringLiteral("out")).toStdString() +
                                    "': the image is written as PNG; give a .png name");
    }

    diffii::JobContext job;
    job.onProgress = printProgress;
    const auto result = diffii::generatePair(model, req, &job);
    diffii::saveImagePng(parser.value(QStringLiteral("out")).toStdString(), result.image);
    if (parser.isSet(QStringLiteral("raw")))
        diffii::savePairRaw(parser.value(QStringLiteral("raw")).toStdString(), result);
    std::printf("theta %.6f alpha %.6f (%s) -> %s\n", result.theta, result.alpha,
                result.interpolation ? "interpolation" : "extrapolation",
                qPrintable(parser.value(QStringLiteral("out"))));
    return 0;
}

// Ctrl-C asks the running job to stop at its next step (it writes its checkpoint first); a second Ctrl-C kills.
std::atomic<bool> g_cancel{false};

void onSignal(int) {
    if (g_cancel.exchange(true)) std::_Exit(130);
}

// A job polls its cancel flag between steps; work that polls seldom (loading a model, a long step) is given
// kStopGraceSeconds after the first signal, then the process exits: every write is atomic, so what is on disk
// stays consistent and the next run resumes, as after kill -9.
constexpr int kStopGraceSeconds = 20;

diffii::JobContext cliJob() {
    diffii::JobContext job;
    job.onProgress = printProgress;
    job.cancelFlag = &g_cancel;
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    static std::once_flag watchdog;
    std::call_once(watchdog, [] {
        std::thread([] {
            while (!g_cancel.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            std::this_thread::sleep_for(std::chrono::seconds(kStopGraceSeconds));
            std::fprintf(stderr, "\nstopped: the job did not reach a step boundary within %d s of the signal\n",
                         kStopGraceSeconds);
            std::_Exit(130);
        }).detach();
    });
    return job;
}

QString requireProjectArg(QCommandLineParser& parser, const char* command) {
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1)
        throw diffii::Error("expected exactly one PROJECT_DIR (see diffii " + std::string(command) + " --help)");
    return pos[0];
}

void addOpt(QCommandLineParser& parser, const char* name, const char* help, const char* valueName = nullptr) {
    QCommandLineOption o(QString::fromLatin1(name), QString::fromLatin1(help));
    if (valueName) o.setValueName(QString::fromLatin1(valueName));
    parser.addOption(o);
}

int runConvert(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("SOURCE"),
                                 QStringLiteral("Single-file checkpoint (.safetensors), or with --to-single-file a "
                                                "diffusers folder"));
    addOpt(parser, "out", "The diffusers folder to write (or, with --to-single-file, the .safetensors file)",
           "DIR|FILE");
    addOpt(parser, "to-single-file", "Convert a diffusers folder into one single-file checkpoint (original layout)");
    addOpt(parser, "half", "Store the weights as float16");
    addOpt(parser, "model-config", "Single file: diffusers folder with its component configs", "DIR");
    addOpt(parser, "prediction-type", "Single file: epsilon or v_prediction", "P");
    parseOrExit(parser, args, QStringLiteral("convert"),
                QStringLiteral("Convert a single-file checkpoint into a diffusers folder (atomic; an interrupted run "
                               "resumes), or a folder into a single file."));
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 1) throw diffii::Error("expected exactly one SOURCE (see --help)");
    if (!parser.isSet(QStringLiteral("out"))) throw diffii::Error("--out is required (see --help)");
    const auto out = parser.value(QStringLiteral("out")).toStdString();
    // A single file is read back by its name (.safetensors; .bin and .ckpt are taken for pickles and refused).
    if (parser.isSet(QStringLiteral("to-single-file")) && fs::path(out).extension() != ".safetensors")
        throw diffii::Error("--out: '" + out +
                            "': a single-file checkpoint is written as .safetensors; give such a name");
    const auto lines = diffii::convertModel(pos[0].toStdString(), out, parser.isSet(QStringLiteral("to-single-file")),
                                            parser.isSet(QStringLiteral("half")),
                                            parser.value(QStringLiteral("model-config")).toStdString(),
                                            parser.value(QStringLiteral("prediction-type")).toStdString());
    for (const auto& l : lines) std::printf("  %s\n", l.c_str());
    std::printf("converted %s -> %s\n", qPrintable(pos[0]), out.c_str());
    return 0;
}

int runCreate(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Folder of the new project"));
    addOpt(parser, "dataset", "ImageFolder root: one subfolder per class", "DIR");
    addOpt(parser, "model", "Stable Diffusion folder (diffusers layout) or single-file checkpoint (.safetensors)",
           "DIR|FILE");
    addOpt(parser, "model-config", "Single-file --model: diffusers folder with its component configs", "DIR");
    addOpt(parser, "prediction-type", "Single-file --model: epsilon or v_prediction", "P");
    addOpt(parser, "metaclass", "The word the class prompts are built on, e.g. bird", "WORD");
    addOpt(parser, "seed", "Project seed (default 0)", "N");
    addOpt(parser, "name", "Project name", "TEXT");
    parseOrExit(parser, args, QStringLiteral("create"),
                QStringLiteral("Create a Diff-II project for a dataset and a model."));
    const auto dir = requireProjectArg(parser, "create").toStdString();
    for (const char* required : {"dataset", "model", "metaclass"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    diffii::ProjectConfig config;
    config.datasetPath = std::filesystem::absolute(parser.value(QStringLiteral("dataset")).toStdString()).string();
    config.modelPath = std::filesystem::absolute(parser.value(QStringLiteral("model")).toStdString()).string();
    if (parser.isSet(QStringLiteral("model-config")))
        config.modelConfigPath =
            std::filesystem::absolute(parser.value(QStringLiteral("model-config")).toStdString()).string();
    config.predictionType = parser.value(QStringLiteral("prediction-type")).toStdString();
    config.metaclass = parser.value(QStringLiteral("metaclass")).toStdString();
    if (const auto why = diffii::metaclassProblem(config.metaclass); !why.empty())
        throw diffii::Error("--metaclass: " + why);
    config.name = parser.isSet(QStringLiteral("name")) ? parser.value(QStringLiteral("name")).toStdString()
                                                       : std::filesystem::path(dir).filename().string();
    if (parser.isSet(QStringLiteral("seed"))) config.seed = parseSeed(parser, QStringLiteral("seed"));
    diffii::ImageFolderDataset dataset(config.datasetPath);  // validates before anything is written
    diffii::checkDatasetNames(dataset);
    (void)diffii::modelFolderReport(config.modelPath, false, config.modelConfigPath, config.predictionType);
    config.settings = diffii::WorkflowSettings().toJson();
    // Every image is decoded once now, so that a file that will not load is named here, with every other one,
    // instead of stopping a training run later (the scan above already left out what its header gives away).
    auto job = cliJob();
    const auto failures = dataset.validate(&job);
    // A new or empty folder is created atomically (a temporary sibling renamed into place: a kill leaves no
    // half-made project); a folder that already holds other files keeps them and gets the project beside them.
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec) || std::filesystem::is_empty(dir, ec))
        diffii::createProjectFolder(dir, config);
    else
        diffii::Project::create(dir, config);
    std::printf("created %s: %d classes, %lld images\n", dir.c_str(), dataset.classCount(),
                static_cast<long long>(dataset.imageCount()));
    for (const auto& w : dataset.warnings()) std::printf("warning: %s\n", w.c_str());
    for (const auto& f : failures)
        std::printf("warning: %s does not decode and will stop training until it is fixed or removed: %s\n",
                    f.path.c_str(), f.message.c_str());
    return 0;
}

int runSplit(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "k-shot", "Keep K training images per class", "K");
    addOpt(parser, "long-tail", "Long-tail split with this imbalance factor (needs --max-per-class)", "FACTOR");
    addOpt(parser, "max-per-class", "Images of the largest class in a long-tail split", "N");
    addOpt(parser, "all", "Train on every image");
    addOpt(parser, "seed", "Sampler seed (default: the project seed)", "N");
    parseOrExit(parser, args, QStringLiteral("split"),
                QStringLiteral("Choose the training subset (saved as split.json)."));
    const auto dir = requireProjectArg(parser, "split").toStdString();
    atMostOneOf(parser, {"k-shot", "long-tail", "all"});
    auto project = diffii::Project::open(dir);
    const diffii::ProjectLock lock(dir, "split");
    diffii::ImageFolderDataset dataset(project.datasetDir());
    const uint64_t seed =
        parser.isSet(QStringLiteral("seed")) ? parseSeed(parser, QStringLiteral("seed")) : project.config().seed;
    diffii::Split split;
    if (parser.isSet(QStringLiteral("k-shot"))) {
        split = diffii::kShot(dataset, static_cast<int>(parseInt(parser, QStringLiteral("k-shot"))), seed);
    } else if (parser.isSet(QStringLiteral("long-tail"))) {
        if (!parser.isSet(QStringLiteral("max-per-class"))) throw diffii::Error("--long-tail needs --max-per-class");
        split = diffii::longTail(dataset, parseDouble(parser, QStringLiteral("long-tail")),
                                 static_cast<int>(parseInt(parser, QStringLiteral("max-per-class"))), seed);
    } else if (parser.isSet(QStringLiteral("all"))) {
        split = diffii::all(dataset, seed);
    } else {
        throw diffii::Error("give one of --k-shot K, --long-tail FACTOR --max-per-class N, --all");
    }
    diffii::writeProjectSplit(project, split, dataset.root());
    std::printf("split %s: %lld training images, %lld held out\n", split.method.c_str(),
                static_cast<long long>(split.trainCount()), static_cast<long long>(split.heldOutCount()));
    for (const auto& n : split.notes) std::printf("note: %s\n", n.c_str());
    return 0;
}

// The project's settings with the job options given on the command line, validated (WorkflowSettings::fromJson
// checks every range); nothing is saved.
diffii::WorkflowSettings withOptions(diffii::WorkflowSettings s, const QCommandLineParser& parser,
                                     const std::string& projectFile) {
    auto setInt = [&](const char* name, auto& field) {
        if (parser.isSet(QString::fromLatin1(name)))
            field = static_cast<std::decay_t<decltype(field)>>(parseInt(parser, QString::fromLatin1(name)));
    };
    auto setDouble = [&](const char* name, double& field) {
        if (parser.isSet(QString::fromLatin1(name))) field = parseDouble(parser, QString::fromLatin1(name));
    };
    const auto names = parser.optionNames();
    auto has = [&](const char* n) { return names.contains(QString::fromLatin1(n)); };
    if (has("train-steps")) setInt("train-steps", s.concepts.maxSteps);
    if (has("rank")) setInt("rank", s.concepts.loraRank);
    if (has("lr-embedding")) setDouble("lr-embedding", s.concepts.embeddingLr);
    if (has("lr-lora")) setDouble("lr-lora", s.concepts.loraLr);
    if (has("batch")) setInt("batch", s.concepts.batchSize);
    if (has("accumulate")) setInt("accumulate", s.concepts.gradAccumulation);
    if (has("checkpoint-every")) setInt("checkpoint-every", s.concepts.checkpointEvery);
    if (has("tokens-per-class")) setInt("tokens-per-class", s.concepts.tokensPerClass);
    if (has("init-word") && parser.isSet(QStringLiteral("init-word")))
        s.concepts.initWord = parser.value(QStringLiteral("init-word")).toStdString();
    if (has("invert-steps")) setInt("invert-steps", s.pool.steps);
    if (has("invert-guidance")) setDouble("invert-guidance", s.pool.guidance);
    if (has("expansion")) setDouble("expansion", s.expansionRate);
    if (has("steps")) setInt("steps", s.denoise.steps);
    if (has("guidance")) setDouble("guidance", s.denoise.guidance);
    if (has("split")) setDouble("split", s.denoise.split);
    return diffii::WorkflowSettings::fromJson(s.toJson(), projectFile + " (with the command-line options)");
}

// Checks the options against the project's settings before the model loads: an out-of-range value is refused at
// once, and nothing is saved.
void checkOptions(const QString& dir, const QCommandLineParser& parser) {
    const auto project = diffii::Project::open(dir.toStdString());
    (void)withOptions(diffii::WorkflowSettings::fromJson(project.config().settings, project.projectFile()), parser,
                      project.projectFile());
}

// Applies the job options given on the command line to the project's settings (and saves them).
diffii::WorkflowSettings applySettings(diffii::ProjectSession& session, const QCommandLineParser& parser) {
    const auto s = withOptions(session.settings(), parser, session.project().projectFile());
    session.saveSettings(s);
    return s;
}

void addPrecisionOpts(QCommandLineParser& parser) {
    addOpt(parser, "precision", kPrecisionHelp, "P");
    addOpt(parser, "bf16", "Same as --precision bfloat16");
    addOpt(parser, "device", kDeviceHelp, "D");
}

std::unique_ptr<diffii::ProjectSession> openSession(const QString& dir, diffii::Precision precision,
                                                    diffii::JobContext& job, const std::string& device = "cpu") {
    auto session = diffii::ProjectSession::open(dir.toStdString(), precision, &job, device);
    std::fprintf(stderr, "model: %s%s\n", session->precisionReason().c_str(),
                 device == "cpu" ? "" : (", on " + device).c_str());
    return session;
}

int runTrain(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "train-steps", "Optimizer steps", "N");
    addOpt(parser, "rank", "LoRA rank (default 10)", "R");
    addOpt(parser, "lr-embedding", "Learning rate of the placeholder embeddings", "X");
    addOpt(parser, "lr-lora", "Learning rate of the LoRA", "X");
    addOpt(parser, "batch", "Batch size", "N");
    addOpt(parser, "accumulate", "Gradient accumulation steps", "N");
    addOpt(parser, "checkpoint-every", "Checkpoint every N steps", "N");
    addOpt(parser, "tokens-per-class", "Placeholder tokens per class (default 1)", "N");
    addOpt(parser, "init-word", "Word the placeholder embeddings start from (default: the metaclass)", "WORD");
    addOpt(parser, "restart", "Start from scratch instead of resuming the checkpoint");
    addOpt(parser, "precision",
           "Training precision, saved in the project: auto (bfloat16 where the CPU has it "
           "natively and the model is full-size), float32 or bfloat16",
           "P");
    addOpt(parser, "bf16", "Same as --precision bfloat16");
    addOpt(parser, "device", kDeviceHelp, "D");
    parseOrExit(parser, args, QStringLiteral("train"),
                QStringLiteral("Learn the class concepts (textual inversion + shared LoRA); resumes a checkpoint."));
    // Every writing command holds the project's lock throughout (core/data/project_lock.h): a second writer is
    // refused at once, before settings are saved or the model loads.
    const diffii::ProjectLock lock(requireProjectArg(parser, "train").toStdString(), "train");
    checkOptions(requireProjectArg(parser, "train"), parser);
    auto job = cliJob();
    auto session = openSession(requireProjectArg(parser, "train"), diffii::Precision::Auto, job, deviceOf(parser));
    const auto before = session->settings();
    applySettings(*session, parser);
    if (parser.isSet(QStringLiteral("precision")) || parser.isSet(QStringLiteral("bf16"))) {
        auto settings = session->settings();
        settings.conceptsPrecision = precisionOf(parser);
        session->saveSettings(settings);
    }
    const bool resume = !parser.isSet(QStringLiteral("restart"));
    diffii::ConceptResult r;
    try {
        r = session->trainConcepts(&job, resume);
    } catch (const diffii::CheckpointMismatch& e) {
        // A resume the checkpoint refuses (this run's options differ from the checkpoint's): the options are not
        // kept, or every later plain `diffii train` would be refused the same way.
        if (session->settings().toJson() == before.toJson()) throw;
        session->saveSettings(before);
        throw diffii::Error(std::string(e.what()) +
                            "\n(this run's options were not saved; --restart trains from step 0 with them, "
                            "discarding the checkpoint)");
    }
    std::printf("concepts: %lld steps, final loss %.5f (smoothed %.5f), %.2f steps/s -> %s\n",
                static_cast<long long>(r.steps), r.finalLoss, r.smoothedLoss, r.stepsPerSecond, r.outputDir.c_str());
    return 0;
}

// diffii concepts list|import|remove PROJECT: the class concepts, and embeddings people share used as a class's
// concept without training (ProjectSession::importConcept).
int runConcepts(const QStringList& args) {
    const QString verb = args.isEmpty() ? QString() : args[0];
    if (verb != QLatin1String("list") && verb != QLatin1String("import") && verb != QLatin1String("remove")) {
        if (verb == QLatin1String("--help") || verb == QLatin1String("-h")) {
            std::printf(
                "usage: diffii concepts list PROJECT_DIR\n"
                "       diffii concepts import PROJECT_DIR --class NAME FILE[:TOKEN]\n"
                "       diffii concepts remove PROJECT_DIR --class NAME\n");
            return 0;
        }
        throw diffii::Error("diffii concepts: expected list, import or remove, got '" + verb.toStdString() +
                            "' (see --help)");
    }
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    if (verb == QLatin1String("import"))
        parser.addPositionalArgument(
            QStringLiteral("FILE[:TOKEN]"),
            QStringLiteral("Textual-inversion embedding: kohya (emb_params), A1111 (string_to_param.*) or diffusers "
                           "({token: vector}) safetensors with one embedding; TOKEN names it in the class prompt "
                           "(default: the file's stem, or its key for the diffusers layout)"));
    if (verb != QLatin1String("list")) addOpt(parser, "class", "Class of the project's dataset", "NAME");
    parseOrExit(parser, args.mid(1), QStringLiteral("concepts ") + verb,
                QStringLiteral("List the class concepts, import a shared textual-inversion embedding as a class's "
                               "concept (used without training, instead of the class's trained tokens), or remove "
                               "an import."));
    const QStringList pos = parser.positionalArguments();
    const qsizetype expected = verb == QLatin1String("import") ? 2 : 1;
    if (pos.size() != expected)
        throw diffii::Error(std::string("expected ") +
                            (expected == 2 ? "PROJECT_DIR and FILE" : "exactly one PROJECT_DIR") +
                            " (see diffii concepts " + verb.toStdString() + " --help)");
    if (verb != QLatin1String("list") && !parser.isSet(QStringLiteral("class")))
        throw diffii::Error("--class is required");
    const std::string dir = pos[0].toStdString();
    std::optional<diffii::ProjectLock> lock;
    if (verb != QLatin1String("list")) lock.emplace(dir, "concepts");
    auto job = cliJob();
    auto session = openSession(pos[0], diffii::Precision::Auto, job);
    // `list` has no --class (asking the parser for it printed "option not defined").
    const std::string className =
        verb == QLatin1String("list") ? std::string() : parser.value(QStringLiteral("class")).toStdString();
    if (verb == QLatin1String("import")) {
        const auto [file, token] = diffii::splitEmbeddingArgument(pos[1].toStdString());
        const auto c = session->importConcept(className, file, token, &job);
        std::printf("imported %s (%s, %lld vector%s) as the concept of '%s' -> %s\n", c.token.c_str(), c.layout.c_str(),
                    static_cast<long long>(c.vectors), c.vectors == 1 ? "" : "s", className.c_str(), c.file.c_str());
    } else if (verb == QLatin1String("remove")) {
        session->removeImportedConcept(className, &job);
        std::printf("removed the imported concept of '%s'\n", className.c_str());
    }
    const auto imported = session->importedConcepts();
    for (const auto& c : session->split().classes) {
        std::string origin = session->classTokens(c.name).empty() ? "no concept" : "trained";
        for (const auto& i : imported)
            if (i.className == c.name)
                origin = "imported from " + i.source + " (" + i.layout + ", " + std::to_string(i.vectors) +
                         (i.vectors == 1 ? " vector)" : " vectors)");
        std::printf("%s\t%s\t%s\n", c.name.c_str(), session->classPrompt(c.name).c_str(), origin.c_str());
    }
    return 0;
}

int runPool(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "invert-steps", "DDIM inversion steps (default 50)", "N");
    addOpt(parser, "invert-guidance", "Inversion guidance (default 1.0: none)", "G");
    addPrecisionOpts(parser);
    parseOrExit(parser, args, QStringLiteral("pool"),
                QStringLiteral("Build (or resume) the inversion pool: one DDIM inversion per training image."));
    const diffii::ProjectLock lock(requireProjectArg(parser, "pool").toStdString(), "pool");
    checkOptions(requireProjectArg(parser, "pool"), parser);
    auto job = cliJob();
    auto session = openSession(requireProjectArg(parser, "pool"), precisionOf(parser), job, deviceOf(parser));
    applySettings(*session, parser);
    const auto entries = session->buildPool(&job);
    double mean = 0;
    for (const auto& e : entries) mean += e.psnr;
    std::printf("pool: %zu inversions, mean reconstruction PSNR %.2f dB\n", entries.size(),
                entries.empty() ? 0.0 : mean / static_cast<double>(entries.size()));
    return 0;
}

int runGenerate(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "expansion", "Synthetic images per training image (default 5)", "R");
    addOpt(parser, "steps", "Denoising steps (default 25)", "N");
    addOpt(parser, "guidance", "Classifier-free guidance (default 7.5)", "G");
    addOpt(parser, "split", "Split ratio s (default 0.5)", "S");
    addOpt(parser, "shard",
           "Generate only shard i of N (e.g. 0/4); 'slurm': the shard of this Slurm array task "
           "($SLURM_ARRAY_TASK_ID - $SLURM_ARRAY_TASK_MIN of $SLURM_ARRAY_TASK_COUNT). Shards of one project run at "
           "once",
           "i/N|slurm");
    addPrecisionOpts(parser);
    parseOrExit(parser, args, QStringLiteral("generate"),
                QStringLiteral("Generate the synthetic set (resumes; finished images are kept)."));
    diffii::Shard shard;
    if (parser.value(QStringLiteral("shard")) == QLatin1String("slurm"))
        shard = diffii::shardFromSlurmEnvironment();
    else if (parser.isSet(QStringLiteral("shard")))
        shard = diffii::parseShard(parser.value(QStringLiteral("shard")).toStdString());
    const auto dir = requireProjectArg(parser, "generate");
    // One shard of several shares the project with the other shards: the session takes the shard's lock.
    std::optional<diffii::ProjectLock> lock;
    if (shard.count == 1) lock.emplace(dir.toStdString(), "generate");
    checkOptions(dir, parser);
    diffii::recordSlurmShard(dir.toStdString(), shard, [&] {
        auto job = cliJob();
        auto session = openSession(dir, precisionOf(parser), job, deviceOf(parser));
        bool changesSettings = shard.count == 1;
        for (const char* o : {"expansion", "steps", "guidance", "split"})
            changesSettings = changesSettings || parser.isSet(QString::fromLatin1(o));
        if (changesSettings) applySettings(*session, parser);  // needs the project alone
        const auto r = session->generate(&job, shard.index, shard.count);
        std::printf("generated %lld, kept %lld of %lld (shard %d/%d) -> %s\n", static_cast<long long>(r.generated),
                    static_cast<long long>(r.skipped), static_cast<long long>(r.total), shard.index, shard.count,
                    session->project().syntheticDir().c_str());
        if (r.leftOut > 0)
            std::printf(
                "%lld finished images of an earlier plan (other settings, pool or expansion rate) are left in "
                "the folder but not in the manifest: they are not exported\n",
                static_cast<long long>(r.leftOut));
    });
    return 0;
}

void printSlurmStatus(const diffii::SlurmRunStatus& status) {
    std::printf("run %s: %d shards (jobs %s)\n", status.runId.c_str(), status.shards,
                [&] {
                    std::string ids;
                    for (const auto& id : status.jobIds) ids += (ids.empty() ? "" : ", ") + id;
                    return ids;
                }()
                    .c_str());
    std::printf("%-6s %-10s %-13s %-6s %-12s %s\n", "shard", "state", "images", "exit", "task", "from");
    for (const auto& s : status.shardStates) {
        const std::string images = std::to_string(s.done) + "/" + std::to_string(s.planned);
        std::printf("%-6d %-10s %-13s %-6s %-12s %s%s%s\n", s.shard, diffii::shardStateName(s.state), images.c_str(),
                    s.exitCode.empty() ? "-" : s.exitCode.c_str(), s.jobId.c_str(), s.source.c_str(),
                    s.detail.empty() ? "" : ": ", s.detail.c_str());
    }
}

// --wait: polls the run until no shard is pending or running; non-zero naming every shard that did not finish.
int waitForSlurmRun(const std::string& dir) {
    std::map<int, diffii::ShardState> shown;
    for (;;) {
        const auto status = diffii::slurmRunStatus(dir);
        for (const auto& s : status.shardStates) {
            if (shown.count(s.shard) && shown[s.shard] == s.state) continue;
            shown[s.shard] = s.state;
            std::fprintf(stderr, "shard %d: %s (%lld/%lld images)\n", s.shard, diffii::shardStateName(s.state),
                         static_cast<long long>(s.done), static_cast<long long>(s.planned));
        }
        if (status.finished()) {
            printSlurmStatus(status);
            std::string failed;
            for (const auto& s : status.shardStates)
                if (s.state != diffii::ShardState::Done)
                    failed += (failed.empty() ? "" : "; ") + std::string("shard ") + std::to_string(s.shard) + " " +
                              diffii::shardStateName(s.state) + " (task " + s.jobId +
                              (s.exitCode.empty() ? "" : ", exit " + s.exitCode) + ", log " + s.log + ")";
            if (failed.empty()) return 0;
            std::fprintf(stderr,
                         "diffii slurm: error: run %s did not complete: %s; `diffii slurm resume %s` "
                         "resubmits them\n",
                         status.runId.c_str(), failed.c_str(), dir.c_str());
            return 1;
        }
        for (int i = 0; i < 10 && !g_cancel.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_cancel.load()) {
            std::fprintf(stderr, "\nstopped waiting; the run goes on (`diffii slurm status %s`)\n", dir.c_str());
            return 130;
        }
    }
}

int runSlurm(const QStringList& args) {
    const QString verb = args.isEmpty() ? QString() : args[0];
    if (verb != QLatin1String("submit") && verb != QLatin1String("status") && verb != QLatin1String("resume")) {
        if (verb == QLatin1String("--help") || verb == QLatin1String("-h")) {
            std::printf(
                "usage: diffii slurm submit|status|resume PROJECT_DIR [options]  ('diffii slurm VERB --help')\n");
            return 0;
        }
        std::fprintf(stderr, "diffii slurm: expected submit, status or resume (see diffii slurm --help)\n");
        return 2;
    }
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "wait", "Wait until no shard is pending or running; exit non-zero naming every failed shard");
    if (verb == QLatin1String("submit")) {
        addOpt(parser, "shards", "Array tasks, one shard each (default 4)", "N");
        addOpt(parser, "partition", "sbatch --partition", "NAME");
        addOpt(parser, "time", "sbatch --time (a task's time limit)", "TIME");
        addOpt(parser, "cpus-per-task",
               "sbatch --cpus-per-task, also the task's compute threads (default: 1 for a small model, 4 for a "
               "full-size one)",
               "N");
        addOpt(parser, "mem", "sbatch --mem", "SIZE");
        addOpt(parser, "gres", "sbatch --gres (e.g. gpu:1)", "LIST");
        addOpt(parser, "account", "sbatch --account", "NAME");
        addOpt(parser, "sbatch-arg", "A further sbatch option, passed as it is (repeatable)", "ARG");
    }
    const QString description =
        verb == QLatin1String("submit")
            ? QStringLiteral(
                  "Generate the synthetic set on a Slurm cluster: one shard per task of a job array "
                  "(job script, records and logs in PROJECT/runs/slurm/). Prints the job id.")
        : verb == QLatin1String("status")
            ? QStringLiteral("The latest Slurm run's shards: state, images done of planned, exit code.")
            : QStringLiteral(
                  "Resubmit the latest Slurm run's shards that are not complete (they resume from their "
                  "last image).");
    parseOrExit(parser, args.mid(1), QStringLiteral("slurm ") + verb, description);
    const auto dir = requireProjectArg(parser, "slurm").toStdString();
    (void)diffii::Project::open(dir);
    if (verb == QLatin1String("status")) {
        printSlurmStatus(diffii::slurmRunStatus(dir));
        return parser.isSet(QStringLiteral("wait")) ? waitForSlurmRun(dir) : 0;
    }
    diffii::SlurmSubmitOptions options;
    if (verb == QLatin1String("submit")) {
        if (parser.isSet(QStringLiteral("shards")))
            options.shards = static_cast<int>(parseInt(parser, QStringLiteral("shards")));
        if (parser.isSet(QStringLiteral("cpus-per-task"))) {
            options.cpusPerTask = static_cast<int>(parseInt(parser, QStringLiteral("cpus-per-task")));
            if (options.cpusPerTask < 1) throw diffii::Error("--cpus-per-task: must be at least 1");
        }
        options.partition = parser.value(QStringLiteral("partition")).toStdString();
        options.time = parser.value(QStringLiteral("time")).toStdString();
        options.mem = parser.value(QStringLiteral("mem")).toStdString();
        options.gres = parser.value(QStringLiteral("gres")).toStdString();
        options.account = parser.value(QStringLiteral("account")).toStdString();
        for (const auto& a : parser.values(QStringLiteral("sbatch-arg"))) options.extraArgs.push_back(a.toStdString());
    }
    // Before the model loads: a missing sbatch is named at once.
    (void)diffii::findSlurmCommand("sbatch");
    auto job = cliJob();
    auto session = openSession(QString::fromStdString(dir), diffii::Precision::Auto, job);
    const auto status = verb == QLatin1String("submit") ? session->submitToSlurm(options) : session->resumeSlurm();
    std::printf("Submitted batch job %s\n", status.jobIds.back().c_str());
    std::printf("run %s: %d shards, job script %s/job.sh\n", status.runId.c_str(), status.shards,
                status.runDir.c_str());
    std::fflush(stdout);
    return parser.isSet(QStringLiteral("wait")) ? waitForSlurmRun(dir) : 0;
}

int runExport(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "out", "Export folder (ImageFolder + manifest.csv + manifest.jsonl)", "DIR");
    addOpt(parser, "include-rejected", "Also export images rejected during curation");
    addOpt(parser, "force",
           "Export into a folder that is not empty and not an earlier export of this set, or into a system folder");
    parseOrExit(parser, args, QStringLiteral("export"),
                QStringLiteral("Export the synthetic set, leaving out rejected images."));
    const auto dir = requireProjectArg(parser, "export").toStdString();
    if (!parser.isSet(QStringLiteral("out"))) throw diffii::Error("--out is required");
    auto project = diffii::Project::open(dir);
    const diffii::ProjectLock lock(dir, "export");
    diffii::checkClusterRunComplete(dir);  // after a Slurm run: every planned image, or an error naming the shard
    auto job = cliJob();
    const auto n = diffii::exportSyntheticSet(project.syntheticDir(), parser.value(QStringLiteral("out")).toStdString(),
                                              parser.isSet(QStringLiteral("include-rejected")), &job,
                                              parser.isSet(QStringLiteral("force")));
    std::printf("exported %lld images -> %s\n", static_cast<long long>(n),
                qPrintable(parser.value(QStringLiteral("out"))));
    return 0;
}

int runSuffixes(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder"));
    addOpt(parser, "set", "Replace the list with this file (one suffix per line)", "FILE");
    addOpt(parser, "from-captions", "Summarise a captions file (one caption per line) into at most 10 suffixes",
           "FILE");
    addOpt(parser, "reset", "Back to the metaclass defaults");
    parseOrExit(parser, args, QStringLiteral("suffixes"), QStringLiteral("Show or edit the project's scene suffixes."));
    const auto dir = requireProjectArg(parser, "suffixes").toStdString();
    atMostOneOf(parser, {"set", "from-captions", "reset"});
    auto project = diffii::Project::open(dir);
    std::optional<diffii::ProjectLock> lock;  // only when the list changes
    if (parser.isSet(QStringLiteral("set")) || parser.isSet(QStringLiteral("from-captions")) ||
        parser.isSet(QStringLiteral("reset")))
        lock.emplace(dir, "suffixes");
    if (parser.isSet(QStringLiteral("set"))) {
        diffii::writeProjectSuffixes(project, diffii::loadSuffixes(parser.value(QStringLiteral("set")).toStdString()));
    } else if (parser.isSet(QStringLiteral("from-captions"))) {
        const auto captions = diffii::readCaptionsFile(parser.value(QStringLiteral("from-captions")).toStdString());
        const auto list = diffii::summariseCaptions(captions, project.config().metaclass, 10);
        if (list.empty())
            throw diffii::Error(parser.value(QStringLiteral("from-captions")).toStdString() +
                                ": no scene context found in the captions");
        diffii::writeProjectSuffixes(project, list);
    } else if (parser.isSet(QStringLiteral("reset"))) {
        diffii::resetProjectSuffixes(project);
    }
    const auto list = diffii::projectSuffixes(project);
    for (const auto& sfx : list) std::printf("%s\n", sfx.c_str());
    return 0;
}

int runPretrain(const QStringList& args) {
    QCommandLineParser parser;
    addOpt(parser, "recipe", "Pretraining recipe (resources/models/emoji-sd-tiny-recipe.json)", "FILE");
    addOpt(parser, "corpus", "Captioned corpus folder with captions.jsonl (resources/emoji-birds/rebuild.sh)", "DIR");
    addOpt(parser, "work", "Work folder: checkpoints, latents and the model being trained; a rerun resumes", "DIR");
    addOpt(parser, "export", "Write the trained model of --work as a float16 diffusers folder and stop", "DIR");
    parseOrExit(parser, args, QStringLiteral("pretrain"),
                QStringLiteral("Pretrain the embedded tiny model from a captioned corpus: BPE vocabulary, VAE, then "
                               "UNet + text encoder (noise prediction). Resumes from the work folder's checkpoints."));
    if (!parser.isSet(QStringLiteral("work"))) throw diffii::Error("--work is required (see --help)");
    const std::string work = parser.value(QStringLiteral("work")).toStdString();
    if (parser.isSet(QStringLiteral("export"))) {
        diffii::exportPretrainedModel(work, parser.value(QStringLiteral("export")).toStdString());
        std::printf("exported %s -> %s\n", work.c_str(), qPrintable(parser.value(QStringLiteral("export"))));
        const auto info = diffii::readJsonFile(
            (std::filesystem::path(parser.value(QStringLiteral("export")).toStdString()) / "pretraining.json")
                .string());
        if (!info.value("finished", false))
            std::printf(
                "note: the run is unfinished (stage '%s'): the export holds the weights as they were when it "
                "stopped\n",
                info.value("stage", std::string()).c_str());
        return 0;
    }
    for (const char* required : {"recipe", "corpus"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    const auto recipe = diffii::PretrainRecipe::fromFile(parser.value(QStringLiteral("recipe")).toStdString());
    auto job = cliJob();
    const auto r = diffii::pretrainModel(recipe, parser.value(QStringLiteral("corpus")).toStdString(), work, &job);
    std::printf(
        "pretrain: stage %s, VAE %lld steps (loss %.4f), UNet %lld steps (loss %.4f), scaling %.5f, "
        "%.2f steps/s -> %s\n",
        r.stage.c_str(), static_cast<long long>(r.vaeStep), r.vaeLoss, static_cast<long long>(r.unetStep), r.unetLoss,
        r.scalingFactor, r.stepsPerSecond, r.modelDir.c_str());
    return 0;
}

int runDemo(const QStringList& args) {
    QCommandLineParser parser;
    addOpt(parser, "dir", "Demo project folder (default ~/.local/share/diffii-studio/demo-project)", "DIR");
    addOpt(parser, "train", "Learn the concepts here instead of using the shipped ones (about 5 minutes)");
    addOpt(parser, "no-generate", "Stop after the inversion pool");
    addPrecisionOpts(parser);
    parseOrExit(parser, args, QStringLiteral("demo"),
                QStringLiteral("Run the embedded demo: the emoji-birds dataset (18 classes, 5 shots) with the tiny "
                               "pretrained model. Creates or reuses the demo project, builds the inversion pool and "
                               "generates 5 images per class. Every step resumes."));
    const auto res = diffii::locateDemoResources();
    const std::string dir = parser.isSet(QStringLiteral("dir")) ? parser.value(QStringLiteral("dir")).toStdString()
                                                                : diffii::defaultDemoProjectDir();
    const bool train = parser.isSet(QStringLiteral("train"));
    const auto precision = precisionOf(parser);  // checked before the project is written
    const auto device = deviceOf(parser);
    const auto projectDir = diffii::prepareDemoProject(dir, res, !train);
    std::printf("demo project: %s\n  dataset %s\n  model   %s\n", projectDir.c_str(), res.trainImages.c_str(),
                res.model.c_str());
    auto job = cliJob();
    const auto t0 = std::chrono::steady_clock::now();
    auto lap = [t = t0]() mutable {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - t).count();
        t = now;
        return s;
    };
    auto session = openSession(QString::fromStdString(projectDir), precision, job, device);
    if (train || !session->hasConcepts()) {
        auto settings = session->settings();
        settings.conceptsPrecision = precision;
        session->saveSettings(settings);
        const auto r = session->trainConcepts(&job, true);
        std::printf("concepts: %lld steps, loss %.4f, %.1f s\n", static_cast<long long>(r.steps), r.smoothedLoss,
                    lap());
    } else {
        std::printf("concepts: shipped with the demo (diffii demo --train learns them here)\n");
        lap();
    }
    const auto pool = session->buildPool(&job);
    double psnr = 0;
    for (const auto& e : pool) psnr += e.psnr;
    std::printf("pool: %zu inversions, mean reconstruction PSNR %.2f dB, %.1f s\n", pool.size(),
                pool.empty() ? 0.0 : psnr / static_cast<double>(pool.size()), lap());
    if (!parser.isSet(QStringLiteral("no-generate"))) {
        const auto r = session->generate(&job);
        std::printf("generated %lld (kept %lld) -> %s, %.1f s\n", static_cast<long long>(r.generated),
                    static_cast<long long>(r.skipped), session->project().syntheticDir().c_str(), lap());
    }
    if (!parser.isSet(QStringLiteral("no-generate"))) {
        const auto gen = diffii::syntheticImages(session->project().syntheticDir());
        auto real = diffii::labelledImages(res.trainImages);
        const auto test = diffii::labelledImages(res.testImages);
        real.insert(real.end(), test.begin(), test.end());
        for (const auto space : {diffii::FeatureSpace::Hog, diffii::FeatureSpace::Pixels}) {
            const auto f = diffii::nearestRealImageFaithfulness(gen, real, space);
            std::printf(
                "faithfulness (%s): %lld of %lld generated images (%.1f%%) have a nearest real image (train + "
                "test styles) of their own class\n",
                diffii::describeFeatureSpace(space).c_str(), static_cast<long long>(f.sameClass),
                static_cast<long long>(f.total), 100.0 * f.rate());
        }
    }
    std::printf("open it in the app: diffii-studio %s\n", projectDir.c_str());
    return 0;
}

int runContactSheet(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder (pool built)"));
    addOpt(parser, "out", "Output folder: <class>.png per class and overview.png", "DIR");
    addOpt(parser, "alphas", "Comma-separated alphas (default 0,0.15,0.35,0.5,0.75,1.5)", "LIST");
    addOpt(parser, "turns",
           "Columns by position on the circle instead: comma-separated fractions of a full turn "
           "from the first inversion (alpha = turn x 2pi/theta)",
           "LIST");
    addOpt(parser, "splits", "Comma-separated split ratios s (default 0.3,0.5,0.7)", "LIST");
    addOpt(parser, "suffix", "Scene suffix of the first stage (default none)", "TEXT");
    addPrecisionOpts(parser);
    parseOrExit(parser, args, QStringLiteral("contact-sheet"),
                QStringLiteral("Write one contact sheet per class: the training images, then one row per split "
                               "ratio s with one column per alpha (generated from the class's first two inversions)."));
    if (!parser.isSet(QStringLiteral("out"))) throw diffii::Error("--out is required (see --help)");
    diffii::ContactSheetSettings cs;
    auto list = [&](const char* name, std::vector<double>& into) {
        if (!parser.isSet(QString::fromLatin1(name))) return;
        into.clear();
        for (const auto& part : parser.value(QString::fromLatin1(name)).split(QLatin1Char(','))) {
            bool ok = false;
            into.push_back(part.trimmed().toDouble(&ok));
            if (!ok) throw diffii::Error(std::string("--") + name + ": '" + part.toStdString() + "' is not a number");
            if (!std::isfinite(into.back()))
                throw diffii::Error(std::string("--") + name + ": '" + part.toStdString() + "' is not a finite number");
        }
    };
    list("alphas", cs.alphas);
    list("splits", cs.splits);
    for (const double v : cs.splits)
        if (v < 0 || v > 1)
            throw diffii::Error("--splits: " + std::to_string(v) + " is not a split ratio s (in [0, 1])");
    list("turns", cs.turns);
    cs.suffix = parser.value(QStringLiteral("suffix")).toStdString();
    auto job = cliJob();
    auto session = openSession(requireProjectArg(parser, "contact-sheet"), precisionOf(parser), job, deviceOf(parser));
    const auto files =
        diffii::writeContactSheets(*session, parser.value(QStringLiteral("out")).toStdString(), cs, &job);
    std::printf("wrote %zu contact sheets -> %s\n", files.size(), qPrintable(parser.value(QStringLiteral("out"))));
    return 0;
}

// The classifier options of `classify` and `evaluate` (the recipe of core/eval/classifier.h).
void addRecipeOptions(QCommandLineParser& parser) {
    addOpt(parser, "p", "Probability that a real sample is replaced by a synthetic one of its class (default 0.5)",
           "P");
    addOpt(parser, "arch", "resnet18 (default), resnet34, resnet50 or resnet101 (from scratch)", "ARCH");
    addOpt(parser, "weights",
           "torchvision ResNet weights (safetensors; the file's architecture is used, with a new fc), or none to "
           "train from scratch (default: the embedded backbone when one is shipped)",
           "FILE");
    addOpt(parser, "width", "Stem width of a network trained from scratch (default 64, torchvision's)", "N");
    addOpt(parser, "epochs", "Epochs (default 30)", "N");
    addOpt(parser, "batch", "Batch size (default 32)", "N");
    addOpt(parser, "lr", "Peak learning rate of the cosine schedule (default 0.05)", "X");
    addOpt(parser, "size", "Square input size in pixels (default 64)", "N");
    addOpt(parser, "seed", "Seed of the initialisation, order, replacement and augmentation (default 0)", "N");
}

diffii::ClassifierRecipe recipeOf(const QCommandLineParser& parser, const char* command) {
    diffii::ClassifierRecipe r;
    auto intOpt = [&](const char* name, auto& field) {
        if (parser.isSet(QString::fromLatin1(name)))
            field = static_cast<std::decay_t<decltype(field)>>(parseInt(parser, QString::fromLatin1(name)));
    };
    auto doubleOpt = [&](const char* name, double& field) {
        if (parser.isSet(QString::fromLatin1(name))) field = parseDouble(parser, QString::fromLatin1(name));
    };
    intOpt("epochs", r.epochs);
    intOpt("width", r.width);
    intOpt("batch", r.batchSize);
    intOpt("size", r.resolution);
    intOpt("seed", r.seed);
    doubleOpt("lr", r.lr);
    doubleOpt("p", r.replaceProbability);
    if (parser.isSet(QStringLiteral("arch"))) r.arch = parser.value(QStringLiteral("arch")).toStdString();
    r.weights = parser.isSet(QStringLiteral("weights")) ? parser.value(QStringLiteral("weights")).toStdString()
                                                        : diffii::embeddedBackboneFile();
    if (r.weights.empty())
        std::fprintf(stderr, "diffii %s: no embedded backbone is shipped: training %s from scratch\n", command,
                     r.arch.c_str());
    return r;
}

int runEvaluate(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"), QStringLiteral("Project folder (concepts trained)"));
    addOpt(parser, "strategies",
           "Comma-separated: original, mixup, cutmix, diff-ii, real-guidance, da-fusion, diff-aug, diff-mix, diff-gen",
           "LIST");
    addOpt(parser, "seeds", "Classifier runs per strategy (seed, seed+1, ...; default 5)", "N");
    addOpt(parser, "expansion", "Synthetic images per training image (default: the project's expansion rate)", "R");
    addRecipeOptions(parser);
    addOpt(parser, "test", "ImageFolder of test images (default: the split's held-out images or the project's)", "DIR");
    addOpt(parser, "lpips-trunk", "AlexNet weights for the LPIPS diversity (with --lpips-lin)", "FILE");
    addOpt(parser, "lpips-lin", "LPIPS v0.1 linear layers", "FILE");
    addOpt(parser, "out", "Output folder: results.json, table.md, table.csv and one folder per run (resumable)", "DIR");
    addOpt(parser, "device",
           "Compute device of the diffusion model (the synthetic sets): cpu (default), cuda or cuda:N; the "
           "classifiers train on the CPU",
           "D");
    parseOrExit(parser, args, QStringLiteral("evaluate"),
                QStringLiteral("Compare augmentation strategies as the paper's Table 1 does: generate each "
                               "strategy's synthetic set, train classifiers on real + synthetic images over several "
                               "seeds, and report accuracy (mean and std), diversity and faithfulness."));
    for (const char* required : {"strategies", "out"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    diffii::EvaluationSettings e;
    e.strategies.clear();
    for (const auto& s : parser.value(QStringLiteral("strategies")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        e.strategies.push_back(s.trimmed().toStdString());
    if (parser.isSet(QStringLiteral("seeds"))) e.seeds = static_cast<int>(parseInt(parser, QStringLiteral("seeds")));
    if (parser.isSet(QStringLiteral("expansion"))) e.expansionRate = parseDouble(parser, QStringLiteral("expansion"));
    e.recipe = recipeOf(parser, "evaluate");
    e.testDir = parser.value(QStringLiteral("test")).toStdString();
    e.lpipsTrunk = parser.value(QStringLiteral("lpips-trunk")).toStdString();
    e.lpipsLin = parser.value(QStringLiteral("lpips-lin")).toStdString();
    if (e.lpipsTrunk.empty() != e.lpipsLin.empty()) throw diffii::Error("give both --lpips-trunk and --lpips-lin");
    for (const auto& s : e.strategies) diffii::checkEvaluationStrategy(s);
    const diffii::ProjectLock lock(requireProjectArg(parser, "evaluate").toStdString(), "evaluate");
    auto job = cliJob();
    auto session = openSession(requireProjectArg(parser, "evaluate"), diffii::Precision::Auto, job, deviceOf(parser));
    const auto out = parser.value(QStringLiteral("out")).toStdString();
    const auto report = diffii::runEvaluation(*session, e, out, &job);
    std::printf("%s", report.markdownTable(e).c_str());
    std::printf("-> %s/results.json, table.md, table.csv\n", out.c_str());
    return 0;
}

int runFaithfulness(const QStringList& args) {
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("PROJECT_DIR"),
                                 QStringLiteral("Project folder (synthetic set generated)"));
    addOpt(parser, "real", "ImageFolder of real images to compare with; repeatable (default: the project's dataset)",
           "DIR");
    addOpt(parser, "features",
           "Feature space: hog (histograms of oriented gradients of the grey 64x64 image) or "
           "pixels (RGB, area-resized to N x N); default hog",
           "SPACE");
    addOpt(parser, "feature-size", "Side of the pixel feature (default 32)", "N");
    parseOrExit(parser, args, QStringLiteral("faithfulness"),
                QStringLiteral("Share of the generated images whose nearest real image (Euclidean distance in the "
                               "feature space) is of the same class."));
    const auto project = diffii::Project::open(requireProjectArg(parser, "faithfulness").toStdString());
    std::vector<diffii::LabelledImage> real;
    QStringList dirs = parser.values(QStringLiteral("real"));
    if (dirs.isEmpty()) dirs << QString::fromStdString(project.datasetDir());
    for (const auto& d : dirs) {
        const auto imgs = diffii::labelledImages(d.toStdString());
        real.insert(real.end(), imgs.begin(), imgs.end());
    }
    const int64_t size =
        parser.isSet(QStringLiteral("feature-size")) ? parseInt(parser, QStringLiteral("feature-size")) : 32;
    const auto space = diffii::parseFeatureSpace(
        parser.isSet(QStringLiteral("features")) ? parser.value(QStringLiteral("features")).toStdString() : "hog");
    const auto f =
        diffii::nearestRealImageFaithfulness(diffii::syntheticImages(project.syntheticDir()), real, space, size);
    for (const auto& [name, c] : f.perClass)
        std::printf("  %-28s %lld/%lld\n", name.c_str(), static_cast<long long>(c.first),
                    static_cast<long long>(c.second));
    std::printf(
        "faithfulness: %lld of %lld (%.1f%%) have a nearest real image of their own class (%zu real images, "
        "%s)\n",
        static_cast<long long>(f.sameClass), static_cast<long long>(f.total), 100.0 * f.rate(), real.size(),
        diffii::describeFeatureSpace(space, size).c_str());
    return 0;
}

int runClassify(const QStringList& args) {
    QCommandLineParser parser;
    addOpt(parser, "train", "ImageFolder of the real training images", "DIR");
    addOpt(parser, "test", "ImageFolder of the test images (the same classes)", "DIR");
    addOpt(parser, "synthetic", "ImageFolder of synthetic images (an export; its manifest gives Diff-Mix soft labels)",
           "DIR");
    addRecipeOptions(parser);
    addOpt(parser, "mixing", "Batch mixing baseline: none (default), mixup or cutmix (on a batch with probability 0.5)",
           "M");
    addOpt(parser, "out", "Output folder: result.json, checkpoint.safetensors (a rerun resumes)", "DIR");
    parseOrExit(parser, args, QStringLiteral("classify"),
                QStringLiteral("Train a ResNet on real (+ synthetic) images with the paper's recipe (SGD, cosine "
                               "schedule with warm-up, label smoothing, RandomCrop + flip) and report its top-1 "
                               "accuracy on the test set at the last epoch, per class and as a confusion matrix."));
    for (const char* required : {"train", "test", "out"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    auto r = recipeOf(parser, "classify");
    if (parser.isSet(QStringLiteral("mixing")))
        r.mixing = diffii::parseBatchMixing(parser.value(QStringLiteral("mixing")).toStdString());
    const auto data = diffii::loadClassifierData(parser.value(QStringLiteral("train")).toStdString(),
                                                 parser.value(QStringLiteral("test")).toStdString(),
                                                 parser.value(QStringLiteral("synthetic")).toStdString());
    auto job = cliJob();
    const auto out = parser.value(QStringLiteral("out")).toStdString();
    const auto res = diffii::trainClassifier(data, r, out, &job);
    std::printf(
        "accuracy %.4f (last epoch %d; best epoch %lld: %.4f, optimistic) over %zu test images, %zu classes, "
        "%.1f%% of training samples synthetic, %.0f s -> %s/result.json\n",
        res.accuracy, r.epochs, static_cast<long long>(res.bestEpoch), res.bestAccuracy, data.test.size(),
        data.classNames.size(), 100.0 * res.replacedFraction, res.seconds, out.c_str());
    return 0;
}

int runLpips(const QStringList& args) {
    QCommandLineParser parser;
    addOpt(parser, "trunk", "torchvision AlexNet weights (safetensors: features.*, or the whole network)", "FILE");
    addOpt(parser, "lin", "LPIPS v0.1 linear layers (safetensors: lin0..lin4.model.1.weight)", "FILE");
    parser.addPositionalArgument(QStringLiteral("A"), QStringLiteral("First image"));
    parser.addPositionalArgument(QStringLiteral("B"), QStringLiteral("Second image (resized to A's size)"));
    parseOrExit(parser, args, QStringLiteral("lpips"),
                QStringLiteral("Print the LPIPS v0.1 (AlexNet) distance of two images."));
    const QStringList pos = parser.positionalArguments();
    if (pos.size() != 2) throw diffii::Error("expected two images A B (see --help)");
    for (const char* required : {"trunk", "lin"})
        if (!parser.isSet(QString::fromLatin1(required)))
            throw diffii::Error(std::string("--") + required + " is required (see --help)");
    std::printf("%.6f\n", diffii::lpipsDistance(parser.value(QStringLiteral("trunk")).toStdString(),
                                                parser.value(QStringLiteral("lin")).toStdString(), pos[0].toStdString(),
                                                pos[1].toStdString()));
    return 0;
}

// diffii pretrain-backbone: the embedded classifier backbone (core/eval/backbone.h), resumable, then its export.
int runPretrainBackbone(const QStringList& args) {
    QCommandLineParser parser;
    addOpt(parser, "recipe", "Backbone recipe (resources/models/backbone-recipe.json)", "FILE");
    addOpt(parser, "corpus", "Captioned emoji corpus with captions.jsonl (resources/emoji-birds/rebuild.sh)", "DIR");
    addOpt(parser, "work", "Work folder: the per-epoch checkpoint and result.json; a rerun resumes", "DIR");
    addOpt(parser, "export",
           "Write the trained network of --work as F16 safetensors (torchvision names) to FILE, e.g. "
           "resources/models/backbone/model.safetensors; without --recipe and --corpus only the export is done",
           "FILE");
    parseOrExit(parser, args, QStringLiteral("pretrain-backbone"),
                QStringLiteral("Pretrain the embedded classifier backbone (a narrow torchvision ResNet) on the emoji "
                               "corpus with the emoji names as classes, holding out the recipe's style(s) as the "
                               "test set. Ctrl-C keeps the last finished epoch; running it again resumes."));
    if (!parser.isSet(QStringLiteral("work"))) throw diffii::Error("--work is required (see --help)");
    const std::string work = parser.value(QStringLiteral("work")).toStdString();
    const bool train = parser.isSet(QStringLiteral("recipe")) || parser.isSet(QStringLiteral("corpus"));
    if (!train && !parser.isSet(QStringLiteral("export")))
        throw diffii::Error("--recipe and --corpus are required, or --export alone (see --help)");
    if (train) {
        for (const char* required : {"recipe", "corpus"})
            if (!parser.isSet(QString::fromLatin1(required)))
                throw diffii::Error(std::string("--") + required + " is required (see --help)");
        const auto recipe = diffii::BackboneRecipe::fromFile(parser.value(QStringLiteral("recipe")).toStdString());
        auto job = cliJob();
        const auto r =
            diffii::pretrainBackbone(recipe, parser.value(QStringLiteral("corpus")).toStdString(), work, &job);
        std::printf(
            "pretrain-backbone: %s width %lld, %lld classes, %lld training / %lld held-out images, %lld epochs "
            "(%lld steps%s), held-out accuracy %.4f, %.0f s -> %s\n",
            recipe.arch.c_str(), static_cast<long long>(recipe.width), static_cast<long long>(r.classes),
            static_cast<long long>(r.trainImages), static_cast<long long>(r.testImages),
            static_cast<long long>(r.epochs), static_cast<long long>(r.steps),
            r.resumedFromEpoch > 0 ? (", resumed after epoch " + std::to_string(r.resumedFromEpoch)).c_str() : "",
            r.heldOutAccuracy, r.seconds, work.c_str());
    }
    if (parser.isSet(QStringLiteral("export"))) {
        const auto e = diffii::exportBackbone(work, parser.value(QStringLiteral("export")).toStdString());
        std::printf("exported %s (epoch %lld, %lld steps, held-out accuracy %.4f, %lld tensors, %.1f MB) -> %s\n",
                    work.c_str(), static_cast<long long>(e.epochs), static_cast<long long>(e.steps), e.heldOutAccuracy,
                    static_cast<long long>(e.tensors), static_cast<double>(e.bytes) / 1e6, e.file.c_str());
    }
    return 0;
}

}  // namespace

int main(int argc, char* argv[]) {
    diffii::prepareProcess(argv);  // first: it may start the program again
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("diffii"));
    const std::map<QString, Command> commands = {
        {QStringLiteral("info"), {"inspect a Stable Diffusion model (diffusers folder or single file)", runInfo}},
        {QStringLiteral("convert"),
         {"convert a single-file checkpoint into a diffusers folder, or back (--to-single-file)", runConvert}},
        {QStringLiteral("pair"), {"generate one Diff-II image from two images (invert, rotate, denoise)", runPair}},
        {QStringLiteral("create"), {"create a project for a dataset (ImageFolder) and a model", runCreate}},
        {QStringLiteral("split"), {"choose the training subset: k-shot, long-tail or all", runSplit}},
        {QStringLiteral("train"), {"learn the class concepts (textual inversion + LoRA)", runTrain}},
        {QStringLiteral("concepts"),
         {"list the class concepts; import a shared embedding as a class's concept (list|import|remove)", runConcepts}},
        {QStringLiteral("pool"), {"build the inversion pool (DDIM inversion of every training image)", runPool}},
        {QStringLiteral("suffixes"), {"show or edit the scene suffixes", runSuffixes}},
        {QStringLiteral("generate"), {"generate the synthetic set (expansion rate, shards, resume)", runGenerate}},
        {QStringLiteral("export"), {"export the curated synthetic set (ImageFolder + manifests)", runExport}},
        {QStringLiteral("slurm"),
         {"generate on a Slurm cluster as a job array: slurm submit|status|resume PROJECT", runSlurm}},
        {QStringLiteral("contact-sheet"),
         {"render contact sheets (real vs generated at several alpha and s)", runContactSheet}},
        {QStringLiteral("faithfulness"),
         {"share of generated images whose nearest real image is of their class", runFaithfulness}},
        {QStringLiteral("classify"),
         {"train and test a ResNet on real (+ synthetic) images: does the augmentation help?", runClassify}},
        {QStringLiteral("evaluate"),
         {"compare augmentation strategies: sets, classifiers over seeds, the mini Table 1", runEvaluate}},
        {QStringLiteral("lpips"), {"LPIPS distance of two images (AlexNet, v0.1)", runLpips}},
        {QStringLiteral("demo"), {"run the embedded emoji-birds demo (tiny model, pool, 5 images per class)", runDemo}},
        {QStringLiteral("pretrain"),
         {"pretrain the embedded tiny model from a captioned corpus (resumable)", runPretrain}},
        {QStringLiteral("pretrain-backbone"),
         {"pretrain the embedded classifier backbone (ResNet) on the emoji corpus (resumable)", runPretrainBackbone}},
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
        diffii::configureComputeThreads();
        return it->second.run(args);
    } catch (const diffii::Cancelled&) {
        g_progressLineOpen = false;  // the message's own newline ends it
        std::fprintf(stderr, "\ndiffii %s: cancelled; finished work is kept and the next run resumes\n",
                     qPrintable(name));
        return 130;
    } catch (const diffii::Error& e) {
        endProgressLine();
        std::fprintf(stderr, "diffii %s: error: %s\n", qPrintable(name), e.what());
        return 1;
    } catch (const std::exception& e) {
        endProgressLine();
        std::fprintf(stderr, "diffii %s: unexpected error: %s\n", qPrintable(name), e.what());
        return 1;
    }
}
