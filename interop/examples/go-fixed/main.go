// nipc-go-fixed-server: a netipc server whose command line was not designed for netipc-cts.
//
//	nipc-go-fixed-server <run_dir> <service>
//
// It serves INCREMENT (method 1) on UDS SEQPACKET (profile 0x01) only, with a fixed auth
// token (12345) and fixed limits (request and response payload 1024 bytes, packet size
// 65536), prints READY once it listens, answers exactly one client session and exits,
// removing its socket file. It exists to show that a manifest alone can drive such a binary
// (interop/examples/go-fixed/manifest.toml). Standard library only.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

const (
	messageMagic    = 0x4e495043
	headerLen       = 32
	helloLen        = 44
	ackLen          = 48
	kindRequest     = 1
	kindResponse    = 2
	kindControl     = 3
	codeHello       = 1
	codeHelloAck    = 2
	methodIncrement = 1
	flagBatch       = 0x0001

	statusOK           = 0
	statusBadEnvelope  = 1
	statusAuthFailed   = 2
	statusIncompatible = 3
	statusUnsupported  = 4
	statusLimit        = 5

	fixedToken       = 12345
	fixedProfiles    = 0x01
	fixedMaxRequest  = 1024
	fixedMaxResponse = 1024
	fixedPacketSize  = 65536
)

var le = binary.LittleEndian

type header struct {
	kind, flags, code, status uint16
	payloadLen, itemCount     uint32
	messageID                 uint64
}

func putHeader(b []byte, h header) {
	le.PutUint32(b[0:], messageMagic)
	le.PutUint16(b[4:], 1)
	le.PutUint16(b[6:], headerLen)
	le.PutUint16(b[8:], h.kind)
	le.PutUint16(b[10:], h.flags)
	le.PutUint16(b[12:], h.code)
	le.PutUint16(b[14:], h.status)
	le.PutUint32(b[16:], h.payloadLen)
	le.PutUint32(b[20:], h.itemCount)
	le.PutUint64(b[24:], h.messageID)
}

func parseHeader(b []byte) (header, error) {
	if len(b) < headerLen {
		return header{}, errors.New("packet shorter than a header")
	}
	if le.Uint32(b[0:]) != messageMagic || le.Uint16(b[4:]) != 1 || le.Uint16(b[6:]) != headerLen {
		return header{}, errors.New("bad magic, version or header_len")
	}
	h := header{kind: le.Uint16(b[8:]), flags: le.Uint16(b[10:]), code: le.Uint16(b[12:]),
		status: le.Uint16(b[14:]), payloadLen: le.Uint32(b[16:]), itemCount: le.Uint32(b[20:]),
		messageID: le.Uint64(b[24:])}
	if h.kind < kindRequest || h.kind > kindControl {
		return header{}, errors.New("bad kind")
	}
	return h, nil
}

type agreed struct {
	requestPayload, requestBatch, packetSize uint32
}

// handshake reads the HELLO and answers it; a rejection is sent and reported as an error.
func handshake(c *net.UnixConn) (agreed, error) {
	buf := make([]byte, 128)
	n, err := c.Read(buf)
	if err != nil {
		return agreed{}, err
	}
	h, err := parseHeader(buf[:n])
	if err != nil || h.kind != kindControl || h.code != codeHello {
		return agreed{}, errors.New("first packet is not a HELLO")
	}
	p := buf[headerLen:n]
	if len(p) < helloLen {
		return agreed{}, errors.New("HELLO payload truncated")
	}
	if le.Uint16(p[0:]) != 1 {
		return agreed{}, reject(c, statusIncompatible)
	}
	if le.Uint16(p[2:]) != 0 || le.Uint32(p[28:]) != 0 {
		return agreed{}, reject(c, statusBadEnvelope)
	}
	supported := le.Uint32(p[4:])
	proposal := le.Uint32(p[12:])
	batch := le.Uint32(p[16:])
	token := le.Uint64(p[32:])
	packet := le.Uint32(p[40:])
	if token != fixedToken {
		return agreed{}, reject(c, statusAuthFailed)
	}
	if supported&fixedProfiles == 0 {
		return agreed{}, reject(c, statusUnsupported)
	}
	if proposal > fixedMaxRequest {
		return agreed{}, reject(c, statusLimit)
	}
	a := agreed{requestPayload: proposal, requestBatch: batch, packetSize: fixedPacketSize}
	if packet < a.packetSize {
		a.packetSize = packet
	}
	if a.packetSize <= headerLen {
		return agreed{}, reject(c, statusIncompatible)
	}
	out := make([]byte, headerLen+ackLen)
	putHeader(out, header{kind: kindControl, code: codeHelloAck, payloadLen: ackLen, itemCount: 1})
	q := out[headerLen:]
	le.PutUint16(q[0:], 1)
	le.PutUint32(q[4:], fixedProfiles)
	le.PutUint32(q[8:], supported&fixedProfiles)
	le.PutUint32(q[12:], fixedProfiles)
	le.PutUint32(q[16:], proposal)
	le.PutUint32(q[20:], batch)
	le.PutUint32(q[24:], fixedMaxResponse)
	le.PutUint32(q[28:], batch)
	le.PutUint32(q[32:], a.packetSize)
	le.PutUint64(q[40:], 1) // the first (and only) session of this process
	_, err = c.Write(out)
	return a, err
}

