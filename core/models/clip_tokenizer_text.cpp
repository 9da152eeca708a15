// Text clean-up in front of CLIP's BPE: the ftfy.fix_text steps that CLIPTokenizer relies on (ftfy 6.x, default
// TextFixerConfig), Python's whitespace collapse and str.lower(), and CLIP's pre-tokenisation pattern.
// Unicode properties, normalisation and case mapping come from ICU; HTML entity names from libxml2.
#include "core/models/clip_tokenizer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <unordered_map>

#include <libxml/HTMLparser.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include "core/io/error.h"

namespace diffii {
namespace {

using U32 = std::u32string;

icu::UnicodeString toIcu(const U32& s) {
    return icu::UnicodeString::fromUTF32(reinterpret_cast<const UChar32*>(s.data()), static_cast<int32_t>(s.size()));
}

U32 fromIcu(const icu::UnicodeString& s) {
    UErrorCode status = U_ZERO_ERROR;
    U32 out(static_cast<size_t>(s.countChar32()), U'\0');
    s.toUTF32(reinterpret_cast<UChar32*>(out.data()), static_cast<int32_t>(out.size()), status);
    if (U_FAILURE(status))
        throw Error(std::string("CLIP tokenizer: ICU UTF-32 conversion failed: ") + u_errorName(status));
    return out;
}

const icu::Normalizer2& normalizer(bool compat) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n =
        compat ? icu::Normalizer2::getNFKCInstance(status) : icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status) || !n)
        throw Error(std::string("CLIP tokenizer: ICU normaliser unavailable: ") + u_errorName(status));
    return *n;
}

U32 normalize(const U32& s, bool compat) {
    UErrorCode status = U_ZERO_ERROR;
    const icu::UnicodeString in = toIcu(s);
    const icu::Normalizer2& n = normalizer(compat);
    if (n.isNormalized(in, status) && U_SUCCESS(status)) return s;
    status = U_ZERO_ERROR;
    const icu::UnicodeString out = n.normalize(in, status);
    if (U_FAILURE(status)) throw Error(std::string("CLIP tokenizer: ICU normalisation failed: ") + u_errorName(status));
    return fromIcu(out);
}

// Python's str.lower(): full, locale-independent case mapping (with Final_Sigma), which is ICU's root locale.
U32 lowerCase(const U32& s) {
    icu::UnicodeString u = toIcu(s);
    u.toLower(icu::Locale::getRoot());
    return fromIcu(u);
}

U32 upperCase(const U32& s) {
    icu::UnicodeString u = toIcu(s);
    u.toUpper(icu::Locale::getRoot());
    return fromIcu(u);
}

