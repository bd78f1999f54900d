//go:build unix && !netipc_0d17a9d

package main

import (
	"fmt"
	"syscall"
	"unsafe"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/posix"
)

// receiveWithTimeout: the 6d9ffc1-era library receives without a deadline, so the shim
// waits for the first packet itself (poll on the session's public fd) and then lets the
// library read the whole message.
func receiveWithTimeout(s *posix.Session, buf []byte, timeoutMs uint32) (protocol.Header, []byte, *shimError) {
	if timeoutMs != 0 {
		type pollFd struct {
			fd      int32
			events  int16
			revents int16
		}
		p := pollFd{fd: int32(s.Fd()), events: 0x0001}
		for {
			n, _, errno := syscall.Syscall(syscall.SYS_POLL, uintptr(unsafe.Pointer(&p)), 1, uintptr(timeoutMs))
			if errno == syscall.EINTR {
				continue
			}
			if errno != 0 {
				return protocol.Header{}, nil, &shimError{kind: "System", text: "poll: " + errno.Error()}
			}
			if n == 0 {
				return protocol.Header{}, nil, &shimError{kind: "Timeout",
					text: fmt.Sprintf("no response within %d ms", timeoutMs)}
			}
			break
		}
	}
	h, p, err := s.Receive(buf)
	if err != nil {
		return h, nil, mapPosixError(err, false)
	}
	return h, p, nil
}

func revisionErrorKind(err error) string { return "" }
