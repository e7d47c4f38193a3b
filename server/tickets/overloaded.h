// Internal to server/tickets: the usual lambda overload set for std::visit.
#pragma once

namespace helpline::relay::tickets::detail {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace helpline::relay::tickets::detail