// Python's str.isspace() (what re's \s and str.strip() use): Unicode White_Space plus the separators U+1C..U+1F.
bool isPySpace(char32_t c) { return u_isUWhiteSpace(static_cast<UChar32>(c)) || (c >= 0x1C && c <= 0x1F); }
bool isLetter(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0; }
bool isNumber(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0; }
bool isDecimalDigit(char32_t c) { return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER; }
bool isAsciiAlnum(char32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Bytes 0x80..0x9F read as Windows-1252, leaving the five unassigned bytes as they are ("sloppy-windows-1252",
// which is also what html.unescape uses for &#128;..&#159;).
const std::array<char32_t, 32>& c1Table() {
    static const std::array<char32_t, 32> table = [] {
        std::array<char32_t, 32> t{};
        UErrorCode status = U_ZERO_ERROR;
        UConverter* conv = ucnv_open("windows-1252", &status);
        if (U_FAILURE(status) || !conv)
            throw Error(std::string("CLIP tokenizer: ICU has no windows-1252 converter: ") + u_errorName(status));
        for (int b = 0; b < 32; ++b) {
            const char byte = static_cast<char>(0x80 + b);
            UChar out[4];
            status = U_ZERO_ERROR;
            ucnv_reset(conv);
            const int32_t n = ucnv_toUChars(conv, out, 4, &byte, 1, &status);
            const bool ok = U_SUCCESS(status) && n == 1 && out[0] != 0xFFFD && out[0] != 0x1A;
            t[b] = ok ? static_cast<char32_t>(out[0]) : static_cast<char32_t>(0x80 + b);
        }
        ucnv_close(conv);
        return t;
    }();
    return table;
}

// ftfy's WIDTH_MAP: U+3000 -> space and the NFKC form of every half-/full-width form U+FF01..U+FFEF.
const std::array<U32, 0xFFF0 - 0xFF01>& widthTable() {
    static const std::array<U32, 0xFFF0 - 0xFF01> table = [] {
        std::array<U32, 0xFFF0 - 0xFF01> t;
        for (char32_t c = 0xFF01; c < 0xFFF0; ++c) {
            const U32 alt = normalize(U32(1, c), true);
            t[c - 0xFF01] = alt == U32(1, c) ? U32() : alt;
        }
        return t;
    }();
    return table;
}

// ftfy's LIGATURES: Latin typographic ligatures and legacy digraphs; not NFKC because U+FB05 keeps its long s.
const U32* ligature(char32_t c) {
    static const std::unordered_map<char32_t, U32> table = {
        {U'\u0132', U"IJ"},      {U'\u0133', U"ij"}, {U'\u0149', U"\u02BCn"}, {U'\u01F1', U"DZ"},
        {U'\u01F2', U"Dz"},      {U'\u01F3', U"dz"}, {U'\u01C4', U"D\u017D"}, {U'\u01C5', U"D\u017E"},
        {U'\u01C6', U"d\u017E"}, {U'\u01C7', U"LJ"}, {U'\u01C8', U"Lj"},      {U'\u01C9', U"lj"},
        {U'\u01CA', U"NJ"},      {U'\u01CB', U"Nj"}, {U'\u01CC', U"nj"},      {U'\uFB00', U"ff"},
        {U'\uFB01', U"fi"},      {U'\uFB02', U"fl"}, {U'\uFB03', U"ffi"},     {U'\uFB04', U"ffl"},
        {U'\uFB05', U"\u017Ft"}, {U'\uFB06', U"st"},
    };
    const auto it = table.find(c);
    return it == table.end() ? nullptr : &it->second;
}

// html.unescape's rules for a numeric character reference.
U32 numericCharRef(unsigned long long num, bool overflow) {
    if (overflow || num > 0x10FFFF || (num >= 0xD800 && num <= 0xDFFF)) return U32(1, U'\uFFFD');
    if (num == 0) return U32(1, U'\uFFFD');
    if (num == 0x0D) return U32(1, U'\r');
    if (num >= 0x80 && num <= 0x9F) return U32(1, c1Table()[num - 0x80]);
    const bool invalid = (num >= 0x1 && num <= 0x8) || num == 0xB || (num >= 0xE && num <= 0x1F) ||
                         (num >= 0x7F && num <= 0x9F) || (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE;
    if (invalid) return U32();
    return U32(1, static_cast<char32_t>(num));
}

bool lookupEntity(const std::string& name, char32_t* value) {
    // libxml2 knows the HTML 4 entities; HTML 5 (Python's table) changed only the angle brackets among them.
    if (name == "lang") {
        *value = 0x27E8;
        return true;
    }
    if (name == "rang") {
        *value = 0x27E9;
        return true;
    }
    const htmlEntityDesc* d = htmlEntityLookup(reinterpret_cast<const xmlChar*>(name.c_str()));
    if (!d) return false;
    *value = d->value;
    return true;
}

// One `&#?[0-9A-Za-z]{1,24};` match (the text between '&' and ';'), as ftfy's _unescape_fixup replaces it;
// returns false to leave it as it is.
bool unescapeEntity(const U32& body, U32* out) {
    if (body[0] == '#') {
        const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
        const size_t first = hex ? 2 : 1;
        if (first >= body.size()) return false;
        unsigned long long num = 0;
        bool overflow = false;
        for (size_t i = first; i < body.size(); ++i) {
            const char32_t c = body[i];
            int digit;
            if (c >= '0' && c <= '9')
                digit = static_cast<int>(c - '0');
            else if (hex && c >= 'a' && c <= 'f')
                digit = static_cast<int>(c - 'a' + 10);
            else if (hex && c >= 'A' && c <= 'F')
                digit = static_cast<int>(c - 'A' + 10);
            else
                return false;  // html.unescape would decode only a prefix: ftfy keeps the text then
            if (num > 0x10FFFFull)
                overflow = true;
            else
                num = num * (hex ? 16 : 10) + static_cast<unsigned>(digit);
        }
        *out = numericCharRef(num, overflow);
        // ftfy keeps the reference when the result still holds a ';' (i.e. &#59;).
        return out->find(U';') == U32::npos;
    }
    std::string name;
    bool hasLower = false, hasUpper = false;
    for (char32_t c : body) {
        name.push_back(static_cast<char>(c));
        hasLower |= (c >= 'a' && c <= 'z');
        hasUpper |= (c >= 'A' && c <= 'Z');
    }
    char32_t value = 0;
    if (lookupEntity(name, &value)) {
        *out = U32(1, value);
        return true;
    }
    // ftfy also decodes lower-case entity names written in capitals (&EACUTE; -> É) as the upper-cased character.
    if (hasUpper && !hasLower) {
        std::string lower = name;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (lookupEntity(lower, &value)) {
            *out = upperCase(U32(1, value));
            return true;
        }
    }
    return false;
}

U32 unescapeHtml(const U32& s) {
    U32 out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '&') {
            size_t j = i + 1;
            if (j < s.size() && s[j] == '#') ++j;
            size_t k = j;
            while (k < s.size() && isAsciiAlnum(s[k])) ++k;
            const size_t run = k - j;
            if (run >= 1 && run <= 24 && k < s.size() && s[k] == ';') {
                U32 replacement;
                if (unescapeEntity(s.substr(i + 1, k - i - 1), &replacement))
                    out += replacement;
                else
                    out.append(s, i, k + 1 - i);
                i = k + 1;
                continue;
            }
        }
        out.push_back(s[i++]);
    }
    return out;
}

U32 fixC1Controls(const U32& s) {
    U32 out = s;
    for (char32_t& c : out)
        if (c >= 0x80 && c <= 0x9F) c = c1Table()[c - 0x80];
    return out;
}

U32 fixLatinLigatures(const U32& s) {
    U32 out;
    out.reserve(s.size());
    for (char32_t c : s) {
        if (const U32* lig = ligature(c))
            out += *lig;
        else
            out.push_back(c);
    }
    return out;
}

U32 fixCharacterWidth(const U32& s) {
    U32 out;
    out.reserve(s.size());
    for (char32_t c : s) {
        if (c == 0x3000) {
            out.push_back(U' ');
        } else if (c >= 0xFF01 && c < 0xFFF0 && !widthTable()[c - 0xFF01].empty()) {
            out += widthTable()[c - 0xFF01];
        } else {
            out.push_back(c);
        }
    }
    return out;
}

U32 uncurlQuotes(const U32& s) {
    U32 out = s;
    for (char32_t& c : out) {
        if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B))
            c = U'\'';
        else if (c >= 0x201C && c <= 0x201F)
            c = U'"';
    }
    return out;
}

