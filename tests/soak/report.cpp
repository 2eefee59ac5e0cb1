#include "report.hpp"

#include <cstddef>

namespace soak {

namespace {

std::string json_string(const std::string &s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// A label as a JSON key: "sent (put returned OK)" -> "sent_put_returned_ok".
std::string json_key(const std::string &label) {
    std::string key;
    for (const char c : label) {
        const bool word =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (word) {
            key += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        } else if (!key.empty() && key.back() != '_') {
            key += '_';
        }
    }
    while (!key.empty() && key.back() == '_')
        key.pop_back();
    return json_string(key);
}

}  // namespace

void Report::value(const std::string &section, const std::string &key, long long v) {
    entries_.push_back({section, key, std::to_string(v), false});
}

void Report::value(const std::string &section, const std::string &key, double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    entries_.push_back({section, key, buf, false});
}

void Report::text(const std::string &section, const std::string &key, const std::string &v) {
    entries_.push_back({section, key, v, true});
}

void Report::check(const std::string &name, bool ok, const std::string &detail) {
    checks_.push_back({name, detail, ok});
}

bool Report::passed() const {
    for (const Check &c : checks_)
        if (!c.ok) return false;
    return true;
}

void Report::print_text(std::FILE *out) const {
    std::string section;
    for (const Entry &e : entries_) {
        if (e.section != section) {
            section = e.section;
            std::fprintf(out, "%s:\n", section.c_str());
        }
        std::fprintf(out, "  %-34s %s\n", e.key.c_str(), e.rendered.c_str());
    }
    std::fprintf(out, "checks:\n");
    for (const Check &c : checks_)
        std::fprintf(out, "  %-4s %-34s %s\n", c.ok ? "ok" : "FAIL", c.name.c_str(),
                     c.detail.c_str());
    std::fprintf(out, "result: %s\n", passed() ? "PASS" : "FAIL");
}

void Report::print_json(std::FILE *out) const {
    std::fprintf(out, "{");
    std::string section;
    for (std::size_t k = 0; k < entries_.size(); ++k) {
        const Entry &e = entries_[k];
        if (e.section != section) {
            if (!section.empty()) std::fprintf(out, "}, ");
            section = e.section;
            std::fprintf(out, "%s: {", json_key(section).c_str());
        } else {
            std::fprintf(out, ", ");
        }
        std::fprintf(out, "%s: %s", json_key(e.key).c_str(),
                     e.quoted ? json_string(e.rendered).c_str() : e.rendered.c_str());
    }
    if (!section.empty()) std::fprintf(out, "}, ");
    std::fprintf(out, "\"checks\": [");
    for (std::size_t k = 0; k < checks_.size(); ++k) {
        const Check &c = checks_[k];
        std::fprintf(out, "%s{\"name\": %s, \"ok\": %s, \"detail\": %s}", k == 0 ? "" : ", ",
                     json_string(c.name).c_str(), c.ok ? "true" : "false",
                     json_string(c.detail).c_str());
    }
    std::fprintf(out, "], \"passed\": %s}\n", passed() ? "true" : "false");
}

}  // namespace soak