func reject(c *net.UnixConn, status uint16) error {
	out := make([]byte, headerLen+ackLen)
	putHeader(out, header{kind: kindControl, code: codeHelloAck, status: status, payloadLen: ackLen, itemCount: 1})
	le.PutUint16(out[headerLen:], 1)
	c.Write(out)
	return fmt.Errorf("handshake rejected with status %d", status)
}

func respond(c *net.UnixConn, req header, status uint16, flags uint16, items uint32, payload []byte) error {
	out := make([]byte, headerLen+len(payload))
	putHeader(out, header{kind: kindResponse, flags: flags, code: req.code, status: status,
		payloadLen: uint32(len(payload)), itemCount: items, messageID: req.messageID})
	copy(out[headerLen:], payload)
	_, err := c.Write(out)
	return err
}

// increment answers one request payload: a single value, or a batch of values.
func increment(h header, p []byte) ([]byte, bool) {
	if h.flags&flagBatch == 0 {
		if len(p) < 8 {
			return nil, false
		}
		out := make([]byte, 8)
		le.PutUint64(out, le.Uint64(p)+1)
		return out, true
	}
	n := uint64(h.itemCount)
	dir := n * 8
	if uint64(len(p)) < dir {
		return nil, false
	}
	area := p[dir:]
	out := make([]byte, dir+n*8)
	for i := uint64(0); i < n; i++ {
		off, length := uint64(le.Uint32(p[i*8:])), uint64(le.Uint32(p[i*8+4:]))
		if off%8 != 0 || off+length > uint64(len(area)) || length < 8 {
			return nil, false
		}
		le.PutUint32(out[i*8:], uint32(i*8))
		le.PutUint32(out[i*8+4:], 8)
		le.PutUint64(out[dir+i*8:], le.Uint64(area[off:])+1)
	}
	return out, true
}

func serve(c *net.UnixConn) error {
	a, err := handshake(c)
	if err != nil {
		return err
	}
	buf := make([]byte, a.packetSize)
	for {
		n, err := c.Read(buf)
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		h, err := parseHeader(buf[:n])
		if err != nil || h.kind != kindRequest {
			return errors.New("not a request")
		}
		if h.payloadLen > a.requestPayload || uint64(n) != headerLen+uint64(h.payloadLen) {
			respond(c, h, statusLimit, 0, 1, nil)
			return errors.New("request over the agreed limit, or chunked")
		}
		if h.code != methodIncrement {
			if err := respond(c, h, statusUnsupported, 0, 1, nil); err != nil {
				return err
			}
			continue
		}
		out, ok := increment(h, buf[headerLen:n])
		if !ok {
			respond(c, h, statusBadEnvelope, 0, 1, nil)
			return errors.New("request did not decode")
		}
		if err := respond(c, h, statusOK, h.flags&flagBatch, h.itemCount, out); err != nil {
			return err
		}
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: nipc-go-fixed-server <run_dir> <service>")
		os.Exit(2)
	}
	path := filepath.Join(os.Args[1], os.Args[2]+".sock")
	ln, err := net.ListenUnix("unixpacket", &net.UnixAddr{Name: path, Net: "unixpacket"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(3)
	}
	ln.SetUnlinkOnClose(true)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		ln.Close()
		os.Exit(0)
	}()
	fmt.Println("READY")
	c, err := ln.AcceptUnix()
	ln.Close() // one session only: nobody else may connect
	if err != nil {
		fmt.Fprintln(os.Stderr, "accept:", err)
		os.Exit(1)
	}
	err = serve(c)
	c.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "session:", err)
		os.Exit(1)
	}
}
