// Fuzzes redact::Redactor with arbitrary bytes. Byte 0 picks the mode: the
// low bit feeds the rest line by line as one stream (private key blocks that
// span calls), otherwise as one text. The oracle beyond the sanitizers: a
// secret planted on a line of its own after the input is always redacted,
// whatever came before it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/redact/redact.h"

namespace {

constexpr std::string_view kPlanted = "FUZZ_PLANTED_hunter2";

helpline::redact::Redactor make_redactor() {
  helpline::redact::Options options;
  options.extra_patterns = {{"", R"(bindpw\s+(\S+))"}, {"", R"(EMP-\d{6})"}};
  auto redactor = helpline::redact::Redactor::create(std::move(options));
  if (!redactor) __builtin_trap();
  return std::move(*redactor);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool stream = (data[0] & 1) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  if (input.find(kPlanted) != std::string_view::npos) return 0;  // the oracle needs it unique
  const std::string planted = "x password=" + std::string(kPlanted);

  // Compiling the patterns is slow; copies share them and count afresh.
  static const helpline::redact::Redactor kCompiled = make_redactor();
  helpline::redact::Redactor redactor = kCompiled;
  std::string out;
  if (stream) {
    std::size_t begin = 0;
    while (begin <= input.size()) {
      std::size_t end = input.find('\n', begin);
      if (end == std::string_view::npos) end = input.size();
      out += redactor.redact(input.substr(begin, end - begin));
      out += '\n';
      begin = end + 1;
    }
    out += redactor.redact(planted);
  } else {
    out = redactor.redact(std::string(input) + "\n" + planted);
  }
  if (out.find(kPlanted) != std::string::npos) __builtin_trap();
  return 0;
}
