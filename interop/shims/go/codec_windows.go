//go:build windows

package main

// Session-level codec families on Windows: like codec_unix.go, through real sessions of the
// library over a named pipe whose name is derived from a private run-directory string.

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/windows"
)

const probeService = "probe"

var (
	codecKernel32         = syscall.NewLazyDLL("kernel32.dll")
	procCreateNamedPipe   = codecKernel32.NewProc("CreateNamedPipeW")
	procConnectNamedPipe  = codecKernel32.NewProc("ConnectNamedPipe")
	procSetNamedPipeState = codecKernel32.NewProc("SetNamedPipeHandleState")
	probeSeq              int
)

func sessionFamilies() []string {
	return []string{"chunked_message", "handshake_decide", "handshake_check_ack", "windows_names"}
}

// probeDir is a fresh run-directory string: on Windows it is only hashed into the pipe name.
func probeDir() string {
	probeSeq++
	return fmt.Sprintf(`C:\nipc-go-codec\%d-%d`, os.Getpid(), probeSeq)
}

// rawPipeClient opens the pipe in message mode, waiting briefly for a free instance.
func rawPipeClient(name []uint16) (syscall.Handle, error) {
	var err error
	for i := 0; i < 400; i++ {
		var h syscall.Handle
		h, err = syscall.CreateFile(&name[0], syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
			syscall.OPEN_EXISTING, 0, 0)
		if err == nil {
			mode := uint32(2) // PIPE_READMODE_MESSAGE
			procSetNamedPipeState.Call(uintptr(h), uintptr(unsafe.Pointer(&mode)), 0, 0)
			return h, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return syscall.InvalidHandle, err
}

// readTimeout reads one message; on timeout the handle is closed to end the read.
func readTimeout(h syscall.Handle, buf []byte, d time.Duration) (int, error) {
	type res struct {
		n   uint32
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var n uint32
		err := syscall.ReadFile(h, buf, &n, nil)
		ch <- res{n, err}
	}()
	select {
	case r := <-ch:
		return int(r.n), r.err
	case <-time.After(d):
		syscall.CloseHandle(h)
		<-ch
		return 0, errors.New("timeout")
	}
}

func writeMsg(h syscall.Handle, b []byte) error {
	var n uint32
	if len(b) == 0 {
		return syscall.WriteFile(h, nil, &n, nil)
	}
	return syscall.WriteFile(h, b, &n, nil)
}

// winPair: a server session of the library and the client session whose pipe handle the
// testee writes raw packets to.
type winPair struct {
	ln       *windows.Listener
	srv, cli *windows.Session
	maxReq   uint32
}

func (p *winPair) close() {
	if p.cli != nil {
		p.cli.Close()
	}
	if p.srv != nil {
		p.srv.Close()
	}
	if p.ln != nil {
		p.ln.Close()
	}
}

func newWinPair(packetSize, maxPayload, maxBatch uint32) (*winPair, error) {
	dir := probeDir()
	p := &winPair{maxReq: maxPayload}
	var err error
	p.ln, err = windows.Listen(dir, probeService, windows.ServerConfig{SupportedProfiles: 1,
		MaxRequestPayloadBytes: maxPayload, MaxRequestBatchItems: maxBatch,
		MaxResponsePayloadBytes: maxPayload, MaxResponseBatchItems: maxBatch, PacketSize: packetSize})
	if err != nil {
		return nil, err
	}
	type acc struct {
		s   *windows.Session
		err error
	}
	ch := make(chan acc, 1)
	go func() { s, err := p.ln.Accept(); ch <- acc{s, err} }()
	p.cli, err = windows.Connect(dir, probeService, &windows.ClientConfig{SupportedProfiles: 1,
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
	return p, nil
}

// receive runs the library's receive on the server session, bounded: a receive still
// waiting for continuation packets after 300 ms is a Timeout (the client's pipe is closed
// to end it).
func (p *winPair) receive() (protocol.Header, []byte, *shimError) {
	if ok, err := p.srv.WaitReadable(300); err != nil {
		return protocol.Header{}, nil, mapWinError(err, false)
	} else if !ok {
		return protocol.Header{}, nil, &shimError{kind: "Timeout", text: "no packet"}
	}
	type res struct {
		h   protocol.Header
		p   []byte
		err error
	}
	ch := make(chan res, 1)
	buf := make([]byte, protocol.HeaderSize+int(min(p.maxReq, 1<<24)))
	go func() { h, pl, err := p.srv.Receive(buf); ch <- res{h, pl, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			return r.h, nil, mapWinError(r.err, false)
		}
		return r.h, r.p, nil
	case <-time.After(300 * time.Millisecond):
		p.cli.Close()
		p.cli = nil
		<-ch
		return protocol.Header{}, nil, &shimError{kind: "Timeout", text: "the receive still waits for continuation packets"}
	}
}

func limitsOf(ctx fieldMap) (uint32, uint32) {
	lim := ctx.sub("limits")
	if lim == nil {
		return 1 << 20, 1
	}
	return lim.u32("max_payload_bytes"), lim.u32("max_batch_items")
}

func classOfShim(e *shimError) string {
	if e.rule != "" {
		return e.rule
	}
	return e.kind
}

func zeroMeansDefault(what string) answer {
	return unsupported(what + " 0 means the library's default, not a limit of 0")
}

func decodeHeaderWithLimits(b []byte, h protocol.Header, lim fieldMap) answer {
	if lim.u32("max_payload_bytes") == 0 || lim.u32("max_batch_items") == 0 {
		return zeroMeansDefault("a session limit of")
	}
	p, err := newWinPair(0, lim.u32("max_payload_bytes"), lim.u32("max_batch_items"))
	if err != nil {
		return unsupported("the library refused a session with these limits: " + err.Error())
	}
	defer p.close()
	if err := writeMsg(p.cli.Handle(), b); err != nil {
		return answer{"result": "error", "message": "send: " + err.Error()}
	}
	rh, _, e := p.receive()
	switch {
	case e == nil:
		return valid(headerFields(rh))
	case e.kind == "LimitExceeded":
		return invalid(e.rule)
	case e.kind == "Timeout" || e.kind == "PeerClosed":
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
	p, err := newWinPair(ctx.u32("packet_size"), maxPayload, maxBatch)
	if err != nil {
		return unsupported("the library refused a session with this packet size and limits: " + err.Error())
	}
	defer p.close()
	if p.srv.PacketSize != ctx.u32("packet_size") {
		return unsupported("the library agreed another packet size")
	}
	for _, b := range pkts {
		if err := writeMsg(p.cli.Handle(), b); err != nil {
			return answer{"result": "error", "message": "send: " + err.Error()}
		}
	}
	h, payload, e := p.receive()
	if e != nil && e.kind == "Timeout" {
		first, _ := protocol.DecodeHeader(pkts[0])
		return valid(map[string]any{"header": headerFields(first), "payload_hex": nil,
			"library": "no verdict: the receive still waits for continuation packets"})
	}
	if e != nil {
		return invalid(classOfShim(e))
	}
	fields := map[string]any{"header": headerFields(h), "payload_hex": hex.EncodeToString(payload)}
	if ok, _ := p.srv.WaitReadable(0); ok {
		if _, _, e2 := p.receive(); e2 != nil && e2.kind != "Timeout" {
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
	p, err := newWinPair(ctx.u32("packet_size"), maxPayload, max(maxBatch, hf.u32("item_count")))
	if err != nil {
		return unsupported("the library refused a session with this packet size: " + err.Error())
	}
	defer p.close()
	id, _ := hf.u64("message_id")
	h := protocol.Header{Kind: hf.u16("kind"), Flags: hf.u16("flags"), Code: hf.u16("code"),
		TransportStatus: hf.u16("transport_status"), ItemCount: hf.u32("item_count"), MessageID: id}
	if err := p.cli.Send(&h, payload); err != nil {
		return invalid(classOfShim(mapWinError(err, false)))
	}
	var out []string
	buf := make([]byte, int(p.srv.PacketSize)+64)
	for {
		if ok, _ := p.srv.WaitReadable(50); !ok {
			break
		}
		var n uint32
		if syscall.ReadFile(p.srv.Handle(), buf, &n, nil) != nil {
			break
		}
		out = append(out, hex.EncodeToString(buf[:n]))
	}
	return answer{"result": "valid", "packets": out}
}

var statusNames = map[uint16]string{1: "StatusBadEnvelope", 2: "StatusAuthFailed", 3: "StatusIncompatible",
	4: "StatusUnsupported", 5: "StatusLimitExceeded", 6: "StatusInternalError"}

func decide(pkt []byte, raw json.RawMessage) answer {
	pol := ctxMap(raw).sub("policy")
	if pol == nil {
		return answer{"result": "error", "message": "decide needs context.policy"}
	}
	if pol.u32("max_request_payload_bytes") == 0 || pol.u32("response_payload_bytes") == 0 || pol.u32("packet_size") == 0 {
		return zeroMeansDefault("a server policy value of")
	}
	dir := probeDir()
	tok, _ := pol.u64("auth_token")
	sid, _ := pol.u64("session_id")
	cfg := windows.ServerConfig{SupportedProfiles: pol.u32("supported_profiles"),
		PreferredProfiles: pol.u32("preferred_profiles"), MaxRequestPayloadBytes: pol.u32("max_request_payload_bytes"),
		MaxResponsePayloadBytes: pol.u32("response_payload_bytes"), AuthToken: tok, PacketSize: pol.u32("packet_size")}
	ln, err := windows.Listen(dir, probeService, cfg)
	if err != nil {
		return unsupported("the library refused this server policy: " + err.Error())
	}
	defer ln.Close()
	done := make(chan *windows.Session, 1)
	go func() {
		s, _ := ln.AcceptWithConfig(sid, cfg)
		done <- s
	}()
	name, _ := windows.BuildPipeName(dir, probeService)
	h, err := rawPipeClient(name)
	if err != nil {
		return answer{"result": "error", "message": "open pipe: " + err.Error()}
	}
	if err := writeMsg(h, pkt); err != nil {
		syscall.CloseHandle(h)
		return answer{"result": "error", "message": "send: " + err.Error()}
	}
	reply := make([]byte, 4096)
	n, rerr := readTimeout(h, reply, time.Second)
	if rerr == nil || rerr.Error() != "timeout" {
		syscall.CloseHandle(h)
	}
	select {
	case s := <-done:
		if s != nil {
			s.Close()
		}
	case <-time.After(time.Second):
	}
	if rerr != nil || n <= 0 {
		return invalid("SilentClose")
	}
	reply = reply[:n]
	rh, err := protocol.DecodeHeader(reply)
	if err != nil || rh.TransportStatus == protocol.StatusOK {
		return valid(map[string]any{"reply_hex": hex.EncodeToString(reply)})
	}
	sname, ok := statusNames[rh.TransportStatus]
	if !ok {
		sname = "StatusOther"
	}
	return answer{"result": "invalid", "error": sname, "hex": hex.EncodeToString(reply)}
}

func checkAck(ack []byte, raw json.RawMessage) answer {
	hf := ctxMap(raw).sub("hello")
	if hf == nil {
		return answer{"result": "error", "message": "check_ack needs context.hello"}
	}
	dir := probeDir()
	name, _ := windows.BuildPipeName(dir, probeService)
	// PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE|PIPE_READMODE_MESSAGE, one instance
	r, _, cerr := procCreateNamedPipe.Call(uintptr(unsafe.Pointer(&name[0])), 3, 4|2, 1, 65536, 65536, 0, 0)
	h := syscall.Handle(r)
	if h == syscall.InvalidHandle {
		return answer{"result": "error", "message": "CreateNamedPipe: " + cerr.Error()}
	}
	tok, _ := hf.u64("auth_token")
	cfg := &windows.ClientConfig{SupportedProfiles: hf.u32("supported_profiles"),
		PreferredProfiles: hf.u32("preferred_profiles"), MaxRequestPayloadBytes: hf.u32("max_request_payload_bytes"),
		MaxRequestBatchItems: hf.u32("max_request_batch_items"), MaxResponsePayloadBytes: hf.u32("max_response_payload_bytes"),
		MaxResponseBatchItems: hf.u32("max_response_batch_items"), AuthToken: tok, PacketSize: hf.u32("packet_size")}
	type res struct {
		s   *windows.Session
		err error
	}
	done := make(chan res, 1)
	go func() { s, err := windows.Connect(dir, probeService, cfg); done <- res{s, err} }()
	procConnectNamedPipe.Call(uintptr(h), 0) // ERROR_PIPE_CONNECTED is fine too
	hello := make([]byte, 256)
	if _, err := readTimeout(h, hello, 2*time.Second); err == nil {
		writeMsg(h, ack)
	}
	var rr res
	select {
	case rr = <-done:
		syscall.CloseHandle(h)
	case <-time.After(2 * time.Second):
		syscall.CloseHandle(h)
		rr = <-done
	}
	if rr.err != nil {
		e := mapWinError(rr.err, true)
		if e.kind == "Protocol" && e.rule == "" {
			t := rr.err.Error()
			switch {
			case contains(t, "ack payload") && contains(t, "buffer too short"):
				return invalid("AckTruncated")
			case contains(t, "ack payload"):
				return invalid("AckBadLayout")
			case contains(t, "ack header"):
				if rule := protocolRule(t); rule != "" {
					return invalid(rule)
				}
			}
		}
		return invalid(classOfShim(e))
	}
	defer rr.s.Close()
	a, err := protocol.DecodeHelloAck(ack[min(len(ack), protocol.HeaderSize):])
	if err != nil {
		return answer{"result": "error", "message": "the library accepted an ACK its decoder refuses: " + err.Error()}
	}
	return valid(ackFields(a))
}

// names: the library's public pipe-name function; the shared-memory object names are
// not public.
func names(raw json.RawMessage) answer {
	ctx := ctxMap(raw)
	obj, _ := ctx["object"].(string)
	if obj != "pipe" {
		return unsupported("windows_names " + obj + ": the library's object-name functions are not public")
	}
	runDir, _ := ctx["run_dir"].(string)
	service, _ := ctx["service"].(string)
	name, err := windows.BuildPipeName(runDir, service)
	if err != nil {
		if errors.Is(err, windows.ErrBadParam) {
			return invalid("BadParameter")
		}
		return invalid("NameTooLong")
	}
	return valid(map[string]any{"run_dir_hash": fmt.Sprintf("%016x", windows.FNV1a64([]byte(runDir))),
		"pipe_name": syscall.UTF16ToString(name)})
}
