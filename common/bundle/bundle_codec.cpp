// encode_bundle / decode_bundle / bundle_id (declared in bundle.h).
// Moved here from agent/collect so the relay can decode without agent code.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <memory>

#include "common/bundle/bundle.h"
#include "common/tls/crypto.h"

namespace helpline::bundle {
namespace {

constexpr std::string_view kMagic = "HLB1";
constexpr std::size_t kHeaderSize = kMagic.size() + 8;
// Level 6 compresses a typical bundle to a fraction of level 1's size in a
// few milliseconds; higher levels buy little on log text.
constexpr int kCompressionLevel = 6;

struct CCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

[[nodiscard]] std::uint64_t get_u64(std::string_view in) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

[[nodiscard]] std::string zstd_reason(std::size_t code) { return ZSTD_getErrorName(code); }

// Deterministic: map entries (redaction counts) in key order, so equal
// bundles give equal bytes and equal ids.
[[nodiscard]] bool serialize(const v1::DiagnosticBundle& bundle, std::string& out) {
  out.clear();
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  return bundle.SerializeToCodedStream(&coded) && !coded.HadError();
}

}  // namespace

Result<std::string> encode_bundle(const v1::DiagnosticBundle& bundle) {
  std::size_t size = bundle.ByteSizeLong();
  if (size > kMaxBundleBytes) {
    return fail("too_large", "the bundle is " + std::to_string(size) + " bytes; the limit is " +
                                 std::to_string(kMaxBundleBytes));
  }
  std::string raw;
  if (!serialize(bundle, raw)) return fail("encode_failed", "cannot serialize the bundle");
  // proto3 parsers refuse strings that are not UTF-8, and the lite runtime
  // serializes them anyway: check now rather than ship an undecodable bundle.
  if (v1::DiagnosticBundle check; !check.ParseFromString(raw)) {
    return fail("encode_failed",
                "the bundle holds a string that is not valid UTF-8 (text from the machine must go "
                "through clean() before it enters a bundle)");
  }

  std::unique_ptr<ZSTD_CCtx, CCtxDeleter> cctx(ZSTD_createCCtx());
  if (!cctx) return fail("encode_failed", "cannot create a zstd context");
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kCompressionLevel);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);

  std::string out(kMagic);
  put_u64(out, raw.size());
  out.resize(kHeaderSize + ZSTD_compressBound(raw.size()));
  std::size_t n = ZSTD_compress2(cctx.get(), out.data() + kHeaderSize, out.size() - kHeaderSize,
                                 raw.data(), raw.size());
  if (ZSTD_isError(n)) return fail("encode_failed", "zstd: " + zstd_reason(n));
  out.resize(kHeaderSize + n);
  return out;
}

Result<v1::DiagnosticBundle> decode_bundle(std::string_view encoded, std::size_t max_bytes) {
  if (encoded.empty() || encoded.substr(0, kMagic.size()) != kMagic.substr(0, encoded.size())) {
    return fail("not_a_bundle", "not a Helpline bundle (no HLB1 header)");
  }
  if (encoded.size() < kHeaderSize) {
    return fail("truncated", "the bundle ends inside its " + std::to_string(kHeaderSize) +
                                 "-byte header (" + std::to_string(encoded.size()) + " bytes)");
  }
  std::uint64_t size = get_u64(encoded.substr(kMagic.size()));
  if (size > max_bytes) {
    return fail("too_large", "the bundle declares " + std::to_string(size) +
                                 " bytes uncompressed; the limit is " + std::to_string(max_bytes));
  }
  std::string_view payload = encoded.substr(kHeaderSize);
  std::size_t frame = ZSTD_findFrameCompressedSize(payload.data(), payload.size());
  if (ZSTD_isError(frame)) {
    if (ZSTD_getErrorCode(frame) == ZSTD_error_srcSize_wrong || payload.empty()) {
      return fail("truncated", "the compressed data ends early (" + std::to_string(encoded.size()) +
                                   " bytes in all)");
    }
    return fail("corrupted", "bad compressed data: " + zstd_reason(frame));
  }
  if (frame != payload.size()) {
    return fail("corrupted", std::to_string(payload.size() - frame) +
                                 " unexpected bytes after the compressed data");
  }
  unsigned long long content = ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (content != size) {
    return fail("corrupted", "the header says " + std::to_string(size) +
                                 " bytes but the compressed data holds a different size");
  }

  std::unique_ptr<ZSTD_DCtx, DCtxDeleter> dctx(ZSTD_createDCtx());
  if (!dctx) return fail("corrupted", "cannot create a zstd context");
  std::string raw(static_cast<std::size_t>(size), '\0');
  std::size_t n =
      ZSTD_decompressDCtx(dctx.get(), raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(n)) return fail("corrupted", "cannot decompress: " + zstd_reason(n));
  if (n != size) {
    return fail("corrupted",
                "decompressed " + std::to_string(n) + " bytes, expected " + std::to_string(size));
  }
  v1::DiagnosticBundle bundle;
  if (!bundle.ParseFromString(raw)) {
    return fail("corrupted", "the decompressed data is not a DiagnosticBundle");
  }
  if (bundle.format_version() > kBundleFormatVersion) {
    return fail("unsupported_version", "bundle format " + std::to_string(bundle.format_version()) +
                                           " is newer than this program reads (" +
                                           std::to_string(kBundleFormatVersion) + "); upgrade it");
  }
  return bundle;
}

std::uint64_t declared_size(std::string_view encoded) {
  if (encoded.size() < kHeaderSize || encoded.substr(0, kMagic.size()) != kMagic) return 0;
  return get_u64(encoded.substr(kMagic.size()));
}

std::string bundle_id(std::string_view encoded) {
  return std::string(kIdPrefix) + tls::sha256_hex(encoded);
}

const char* state_name(v1::CollectorStatus::State state) {
  switch (state) {
    case v1::CollectorStatus::STATE_OK:
      return "ok";
    case v1::CollectorStatus::STATE_PARTIAL:
      return "partial";
    case v1::CollectorStatus::STATE_FAILED:
      return "failed";
    case v1::CollectorStatus::STATE_TIMED_OUT:
      return "timed_out";
    case v1::CollectorStatus::STATE_UNAVAILABLE:
      return "unavailable";
    case v1::CollectorStatus::STATE_SKIPPED:
      return "skipped";
    default:
      return "unknown";
  }
}

}  // namespace helpline::bundle
