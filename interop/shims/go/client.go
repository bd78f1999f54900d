package main

import (
	"fmt"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
)

// clientConfig is what the client proposes in its HELLO.
type clientConfig struct {
	profiles, preferred                     uint32
	maxReq, maxReqBatch, maxResp, maxRespBt uint32
	packetSize                              uint32
	authToken                               uint64
}

// linkInfo is what the handshake agreed.
type linkInfo struct {
	profile, packetSize, maxReq, maxResp, maxReqBatch uint32
	sessionID                                         uint64
	shm                                               bool
}

// link is one client session of the library: L1 baseline transport, or the session's
// shared-memory region once attached. Errors are already in the suite's names.
type link interface {
	info() linkInfo
	send(h *protocol.Header, payload []byte) *shimError
	// receive waits for one response; timeoutMs 0 waits without limit.
	receive(timeoutMs uint32) (protocol.Header, []byte, *shimError)
	chunked() uint64
	close()
}

type outcome struct {
	requests, items, verified uint64
	depth                     uint32
	err                       *shimError
	failure                   string
}

func reqHeader(method uint16, id uint64) protocol.Header {
	return protocol.Header{Kind: protocol.KindRequest, Code: method, ItemCount: 1, MessageID: id}
}

func checkResponse(h protocol.Header, want protocol.Header, o *outcome) bool {
	switch {
	case h.Kind != protocol.KindResponse:
		o.failure = fmt.Sprintf("message %d is of kind %d, not a RESPONSE", h.MessageID, h.Kind)
	case h.TransportStatus != protocol.StatusOK:
		o.failure = fmt.Sprintf("response %d has transport_status %d", h.MessageID, h.TransportStatus)
	case h.Code != want.Code:
		o.failure = fmt.Sprintf("response %d has code %d, the request %d", h.MessageID, h.Code, want.Code)
	case h.MessageID != want.MessageID:
		o.failure = fmt.Sprintf("response message_id %d, the request %d", h.MessageID, want.MessageID)
	case h.Flags != want.Flags:
		o.failure = fmt.Sprintf("response %d has flags %#x, want %#x", h.MessageID, h.Flags, want.Flags)
	case h.ItemCount != want.ItemCount:
		o.failure = fmt.Sprintf("response %d has item_count %d, want %d", h.MessageID, h.ItemCount, want.ItemCount)
	default:
		return true
	}
	return false
}

func (c *clientRun) call(h protocol.Header, payload []byte) (protocol.Header, []byte, bool) {
	hh := h
	if e := c.l.send(&hh, payload); e != nil {
		c.o.err = e
		return protocol.Header{}, nil, false
	}
	c.o.requests++
	rh, rp, e := c.l.receive(c.opts.timeoutMs)
	if e != nil {
		c.o.err = e
		return protocol.Header{}, nil, false
	}
	return rh, rp, true
}

type clientRun struct {
	opts *options
	w    workload
	l    link
	o    outcome
	size uint64
}

func (c *clientRun) sequential() {
	for i := uint64(0); i < c.opts.count; i++ {
		req, _ := c.w.request(i, c.size)
		h := reqHeader(c.w.method(), i+1)
		rh, rp, ok := c.call(h, req)
		if !ok {
			return
		}
		c.o.items++
		if !checkResponse(rh, h, &c.o) {
			return
		}
		if f := c.w.verify(i, c.size, rp); f != "" {
			c.o.failure = f
			return
		}
		c.o.verified++
	}
}

func (c *clientRun) batch() {
	n := c.opts.items
	for r := uint64(0); r < c.opts.count; r++ {
		reqs := make([][]byte, n)
		total := 8 * int(n)
		for k := uint32(0); k < n; k++ {
			reqs[k], _ = c.w.request(r*uint64(n)+uint64(k), 0)
			total += len(reqs[k]) + 8
		}
		buf := make([]byte, total+8)
		b := protocol.NewBatchBuilder(buf, n)
		for k := range reqs {
			if err := b.Add(reqs[k]); err != nil {
				c.o.failure = "the library's batch builder refused an item: " + err.Error()
				return
			}
		}
		plen, _ := b.Finish()
		h := reqHeader(c.w.method(), r+1)
		h.Flags = protocol.FlagBatch
		h.ItemCount = n
		rh, rp, ok := c.call(h, buf[:plen])
		if !ok {
			return
		}
		c.o.items += uint64(n)
		if !checkResponse(rh, h, &c.o) {
			return
		}
		for k := uint32(0); k < n; k++ {
			item, err := protocol.BatchItemGet(rp, n, k)
			if err != nil {
				c.o.failure = fmt.Sprintf("batch response %d item %d: %v", r, k, err)
				return
			}
			if f := c.w.verify(r*uint64(n)+uint64(k), 0, item); f != "" {
				c.o.failure = f
				return
			}
			c.o.verified++
		}
	}
}

