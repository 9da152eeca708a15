// diffii-emoji-dataset: builds the "emoji-birds" demo dataset and an emoji pretraining corpus from the extracted npm
// packages emoji-datasource-google, emoji-datasource-twitter, openmoji, fluentui-emoji and @lobehub/fluent-emoji-3d.
// Qt only (Gui + Svg): SVGs are rendered with QSvgRenderer, PNG and WebP decoded with QImage; every image is drawn on
// opaque white at a larger size, downscaled with Qt::SmoothTransformation and saved as an 8-bit RGB PNG.
// See resources/emoji-birds/rebuild.sh and resources/emoji-birds/ATTRIBUTION.md.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <vector>

#include <unistd.h>

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QImageReader>
#include <QImageWriter>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPainter>
#include <QSaveFile>
#include <QSvgRenderer>
#include <QThreadPool>

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Styles, demo classes

struct Style {
    const char* id;    // folder / file stem
    const char* word;  // caption word: "a photo of a <name>, <word> emoji"
    bool train;        // demo split
};

const Style kStyles[] = {
    {"noto", "noto", false},
    {"twemoji", "twemoji", false},
    {"openmoji-color", "openmoji", true},
    {"openmoji-black", "outline", true},
    {"fluent-color", "fluent", true},
    {"fluent-flat", "flat", true},
    {"fluent-high-contrast", "high contrast", true},
    {"fluent-3d", "3d", false},
};

struct DemoClass {
    const char* name;  // CLDR name, lower case
    const char* code;  // code point(s), without FE0F
};

const DemoClass kDemoClasses[] = {
    {"rooster", "1F413"},
    {"chicken", "1F414"},
    {"hatching chick", "1F423"},
    {"baby chick", "1F424"},
    {"front-facing baby chick", "1F425"},
    {"bird", "1F426"},
    {"penguin", "1F427"},
    {"dove", "1F54A"},
    {"turkey", "1F983"},
    {"eagle", "1F985"},
    {"duck", "1F986"},
    {"owl", "1F989"},
    {"peacock", "1F99A"},
    {"parrot", "1F99C"},
    {"swan", "1F9A2"},
    {"dodo", "1F9A4"},
    {"flamingo", "1F9A9"},
    {"goose", "1FABF"},
};

// Upper case, without the emoji presentation selector: "1f54a-fe0f" -> "1F54A".
QString normCode(const QString& code) {
    QStringList parts = code.toUpper().split(QLatin1Char('-'), Qt::SkipEmptyParts);
    parts.removeAll(QStringLiteral("FE0F"));
    return parts.join(QLatin1Char('-'));
}

QString slugOf(const QString& name) { return QString(name).replace(QLatin1Char(' '), QLatin1Char('-')); }

[[noreturn]] void fail(const QString& message) {
    std::fprintf(stderr, "diffii-emoji-dataset: %s\n", qPrintable(message));
    std::exit(1);
}

// ---------------------------------------------------------------------------------------------------------------
// Package discovery and metadata

QString findPackage(const QDir& root, const QString& prefix) {
    const QStringList dirs =
        root.entryList({prefix + QStringLiteral("*")}, QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    if (dirs.isEmpty())
        fail(QStringLiteral("no folder %1* in %2 (expected the extracted npm package, with package/ inside)")
                 .arg(prefix, root.absolutePath()));
    if (dirs.size() > 1)
        fail(QStringLiteral("more than one folder %1* in %2: %3 (remove the stale one)")
                 .arg(prefix, root.absolutePath(), dirs.join(QStringLiteral(", "))));
    const QString pkg = root.absoluteFilePath(dirs.first() + QStringLiteral("/package"));
    if (!QFileInfo(pkg).isDir()) fail(QStringLiteral("missing folder %1").arg(pkg));
    return pkg;
}

QString requireDir(const QString& path) {
    if (!QFileInfo(path).isDir()) fail(QStringLiteral("missing folder %1").arg(path));
    return path;
}

QJsonArray readJsonArray(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) fail(QStringLiteral("cannot read %1: %2").arg(path, f.errorString()));
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError)
        fail(QStringLiteral("%1: JSON error at offset %2: %3").arg(path).arg(err.offset).arg(err.errorString()));
    if (!doc.isArray()) fail(QStringLiteral("%1: expected a JSON array at the top level").arg(path));
    return doc.array();
}

