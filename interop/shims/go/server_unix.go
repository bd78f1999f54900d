//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/service/raw"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/posix"
)

// runServer serves with the library's managed server (raw.Server) until SIGTERM/SIGINT.
func runServer(o *options) int {
	if rc := serverPrecheck(o); rc >= 0 {
		return rc
	}
	method, handler := dispatchFor(o)
	cfg := posix.ServerConfig{
		SupportedProfiles:       o.profiles,
		PreferredProfiles:       o.preferred,
		MaxRequestPayloadBytes:  o.maxReq,
		MaxResponsePayloadBytes: o.maxResp,
		AuthToken:               o.authToken,
		PacketSize:              o.packetSize,
	}
	sockPath := filepath.Join(o.runDir, o.service+".sock")

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGPIPE)

	srv := raw.NewServer(o.runDir, o.service, cfg, method, handler)
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()

	// The managed server has no "listening" callback: it is ready once the kernel lists a
	// listening socket at its path (bind comes before listen; a stale file it replaces is
	// not listening, and its replacement may even reuse the inode number).
	ready := false
	for !ready {
		select {
		case err := <-done:
			return serverStartError(err)
		case <-sigs:
			srv.Stop()
			return finishServer(o, srv, done, sockPath)
		case <-time.After(2 * time.Millisecond):
		}
		if fi, err := os.Lstat(sockPath); err == nil && fi.Mode()&os.ModeSocket != 0 && listening(sockPath) {
			ready = true
		}
	}
	printReady(o, sockPath)
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(os.Stderr, "netipc-shim-go server: %v\n", err)
			return exitFailed
		}
		return exitOK
	case <-sigs:
		srv.Stop()
		return finishServer(o, srv, done, sockPath)
	}
}

// finishServer waits for the library's server to end its sessions; a session stuck in a
// handshake cannot be interrupted through the public API, so after a grace period the
// shim removes the endpoint and region files itself (SHIM-STOP-001).
func finishServer(o *options, srv *raw.Server, done chan error, sockPath string) int {
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		fmt.Fprintln(os.Stderr, "netipc-shim-go server: sessions did not end within 3 s; removing the endpoint")
	}
	os.Remove(sockPath)
	posix.ShmCleanupStale(o.runDir, o.service)
	return exitOK
}

func serverStartError(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(os.Stderr, "netipc-shim-go server: %v\n", err)
	switch {
	case errors.Is(err, posix.ErrBadParam):
		return exitUsage
	default:
		return exitEnvironment
	}
}

// listening reports whether a listening socket is bound to path, from /proc/net/unix
// (flag __SO_ACCEPTCON, 0x10000). Where /proc/net/unix cannot be read the file's existence
// has to do.
func listening(path string) bool {
	data, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		// Num RefCount Protocol Flags Type St Inode Path
		if len(f) >= 8 && f[7] == path {
			if flags, err := strconv.ParseUint(f[3], 16, 32); err == nil && flags&0x10000 != 0 {
				return true
			}
		}
	}
	return false
}
