// Priority from impact x urgency: a 5x5 table, GLPI's default unless the
// organisation configures its own.
//
//   urgency \ impact  1  2  3  4  5
//   1                 1  1  2  2  2
//   2                 1  2  2  3  3
//   3                 2  2  3  4  4
//   4                 2  3  4  4  5
//   5                 2  3  4  5  5
//
// The matrix only produces 1..5; priority 6 (major) is set by hand.
#pragma once

#include <array>
#include <span>

#include "common/core/result.h"
#include "server/tickets/ticket_enums.h"

namespace helpline::relay::tickets {

class PriorityMatrix {
 public:
  // Row-major by urgency, then impact, as in the table above:
  // values[(urgency - 1) * 5 + (impact - 1)].
  using Values = std::array<int, 25>;

  // GLPI's default.
  PriorityMatrix();
  [[nodiscard]] static PriorityMatrix glpi_default() { return {}; }

  // Errors: "bad_config" unless exactly 25 values, each 1..5; the message
  // names the cell ("urgency 3, impact 4").
  [[nodiscard]] static Result<PriorityMatrix> from_values(std::span<const int> values);

  [[nodiscard]] Priority compute(Impact impact, Urgency urgency) const;
  [[nodiscard]] const Values& values() const { return values_; }

  friend bool operator==(const PriorityMatrix&, const PriorityMatrix&) = default;

 private:
  Values values_;
};

}  // namespace helpline::relay::tickets