U32 fixLineBreaks(const U32& s) {
    U32 out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        const char32_t c = s[i];
        if (c == U'\r') {
            out.push_back(U'\n');
            if (i + 1 < s.size() && s[i + 1] == U'\n') ++i;
        } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
            out.push_back(U'\n');
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// ANSI escapes  \033\[((?:\d|;)*)([a-zA-Z])  (Python's \d: any decimal digit).
U32 removeTerminalEscapes(const U32& s) {
    U32 out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] == 0x1B && i + 1 < s.size() && s[i + 1] == '[') {
            size_t j = i + 2;
            while (j < s.size() && (s[j] == ';' || isDecimalDigit(s[j]))) ++j;
            if (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z'))) {
                i = j + 1;
                continue;
            }
        }
        out.push_back(s[i++]);
    }
    return out;
}

bool isRemovedControl(char32_t c) {
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
           c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

U32 removeControlChars(const U32& s) {
    U32 out;
    out.reserve(s.size());
    for (char32_t c : s)
        if (!isRemovedControl(c)) out.push_back(c);
    return out;
}

// ftfy.fix_and_explain on one segment: the fixers in ftfy's order, repeated until nothing changes. The
// mojibake detection of fix_encoding is not reproduced (it needs ftfy's badness heuristics); text that is not
// mojibake, which is what prompts are, goes through it unchanged.
U32 fixSegment(U32 text, bool unescape) {
    for (int round = 0; round < 32; ++round) {
        const U32 original = text;
        if (unescape) text = unescapeHtml(text);
        text = fixC1Controls(text);
        text = fixLatinLigatures(text);
        text = fixCharacterWidth(text);
        text = uncurlQuotes(text);
        text = fixLineBreaks(text);
        text = removeTerminalEscapes(text);
        text = removeControlChars(text);
        text = normalize(text, false);
        if (text == original) break;
    }
    return text;
}

// ftfy.fix_text: line by line; once a line contains '<' (it may be HTML) entities are left alone from there on.
U32 fixText(const U32& text) {
    U32 out;
    bool unescape = true;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t br = text.find(U'\n', pos);
        br = br == U32::npos ? text.size() : br + 1;
        const U32 line = text.substr(pos, br - pos);
        if (unescape && line.find(U'<') != U32::npos) unescape = false;
        out += fixSegment(line, unescape);
        pos = br;
    }
    return out;
}

