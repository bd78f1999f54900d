package main

import "strings"

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// chunkRule names the chunk rule from the library's text (its error has one sentinel).
func chunkRule(text string) string {
	switch {
	case strings.Contains(text, "magic value mismatch"):
		return "ChunkBadMagic"
	case strings.Contains(text, "unsupported version"):
		return "ChunkBadVersion"
	case strings.Contains(text, "unknown layout_version"):
		// the library's chunk decoder refuses non-zero flags and chunk_payload_len 0 alike
		return "ChunkNonzeroFlags"
	case strings.Contains(text, "buffer too short"), strings.Contains(text, "too short"):
		return "ChunkTruncated"
	case strings.Contains(text, "message_id"):
		return "ChunkMessageIdMismatch"
	case strings.Contains(text, "chunk_index"):
		return "ChunkIndexMismatch"
	case strings.Contains(text, "chunk_count"), strings.Contains(text, "chunk count"):
		return "ChunkCountMismatch"
	case strings.Contains(text, "total_message_len"):
		return "ChunkTotalLenMismatch"
	case strings.Contains(text, "chunk_payload_len"):
		return "ChunkPayloadLenMismatch"
	case strings.Contains(text, "exceeds payload_len"):
		return "ChunkOverrun"
	}
	return ""
}

// protocolRule names the envelope rule from the library's text where it says which.
func protocolRule(text string) string {
	switch {
	case strings.Contains(text, "batch dir") && strings.Contains(text, "aligned"):
		return "BatchMisalignedOffset"
	case strings.Contains(text, "batch dir") && strings.Contains(text, "offset+length exceeds"):
		return "BatchItemOutOfBounds"
	case strings.Contains(text, "batch dir"):
		return "BatchDirectoryTruncated"
	case strings.Contains(text, "expected HELLO_ACK"):
		return "AckNotControl"
	case strings.Contains(text, "ack payload truncated"):
		return "AckTruncated"
	case strings.Contains(text, "too short for header"), strings.Contains(text, "buffer too short"):
		return "HeaderTruncated"
	case strings.Contains(text, "magic"):
		return "HeaderBadMagic"
	case strings.Contains(text, "header_len"):
		return "HeaderBadHeaderLen"
	case strings.Contains(text, "unknown message kind"):
		return "HeaderBadKind"
	case strings.Contains(text, "unsupported version"):
		return "HeaderBadVersion"
	case strings.Contains(text, "packet exceeds declared payload_len"):
		return "PacketLengthMismatch"
	}
	return ""
}
