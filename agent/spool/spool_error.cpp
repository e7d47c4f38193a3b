#include "agent/spool/spool_error.h"

#include <utility>

namespace helpline::agent::spool {

const char* to_code(SpoolError error) {
  switch (error) {
    case SpoolError::kFull:
      return "spool_full";
    case SpoolError::kIo:
      return "spool_io";
    case SpoolError::kCorrupt:
      return "spool_corrupt";
    case SpoolError::kInvalid:
      return "spool_invalid";
  }
  return "spool_io";
}

Error make_error(SpoolError error, std::string message) {
  return Error{to_code(error), std::move(message)};
}

}  // namespace helpline::agent::spool
