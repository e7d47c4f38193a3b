// A minimal JSON writer for the agent's --json output. The agent links the
// protobuf lite runtime only, which has no JSON mapping; the relay and the
// technician CLI use protobuf's JSON mapping instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace helpline {

// Builds one JSON value. Calls must nest properly (begin/end pairs); keys are
// given before each value inside an object. Not thread-safe.
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(bool flag);
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(double number);
  JsonWriter& null();

  // key + value in one call.
  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  [[nodiscard]] const std::string& str() const { return out_; }

 private:
  void before_value();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// Appends `text` as a quoted JSON string with escapes.
void append_json_string(std::string& out, std::string_view text);

}  // namespace helpline
