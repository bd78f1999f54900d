// The reference implementation's codec testee (vectors/README.md, "the codec testee
// contract"): length-prefixed JSON requests on one stream, one JSON answer each on another,
// every answer computed by the reference codec. The vector generator asks the same
// questions through answer_codec_request(), so the checked-in vectors are exactly what the
// reference's testee answers.
#ifndef NIPC_TOOLS_CODEC_TESTEE_CODEC_TESTEE_H_
#define NIPC_TOOLS_CODEC_TESTEE_CODEC_TESTEE_H_

#include <iosfwd>
#include <span>
#include <string_view>

#include "common/fields_json.h"

namespace nipc::tools {

/// The vector families this testee implements: all thirteen, in vectors/README.md order.
std::span<const std::string_view> codec_testee_families();

/// Answers one request object (op hello, decode, encode, decide, check_ack or names). Never throws:
/// a request that is not shaped as the contract says is answered
/// {"result":"error","message":...}; an op or family it does not implement
/// {"result":"unsupported","reason":...}.
Json answer_codec_request(const Json& request) noexcept;

/// Serves requests from `in` until it ends, writing one answer per request to `out`: each
/// message is a 4-byte little-endian length and that many bytes of UTF-8 JSON. A message
/// that is not a JSON object is answered with {"result":"error"} and the loop goes on; a
/// stream that ends in the middle of a message ends the loop. Returns the process exit code:
/// 0 when `in` ended, 1 when `out` failed.
int run_codec_testee(std::istream& in, std::ostream& out);

/// run_codec_testee on the process's stdin and stdout, switched to binary mode first where
/// the C runtime distinguishes text from binary (Windows: text mode would rewrite 0x0a bytes
/// of a frame and stop reading at 0x1a). For the testee binaries' main().
int run_codec_testee_on_stdio();

}  // namespace nipc::tools

#endif  // NIPC_TOOLS_CODEC_TESTEE_CODEC_TESTEE_H_
