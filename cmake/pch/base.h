// Precompiled for every Helpline target (cmake/HelplinePch.cmake): the
// standard library and the third-party headers nearly every file includes.
// Only headers that do not depend on Helpline's own code belong here.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/message_lite.h>
#include <spdlog/spdlog.h>
#include <tl/expected.hpp>
