// Nearest-rank percentiles for the benchmarks' latency figures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace helpline::bench {

// The p-th percentile (0 < p <= 100) of `sorted` (ascending), by nearest
// rank; 0 for an empty series.
[[nodiscard]] inline double nearest_rank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto index = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size(), std::max<std::size_t>(index, 1)) - 1];
}

}  // namespace helpline::bench