func (c *clientRun) pipeline() {
	depth := c.opts.depth
	if depth == 0 {
		depth = 1
	}
	if c.l.info().shm {
		depth = 1 // SHM-ONEINFLIGHT-001
	}
	c.o.depth = depth
	pending := map[uint64]uint64{}
	next := uint64(0)
	for c.o.verified < c.opts.count {
		for next < c.opts.count && uint32(len(pending)) < depth {
			req, _ := c.w.request(next, 0)
			h := reqHeader(c.w.method(), next+1)
			if e := c.l.send(&h, req); e != nil {
				c.o.err = e
				return
			}
			pending[next+1] = next
			next++
			c.o.requests++
			c.o.items++
		}
		rh, rp, e := c.l.receive(c.opts.timeoutMs)
		if e != nil {
			c.o.err = e
			return
		}
		idx, ok := pending[rh.MessageID]
		if !ok {
			c.o.failure = fmt.Sprintf("response message_id %d is not in flight", rh.MessageID)
			return
		}
		if !checkResponse(rh, reqHeader(c.w.method(), rh.MessageID), &c.o) {
			return
		}
		if f := c.w.verify(idx, 0, rp); f != "" {
			c.o.failure = f
			return
		}
		delete(pending, rh.MessageID)
		c.o.verified++
	}
}

func (c *clientRun) wrongMethod() {
	wrong := uint16(1)
	if c.w.method() == 1 {
		wrong = 3
	}
	for i := uint64(0); i < c.opts.count; i++ {
		req, _ := c.w.request(i, 0)
		h := reqHeader(wrong, 2*i+1)
		rh, rp, ok := c.call(h, req)
		if !ok {
			return
		}
		if rh.TransportStatus != protocol.StatusUnsupported || rh.Code != wrong || len(rp) != 0 ||
			rh.ItemCount != 1 || rh.MessageID != h.MessageID {
			c.o.failure = fmt.Sprintf("wrong method %d was not answered UNSUPPORTED with an empty payload (status %d, %d bytes)",
				wrong, rh.TransportStatus, len(rp))
			return
		}
		h2 := reqHeader(c.w.method(), 2*i+2)
		rh, rp, ok = c.call(h2, req)
		if !ok {
			return
		}
		c.o.items++
		if !checkResponse(rh, h2, &c.o) {
			return
		}
		if f := c.w.verify(i, 0, rp); f != "" {
			c.o.failure = "request after UNSUPPORTED: " + f
			return
		}
		c.o.verified++
	}
}

