//go:build unix

package main

// Session-level codec families: the library checks limits, reassembles chunks and decides
// handshakes only inside its transport sessions, so these run through real sessions of the
// library over a socket in a private temporary directory.

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/posix"
)

func sessionFamilies() []string {
	return []string{"chunked_message", "handshake_decide", "handshake_check_ack"}
}

func names(json.RawMessage) answer {
	return unsupported("windows_names: the library's name functions live in transport/windows, built for Windows only")
}

const probeService = "probe"

// sessionPair is a server session of the library (the receiver under test) and the
// client session whose socket the testee writes raw packets to.
type sessionPair struct {
	dir      string
	ln       *posix.Listener
	srv, cli *posix.Session
	maxReq   uint32
}

func (p *sessionPair) close() {
	if p.cli != nil {
		p.cli.Close()
	}
	if p.srv != nil {
		p.srv.Close()
	}
	if p.ln != nil {
		p.ln.Close()
	}
	os.RemoveAll(p.dir)
}

func newSessionPair(packetSize, maxPayload, maxBatch uint32) (*sessionPair, error) {
	dir, err := os.MkdirTemp("", "nipc-go-codec-")
	if err != nil {
		return nil, err
	}
	p := &sessionPair{dir: dir, maxReq: maxPayload}
	p.ln, err = posix.Listen(dir, probeService, posix.ServerConfig{SupportedProfiles: 1,
		MaxRequestPayloadBytes: maxPayload, MaxRequestBatchItems: maxBatch,
		MaxResponsePayloadBytes: maxPayload, MaxResponseBatchItems: maxBatch, PacketSize: packetSize})
	if err != nil {
		p.close()
		return nil, err
	}
	type acc struct {
		s   *posix.Session
		err error
	}
	ch := make(chan acc, 1)
	go func() { s, err := p.ln.Accept(); ch <- acc{s, err} }()
	p.cli, err = posix.Connect(dir, probeService, &posix.ClientConfig{SupportedProfiles: 1,
		MaxRequestPayloadBytes: maxPayload, MaxRequestBatchItems: maxBatch,
		MaxResponsePayloadBytes: maxPayload, MaxResponseBatchItems: maxBatch, PacketSize: packetSize})
	a := <-ch
	p.srv = a.s
	if err == nil {
		err = a.err
	}
	if err != nil {
		p.close()
		return nil, err
	}
	// A bound on every read of the library's receive (its 6d9ffc1-era continuation reads
	// have no deadline of their own).
	tv := syscall.Timeval{Usec: 300000}
	syscall.SetsockoptTimeval(p.srv.Fd(), syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	return p, nil
}

func (p *sessionPair) sendRaw(pkts ...[]byte) error {
	for _, b := range pkts {
		if _, err := syscall.Write(p.cli.Fd(), b); err != nil {
			return err
		}
	}
	return nil
}

// pending tells whether a packet is waiting on the server side.
func (p *sessionPair) pending() bool {
	buf := make([]byte, 1)
	n, _, err := syscall.Recvfrom(p.srv.Fd(), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err == nil && n > 0
}

func (p *sessionPair) receive() (protocol.Header, []byte, *shimError) {
	// The first packet lands here (the library reassembles the rest in its own buffer);
	// the library's server sizes it 32 + the request limit, capped here for huge limits.
	buf := make([]byte, protocol.HeaderSize+int(min(p.maxReq, 1<<24)))
	return receiveWithTimeout(p.srv, buf, 300)
}

func limitsOf(ctx fieldMap) (uint32, uint32) {
	lim := ctx.sub("limits")
	if lim == nil {
		return 1 << 20, 1
	}
	return lim.u32("max_payload_bytes"), lim.u32("max_batch_items")
}

// classOfShim names a session error as a codec class: its rule, else its kind.
func classOfShim(e *shimError) string {
	if e.rule != "" {
		return e.rule
	}
	return e.kind
}

// zeroMeansDefault: the library reads a limit, cap or packet size of 0 as "use the
// default", so a case that needs a real 0 cannot be played.
func zeroMeansDefault(what string) answer {
	return unsupported(what + " 0 means the library's default, not a limit of 0")
}

func decodeHeaderWithLimits(b []byte, h protocol.Header, lim fieldMap) answer {
	if lim.u32("max_payload_bytes") == 0 || lim.u32("max_batch_items") == 0 {
		return zeroMeansDefault("a session limit of")
	}
	p, err := newSessionPair(0, lim.u32("max_payload_bytes"), lim.u32("max_batch_items"))
	if err != nil {
		return unsupported("the library refused a session with these limits: " + err.Error())
	}
	defer p.close()
	if err := p.sendRaw(b); err != nil {
		return answer{"result": "error", "message": "send: " + err.Error()}
	}
	rh, _, e := p.receive()
	switch {
	case e == nil:
		return valid(headerFields(rh))
	case e.kind == "LimitExceeded":
		return invalid(e.rule)
	case e.kind == "Timeout" || e.kind == "PeerClosed":
		// The header passed the limit checks; the rest of the message never came.
		return valid(headerFields(h))
	}
	return invalid(classOfShim(e))
}

func decodeChunked(pkts [][]byte, raw json.RawMessage) answer {
	ctx := ctxMap(raw)
	maxPayload, maxBatch := limitsOf(ctx)
	if maxPayload == 0 || maxBatch == 0 || ctx.u32("packet_size") == 0 {
		return zeroMeansDefault("a session limit or packet size of")
	}
	p, err := newSessionPair(ctx.u32("packet_size"), maxPayload, maxBatch)
	if err != nil {
		return unsupported("the library refused a session with this packet size and limits: " + err.Error())
	}
	defer p.close()
	if p.srv.PacketSize != ctx.u32("packet_size") {
		return unsupported("the library agreed another packet size")
	}
	if err := p.sendRaw(pkts...); err != nil {
		return answer{"result": "error", "message": "send: " + err.Error()}
	}
	h, payload, e := p.receive()
	if e != nil && e.kind == "Timeout" {
		// The library did not reject the packets: its receive still waits for more.
		first, _ := protocol.DecodeHeader(pkts[0])
		return valid(map[string]any{"header": headerFields(first), "payload_hex": nil,
			"library": "no verdict: the receive still waits for continuation packets"})
	}
	if e != nil {
		return invalid(classOfShim(e))
	}
	fields := map[string]any{"header": headerFields(h), "payload_hex": hex.EncodeToString(payload)}
	if p.pending() {
		// A packet after the complete message: the library reads it as the next message.
		if _, _, e2 := p.receive(); e2 != nil {
			return invalid(classOfShim(e2))
		}
	}
	return valid(fields)
}

func encodeChunked(f fieldMap, raw json.RawMessage) answer {
	ctx := ctxMap(raw)
	hf := fieldMap{}
	if m, ok := f["header"].(map[string]any); ok {
		hf = fieldMap(m)
	}
	payload := f.bytes("payload_hex")
	maxPayload, maxBatch := limitsOf(ctx)
	if uint32(len(payload)) > maxPayload {
		maxPayload = uint32(len(payload))
	}
	p, err := newSessionPair(ctx.u32("packet_size"), maxPayload, max(maxBatch, hf.u32("item_count")))
	if err != nil {
		return unsupported("the library refused a session with this packet size: " + err.Error())
	}
	defer p.close()
	id, _ := hf.u64("message_id")
	h := protocol.Header{Kind: hf.u16("kind"), Flags: hf.u16("flags"), Code: hf.u16("code"),
		TransportStatus: hf.u16("transport_status"), ItemCount: hf.u32("item_count"), MessageID: id}
	if err := p.cli.Send(&h, payload); err != nil {
		return invalid(classOfShim(mapPosixError(err, false)))
	}
	var out []string
	buf := make([]byte, int(p.srv.PacketSize)+64)
	for {
		n, _, err := syscall.Recvfrom(p.srv.Fd(), buf, syscall.MSG_DONTWAIT)
		if err != nil || n <= 0 {
			break
		}
		out = append(out, hex.EncodeToString(buf[:n]))
	}
	return answer{"result": "valid", "packets": out}
}

var statusNames = map[uint16]string{1: "StatusBadEnvelope", 2: "StatusAuthFailed", 3: "StatusIncompatible",
	4: "StatusUnsupported", 5: "StatusLimitExceeded", 6: "StatusInternalError"}

// decide: the library's server handshake (Listener.AcceptWithConfig) reads the packet and
// answers or closes; the testee reports the bytes it sent.
func decide(pkt []byte, raw json.RawMessage) answer {
	pol := ctxMap(raw).sub("policy")
	if pol == nil {
		return answer{"result": "error", "message": "decide needs context.policy"}
	}
	dir, err := os.MkdirTemp("", "nipc-go-codec-")
	if err != nil {
		return answer{"result": "error", "message": err.Error()}
	}
	defer os.RemoveAll(dir)
	if pol.u32("max_request_payload_bytes") == 0 || pol.u32("response_payload_bytes") == 0 || pol.u32("packet_size") == 0 {
		return zeroMeansDefault("a server policy value of")
	}
	tok, _ := pol.u64("auth_token")
	sid, _ := pol.u64("session_id")
	cfg := posix.ServerConfig{SupportedProfiles: pol.u32("supported_profiles"),
		PreferredProfiles: pol.u32("preferred_profiles"), MaxRequestPayloadBytes: pol.u32("max_request_payload_bytes"),
		MaxResponsePayloadBytes: pol.u32("response_payload_bytes"), AuthToken: tok, PacketSize: pol.u32("packet_size")}
	ln, err := posix.Listen(dir, probeService, cfg)
	if err != nil {
		return unsupported("the library refused this server policy: " + err.Error())
	}
	defer ln.Close()
	done := make(chan *posix.Session, 1)
	go func() {
		s, _ := ln.AcceptWithConfig(sid, cfg)
		done <- s
	}()
	fd, err := rawConnect(filepath.Join(dir, probeService+".sock"))
	if err != nil {
		return answer{"result": "error", "message": "connect: " + err.Error()}
	}
	defer syscall.Close(fd)
	if _, err := syscall.Write(fd, pkt); err != nil {
		return answer{"result": "error", "message": "send: " + err.Error()}
	}
	reply := make([]byte, 4096)
	n, _, rerr := syscall.Recvfrom(fd, reply, 0)
	var s *posix.Session
	select {
	case s = <-done:
	case <-time.After(time.Second):
	}
	if s != nil {
		s.Close()
	}
	if rerr != nil || n <= 0 {
		return invalid("SilentClose")
	}
	reply = reply[:n]
	rh, err := protocol.DecodeHeader(reply)
	if err != nil || rh.TransportStatus == protocol.StatusOK {
		return valid(map[string]any{"reply_hex": hex.EncodeToString(reply)})
	}
	name, ok := statusNames[rh.TransportStatus]
	if !ok {
		name = "StatusOther"
	}
	return answer{"result": "invalid", "error": name, "hex": hex.EncodeToString(reply)}
}

func rawConnect(path string) (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		return -1, err
	}
	tv := syscall.Timeval{Sec: 1}
	syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// checkAck: the library's client handshake (posix.Connect) gets the ACK packet from a raw
// listener of the testee; its verdict decides.
func checkAck(ack []byte, raw json.RawMessage) answer {
	hf := ctxMap(raw).sub("hello")
	if hf == nil {
		return answer{"result": "error", "message": "check_ack needs context.hello"}
	}
	dir, err := os.MkdirTemp("", "nipc-go-codec-")
	if err != nil {
		return answer{"result": "error", "message": err.Error()}
	}
	defer os.RemoveAll(dir)
	lfd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET, 0)
	if err != nil {
		return answer{"result": "error", "message": err.Error()}
	}
	defer syscall.Close(lfd)
	if err := syscall.Bind(lfd, &syscall.SockaddrUnix{Name: filepath.Join(dir, probeService+".sock")}); err != nil {
		return answer{"result": "error", "message": err.Error()}
	}
	syscall.Listen(lfd, 1)
	tok, _ := hf.u64("auth_token")
	cfg := &posix.ClientConfig{SupportedProfiles: hf.u32("supported_profiles"),
		PreferredProfiles: hf.u32("preferred_profiles"), MaxRequestPayloadBytes: hf.u32("max_request_payload_bytes"),
		MaxRequestBatchItems: hf.u32("max_request_batch_items"), MaxResponsePayloadBytes: hf.u32("max_response_payload_bytes"),
		MaxResponseBatchItems: hf.u32("max_response_batch_items"), AuthToken: tok, PacketSize: hf.u32("packet_size")}
	type res struct {
		s   *posix.Session
		err error
	}
	done := make(chan res, 1)
	go func() { s, err := posix.Connect(dir, probeService, cfg); done <- res{s, err} }()
	cfd, _, err := syscall.Accept(lfd)
	if err != nil {
		return answer{"result": "error", "message": "accept: " + err.Error()}
	}
	defer syscall.Close(cfd)
	hello := make([]byte, 256)
	syscall.Read(cfd, hello)
	syscall.Write(cfd, ack)
	var r res
	select {
	case r = <-done:
	case <-time.After(2 * time.Second):
		syscall.Close(cfd)
		r = <-done
	}
	if r.err != nil {
		e := mapPosixError(r.err, true)
		if e.kind == "Protocol" && e.rule == "" {
			// "ack header: <decode error>" / "ack payload: <decode error>"
			if h := protocolRuleFromAck(r.err); h != "" {
				return invalid(h)
			}
		}
		return invalid(classOfShim(e))
	}
	defer r.s.Close()
	a, err := protocol.DecodeHelloAck(ack[min(len(ack), protocol.HeaderSize):])
	if err != nil {
		return answer{"result": "error", "message": "the library accepted an ACK its decoder refuses: " + err.Error()}
	}
	return valid(ackFields(a))
}

func protocolRuleFromAck(err error) string {
	t := err.Error()
	switch {
	case errors.Is(err, posix.ErrProtocol) && contains(t, "ack payload"):
		if contains(t, "buffer too short") {
			return "AckTruncated"
		}
		return "AckBadLayout"
	case errors.Is(err, posix.ErrProtocol) && contains(t, "ack header"):
		return protocolRule(t)
	}
	return ""
}
