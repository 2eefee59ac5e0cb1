#include "json_writer.hpp"

#include <cstdio>

namespace mproc::cli {

namespace {

// The length of the valid UTF-8 sequence that starts at text[i], or 0 if there is none
// (a stray continuation byte, a truncated sequence, an overlong form, a surrogate, or a
// code point above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    std::size_t length;
    std::uint32_t code;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        code = lead & 0x1fu;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        code = lead & 0x0fu;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        code = lead & 0x07u;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0u) != 0x80u) return 0;
        code = (code << 6) | (byte(i + k) & 0x3fu);
    }
    const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    const bool surrogate = code >= 0xd800 && code <= 0xdfff;
    if (overlong || surrogate || code > 0x10ffff) return 0;
    return length;
}

}  // namespace

std::string JsonWriter::escape(std::string_view value) {
    std::string out = "\"";
    std::size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x80) {
            const std::size_t length = utf8_sequence_length(value, i);
            if (length == 0) {
                out += "\\ufffd";
                ++i;
            } else {
                out.append(value.substr(i, length));
                i += length;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (byte < 0x20) {
                    char escaped[8];
                    std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
                    out += escaped;
                } else {
                    out += c;
                }
        }
        ++i;
    }
    out += "\"";
    return out;
}

void JsonWriter::newline_and_indent() {
    out_ += '\n';
    out_.append(2 * levels_.size(), ' ');
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (levels_.empty()) return;
    Level &level = levels_.back();
    if (!level.empty) out_ += ',';
    level.empty = false;
    newline_and_indent();
}

void JsonWriter::begin(bool is_object, char bracket) {
    before_value();
    out_ += bracket;
    levels_.push_back(Level{is_object});
}

void JsonWriter::end(char bracket) {
    const bool was_empty = levels_.back().empty;
    levels_.pop_back();
    if (!was_empty) newline_and_indent();
    out_ += bracket;
    if (levels_.empty()) out_ += '\n';
}

void JsonWriter::begin_array() {
    begin(false, '[');
}

void JsonWriter::end_array() {
    end(']');
}

void JsonWriter::begin_object() {
    begin(true, '{');
}

void JsonWriter::end_object() {
    end('}');
}

void JsonWriter::key(std::string_view name) {
    before_value();
    out_ += escape(name);
    out_ += ": ";
    after_key_ = true;
}

void JsonWriter::string(std::string_view value) {
    before_value();
    out_ += escape(value);
}

void JsonWriter::number(std::int64_t value) {
    before_value();
    out_ += std::to_string(value);
}

void JsonWriter::number(std::uint64_t value) {
    before_value();
    out_ += std::to_string(value);
}

void JsonWriter::boolean(bool value) {
    before_value();
    out_ += value ? "true" : "false";
}

void JsonWriter::null() {
    before_value();
    out_ += "null";
}

}  // namespace mproc::cli