func runClient(o *options) int {
	out := map[string]any{"role": "client", "scenario": o.scenario, "service_kind": o.kind,
		"count": o.count, "requests": 0, "verified": 0, "error": nil}
	notSupported := func(reason string) int {
		out["ok"] = false
		out["not_supported"] = reason
		emit(out)
		return exitNotSupported
	}
	if o.transport != defaultTransport {
		return notSupported("transport " + o.transport + " is not available in this build")
	}
	if reason := unsupportedProfiles(o.profiles | o.preferred); reason != "" {
		return notSupported(reason)
	}
	w, err := newWorkload(o)
	if err != nil {
		return exitUsage
	}
	if o.scenario == "snapshot" && o.kind != "cgroups-snapshot" {
		return notSupported("snapshot needs --service-kind cgroups-snapshot")
	}

	// What the scenario sends decides the proposals, unless a flag fixes them.
	largest := uint64(0)
	for i := uint64(0); i < 64; i++ {
		if r, ok := w.request(i, 0); ok && uint64(len(r)) > largest {
			largest = uint64(len(r))
		}
	}
	batchItems := uint32(1)
	if o.scenario == "batch" || (o.scenario == "bench" && o.items > 1) {
		batchItems = o.items
		largest = 8*uint64(o.items) + uint64(o.items)*((largest+7)&^7)
	}
	size := uint64(0)
	if o.scenario == "large" {
		size = o.size
		if size == 0 {
			p := o.packetSize
			if p == 0 {
				p = nativePacketSize()
			}
			size = 4*uint64(p) + 100
		}
		if _, ok := w.request(0, size); !ok {
			return notSupported("this service kind has fixed-size requests")
		}
		largest = size
	}
	if o.scenario == "bench" && o.size > 0 {
		size = o.size
		if _, ok := w.request(0, size); !ok {
			return notSupported("this service kind has fixed-size requests")
		}
		largest = size
		if o.items > 1 {
			largest = 8*uint64(o.items) + uint64(o.items)*((size+7)&^7)
		}
	}
	cfg := clientConfig{profiles: o.profiles, preferred: o.preferred, packetSize: o.packetSize,
		authToken: o.authToken, maxReqBatch: batchItems, maxResp: 65536}
	if o.maxBat != 0 {
		cfg.maxReqBatch = o.maxBat
	}
	cfg.maxRespBt = cfg.maxReqBatch
	if o.maxResp != 0 {
		cfg.maxResp = o.maxResp
	}
	cfg.maxReq = o.maxReq
	if cfg.maxReq == 0 {
		cfg.maxReq = uint32(max(largest, 1024))
	}

	start := time.Now()
	c := &clientRun{opts: o, w: w, size: size}
	c.o.depth = 1
	l, attachFailures, attachErr, e := connectWithTimeout(o, cfg)
	if e == nil {
		c.l = l
		inf := l.info()
		out["profile"] = inf.profile
		out["session_id"] = inf.sessionID
		out["packet_size"] = inf.packetSize
		out["agreed_max_request_payload"] = inf.maxReq
		out["agreed_max_response_payload"] = inf.maxResp
		switch o.scenario {
		case "single", "snapshot", "large":
			c.sequential()
		case "batch":
			c.batch()
		case "pipeline":
			c.pipeline()
		case "wrong-method":
			c.wrongMethod()
		case "bench":
			c.bench(out)
		}
		l.close()
	} else {
		c.o.err = e
	}
	out["shm_attach_failures"] = attachFailures
	if attachErr != nil {
		out["shm_attach_error"] = attachErr.json()
	}
	out["elapsed_ms"] = float64(time.Since(start).Microseconds()) / 1000
	out["requests"] = c.o.requests
	out["items"] = c.o.items
	out["verified"] = c.o.verified
	out["effective_depth"] = c.o.depth
	if c.o.err != nil {
		out["error"] = c.o.err.json()
	}
	if c.o.failure != "" {
		out["failure"] = c.o.failure
	} else {
		out["failure"] = nil
	}

	code := exitOK
	want := o.count
	if o.scenario == "batch" {
		want = o.count * uint64(o.items)
	}
	if o.scenario == "connect" {
		want = 0
	}
	if o.scenario == "bench" { // SHIM-BENCH-001: at least one request, every item verified
		want = max(c.o.items, 1)
	}
	switch {
	case o.expectError != "":
		out["expected_error"] = o.expectError
		matched := c.o.err != nil && (c.o.err.kind == o.expectError || c.o.err.rule == o.expectError)
		if !matched {
			code = exitFailed
		}
	case c.o.err != nil:
		code = c.o.err.exitCode()
	case c.o.failure != "" || c.o.verified < want:
		code = exitFailed
	}
	out["ok"] = code == exitOK
	emit(out)
	return code
}

// connectWithTimeout runs the library's connect and handshake, bounded by --timeout-ms
// (the library's handshake itself has no deadline).
func connectWithTimeout(o *options, cfg clientConfig) (link, int, *shimError, *shimError) {
	type result struct {
		l        link
		failures int
		attach   *shimError
		err      *shimError
	}
	done := make(chan result, 1)
	go func() {
		l, f, a, e := connect(o, cfg)
		done <- result{l, f, a, e}
	}()
	var timer <-chan time.Time
	if o.timeoutMs != 0 {
		timer = time.After(time.Duration(o.timeoutMs) * time.Millisecond)
	}
	select {
	case r := <-done:
		return r.l, r.failures, r.attach, r.err
	case <-timer:
		return nil, 0, nil, &shimError{kind: "Timeout", text: fmt.Sprintf("no HELLO_ACK within %d ms", o.timeoutMs)}
	}
}
