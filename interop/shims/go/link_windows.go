//go:build windows

package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/windows"
)

const defaultTransport = "pipe"

// unsupportedProfiles: the library's Windows transports are the pipe, hybrid and busy-wait
// shared memory.
func unsupportedProfiles(mask uint32) string { return "" }

// nativePacketSize is the pipe transport's default packet size.
func nativePacketSize() uint32 { return 65536 }

type pipeLink struct {
	s     *windows.Session
	shm   *windows.WinShmContext
	buf   []byte
	msg   []byte
	inf   linkInfo
	inShm map[uint64]bool
}

// connect: see link_unix.go (attach failure: drop shared memory, handshake again).
func connect(o *options, cfg clientConfig) (link, int, *shimError, *shimError) {
	l, attachErr, e := connectOnce(o, cfg)
	if e != nil || attachErr == nil {
		return l, 0, nil, e
	}
	cfg.profiles &^= windows.WinShmProfileHybrid | windows.WinShmProfileBusywait
	cfg.preferred &^= windows.WinShmProfileHybrid | windows.WinShmProfileBusywait
	if cfg.profiles == 0 {
		return nil, 1, attachErr, attachErr
	}
	l, _, e = connectOnce(o, cfg)
	return l, 1, attachErr, e
}

func connectOnce(o *options, cfg clientConfig) (link, *shimError, *shimError) {
	s, err := windows.Connect(o.runDir, o.service, &windows.ClientConfig{
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
		return nil, nil, mapWinError(err, true)
	}
	l := &pipeLink{s: s, inf: linkInfo{profile: s.SelectedProfile, packetSize: s.PacketSize,
		maxReq: s.MaxRequestPayloadBytes, maxResp: s.MaxResponsePayloadBytes,
		maxReqBatch: s.MaxRequestBatchItems, sessionID: s.SessionID}}
	if s.SelectedProfile == windows.WinShmProfileHybrid || s.SelectedProfile == windows.WinShmProfileBusywait {
		deadline := time.Now().Add(5 * time.Second)
		if o.timeoutMs != 0 && o.timeoutMs < 5000 {
			deadline = time.Now().Add(time.Duration(o.timeoutMs) * time.Millisecond)
		}
		for {
			shm, err := windows.WinShmClientAttach(o.runDir, o.service, o.authToken, s.SessionID, s.SelectedProfile)
			if err == nil {
				l.shm = shm
				break
			}
			retry := errors.Is(err, windows.ErrWinShmOpenMapping) || errors.Is(err, windows.ErrWinShmOpenEvent)
			if !retry || time.Now().After(deadline) {
				s.Close()
				return nil, mapWinError(err, false), nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		l.inf.shm = true
		l.inShm = map[uint64]bool{}
	}
	l.buf = make([]byte, max(int(s.PacketSize), protocol.HeaderSize+int(s.MaxResponsePayloadBytes)))
	return l, nil, nil
}

func (l *pipeLink) info() linkInfo  { return l.inf }
func (l *pipeLink) chunked() uint64 { return 0 }

func (l *pipeLink) close() {
	if l.shm != nil {
		l.shm.WinShmClose()
		l.shm = nil
	}
	l.s.Close()
}

func (l *pipeLink) send(h *protocol.Header, payload []byte) *shimError {
	if l.shm == nil {
		if err := l.s.Send(h, payload); err != nil {
			return mapWinError(err, false)
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
	if err := l.shm.WinShmSend(msg); err != nil {
		return mapWinError(err, false)
	}
	l.inShm[h.MessageID] = true
	return nil
}

func (l *pipeLink) receive(timeoutMs uint32) (protocol.Header, []byte, *shimError) {
	if l.shm == nil {
		if timeoutMs != 0 {
			ok, err := l.s.WaitReadable(timeoutMs)
			if err != nil {
				return protocol.Header{}, nil, mapWinError(err, false)
			}
			if !ok {
				return protocol.Header{}, nil, &shimError{kind: "Timeout", text: fmt.Sprintf("no response within %d ms", timeoutMs)}
			}
		}
		h, p, err := l.s.Receive(l.buf)
		if err != nil {
			return h, nil, mapWinError(err, false)
		}
		return h, p, nil
	}
	wait := timeoutMs
	if wait == 0 {
		wait = 24 * 3600 * 1000
	}
	n, err := l.shm.WinShmReceive(l.buf, wait)
	if err != nil {
		return protocol.Header{}, nil, mapWinError(err, false)
	}
	h, err := protocol.DecodeHeader(l.buf[:n])
	if err != nil {
		return h, nil, mapCodecError(err, "Protocol")
	}
	if int(h.PayloadLen) != n-protocol.HeaderSize {
		return h, nil, &shimError{kind: "WinShmMessageTooLarge",
			text: fmt.Sprintf("published length %d disagrees with payload_len %d", n, h.PayloadLen)}
	}
	if !l.inShm[h.MessageID] {
		return h, nil, &shimError{kind: "Protocol", rule: "UnknownMessageId",
			text: fmt.Sprintf("response message_id %d is not in flight", h.MessageID)}
	}
	delete(l.inShm, h.MessageID)
	return h, l.buf[protocol.HeaderSize:n], nil
}

func mapWinError(err error, handshake bool) *shimError {
	text := err.Error()
	e := &shimError{kind: "Protocol", text: text}
	switch {
	case errors.Is(err, windows.ErrPipeName):
		e.kind = "NameTooLong"
	case errors.Is(err, windows.ErrConnect):
		e.kind = "NotFound"
	case errors.Is(err, windows.ErrCreatePipe), errors.Is(err, windows.ErrAccept):
		e.kind = "System"
	case errors.Is(err, windows.ErrBadParam), errors.Is(err, windows.ErrWinShmBadParam):
		e.kind = "BadParameter"
	case errors.Is(err, windows.ErrAddrInUse):
		e.kind = "PipeInUse"
	case errors.Is(err, windows.ErrWinShmAddrInUse):
		e.kind = "WinShmCreate"
	case errors.Is(err, windows.ErrAuthFailed):
		e.kind, e.rule = "Rejected", "AckRejectedAuth"
	case errors.Is(err, windows.ErrNoProfile):
		e.kind, e.rule = "Rejected", "AckRejectedUnsupported"
	case errors.Is(err, windows.ErrIncompatible):
		if err == windows.ErrIncompatible {
			e.kind, e.rule = "Rejected", "AckRejectedIncompatible"
		} else {
			e.kind, e.rule = "HandshakeFailed", "AckBadLayout"
			if strings.Contains(text, "ack header") {
				e.rule = "AckRejectedIncompatible"
			}
		}
	case errors.Is(err, windows.ErrLimitExceeded):
		switch {
		case handshake && err == windows.ErrLimitExceeded:
			e.kind, e.rule = "Rejected", "AckRejectedLimit"
		case strings.Contains(text, "item_count"):
			e.kind, e.rule = "LimitExceeded", "ItemCountOverLimit"
		default:
			e.kind, e.rule = "LimitExceeded", "PayloadOverLimit"
		}
	case errors.Is(err, windows.ErrHandshake):
		e.kind, e.rule = "Rejected", "AckRejectedOther"
	case errors.Is(err, windows.ErrDuplicateMsgID):
		e.rule = "DuplicateMessageId"
	case errors.Is(err, windows.ErrUnknownMsgID):
		e.rule = "UnknownMessageId"
	case errors.Is(err, windows.ErrChunk):
		e.rule = chunkRule(text)
	case errors.Is(err, windows.ErrRecv), errors.Is(err, windows.ErrSend), errors.Is(err, windows.ErrDisconnected),
		errors.Is(err, windows.ErrWinShmDisconnected):
		e.kind = "PeerClosed"
	case errors.Is(err, windows.ErrWinShmTimeout):
		e.kind = "Timeout"
	case errors.Is(err, windows.ErrWinShmOpenMapping), errors.Is(err, windows.ErrWinShmOpenEvent),
		errors.Is(err, windows.ErrWinShmMapView):
		e.kind = "WinShmOpen"
	case errors.Is(err, windows.ErrWinShmCreateMapping), errors.Is(err, windows.ErrWinShmCreateEvent):
		e.kind = "WinShmCreate"
	case errors.Is(err, windows.ErrWinShmBadMagic):
		e.kind = "WinShmBadMagic"
	case errors.Is(err, windows.ErrWinShmBadVersion):
		e.kind = "WinShmBadVersion"
	case errors.Is(err, windows.ErrWinShmBadHeader):
		e.kind = "WinShmBadHeaderLen"
	case errors.Is(err, windows.ErrWinShmBadProfile):
		e.kind = "WinShmBadProfile"
	case errors.Is(err, windows.ErrWinShmMsgTooLarge):
		e.kind = "WinShmMessageTooLarge"
	case errors.Is(err, windows.ErrProtocol):
		e.rule = protocolRule(text)
	default:
		if k := revisionErrorKind(err); k != "" {
			e.kind = k
		}
	}
	return e
}
