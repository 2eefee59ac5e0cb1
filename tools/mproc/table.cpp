#include "table.hpp"

#include <algorithm>
#include <utility>

namespace mproc::cli {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
    cells.resize(columns_.size());
    rows_.push_back(std::move(cells));
}

std::string Table::render() const {
    std::vector<std::size_t> widths;
    for (const Column &column : columns_)
        widths.push_back(column.header.size());
    for (const auto &row : rows_) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    }

    std::string out;
    const auto render_row = [&](const std::vector<std::string> &cells) {
        std::string line;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const bool last = i + 1 == cells.size();
            const std::size_t pad = widths[i] - cells[i].size();
            if (i > 0) line += "  ";
            if (columns_[i].align == Align::kRight) line.append(pad, ' ');
            line += cells[i];
            if (columns_[i].align == Align::kLeft && !last) line.append(pad, ' ');
        }
        // A left-aligned cell before an empty last cell would leave blanks at the end.
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line;
        out += '\n';
    };

    std::vector<std::string> headers;
    for (const Column &column : columns_)
        headers.push_back(column.header);
    render_row(headers);
    for (const auto &row : rows_)
        render_row(row);
    return out;
}

}  // namespace mproc::cli