// CLIP's whitespace_clean: re.sub(r"\s+", " ", text).strip().
U32 whitespaceClean(const U32& s) {
    U32 out;
    out.reserve(s.size());
    bool pendingSpace = false;
    for (char32_t c : s) {
        if (isPySpace(c)) {
            pendingSpace = true;
            continue;
        }
        if (pendingSpace && !out.empty()) out.push_back(U' ');
        pendingSpace = false;
        out.push_back(c);
    }
    return out;
}

bool startsWith(const U32& s, size_t pos, const char32_t* lit) {
    for (size_t k = 0; lit[k]; ++k)
        if (pos + k >= s.size() || s[pos + k] != lit[k]) return false;
    return true;
}

// Length of the contraction at `pos` ('s 't 're 've 'm 'll 'd, case-insensitive; the text is already lower-case,
// but re.IGNORECASE also lets the long s U+017F stand for 's'), 0 if none.
size_t contractionLength(const U32& s, size_t pos) {
    if (s[pos] != U'\'' || pos + 1 >= s.size()) return 0;
    const char32_t a = s[pos + 1];
    const char32_t b = pos + 2 < s.size() ? s[pos + 2] : 0;
    if (a == 's' || a == 0x017F || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

}  // namespace

std::string clipEncodeUtf8(const std::u32string& text, size_t begin, size_t end) {
    end = std::min(end, text.size());
    std::string out;
    out.reserve(end > begin ? end - begin : 0);
    for (size_t i = begin; i < end; ++i) {
        uint8_t buf[4];
        int32_t len = 0;
        UBool error = false;
        U8_APPEND(buf, len, 4, static_cast<UChar32>(text[i]), error);
        if (error) {
            len = 0;
            U8_APPEND_UNSAFE(buf, len, 0xFFFD);
        }
        out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
    }
    return out;
}

std::u32string clipDecodeUtf8(const std::string& text) {
    std::u32string out;
    out.reserve(text.size());
    const auto* p = reinterpret_cast<const uint8_t*>(text.data());
    const int32_t n = static_cast<int32_t>(text.size());
    int32_t i = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(p, i, n, c);
        out.push_back(c < 0 ? U'\uFFFD' : static_cast<char32_t>(c));
    }
    return out;
}

std::string clipFixText(const std::string& text) { return clipEncodeUtf8(fixText(clipDecodeUtf8(text))); }

std::vector<std::string> clipPreTokenize(const std::string& text) {
    const U32 s = lowerCase(whitespaceClean(fixText(clipDecodeUtf8(text))));
    std::vector<std::string> pieces;
    size_t i = 0;
    while (i < s.size()) {
        size_t len = 0;
        if (startsWith(s, i, U"<|startoftext|>")) {
            len = 15;
        } else if (startsWith(s, i, U"<|endoftext|>")) {
            len = 13;
        } else if ((len = contractionLength(s, i)) != 0) {
        } else if (isLetter(s[i])) {
            while (i + len < s.size() && isLetter(s[i + len])) ++len;
        } else if (isNumber(s[i])) {
            len = 1;
        } else if (!isPySpace(s[i])) {
            while (i + len < s.size() && !isPySpace(s[i + len]) && !isLetter(s[i + len]) && !isNumber(s[i + len]))
                ++len;
        } else {
            ++i;
            continue;
        }
        pieces.push_back(clipEncodeUtf8(s, i, i + len));
        i += len;
    }
    return pieces;
}

}  // namespace diffii
