// Plain-text tables for `mproc ls`: columns padded to their widest cell, two spaces
// apart, numbers right-aligned; the last column is never padded (no trailing blanks).
#pragma once

#include <string>
#include <vector>

namespace mproc::cli {

enum class Align { kLeft, kRight };

class Table {
  public:
    struct Column {
        std::string header;
        Align align = Align::kLeft;
    };

    explicit Table(std::vector<Column> columns);

    // One row: as many cells as columns.
    void add_row(std::vector<std::string> cells);

    // The header line and the rows, each ending with a newline.
    std::string render() const;

  private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace mproc::cli
