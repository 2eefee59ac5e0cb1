// A small JSON writer for the tool's --json output: arrays and objects, strings, numbers,
// booleans and null, pretty-printed with two-space indentation. It inserts the commas and
// escapes strings (quotes, backslashes, control characters; bytes that are not valid UTF-8
// become U+FFFD), so the output always parses. No dependency beyond the standard library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mproc::cli {

class JsonWriter {
  public:
    void begin_array();
    void end_array();
    void begin_object();
    void end_object();
    // The key of the next value; only inside an object.
    void key(std::string_view name);
    void string(std::string_view value);
    void number(std::int64_t value);
    void number(std::uint64_t value);
    void boolean(bool value);
    void null();

    // The document so far, with a final newline once the outermost value is closed.
    const std::string &text() const { return out_; }

    // `value` as a JSON string literal, quotes included.
    static std::string escape(std::string_view value);

  private:
    struct Level {
        bool is_object;
        bool empty = true;
    };
    // Before a value: the comma and line break its position needs.
    void before_value();
    void begin(bool is_object, char bracket);
    void end(char bracket);
    void newline_and_indent();

    std::string out_;
    std::vector<Level> levels_;
    bool after_key_ = false;
};

}  // namespace mproc::cli
