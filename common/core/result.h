// Result<T>: the one way Helpline returns an expected failure.
//
// An Error carries a stable machine-readable code ("frame_too_large",
// "bad_token", ...) that crosses the wire and the JSON API unchanged, and a
// message a person can act on. Each module keeps its codes in an enum with a
// to_code()/describe() pair and builds Errors through helpline::fail().
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace helpline {

struct Error {
  std::string code;
  std::string message;

  // "code: message", for logs and one-line CLI failures.
  [[nodiscard]] std::string to_string() const { return code + ": " + message; }
};

template <class T>
using Result = tl::expected<T, Error>;

// Returned from a function whose Result<T> has failed.
[[nodiscard]] inline tl::unexpected<Error> fail(std::string code, std::string message) {
  return tl::unexpected<Error>(Error{std::move(code), std::move(message)});
}

[[nodiscard]] inline tl::unexpected<Error> fail(Error error) {
  return tl::unexpected<Error>(std::move(error));
}

}  // namespace helpline
