#include "common/catalog/describe.h"

namespace helpline::catalog {

std::string request_label(const v1::ActionRequest& request) {
  return request.action_id() + " (catalog v" + std::to_string(request.catalog_version()) +
         ", key " + request.idempotency_key() + ")";
}

std::string run_outcome(const v1::ActionResult& result) {
  std::string text = "exit " + std::to_string(result.exit_code());
  if (result.signal() != 0) text += ", signal " + std::to_string(result.signal());
  if (result.timed_out()) text += ", timed out";
  return text + ", " + std::to_string(result.duration_ms()) + " ms";
}

}  // namespace helpline::catalog
