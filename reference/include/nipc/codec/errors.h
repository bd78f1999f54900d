// Codec errors: one value per spec rule, and the one table that maps each value to the
// requirement it enforces and to the transport status a server answers with.
#ifndef NIPC_CODEC_ERRORS_H_
#define NIPC_CODEC_ERRORS_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "nipc/codec/constants.h"

namespace nipc {

// The error table. Columns: enum name, requirement ID (spec/requirements.json), the status a
// server replies with when it detects the error in a request it answers (NONE: it closes
// without replying, or the error is client-side), and a one-line description.
//
// Keep rows grouped by spec chapter; the order of rows is the order of the enum.
#define NIPC_CODEC_ERROR_TABLE(X)                                                                 \
  /* Encoders */                                                                                  \
  X(BufferTooSmall, "CODEC-ENC-001", NONE, "caller buffer is smaller than the encoded structure") \
  X(ValueOutOfRange, "CODEC-ENC-002", NONE, "a value does not fit its wire field")                \
  /* Envelope (spec/envelope.md) */                                                               \
  X(HeaderTruncated, "ENV-LEN-001", NONE, "message shorter than the 32-byte outer header")        \
  X(HeaderBadMagic, "ENV-MAGIC-001", NONE, "outer header magic is not 0x4e495043")                \
  X(HeaderBadVersion, "ENV-VERSION-001", NONE, "outer header version is not 1")                   \
  X(HeaderBadHeaderLen, "ENV-HDRLEN-001", NONE, "outer header header_len is not 32")              \
  X(HeaderBadKind, "ENV-KIND-001", NONE, "outer header kind is not REQUEST, RESPONSE or CONTROL") \
  X(PayloadOverLimit, "ENV-LIMIT-001", LIMIT_EXCEEDED,                                            \
    "payload_len exceeds the negotiated limit for the receiver's direction")                      \
  X(ItemCountOverLimit, "ENV-LIMIT-002", LIMIT_EXCEEDED,                                          \
    "item_count exceeds the negotiated batch limit for the receiver's direction")                 \
  X(OutboundPayloadOverLimit, "ENV-LIMIT-003", NONE,                                              \
    "sender refused a payload above the negotiated limit for its direction")                      \
  X(OutboundItemCountOverLimit, "ENV-LIMIT-004", NONE,                                            \
    "sender refused an item_count above the negotiated batch limit for its direction")            \
  X(PacketLengthMismatch, "ENV-TRAIL-001", NONE,                                                  \
    "single packet longer than 32 + payload_len")                                                 \
  X(UnexpectedKind, "SESS-KIND-001", NONE, "message kind not allowed in this direction or state")   \
  X(DuplicateMessageId, "SESS-MSGID-001", NONE, "message_id already in flight")                    \
  X(UnknownMessageId, "SESS-MSGID-002", NONE, "response message_id is not in flight")              \
  X(ResponseCodeMismatch, "SESS-CODE-001", NONE,                                                 \
    "response code differs from the code of the request it answers")                              \
  /* Batch framing (spec/batch.md) */                                                             \
  X(BatchDirectoryTruncated, "BATCH-DIR-001", BAD_ENVELOPE,                                       \
    "payload shorter than item_count directory entries")                                          \
  X(BatchMisalignedOffset, "BATCH-ALIGN-001", BAD_ENVELOPE,                                       \
    "batch item offset is not a multiple of 8")                                                   \
  X(BatchItemOutOfBounds, "BATCH-BOUNDS-001", BAD_ENVELOPE,                                       \
    "batch item extends past the packed item area")                                               \
  X(BatchIndexOutOfRange, "BATCH-INDEX-001", NONE, "item index is not below item_count")          \
  /* Chunking (spec/chunking.md) */                                                               \
  X(ChunkTruncated, "CHUNK-LEN-001", NONE, "continuation packet shorter than 32 bytes")            \
  X(ChunkBadMagic, "CHUNK-MAGIC-001", NONE, "chunk header magic is not 0x4e43484b")               \
  X(ChunkBadVersion, "CHUNK-VERSION-001", NONE, "chunk header version is not 1")                  \
  X(ChunkNonzeroFlags, "CHUNK-FLAGS-001", NONE, "chunk header flags are not 0")                   \
  X(ChunkMessageIdMismatch, "CHUNK-MSGID-001", NONE,                                              \
    "chunk message_id differs from the first packet's")                                           \
  X(ChunkIndexMismatch, "CHUNK-INDEX-001", NONE, "chunk_index is not the next expected index")    \
  X(ChunkCountMismatch, "CHUNK-COUNT-001", NONE,                                                  \
    "chunk_count differs from the derived count, or the payload does not end at the last chunk")  \
  X(ChunkTotalLenMismatch, "CHUNK-TOTAL-001", NONE, "total_message_len is not 32 + payload_len")  \
  X(ChunkPayloadLenMismatch, "CHUNK-PLEN-001", NONE,                                              \
    "chunk_payload_len differs from the bytes in the packet")                                     \
  X(ChunkEmpty, "CHUNK-PLEN-002", NONE,                                                           \
    "a continuation, or the first packet of a chunked message, carries no payload bytes")         \
  X(ChunkOverrun, "CHUNK-OVERRUN-001", NONE, "chunks carry more bytes than payload_len")           \
  X(ChunkPacketSizeTooSmall, "CHUNK-SPLIT-002", NONE,                                             \
    "packet size leaves no room for payload after the 32-byte header")                            \
  X(ChunkControlMessage, "CHUNK-SCOPE-001", NONE,                                                 \
    "a CONTROL message (HELLO, HELLO_ACK) would need, or arrived in, more than one packet")       \
  /* Handshake (spec/handshake.md) */                                                             \
  X(HelloTruncated, "HS-HELLO-LEN-001", NONE, "HELLO payload shorter than 44 bytes")              \
  X(HelloBadLayout, "HS-HELLO-LAYOUT-001", INCOMPATIBLE, "HELLO layout_version is not 1")         \
  X(HelloNonzeroFlags, "HS-HELLO-FLAGS-001", BAD_ENVELOPE, "HELLO flags are not 0")               \
  X(HelloNonzeroReserved, "HS-HELLO-RESERVED-001", BAD_ENVELOPE, "HELLO reserved field is not 0") \
  X(FirstPacketNotHello, "HS-NOTHELLO-001", NONE,                                                 \
    "first packet of a connection is not a CONTROL HELLO")                                        \
  X(AckTruncated, "HS-ACK-LEN-001", NONE, "HELLO_ACK payload shorter than 48 bytes")              \
  X(AckBadLayout, "HS-ACK-LAYOUT-001", NONE, "HELLO_ACK layout_version is not 1")                 \
  X(AckNonzeroFlags, "HS-ACK-FLAGS-001", NONE, "HELLO_ACK flags are not 0")                       \
  X(AckNonzeroReserved, "HS-ACK-RESERVED-001", NONE, "HELLO_ACK reserved field is not 0")         \
  X(AckRejectedAuth, "HS-CLI-STATUS-001", NONE, "server rejected the HELLO: AUTH_FAILED")         \
  X(AckRejectedUnsupported, "HS-CLI-STATUS-002", NONE, "server rejected the HELLO: UNSUPPORTED")  \
  X(AckRejectedIncompatible, "HS-CLI-STATUS-003", NONE,                                           \
    "server rejected the HELLO: INCOMPATIBLE")                                                    \
  X(AckRejectedLimit, "HS-CLI-STATUS-004", NONE, "server rejected the HELLO: LIMIT_EXCEEDED")     \
  X(AckRejectedOther, "HS-CLI-STATUS-005", NONE, "server rejected the HELLO with another status") \
  X(AckNotControl, "HS-CLI-KIND-001", NONE, "handshake reply is not a CONTROL HELLO_ACK")         \
  X(AckProfileNotOffered, "HS-CLI-PROF-001", NONE,                                                \
    "selected_profile is not offered by both the client and the server")                              \
  X(AckProfileNotSingleBit, "HS-CLI-PROF-002", NONE, "selected_profile is not exactly one bit")   \
  X(AckIntersectionMismatch, "HS-CLI-PROF-003", NONE,                                             \
    "intersection_profiles is not client_supported & server_supported")                           \
  X(AckRequestPayloadChanged, "HS-CLI-REQ-001", NONE,                                             \
    "agreed request payload differs from the client's proposal")                                  \
  X(AckRequestBatchChanged, "HS-CLI-BATCH-001", NONE,                                             \
    "agreed request batch items differ from the client's proposal")                               \
  X(AckBatchAsymmetric, "HS-CLI-BATCH-002", NONE,                                                 \
    "agreed response batch items differ from agreed request batch items")                         \
  X(AckPacketSizeTooSmall, "HS-CLI-PKT-001", NONE, "agreed packet size is 32 or less")            \
  X(AckPacketSizeAboveProposal, "HS-CLI-PKT-002", NONE,                                           \
    "agreed packet size is larger than the client's proposal")                                    \
  X(AckZeroSessionId, "HS-CLI-SID-001", NONE, "successful HELLO_ACK carries session_id 0")        \
  /* Server handshake configuration (spec/handshake.md, spec/profiles.md) */                      \
  X(PolicyOffersWaitAddr, "PROF-WAITADDR-001", NONE,                                              \
    "server policy offers the reserved, never-implemented profile 0x08")                          \
  X(PolicyZeroSessionId, "HS-SID-001", NONE, "server policy carries session_id 0")                \
  /* INCREMENT (spec/codecs.md) */                                                                \
  X(IncrementTruncated, "CODEC-INC-001", BAD_ENVELOPE, "INCREMENT payload shorter than 8 bytes")  \
  /* STRING_REVERSE */                                                                            \
  X(StringTruncated, "CODEC-STR-001", BAD_ENVELOPE, "STRING_REVERSE payload shorter than 8 bytes") \
  X(StringBadOffset, "CODEC-STR-002", BAD_ENVELOPE, "STRING_REVERSE str_offset is not 8")         \
  X(StringOutOfBounds, "CODEC-STR-003", BAD_ENVELOPE,                                             \
    "STRING_REVERSE string and its NUL extend past the payload")                                  \
  X(StringMissingNul, "CODEC-STR-004", BAD_ENVELOPE,                                              \
    "STRING_REVERSE byte after the string is not NUL")                                            \
  /* CGROUPS_SNAPSHOT request */                                                                  \
  X(SnapshotRequestTruncated, "CODEC-SNREQ-001", BAD_ENVELOPE,                                    \
    "CGROUPS_SNAPSHOT request shorter than 4 bytes")                                              \
  X(SnapshotRequestBadLayout, "CODEC-SNREQ-002", BAD_ENVELOPE,                                    \
    "CGROUPS_SNAPSHOT request layout_version is not 1")                                           \
  X(SnapshotRequestNonzeroFlags, "CODEC-SNREQ-003", BAD_ENVELOPE,                                 \
    "CGROUPS_SNAPSHOT request flags are not 0")                                                   \
  /* CGROUPS_SNAPSHOT response */                                                                 \
  X(SnapshotTruncated, "CODEC-SNAP-001", NONE, "snapshot payload shorter than its 24-byte header") \
  X(SnapshotBadLayout, "CODEC-SNAP-002", NONE, "snapshot layout_version is not 1")                \
  X(SnapshotNonzeroFlags, "CODEC-SNAP-003", NONE, "snapshot flags are not 0")                     \
  X(SnapshotNonzeroReserved, "CODEC-SNAP-004", NONE, "snapshot reserved field is not 0")          \
  X(SnapshotDirectoryTruncated, "CODEC-SNAP-005", NONE,                                           \
    "snapshot payload shorter than its item directory")                                           \
  X(SnapshotMisalignedOffset, "CODEC-SNAP-006", NONE, "snapshot item offset is not a multiple of 8") \
  X(SnapshotItemOutOfBounds, "CODEC-SNAP-007", NONE,                                              \
    "snapshot item extends past the packed item area")                                            \
  X(SnapshotItemTruncated, "CODEC-SNAP-008", NONE, "snapshot item shorter than its 32-byte header") \
  X(SnapshotItemBadLayout, "CODEC-SNAP-009", NONE, "snapshot item layout_version is not 1")       \
  X(SnapshotItemNonzeroFlags, "CODEC-SNAP-010", NONE, "snapshot item flags are not 0")            \
  X(SnapshotStringOffsetLow, "CODEC-SNAP-011", NONE,                                              \
    "snapshot item string starts inside the 32-byte item header")                                 \
  X(SnapshotStringOutOfBounds, "CODEC-SNAP-012", NONE,                                            \
    "snapshot item string and its NUL extend past the item")                                      \
  X(SnapshotStringMissingNul, "CODEC-SNAP-013", NONE,                                             \
    "snapshot item byte after the string is not NUL")                                             \
  X(SnapshotStringsOverlap, "CODEC-SNAP-014", NONE,                                               \
    "snapshot item name and path (with their NULs) overlap")                                      \
  /* CGROUPS_LOOKUP and APPS_LOOKUP (spec/lookup.md, newest revision) */                          \
  X(LookupTruncated, "LOOKUP-HDR-001", BAD_ENVELOPE,                                              \
    "lookup payload shorter than its 16-byte header")                                             \
  X(LookupBadLayout, "LOOKUP-HDR-002", BAD_ENVELOPE,                                              \
    "lookup header layout_version is not 1")                                                      \
  X(LookupNonzeroFlags, "LOOKUP-HDR-003", BAD_ENVELOPE,                                           \
    "lookup header flags are not 0")                                                              \
  X(LookupNonzeroReserved, "LOOKUP-HDR-004", BAD_ENVELOPE,                                        \
    "lookup request reserved0 or reserved1 is not 0")                                             \
  X(LookupDirectoryTruncated, "LOOKUP-HDR-005", BAD_ENVELOPE,                                     \
    "lookup payload shorter than its directory")                                                  \
  X(LookupMisalignedOffset, "LOOKUP-DIR-001", BAD_ENVELOPE,                                       \
    "lookup directory offset is not a multiple of 8")                                             \
  X(LookupEntryOutOfBounds, "LOOKUP-DIR-002", BAD_ENVELOPE,                                       \
    "lookup key or item extends past the packed area")                                            \
  X(LookupEntriesOverlap, "LOOKUP-DIR-003", BAD_ENVELOPE,                                         \
    "lookup directory entry starts before the previous one ends")                                 \
  X(CgroupsKeyTooShort, "LOOKUP-CGKEY-001", BAD_ENVELOPE,                                         \
    "CGROUPS_LOOKUP key shorter than 2 bytes (empty path)")                                       \
  X(CgroupsKeyMissingNul, "LOOKUP-CGKEY-002", BAD_ENVELOPE,                                       \
    "CGROUPS_LOOKUP key does not end with NUL")                                                   \
  X(CgroupsKeyInteriorNul, "LOOKUP-CGKEY-003", BAD_ENVELOPE,                                      \
    "CGROUPS_LOOKUP key has a NUL before its last byte")                                          \
  X(AppsKeyBadLength, "LOOKUP-APKEY-001", BAD_ENVELOPE,                                           \
    "APPS_LOOKUP key length is not 8")                                                            \
  X(AppsKeyNonzeroReserved, "LOOKUP-APKEY-002", BAD_ENVELOPE,                                     \
    "APPS_LOOKUP key reserved field is not 0")                                                    \
  X(LookupItemTruncated, "LOOKUP-ITEM-001", NONE,                                                 \
    "lookup item shorter than its fixed part")                                                    \
  X(LookupItemBadLayout, "LOOKUP-ITEM-002", NONE,                                                 \
    "lookup item layout_version is not 1")                                                        \
  X(LookupItemNonzeroReserved, "LOOKUP-ITEM-003", NONE,                                           \
    "lookup item reserved field is not 0")                                                        \
  X(LookupItemTrailingBytes, "LOOKUP-ITEM-004", NONE,                                             \
    "lookup item does not end at its last NUL")                                                   \
  X(CgroupsItemBadStatus, "LOOKUP-CGITEM-001", NONE,                                              \
    "CGROUPS_LOOKUP item status is not 0-4")                                                      \
  X(CgroupsItemEmptyPath, "LOOKUP-CGITEM-002", NONE,                                              \
    "CGROUPS_LOOKUP item path is empty")                                                          \
  X(CgroupsItemUnknownNotEmpty, "LOOKUP-CGITEM-003", NONE,                                        \
    "CGROUPS_LOOKUP item not KNOWN but carries orchestrator, name or labels")                     \
  X(AppsItemBadStatus, "LOOKUP-APITEM-001", NONE,                                                 \
    "APPS_LOOKUP item status is not 0-3")                                                         \
  X(AppsItemBadCgroupStatus, "LOOKUP-APITEM-002", NONE,                                           \
    "APPS_LOOKUP item cgroup_status is not 0-3")                                                  \
  X(AppsItemCommTooLong, "LOOKUP-APITEM-003", NONE,                                               \
    "APPS_LOOKUP item comm longer than 15 bytes")                                                 \
  X(AppsItemUnknownNotEmpty, "LOOKUP-APITEM-004", NONE,                                           \
    "APPS_LOOKUP item not KNOWN but carries process or cgroup data")                              \
  X(AppsItemCommEmpty, "LOOKUP-APITEM-005", NONE,                                                 \
    "KNOWN APPS_LOOKUP item has an empty comm")                                                   \
  X(AppsItemCgroupMismatch, "LOOKUP-APITEM-006", NONE,                                            \
    "KNOWN APPS_LOOKUP item's cgroup fields disagree with cgroup_status")                         \
  X(LookupStringOffsetLow, "LOOKUP-STR-001", NONE,                                                \
    "lookup item string starts inside the fixed part")                                            \
  X(LookupStringOutOfBounds, "LOOKUP-STR-002", NONE,                                              \
    "lookup item string and its NUL extend past the item")                                        \
  X(LookupStringMissingNul, "LOOKUP-STR-003", NONE,                                               \
    "lookup item byte after a string is not NUL")                                                 \
  X(LookupStringInteriorNul, "LOOKUP-STR-004", NONE,                                              \
    "lookup item string contains a NUL")                                                          \
  X(LookupStringsOverlap, "LOOKUP-STR-005", NONE,                                                 \
    "lookup item strings (with their NULs) overlap")                                              \
  X(LookupLabelTableOutOfBounds, "LOOKUP-LABEL-001", NONE,                                        \
    "lookup item label table does not fit in the item")                                           \
  X(LookupLabelPaddingNonzero, "LOOKUP-LABEL-002", NONE,                                          \
    "lookup item padding before the label table is not zero")                                     \
  X(LookupLabelKeyEmpty, "LOOKUP-LABEL-003", NONE,                                                \
    "lookup item label key is empty")                                                             \
  X(LookupLabelNotPacked, "LOOKUP-LABEL-004", NONE,                                               \
    "lookup item label string is not where the previous one ends")

/// A codec error: the rule a structure broke. Never `kOk`-like: a result holds a value or
/// an Error, not both.
enum class Error : std::uint16_t {
#define NIPC_X_ENUM(name, req, status, desc) k##name,
  NIPC_CODEC_ERROR_TABLE(NIPC_X_ENUM)
#undef NIPC_X_ENUM
};

/// One row of the error table.
struct ErrorInfo {
  Error error;
  std::string_view name;         // e.g. "HeaderBadMagic"
  std::string_view requirement;  // e.g. "ENV-MAGIC-001"
  /// Status a server answers with when it detects this error in a request it answers;
  /// nullopt when it closes without answering or the error only arises on the client.
  std::optional<TransportStatus> reply_status;
  std::string_view description;
};

/// The whole table, in enum order.
std::span<const ErrorInfo> error_table() noexcept;

/// The row for `e`. Never fails: every enum value has a row.
const ErrorInfo& error_info(Error e) noexcept;

/// Short name of `e`, e.g. "HeaderBadMagic".
inline std::string_view error_name(Error e) noexcept { return error_info(e).name; }

/// Looks an error up by its name; nullopt for unknown names.
std::optional<Error> error_from_name(std::string_view name) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_ERRORS_H_
