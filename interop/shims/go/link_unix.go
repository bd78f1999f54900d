//go:build unix

package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/posix"
)

const defaultTransport = "uds"

// unsupportedProfiles: the library's POSIX transport offers what it is asked to offer.
func unsupportedProfiles(mask uint32) string { return "" }

// nativePacketSize is the packet size the library proposes by default: SO_SNDBUF of a
// fresh SEQPACKET socket (UDS-PKT-001).
func nativePacketSize() uint32 {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		return 65536
	}
	defer syscall.Close(fd)
	v, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	if err != nil || v <= 0 {
		return 65536
	}
	return uint32(v)
}

type udsLink struct {
	s      *posix.Session
	shm    *posix.ShmContext
	buf    []byte
	msg    []byte
	inf    linkInfo
	inShm  map[uint64]bool // SHM: message ids in flight (the region has no session bookkeeping)
	closed bool
}

// connect performs the library's connect and handshake and, when a shared-memory profile
// is selected, attaches to the session's region. An attach failure drops shared memory and
// handshakes again on the baseline, the policy of the library's own L2 client; the failure
// is reported in shm_attach_failures / shm_attach_error.
func connect(o *options, cfg clientConfig) (link, int, *shimError, *shimError) {
	l, attachErr, e := connectOnce(o, cfg)
	if e != nil || attachErr == nil {
		return l, 0, nil, e
	}
	cfg.profiles &^= protocol.ProfileSHMHybrid | protocol.ProfileSHMFutex
	cfg.preferred &^= protocol.ProfileSHMHybrid | protocol.ProfileSHMFutex
	if cfg.profiles == 0 {
		return nil, 1, attachErr, attachErr
	}
	l, _, e = connectOnce(o, cfg)
	return l, 1, attachErr, e
}

