// What `helpline diag show` prints under a finding whose suggested action is
// in the relay's published catalog: the command that runs it on the device.
#pragma once

#include <string>

#include "helpline/v1/action_api.pb.h"
#include "helpline/v1/api.pb.h"

namespace helpline::cli {

// "helpline action run DEVICE ACTION name=value ...", or "" when the catalog
// has no such action. The finding's subject (a unit, a mount point) fills
// the action's parameter when it has exactly one required parameter; other
// required parameters show as name=<type> to fill in. Values are quoted as
// a shell would need them: the line is for a person to copy; the CLI never
// runs it.
[[nodiscard]] std::string fix_command(const v1::api::Finding& finding, const std::string& device,
                                      const v1::api::CatalogInfo& catalog);

}  // namespace helpline::cli
