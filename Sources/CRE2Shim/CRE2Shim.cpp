#include "CRE2Shim.h"

#include <re2/re2.h>

#include <cstring>
#include <new>

struct SluiceRE2 {
    re2::RE2 regex;
    SluiceRE2(re2::StringPiece pattern, const re2::RE2::Options &options) : regex(pattern, options) {}
};

namespace {
void copyMessage(const std::string &message, char *error, size_t capacity) {
    if (capacity == 0) return;
    size_t n = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(error, message.data(), n);
    error[n] = '\0';
}
}  // namespace

extern "C" SluiceRE2 *sluice_re2_compile(const char *pattern, size_t length, char *error, size_t errorCapacity) {
    re2::RE2::Options options;  // UTF-8, leftmost-first, Perl classes and \b: Go's regexp defaults
    options.set_log_errors(false);
    // The memory one compiled pattern may use (RE2's default, stated here because it is a limit:
    // a larger program fails to compile with "pattern too large").
    options.set_max_mem(8 << 20);
    SluiceRE2 *re = new (std::nothrow) SluiceRE2(re2::StringPiece(pattern, length), options);
    if (re == nullptr) {
        copyMessage("out of memory", error, errorCapacity);
        return nullptr;
    }
    if (!re->regex.ok()) {
        copyMessage(re->regex.error(), error, errorCapacity);
        delete re;
        return nullptr;
    }
    return re;
}

extern "C" void sluice_re2_free(SluiceRE2 *re) { delete re; }

namespace {
re2::StringPiece piece(const unsigned char *text, size_t length) {
    return re2::StringPiece(text == nullptr ? "" : reinterpret_cast<const char *>(text), text == nullptr ? 0 : length);
}
}  // namespace

extern "C" int sluice_re2_matches(const SluiceRE2 *re, const unsigned char *text, size_t length) {
    re2::StringPiece input = piece(text, length);
    length = input.size();
    return re->regex.Match(input, 0, length, re2::RE2::UNANCHORED, nullptr, 0) ? 1 : 0;
}

extern "C" int sluice_re2_search(const SluiceRE2 *re, const unsigned char *text, size_t length, size_t start,
                                 size_t *matchStart, size_t *matchEnd) {
    re2::StringPiece input = piece(text, length);
    length = input.size();
    if (start > length) return 0;
    re2::StringPiece match;
    if (!re->regex.Match(input, start, length, re2::RE2::UNANCHORED, &match, 1)) return 0;
    *matchStart = static_cast<size_t>(match.data() - input.data());
    *matchEnd = *matchStart + match.size();
    return 1;
}
