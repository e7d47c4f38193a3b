// A first-in first-out queue that holds no memory while it is empty.
//
// std::deque allocates a map and a 512-byte block as soon as it is
// constructed; a multiplexer has four queues, empty almost all the time on
// an idle link, and a relay holds tens of thousands of links. Fifo keeps
// its elements in a vector from a head index, releases the storage when the
// last element is popped, and compacts once the popped prefix is at least
// half of the storage (so a queue that never drains stays bounded by twice
// its live size).
//
// Thread: none; one owner. References to elements stay valid until the
// next push or pop.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace helpline::wire {

template <class T>
class Fifo {
 public:
  [[nodiscard]] bool empty() const { return head_ == items_.size(); }
  [[nodiscard]] std::size_t size() const { return items_.size() - head_; }
  // Elements the storage can hold without growing (for tests and footprints).
  [[nodiscard]] std::size_t capacity() const { return items_.capacity(); }

  void push_back(T value) { items_.push_back(std::move(value)); }

  // Precondition for front(), back() and pop_front(): !empty().
  [[nodiscard]] T& front() { return items_[head_]; }
  [[nodiscard]] const T& front() const { return items_[head_]; }
  [[nodiscard]] T& back() { return items_.back(); }
  [[nodiscard]] const T& back() const { return items_.back(); }

  void pop_front() {
    ++head_;
    if (head_ == items_.size()) {
      clear();
    } else if (head_ >= kCompactAfter && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  // Drops every element and releases the storage.
  void clear() {
    std::vector<T>().swap(items_);
    head_ = 0;
  }

 private:
  // Below this many popped elements, moving the rest down is not worth it.
  static constexpr std::size_t kCompactAfter = 32;

  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace helpline::wire
