#include "server/sessions/frame_batch.h"

#include <algorithm>

namespace helpline::relay::sessions {

FrameBatch::FrameBatch(std::size_t frame, std::size_t max_message)
    : frame_(std::max<std::size_t>(frame, 1)), max_message_(std::max(max_message, frame_)) {}

void FrameBatch::push(std::string data) {
  if (data.empty()) return;
  queued_ += data.size();
  pieces_.push_back(std::move(data));
}

std::vector<std::string_view> FrameBatch::next() const {
  std::size_t want = queued_;
  if (want >= frame_) want = std::min(want, max_message_) / frame_ * frame_;
  std::vector<std::string_view> views;
  std::size_t skip = front_used_;
  for (const std::string& piece : pieces_) {
    if (want == 0) break;
    std::string_view view(piece);
    view.remove_prefix(skip);
    skip = 0;
    view = view.substr(0, want);
    want -= view.size();
    views.push_back(view);
  }
  return views;
}

void FrameBatch::consume(std::size_t n) {
  n = std::min(n, queued_);
  queued_ -= n;
  while (n > 0) {
    const std::size_t left = pieces_.front().size() - front_used_;
    if (n < left) {
      front_used_ += n;
      return;
    }
    n -= left;
    pieces_.pop_front();
    front_used_ = 0;
  }
}

}  // namespace helpline::relay::sessions
