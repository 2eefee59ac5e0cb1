// The soak's final report: numbers grouped by section, and checks that pass or fail,
// printed as text (and as one JSON object with --json).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace soak {

class Report {
  public:
    void value(const std::string &section, const std::string &key, long long v);
    void value(const std::string &section, const std::string &key, double v);
    void text(const std::string &section, const std::string &key, const std::string &v);

    // Records a check; `detail` says what was compared.
    void check(const std::string &name, bool ok, const std::string &detail);

    bool passed() const;
    void print_text(std::FILE *out) const;
    void print_json(std::FILE *out) const;

  private:
    struct Entry {
        std::string section, key, rendered;
        bool quoted;  // a string, quoted in JSON
    };
    struct Check {
        std::string name, detail;
        bool ok;
    };
    std::vector<Entry> entries_;
    std::vector<Check> checks_;
};

}  // namespace soak
