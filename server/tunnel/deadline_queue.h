// When each agent link next needs looking at, for all links in one
// min-heap, so that the tunnel's once-a-second sweep touches only the links
// that are due instead of every link (tens of thousands) every second.
//
// Lazy: a link schedules the earliest moment its state could need action
// (end of the setup timeout, 3 heartbeats + grace after the last byte
// received, end of the close grace). Receiving bytes does not touch the
// queue; when the entry comes due, the link checks its real deadline and
// schedules itself again. Each schedule() gets a new token; an entry whose
// token is no longer the link's latest is stale (the link was scheduled
// again, or is gone) and is skipped by the caller.
//
// Sans-IO: the caller passes the time. Thread: none; one owner.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace helpline::relay {

template <class Key>
class DeadlineQueue {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Entry {
    TimePoint at;
    Key key;
    std::uint64_t token;
  };

  // Adds an entry for `key` due at `at`; returns its token.
  std::uint64_t schedule(Key key, TimePoint at) {
    std::uint64_t token = ++last_token_;
    heap_.push(Entry{at, std::move(key), token});
    return token;
  }

  // Removes every entry due at `now` (at <= now), earliest first, and
  // calls visit(entry) for each. Entries `visit` schedules are not visited
  // in this call even when already due (no endless loop at one instant).
  template <class Visit>
  std::size_t pop_due(TimePoint now, Visit&& visit) {
    std::vector<Entry> due;
    while (!heap_.empty() && heap_.top().at <= now) {
      due.push_back(heap_.top());
      heap_.pop();
    }
    for (const Entry& entry : due) visit(entry);
    return due.size();
  }

  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  // The earliest entry's time; only when !empty().
  [[nodiscard]] TimePoint next() const { return heap_.top().at; }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.at > b.at; }
  };

  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  std::uint64_t last_token_ = 0;
};

}  // namespace helpline::relay
