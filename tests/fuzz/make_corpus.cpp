// Writes the seed corpora of the fuzz targets: a few valid frame sequences,
// each preceded by the control bytes the target reads first (split size,
// and for fuzz_multiplexer the output budget).
//   fuzz_make_corpus tests/fuzz/corpus
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "common/wire/frame_codec.h"

namespace {

using helpline::v1::Frame;

std::string encode(const std::vector<Frame>& frames) {
  std::string out;
  for (const auto& frame : frames) {
    if (!helpline::wire::encode_frame(frame, helpline::wire::kDefaultMaxFrameSize, out)) {
      std::cerr << "cannot encode a seed frame\n";
      std::exit(1);
    }
  }
  return out;
}

Frame stream(std::uint32_t id) {
  Frame f;
  f.set_channel(id);
  return f;
}

std::vector<std::pair<std::string, std::vector<Frame>>> seeds() {
  Frame hello;
  hello.mutable_hello()->set_device_id("dev-1");
  hello.mutable_hello()->set_agent_version("0.1.0");
  hello.mutable_hello()->add_capabilities("shell");
  hello.mutable_hello()->set_max_frame_size(4096);
  hello.mutable_hello()->set_heartbeat_interval_ms(30000);
  Frame heartbeat;
  heartbeat.mutable_heartbeat()->set_seq(1);
  heartbeat.mutable_heartbeat()->set_sent_at_ms(1700000000000);
  Frame ping;
  ping.mutable_request()->set_id(7);
  ping.mutable_request()->mutable_ping()->set_payload("ping");
  Frame goodbye;
  goodbye.mutable_goodbye()->set_reason("shutting_down");
  goodbye.mutable_goodbye()->mutable_error()->set_code("revoked");

  Frame open1 = stream(1);
  open1.mutable_open()->set_kind("bundle");
  open1.mutable_open()->set_initial_window(2048);
  open1.mutable_open()->set_request_id(7);
  Frame open3 = stream(3);
  open3.mutable_open()->set_kind("shell");
  open3.mutable_open()->set_initial_window(1024);
  Frame data1 = stream(1);
  data1.mutable_data()->set_data(std::string(100, 'd'));
  Frame data3 = stream(3);
  data3.mutable_data()->set_data("ls\n");
  Frame window2 = stream(2);
  window2.mutable_window_update()->set_increment(4096);
  Frame close1 = stream(1);
  close1.mutable_close();
  Frame reset3 = stream(3);
  reset3.mutable_reset()->set_reason("cancelled");

  return {
      {"hello", {hello, heartbeat}},
      {"request", {ping, goodbye}},
      {"stream", {open1, data1, close1}},
      {"two_streams", {open1, open3, data3, data1, window2, reset3, close1}},
  };
}

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_corpus CORPUS_DIR (with fuzz_frame_decoder/ and "
                 "fuzz_multiplexer/ inside)\n";
    return 2;
  }
  const std::string root = argv[1];
  std::error_code ec;
  for (const char* target : {"fuzz_frame_decoder", "fuzz_multiplexer"}) {
    std::filesystem::create_directories(root + "/" + target, ec);
  }
  bool ok = true;
  for (const auto& [name, frames] : seeds()) {
    const std::string bytes = encode(frames);
    // Whole input in one piece, and a split of 8 bytes.
    ok &= write_file(root + "/fuzz_frame_decoder/" + name, std::string(1, '\xff') + bytes);
    ok &=
        write_file(root + "/fuzz_frame_decoder/" + name + "_split", std::string(1, '\x07') + bytes);
    ok &= write_file(root + "/fuzz_multiplexer/" + name, std::string("\xff\x10", 2) + bytes);
  }
  if (!ok) std::cerr << "could not write every seed under " << root << "\n";
  return ok ? 0 : 1;
}