struct BaseEmoji {  // an entry of emoji-datasource's emoji.json (base entries only, no skin_variations)
    QString unified;
    QString name;
    QString image;
    bool hasImg = false;
};

std::vector<BaseEmoji> readDatasource(const QString& pkg, const char* vendor, int* skinVariations) {
    const QJsonArray arr = readJsonArray(pkg + QStringLiteral("/emoji.json"));
    std::vector<BaseEmoji> out;
    const QString hasKey = QStringLiteral("has_img_") + QLatin1String(vendor);
    for (const QJsonValue& v : arr) {
        const QJsonObject o = v.toObject();
        BaseEmoji e;
        e.unified = o.value(QStringLiteral("unified")).toString();
        e.name = o.value(QStringLiteral("name")).toString().toLower();
        e.image = o.value(QStringLiteral("image")).toString();
        e.hasImg = o.value(hasKey).toBool();
        if (skinVariations) *skinVariations += o.value(QStringLiteral("skin_variations")).toObject().size();
        if (e.unified.isEmpty()) continue;
        out.push_back(e);
    }
    if (out.empty()) fail(QStringLiteral("%1/emoji.json has no entries").arg(pkg));
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Jobs

struct Job {
    QString style;   // style id
    QString source;  // absolute source path
    QString output;  // absolute output path
    QString file;    // corpus: path relative to the corpus root; empty for demo images
    QString name;
    bool demo = false;
};

enum class Outcome { Written, UpToDate, Failed };

struct Result {
    Outcome outcome = Outcome::Failed;
    QString error;
};

// Draws `source` on opaque white at (at least) `renderSize`, centred with its aspect ratio kept, then downscales it
// to size x size. Returns a null image and sets *error on failure.
QImage renderImage(const QString& source, int size, int renderSize, QString* error) {
    QImage canvas;
    if (source.endsWith(QStringLiteral(".svg"), Qt::CaseInsensitive)) {
        QSvgRenderer svg;
        if (!svg.load(source) || !svg.isValid()) {
            *error = QStringLiteral("cannot parse SVG");
            return {};
        }
        QRectF box = svg.viewBoxF();
        if (box.isEmpty()) box = QRectF(QPointF(0, 0), QSizeF(svg.defaultSize()));
        if (box.isEmpty()) {
            *error = QStringLiteral("SVG has no size");
            return {};
        }
        const double scale = std::min(renderSize / box.width(), renderSize / box.height());
        const QSizeF drawn(box.width() * scale, box.height() * scale);
        const QRectF target(QPointF((renderSize - drawn.width()) / 2, (renderSize - drawn.height()) / 2), drawn);
        canvas = QImage(renderSize, renderSize, QImage::Format_ARGB32_Premultiplied);
        canvas.fill(Qt::white);
        QPainter p(&canvas);
        p.setRenderHints(QPainter::Antialiasing | QPainter::SmoothPixmapTransform | QPainter::TextAntialiasing);
        svg.render(&p, target);
        p.end();
    } else {
        QImageReader reader(source);
        reader.setAutoTransform(true);
        const QImage img = reader.read();
        if (img.isNull()) {
            *error = reader.errorString();
            return {};
        }
        const int side = std::max(img.width(), img.height());
        canvas = QImage(side, side, QImage::Format_ARGB32_Premultiplied);
        canvas.fill(Qt::white);
        QPainter p(&canvas);
        p.drawImage(QPoint((side - img.width()) / 2, (side - img.height()) / 2),
                    img.convertToFormat(QImage::Format_ARGB32_Premultiplied));
        p.end();
    }
    if (canvas.width() != size) canvas = canvas.scaled(size, size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    return canvas.convertToFormat(QImage::Format_RGB888);
}

bool upToDate(const Job& job, int size) {
    const QFileInfo out(job.output);
    if (!out.exists() || out.lastModified() < QFileInfo(job.source).lastModified()) return false;
    QImageReader reader(job.output);
    return reader.size() == QSize(size, size);
}

Result process(const Job& job, int size, int renderSize) {
    Result r;
    if (upToDate(job, size)) {
        r.outcome = Outcome::UpToDate;
        return r;
    }
    if (!QFileInfo::exists(job.source)) {
        r.error = QStringLiteral("missing file");
        return r;
    }
    const QImage img = renderImage(job.source, size, renderSize, &r.error);
    if (img.isNull()) return r;
    QSaveFile file(job.output);
    if (!file.open(QIODevice::WriteOnly)) {
        r.error = QStringLiteral("cannot write %1: %2").arg(job.output, file.errorString());
        return r;
    }
    QImageWriter writer(&file, "png");
    if (!writer.write(img)) {
        r.error = QStringLiteral("cannot encode %1: %2").arg(job.output, writer.errorString());
        file.cancelWriting();
        return r;
    }
    if (!file.commit()) {
        r.error = QStringLiteral("cannot write %1: %2").arg(job.output, file.errorString());
        return r;
    }
    r.outcome = Outcome::Written;
    return r;
}

// ---------------------------------------------------------------------------------------------------------------

struct Packages {
    QString google, twitter, openmoji, fluent, fluent3d;
};

struct Collected {
    std::vector<Job> jobs;
    std::vector<std::pair<QString, int>> leftOut;  // (what, count): skin-tone variants and unmatched files
    std::map<QString, int> noImage;                // per style: entries without artwork in the package (no job made)
    int demoExcluded = 0;
};

}  // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("diffii-emoji-dataset"));
    // QtSvg warns about every unsupported element (filters, masks) of every file; the counts go in the summary.
    QLoggingCategory::setFilterRules(QStringLiteral("qt.svg*=false"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Builds the emoji-birds demo dataset (18 bird classes, 5 train and 3 test styles) and an emoji pretraining\n"
        "corpus (every other emoji of the packages, all 8 styles, no skin-tone variants) from extracted npm\n"
        "packages. See resources/emoji-birds/rebuild.sh."));
    parser.addHelpOption();
    const QCommandLineOption packagesOpt(QStringLiteral("packages"),
                                         QStringLiteral("Folder holding the extracted packages (each with package/)."),
                                         QStringLiteral("DIR"));
    const QCommandLineOption demoOpt(QStringLiteral("demo"), QStringLiteral("Output folder of the demo dataset."),
                                     QStringLiteral("OUT_DEMO"));
    const QCommandLineOption corpusOpt(QStringLiteral("corpus"), QStringLiteral("Output folder of the corpus."),
                                       QStringLiteral("OUT_CORPUS"));
    const QCommandLineOption sizeOpt(QStringLiteral("size"), QStringLiteral("Output side in pixels (default 64)."),
                                     QStringLiteral("SIZE"), QStringLiteral("64"));
    const QCommandLineOption threadsOpt(QStringLiteral("threads"),
                                        QStringLiteral("Worker threads (default and maximum 2)."), QStringLiteral("N"),
                                        QStringLiteral("2"));
    parser.addOptions({packagesOpt, demoOpt, corpusOpt, sizeOpt, threadsOpt});
    parser.process(app);
    if (!parser.isSet(packagesOpt) || !parser.isSet(demoOpt) || !parser.isSet(corpusOpt)) {
        std::fprintf(stderr,
                     "usage: diffii-emoji-dataset --packages DIR --demo OUT_DEMO --corpus OUT_CORPUS [--size 64]\n");
        return 2;
    }
    bool ok = false;
    const int size = parser.value(sizeOpt).toInt(&ok);
    if (!ok || size < 8 || size > 1024) fail(QStringLiteral("--size must be an integer in 8..1024"));
    const int threads = parser.value(threadsOpt).toInt(&ok);
    if (!ok || threads < 1 || threads > 2) fail(QStringLiteral("--threads must be 1 or 2"));
    const int renderSize = std::max(256, 4 * size);
    if (!QImageReader::supportedImageFormats().contains("webp"))
        fail(QStringLiteral("this Qt cannot read WebP (install Debian's qt6-image-formats-plugins)"));

    const QDir root(parser.value(packagesOpt));
    if (!root.exists()) fail(QStringLiteral("missing folder %1").arg(root.absolutePath()));
    Packages pk;
    pk.google = findPackage(root, QStringLiteral("emoji-datasource-google-"));
    pk.twitter = findPackage(root, QStringLiteral("emoji-datasource-twitter-"));
    pk.openmoji = findPackage(root, QStringLiteral("openmoji-"));
    pk.fluent = findPackage(root, QStringLiteral("fluentui-emoji-"));
    pk.fluent3d = findPackage(root, QStringLiteral("lobehub-fluent-emoji-3d-"));
    const QString demoRoot = QDir(parser.value(demoOpt)).absolutePath();
    const QString corpusRoot = QDir(parser.value(corpusOpt)).absolutePath();

    std::set<QString> demoCodes, demoSlugs;
    for (const DemoClass& c : kDemoClasses) {
        demoCodes.insert(QLatin1String(c.code));
        demoSlugs.insert(slugOf(QLatin1String(c.name)));
    }

    Collected col;
    // demoSources[class][style] = source path
    std::map<QString, std::map<QString, QString>> demoSources;
    QStringList demoErrors;
    auto addCorpus = [&](const QString& style, const QString& id, const QString& source, const QString& name) {
        Job j;
        j.style = style;
        j.source = source;
        j.file = QStringLiteral("images/%1/%2.png").arg(style, id);
        j.output = corpusRoot + QLatin1Char('/') + j.file;
        j.name = name;
        col.jobs.push_back(j);
    };

    // --- emoji-datasource (noto, twemoji) ------------------------------------------------------------------------
    int skinGoogle = 0, skinTwitter = 0;
    const std::vector<BaseEmoji> google = readDatasource(pk.google, "google", &skinGoogle);
    const std::vector<BaseEmoji> twitter = readDatasource(pk.twitter, "twitter", &skinTwitter);
    col.leftOut.push_back({QStringLiteral("noto skin-tone variants"), skinGoogle});
    col.leftOut.push_back({QStringLiteral("twemoji skin-tone variants"), skinTwitter});
    struct DsPass {
        const char* style;
        const std::vector<BaseEmoji>* entries;
        QString imgDir;
    };
    const DsPass dsPasses[] = {
        {"noto", &google, requireDir(pk.google + QStringLiteral("/img/google/64"))},
        {"twemoji", &twitter, requireDir(pk.twitter + QStringLiteral("/img/twitter/64"))},
    };
    for (const DsPass& pass : dsPasses) {
        const QString style = QLatin1String(pass.style);
        for (const BaseEmoji& e : *pass.entries) {
            const QString code = normCode(e.unified);
            const QString src = pass.imgDir + QLatin1Char('/') + e.image;
            if (demoCodes.count(code)) {
                for (const DemoClass& c : kDemoClasses)
                    if (code == QLatin1String(c.code)) demoSources[QLatin1String(c.name)][style] = src;
                ++col.demoExcluded;
                continue;
            }
            if (!e.hasImg || e.image.isEmpty()) {
                ++col.noImage[style];
                continue;
            }
            addCorpus(style, QFileInfo(e.image).completeBaseName(), src, e.name);
        }
    }

    // --- OpenMoji (colour and black) -----------------------------------------------------------------------------
    {
        const QJsonArray arr = readJsonArray(pk.openmoji + QStringLiteral("/data/openmoji.json"));
        const QString colorDir = requireDir(pk.openmoji + QStringLiteral("/color/svg"));
        const QString blackDir = requireDir(pk.openmoji + QStringLiteral("/black/svg"));
        int skin = 0;
        for (const QJsonValue& v : arr) {
            const QJsonObject o = v.toObject();
            const QString hex = o.value(QStringLiteral("hexcode")).toString();
            if (hex.isEmpty()) continue;
            // "skintone" is "" for base emoji, a number (1..5) or a string ("1,3") for skin-tone variants.
            const QJsonValue tone = o.value(QStringLiteral("skintone"));
            if (!(tone.isUndefined() || tone.isNull() || (tone.isString() && tone.toString().isEmpty()))) {
                ++skin;
                continue;
            }
            const QString name = o.value(QStringLiteral("annotation")).toString().trimmed();
            const QString code = normCode(hex);
            const std::pair<const char*, QString> passes[] = {{"openmoji-color", colorDir},
                                                              {"openmoji-black", blackDir}};
            for (const auto& [styleC, dir] : passes) {
                const QString style = QLatin1String(styleC);
                const QString src = dir + QLatin1Char('/') + hex + QStringLiteral(".svg");
                if (demoCodes.count(code)) {
                    for (const DemoClass& c : kDemoClasses)
                        if (code == QLatin1String(c.code)) demoSources[QLatin1String(c.name)][style] = src;
                    ++col.demoExcluded;
                    continue;
                }
                if (name.isEmpty()) {
                    ++col.noImage[style];
                    continue;
                }
                addCorpus(style, hex, src, name);
            }
        }
        col.leftOut.push_back({QStringLiteral("openmoji skin-tone entries (each in 2 styles)"), skin});
    }

    // --- fluentui-emoji (colour, flat, high contrast) ------------------------------------------------------------
    {
        // Skin-tone emoji come as <slug>-default.svg (the yellow one, kept as <slug>) plus <slug>-light, -medium-light,
        // -medium, -medium-dark and -dark (left out).
        const QStringList tones = {QStringLiteral("-light"), QStringLiteral("-medium-light"), QStringLiteral("-medium"),
                                   QStringLiteral("-medium-dark"), QStringLiteral("-dark")};
        const QString def = QStringLiteral("-default");
        // Slugs of the package that are not a CLDR name spelled with hyphens.
        const std::map<QString, QString> nameFixes = {
            {QStringLiteral("stuffedbread"), QStringLiteral("stuffed flatbread")}};
        const std::pair<const char*, const char*> passes[] = {
            {"fluent-color", "modern"}, {"fluent-flat", "flat"}, {"fluent-high-contrast", "high-contrast"}};
        int skin = 0;
        for (const auto& [styleC, sub] : passes) {
            const QString style = QLatin1String(styleC);
            const QString dir = requireDir(pk.fluent + QStringLiteral("/icons/") + QLatin1String(sub));
            const QStringList files = QDir(dir).entryList({QStringLiteral("*.svg")}, QDir::Files, QDir::Name);
            const std::set<QString> stems = [&] {
                std::set<QString> s;
                for (const QString& f : files) s.insert(f.chopped(4));
                return s;
            }();
            for (const QString& f : files) {
                QString slug = f.chopped(4);
                bool isTone = false;
                for (const QString& t : tones)
                    if (slug.endsWith(t) && stems.count(slug.chopped(t.size()) + def)) isTone = true;
                if (isTone) {
                    ++skin;
                    continue;
                }
                if (slug.endsWith(def)) slug.chop(def.size());
                // The flat folder has one file with a stray style suffix (stuffedbread-flat.svg).
                const QString styleSuffix = QLatin1Char('-') + QLatin1String(sub);
                if (slug.endsWith(styleSuffix) && !stems.count(slug.chopped(styleSuffix.size())))
                    slug.chop(styleSuffix.size());
                const QString src = dir + QLatin1Char('/') + f;
                if (demoSlugs.count(slug)) {
                    for (const DemoClass& c : kDemoClasses)
                        if (slug == slugOf(QLatin1String(c.name))) demoSources[QLatin1String(c.name)][style] = src;
                    ++col.demoExcluded;
                    continue;
                }
                const auto fix = nameFixes.find(slug);
                const QString name =
                    fix != nameFixes.end() ? fix->second : QString(slug).replace(QLatin1Char('-'), QLatin1Char(' '));
                addCorpus(style, slug, src, name);
            }
        }
        col.leftOut.push_back({QStringLiteral("fluent skin-tone files (3 styles)"), skin});
    }

    // --- @lobehub/fluent-emoji-3d ---------------------------------------------------------------------------------
    {
        const QString dir = requireDir(pk.fluent3d + QStringLiteral("/assets"));
        std::map<QString, const BaseEmoji*> byCode;  // normalised code -> base entry
        for (const BaseEmoji& e : google) byCode[normCode(e.unified)] = &e;
        // normalised code -> chosen file stem; an exact match of the entry's "unified" wins over a FE0F variant
        std::map<QString, QString> chosen;
        int unmatched = 0, duplicates = 0;
        for (const QString& f : QDir(dir).entryList({QStringLiteral("*.webp")}, QDir::Files, QDir::Name)) {
            const QString stem = f.chopped(5);
            const QString code = normCode(stem);
            const auto it = byCode.find(code);
            if (it == byCode.end()) {
                ++unmatched;  // skin-tone variants and sequences emoji-datasource does not list
                continue;
            }
            auto& slot = chosen[code];
            if (!slot.isEmpty()) ++duplicates;
            if (slot.isEmpty() || stem.compare(it->second->unified, Qt::CaseInsensitive) == 0) slot = stem;
        }
        col.leftOut.push_back(
            {QStringLiteral("fluent-3d files that are no base entry of emoji.json (skin tones, short-name duplicates)"),
             unmatched});
        col.leftOut.push_back(
            {QStringLiteral("fluent-3d duplicate files of one emoji (with and without FE0F)"), duplicates});
        // Microsoft did not open-source national flags (trademarks; see microsoft/fluentui-emoji's README); the flag
        // files that @lobehub/fluent-emoji-3d 1.1.0 added are not Fluent artwork (they are drawn like Noto's flags),
        // so they are left out: regional-indicator pairs and tag-sequence (subdivision) flags.
        auto isNationalFlag = [](const QString& code) {
            const QStringList parts = code.split(QLatin1Char('-'));
            bool ok = false;
            auto regional = [&](const QString& cp) {
                const uint v = cp.toUInt(&ok, 16);
                return ok && v >= 0x1F1E6 && v <= 0x1F1FF;
            };
            if (parts.size() == 2 && regional(parts[0]) && regional(parts[1])) return true;
            return parts.size() > 2 && parts[0] == QLatin1String("1F3F4") && parts[1] == QLatin1String("E0067");
        };
        int flags = 0;
        const QString style = QStringLiteral("fluent-3d");
        for (const auto& [code, stem] : chosen) {
            if (isNationalFlag(code)) {
                ++flags;
                continue;
            }
            const QString src = dir + QLatin1Char('/') + stem + QStringLiteral(".webp");
            if (demoCodes.count(code)) {
                for (const DemoClass& c : kDemoClasses)
                    if (code == QLatin1String(c.code)) demoSources[QLatin1String(c.name)][style] = src;
                ++col.demoExcluded;
                continue;
            }
            addCorpus(style, stem.toLower(), src, byCode.at(code)->name);
        }
        col.leftOut.push_back(
            {QStringLiteral("fluent-3d national flags (not Fluent artwork, see ATTRIBUTION.md)"), flags});
    }

    // --- demo jobs: all 18 x 8 must have a source ------------------------------------------------------------------
    std::vector<Job> demoJobs;
    for (const DemoClass& c : kDemoClasses) {
        const QString cls = QLatin1String(c.name);
        for (const Style& s : kStyles) {
            const QString style = QLatin1String(s.id);
            const auto it = demoSources[cls].find(style);
            if (it == demoSources[cls].end()) {
                const QString code = QLatin1String(c.code);
                const QString slug = slugOf(cls);
                const std::map<QString, QString> expected = {
                    {QStringLiteral("noto"),
                     pk.google + QStringLiteral("/emoji.json (entry ") + code + QLatin1Char(')')},
                    {QStringLiteral("twemoji"),
                     pk.twitter + QStringLiteral("/emoji.json (entry ") + code + QLatin1Char(')')},
                    {QStringLiteral("openmoji-color"),
                     pk.openmoji + QStringLiteral("/color/svg/") + code + QStringLiteral(".svg")},
                    {QStringLiteral("openmoji-black"),
                     pk.openmoji + QStringLiteral("/black/svg/") + code + QStringLiteral(".svg")},
                    {QStringLiteral("fluent-color"),
                     pk.fluent + QStringLiteral("/icons/modern/") + slug + QStringLiteral(".svg")},
                    {QStringLiteral("fluent-flat"),
                     pk.fluent + QStringLiteral("/icons/flat/") + slug + QStringLiteral(".svg")},
                    {QStringLiteral("fluent-high-contrast"),
                     pk.fluent + QStringLiteral("/icons/high-contrast/") + slug + QStringLiteral(".svg")},
                    {QStringLiteral("fluent-3d"),
                     pk.fluent3d + QStringLiteral("/assets/") + code.toLower() + QStringLiteral(".webp")},
                };
                demoErrors
                    << QStringLiteral("%1 (%2): no %3 image, missing %4").arg(cls, code, style, expected.at(style));
                continue;
            }
            if (!QFileInfo::exists(it->second)) {
                demoErrors << QStringLiteral("%1 (%2): missing file %3").arg(cls, QLatin1String(c.code), it->second);
                continue;
            }
            Job j;
            j.style = style;
            j.source = it->second;
            j.output =
                QStringLiteral("%1/%2/%3/%4.png").arg(demoRoot, QLatin1String(s.train ? "train" : "test"), cls, style);
            j.name = cls;
            j.demo = true;
            demoJobs.push_back(j);
        }
    }
    if (!demoErrors.isEmpty())
        fail(QStringLiteral("demo dataset incomplete:\n  ") + demoErrors.join(QStringLiteral("\n  ")));

    // Unique corpus outputs (ids are per-style unique by construction; check anyway).
    {
        std::set<QString> seen;
        for (const Job& j : col.jobs)
            if (!seen.insert(j.file).second) fail(QStringLiteral("two corpus entries map to %1").arg(j.file));
    }

    std::vector<Job> jobs = demoJobs;
    jobs.insert(jobs.end(), col.jobs.begin(), col.jobs.end());
    {
        std::set<QString> dirs;
        for (const Job& j : jobs) dirs.insert(QFileInfo(j.output).absolutePath());
        for (const QString& d : dirs)
            if (!QDir().mkpath(d)) fail(QStringLiteral("cannot create folder %1").arg(d));
    }

    // --- render ---------------------------------------------------------------------------------------------------
    std::printf("diffii-emoji-dataset: %zu demo + %zu corpus images, %dx%d px, %d thread(s)\n", demoJobs.size(),
                col.jobs.size(), size, size, threads);
    std::fflush(stdout);
    QElapsedTimer timer;
    timer.start();
    std::vector<Result> results(jobs.size());
    std::atomic<size_t> done{0};
    QThreadPool pool;
    pool.setMaxThreadCount(threads);
    for (size_t i = 0; i < jobs.size(); ++i) {
        pool.start([&, i] {
            results[i] = process(jobs[i], size, renderSize);
            done.fetch_add(1, std::memory_order_relaxed);
        });
    }
    const bool tty = isatty(fileno(stdout));
    while (!pool.waitForDone(tty ? 500 : 15000)) {
        std::printf(tty ? "\r  %zu / %zu  %.0f s" : "  %zu / %zu  %.0f s\n", done.load(), jobs.size(),
                    timer.elapsed() / 1000.0);
        std::fflush(stdout);
    }
    if (tty) std::printf("\r");
    const double seconds = timer.elapsed() / 1000.0;

    // Corpus images that this run does not list (left over from an older run or package version) are removed, so
    // images/ and captions.jsonl agree.
    int pruned = 0;
    {
        std::set<QString> wanted;
        for (const Job& j : col.jobs) wanted.insert(j.output);
        for (const Style& s : kStyles) {
            const QDir dir(corpusRoot + QStringLiteral("/images/") + QLatin1String(s.id));
            for (const QString& f : dir.entryList({QStringLiteral("*.png")}, QDir::Files)) {
                const QString path = dir.absoluteFilePath(f);
                if (!wanted.count(path) && QFile::remove(path)) ++pruned;
            }
        }
    }

    // --- summary and captions ---------------------------------------------------------------------------------------
    int demoFailed = 0;
    for (size_t i = 0; i < demoJobs.size(); ++i)
        if (results[i].outcome == Outcome::Failed) {
            std::fprintf(stderr, "diffii-emoji-dataset: demo %s: %s: %s\n", qPrintable(jobs[i].output),
                         qPrintable(jobs[i].source), qPrintable(results[i].error));
            ++demoFailed;
        }

    struct Counts {
        int demo = 0, written = 0, upToDate = 0, failed = 0;
    };
    std::map<QString, Counts> counts;
    std::vector<size_t> good;
    QStringList failures;
    for (size_t i = 0; i < jobs.size(); ++i) {
        Counts& c = counts[jobs[i].style];
        if (jobs[i].demo) {
            if (results[i].outcome != Outcome::Failed) ++c.demo;
            continue;
        }
        switch (results[i].outcome) {
            case Outcome::Written:
                ++c.written;
                good.push_back(i);
                break;
            case Outcome::UpToDate:
                ++c.upToDate;
                good.push_back(i);
                break;
            case Outcome::Failed:
                ++c.failed;
                failures << QStringLiteral("%1: %2").arg(jobs[i].source, results[i].error);
                break;
        }
    }
    std::sort(good.begin(), good.end(), [&](size_t a, size_t b) { return jobs[a].file < jobs[b].file; });

    std::map<QString, QString> words;
    for (const Style& s : kStyles) words[QLatin1String(s.id)] = QLatin1String(s.word);
    QByteArray jsonl;
    for (size_t i : good) {
        const Job& j = jobs[i];
        QJsonObject o;
        o.insert(QStringLiteral("file"), j.file);
        o.insert(QStringLiteral("caption"), QStringLiteral("a photo of a %1, %2 emoji").arg(j.name, words[j.style]));
        o.insert(QStringLiteral("name"), j.name);
        o.insert(QStringLiteral("style"), j.style);
        jsonl += QJsonDocument(o).toJson(QJsonDocument::Compact);
        jsonl += '\n';
    }
    const QString captionsPath = corpusRoot + QStringLiteral("/captions.jsonl");
    QSaveFile captions(captionsPath);
    if (!captions.open(QIODevice::WriteOnly) || captions.write(jsonl) != jsonl.size() || !captions.commit())
        fail(QStringLiteral("cannot write %1: %2").arg(captionsPath, captions.errorString()));

    std::printf("%-22s %6s %8s %9s %7s %8s\n", "style", "demo", "corpus", "written", "fresh", "failed");
    int totalCorpus = 0, totalFailed = 0;
    for (const Style& s : kStyles) {
        const Counts& c = counts[QLatin1String(s.id)];
        const int corpus = c.written + c.upToDate;
        totalCorpus += corpus;
        totalFailed += c.failed;
        std::printf("%-22s %6d %8d %9d %7d %8d   (%s)\n", s.id, c.demo, corpus, c.written, c.upToDate, c.failed,
                    s.train ? "demo train" : "demo test");
    }
    std::printf("corpus: %d images, captions in %s\n", totalCorpus, qPrintable(captionsPath));
    std::printf("left out: %d demo-bird images (all styles)\n", col.demoExcluded);
    for (const auto& [what, n] : col.leftOut) std::printf("left out: %d %s\n", n, qPrintable(what));
    for (const auto& [style, n] : col.noImage)
        if (n) std::printf("left out: %d %s entries without artwork or name in the package\n", n, qPrintable(style));
    if (totalFailed) {
        std::printf("skipped %d corpus entries (missing file or decode failure):\n", totalFailed);
        for (int i = 0; i < failures.size() && i < 20; ++i) std::printf("  %s\n", qPrintable(failures[i]));
        if (failures.size() > 20) std::printf("  ... and %lld more\n", static_cast<long long>(failures.size() - 20));
    }
    if (pruned) std::printf("removed %d stale corpus images\n", pruned);
    std::printf("demo dataset: %s (%zu images)\n", qPrintable(demoRoot), demoJobs.size() - demoFailed);
    std::printf("done in %.1f s\n", seconds);
    if (demoFailed) fail(QStringLiteral("%1 demo image(s) could not be made").arg(demoFailed));
    return 0;
}
