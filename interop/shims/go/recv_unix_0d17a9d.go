//go:build unix && netipc_0d17a9d

package main

import (
	"errors"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/posix"
)

// receiveWithTimeout uses the library's own deadline-bounded receive (0d17a9d era).
func receiveWithTimeout(s *posix.Session, buf []byte, timeoutMs uint32) (protocol.Header, []byte, *shimError) {
	h, p, err := s.ReceiveTimeout(buf, timeoutMs, nil)
	if err != nil {
		return h, nil, mapPosixError(err, false)
	}
	return h, p, nil
}

func revisionErrorKind(err error) string {
	switch {
	case errors.Is(err, posix.ErrTimeout), errors.Is(err, protocol.ErrTimeout):
		return "Timeout"
	case errors.Is(err, posix.ErrAborted), errors.Is(err, protocol.ErrAborted):
		return "Cancelled"
	}
	return ""
}
