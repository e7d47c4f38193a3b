// Error codes of agent/spool. Every message starts with "spool: " and names
// the item or the path involved, so a log line is enough to act on.
#pragma once

#include <string>

#include "common/core/result.h"

namespace helpline::agent::spool {

enum class SpoolError {
  kFull,     // "spool_full": one item is larger than the spool's byte cap
  kIo,       // "spool_io": a file operation failed (path and OS reason in the message),
             //   including a full disk ("spool: disk full writing item ...")
  kCorrupt,  // "spool_corrupt": an item failed its checksum or length check when
             //   read; it was moved to quarantine/ and the next item is intact
  kInvalid,  // "spool_invalid": bad options or a bad kind passed by the caller
};

[[nodiscard]] const char* to_code(SpoolError error);
// `message` should start with "spool: ".
[[nodiscard]] Error make_error(SpoolError error, std::string message);

}  // namespace helpline::agent::spool