func connectOnce(o *options, cfg clientConfig) (link, *shimError, *shimError) {
	s, err := posix.Connect(o.runDir, o.service, &posix.ClientConfig{
		SupportedProfiles:       cfg.profiles,
		PreferredProfiles:       cfg.preferred,
		MaxRequestPayloadBytes:  cfg.maxReq,
		MaxRequestBatchItems:    cfg.maxReqBatch,
		MaxResponsePayloadBytes: cfg.maxResp,
		MaxResponseBatchItems:   cfg.maxRespBt,
		AuthToken:               cfg.authToken,
		PacketSize:              cfg.packetSize,
	})
	if err != nil {
		return nil, nil, mapPosixError(err, true)
	}
	l := &udsLink{s: s, inf: linkInfo{profile: s.SelectedProfile, packetSize: s.PacketSize,
		maxReq: s.MaxRequestPayloadBytes, maxResp: s.MaxResponsePayloadBytes,
		maxReqBatch: s.MaxRequestBatchItems, sessionID: s.SessionID}}
	bufLen := int(s.PacketSize)
	if s.SelectedProfile == protocol.ProfileSHMHybrid || s.SelectedProfile == protocol.ProfileSHMFutex {
		// The region may not be ready yet: retry like the library's own client (every
		// 5 ms for up to 5 s, bounded by the handshake timeout) while it cannot be opened
		// or is not initialised.
		deadline := time.Now().Add(5 * time.Second)
		if o.timeoutMs != 0 && o.timeoutMs < 5000 {
			deadline = time.Now().Add(time.Duration(o.timeoutMs) * time.Millisecond)
		}
		for {
			shm, err := posix.ShmClientAttach(o.runDir, o.service, s.SessionID)
			if err == nil {
				l.shm = shm
				break
			}
			retry := errors.Is(err, posix.ErrShmNotReady) || errors.Is(err, posix.ErrShmOpen)
			if !retry || time.Now().After(deadline) {
				s.Close()
				return nil, mapPosixError(err, false), nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		l.inf.shm = true
		l.inShm = map[uint64]bool{}
		bufLen = protocol.HeaderSize + int(s.MaxResponsePayloadBytes)
	}
	if bufLen < protocol.HeaderSize {
		bufLen = protocol.HeaderSize
	}
	l.buf = make([]byte, bufLen)
	return l, nil, nil
}

func (l *udsLink) info() linkInfo  { return l.inf }
func (l *udsLink) chunked() uint64 { return 0 }

func (l *udsLink) close() {
	if l.shm != nil {
		l.shm.ShmClose()
		l.shm = nil
	}
	l.s.Close()
}

func (l *udsLink) send(h *protocol.Header, payload []byte) *shimError {
	if l.shm == nil {
		if err := l.s.Send(h, payload); err != nil {
			return mapPosixError(err, false)
		}
		return nil
	}
	if len(l.inShm) != 0 {
		return &shimError{kind: "InFlight", text: "a request is already in flight on this shared-memory session"}
	}
	h.Magic, h.Version, h.HeaderLen = protocol.MagicMsg, protocol.Version, protocol.HeaderLen
	h.PayloadLen = uint32(len(payload))
	n := protocol.HeaderSize + len(payload)
	if cap(l.msg) < n {
		l.msg = make([]byte, n)
	}
	msg := l.msg[:n]
	h.Encode(msg)
	copy(msg[protocol.HeaderSize:], payload)
	if err := l.shm.ShmSend(msg); err != nil {
		return mapPosixError(err, false)
	}
	l.inShm[h.MessageID] = true
	return nil
}

func (l *udsLink) receive(timeoutMs uint32) (protocol.Header, []byte, *shimError) {
	if l.shm == nil {
		h, p, err := receiveWithTimeout(l.s, l.buf, timeoutMs)
		if err != nil {
			return h, nil, err
		}
		return h, p, nil
	}
	wait := timeoutMs
	if wait == 0 {
		wait = 24 * 3600 * 1000
	}
	n, err := l.shm.ShmReceive(l.buf, wait)
	if err != nil {
		return protocol.Header{}, nil, mapPosixError(err, false)
	}
	h, err := protocol.DecodeHeader(l.buf[:n])
	if err != nil {
		return h, nil, mapCodecError(err, "Protocol")
	}
	if int(h.PayloadLen) != n-protocol.HeaderSize {
		return h, nil, &shimError{kind: "ShmBadLength",
			text: fmt.Sprintf("published length %d disagrees with payload_len %d", n, h.PayloadLen)}
	}
	if !l.inShm[h.MessageID] {
		return h, nil, &shimError{kind: "Protocol", rule: "UnknownMessageId",
			text: fmt.Sprintf("response message_id %d is not in flight", h.MessageID)}
	}
	delete(l.inShm, h.MessageID)
	return h, l.buf[protocol.HeaderSize:n], nil
}

// mapPosixError names a library error as the suite does; handshake tells whether it came
// from the library's connect and handshake.
func mapPosixError(err error, handshake bool) *shimError {
	text := err.Error()
	e := &shimError{kind: "Protocol", text: text}
	switch {
	case errors.Is(err, posix.ErrPathTooLong), errors.Is(err, posix.ErrShmPathTooLong):
		e.kind = "PathTooLong"
	case errors.Is(err, posix.ErrSocket):
		e.kind = "System"
	case errors.Is(err, posix.ErrConnect):
		e.kind = "NotFound"
	case errors.Is(err, posix.ErrBadParam):
		e.kind = "BadParameter"
	case errors.Is(err, posix.ErrAddrInUse), errors.Is(err, posix.ErrShmAddrInUse):
		e.kind = "AddressInUse"
	case errors.Is(err, posix.ErrAuthFailed):
		e.kind, e.rule = "Rejected", "AckRejectedAuth"
	case errors.Is(err, posix.ErrNoProfile):
		e.kind, e.rule = "Rejected", "AckRejectedUnsupported"
	case errors.Is(err, posix.ErrIncompatible):
		// A bare sentinel is the server's INCOMPATIBLE status; a wrapped one is the
		// library's own version check of the HELLO_ACK.
		if err == posix.ErrIncompatible {
			e.kind, e.rule = "Rejected", "AckRejectedIncompatible"
		} else {
			// "ack header version mismatch" (an ACK of another protocol version) or
			// "ack payload layout version mismatch"
			e.kind, e.rule = "HandshakeFailed", "AckBadLayout"
			if strings.Contains(text, "ack header") {
				e.rule = "AckRejectedIncompatible"
			}
		}
	case errors.Is(err, posix.ErrLimitExceeded):
		switch {
		case handshake && err == posix.ErrLimitExceeded:
			e.kind, e.rule = "Rejected", "AckRejectedLimit"
		case strings.Contains(text, "item_count"):
			e.kind, e.rule = "LimitExceeded", "ItemCountOverLimit"
		default:
			e.kind, e.rule = "LimitExceeded", "PayloadOverLimit"
		}
	case errors.Is(err, posix.ErrHandshake):
		e.kind, e.rule = "Rejected", "AckRejectedOther"
	case errors.Is(err, posix.ErrDuplicateMsgID):
		e.rule = "DuplicateMessageId"
	case errors.Is(err, posix.ErrUnknownMsgID):
		e.rule = "UnknownMessageId"
	case errors.Is(err, posix.ErrChunk):
		e.rule = chunkRule(text)
	case errors.Is(err, posix.ErrRecv), errors.Is(err, posix.ErrSend), errors.Is(err, posix.ErrShmPeerDead):
		e.kind = "PeerClosed"
		switch {
		case strings.Contains(text, "resource temporarily unavailable"):
			e.kind = "Timeout"
		case strings.Contains(text, "message too long"):
			// EMSGSIZE: the library sent a packet above what the socket takes (UDS-PKT-001)
			e.kind = "System"
		}
	case errors.Is(err, posix.ErrShmTimeout):
		e.kind = "Timeout"
	case errors.Is(err, posix.ErrShmOpen):
		e.kind = "ShmOpen"
	case errors.Is(err, posix.ErrShmNotReady):
		e.kind = "ShmNotReady"
	case errors.Is(err, posix.ErrShmBadMagic):
		e.kind = "ShmBadMagic"
	case errors.Is(err, posix.ErrShmBadVersion):
		e.kind = "ShmBadVersion"
	case errors.Is(err, posix.ErrShmBadHeader):
		e.kind = "ShmBadHeader"
	case errors.Is(err, posix.ErrShmBadSize), errors.Is(err, posix.ErrShmMmap):
		e.kind = "ShmBadSize"
	case errors.Is(err, posix.ErrShmMsgTooLarge):
		e.kind = "ShmMessageTooLarge"
	case errors.Is(err, posix.ErrProtocol):
		e.rule = protocolRule(text)
	default:
		if k := revisionErrorKind(err); k != "" {
			e.kind = k
		}
	}
	return e
}
