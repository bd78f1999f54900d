// The model of a golden vector file (vectors/README.md) and its builder: each family is a
// list of cases, each case the bytes, what a conforming decoder must make of them, and the
// requirement IDs it exercises. Cases state their intent; verify() then asks the reference
// (through the codec testee) and refuses any case on which the two disagree.
#ifndef NIPC_TOOLS_NIPC_VECTORS_VECTOR_SET_H_
#define NIPC_TOOLS_NIPC_VECTORS_VECTOR_SET_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/fields_json.h"
#include "nipc/codec/errors.h"
#include "nipc/transport/error.h"

namespace nipc::vectors {

using tools::Bytes;
using tools::Json;

/// The spec revision the vectors are written against (spec/requirements.json).
inline constexpr std::string_view kSpecRevision = "2026-11-25";

enum class Verdict { kValid, kInvalid, kAcceptable };

/// One case as it is written to its file.
struct Case {
  std::string name;
  std::string comment;
  std::vector<std::string> requirements;
  std::vector<std::string> flags;
  Verdict verdict = Verdict::kValid;
  std::optional<Bytes> hex;    // single-buffer families
  std::vector<Bytes> packets;  // chunked_message
  Json context = Json::object();  // windows_names: the whole input
  /// kValid: what the bytes decode to. kAcceptable: the reference's fields when it accepts.
  Json fields;
  /// kInvalid: the error class. kAcceptable: the reference's error class when it rejects.
  std::string error;
  /// The bytes are exactly the canonical encoding of `fields` (verified both ways).
  bool canonical = false;
  /// The only protocol revision the case belongs to ("newest" for the lookup methods); empty
  /// for cases that hold in every revision (the key is then not written).
  std::string revision;
};

/// Fluent additions to a case just created.
class CaseRef {
 public:
  explicit CaseRef(Case& c) : c_(c) {}
  /// Adds a requirement ID the case exercises (duplicates are ignored).
  CaseRef& req(std::string_view id);
  CaseRef& reqs(std::initializer_list<std::string_view> ids);
  /// Adds a flag naming the edge the case probes (PascalCase).
  CaseRef& flag(std::string_view flag);
  CaseRef& flags(std::initializer_list<std::string_view> flags);
  /// Declares that the bytes are the canonical encoding of the fields (adds "Canonical").
  CaseRef& canonical();
  /// Inputs besides the bytes (batch item_count, chunk session, server policy, sent HELLO).
  CaseRef& context(Json context);

 private:
  Case& c_;
};

/// One vector file under construction.
class Family {
 public:
  Family(std::string_view name, std::string_view description);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::vector<Case>& cases() const { return cases_; }
  /// "packets" for chunked_message, "context" for windows_names (no bytes: every input is in
  /// the context), "hex" for every other family.
  std::string_view input() const;
  /// Tags every case added from now on with `revision` (Case::revision).
  void set_revision(std::string_view revision) { revision_ = revision; }

  /// The bytes decode to `fields`.
  CaseRef valid(std::string_view name, std::string_view comment, Bytes bytes, Json fields);
  /// The bytes are rejected with `error`; the error's requirement is added to the case.
  CaseRef invalid(std::string_view name, std::string_view comment, Bytes bytes, Error error);
  /// The bytes are rejected with a verdict class that is not a codec error: a handshake
  /// status ("StatusAuthFailed", ...) or "SilentClose".
  CaseRef invalid(std::string_view name, std::string_view comment, Bytes bytes,
                  std::string_view error_class);
  /// The contract lets a decoder accept or reject; the reference rejects with `error`.
  CaseRef acceptable(std::string_view name, std::string_view comment, Bytes bytes, Error error);
  /// The contract lets a decoder accept or reject; the reference accepts with `fields`.
  CaseRef acceptable(std::string_view name, std::string_view comment, Bytes bytes, Json fields);

  /// Packet-sequence versions (chunked_message).
  CaseRef valid(std::string_view name, std::string_view comment, std::vector<Bytes> packets,
                Json fields);
  CaseRef invalid(std::string_view name, std::string_view comment, std::vector<Bytes> packets,
                  Error error);

  /// Context-only versions (windows_names): `context` derives to `fields`, or is refused with
  /// the transport error `kind` (its requirement is added to the case).
  CaseRef valid_context(std::string_view name, std::string_view comment, Json context,
                        Json fields);
  CaseRef invalid_context(std::string_view name, std::string_view comment, Json context,
                          TransportErrorKind kind);

 private:
  Case& add(std::string_view name, std::string_view comment, Verdict verdict);

  std::string name_;
  std::string description_;
  std::string revision_;
  std::vector<Case> cases_;
};

/// Checks every case of `family` against the reference and against the file format: names,
/// flags and requirements well formed; valid cases decode to their fields; invalid cases are
/// rejected with exactly their error (a handshake rejection also with the canonical
/// rejection packet); acceptable cases get the reference verdict they record; a case is
/// flagged Canonical exactly when encoding its fields gives back its bytes. Returns one line
/// per problem, each naming the case.
std::vector<std::string> verify(const Family& family);

/// The file's JSON document (vectors/README.md), ids numbered from 1 in case order.
Json to_document(const Family& family);

/// The bytes of the file: the document with two-space indentation and a final newline.
std::string render(const Family& family);

}  // namespace nipc::vectors

#endif  // NIPC_TOOLS_NIPC_VECTORS_VECTOR_SET_H_
