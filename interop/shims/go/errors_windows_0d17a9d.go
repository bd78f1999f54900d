//go:build windows && netipc_0d17a9d

package main

import (
	"errors"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/windows"
)

func revisionErrorKind(err error) string {
	switch {
	case errors.Is(err, windows.ErrTimeout), errors.Is(err, protocol.ErrTimeout):
		return "Timeout"
	case errors.Is(err, windows.ErrAborted), errors.Is(err, protocol.ErrAborted):
		return "Cancelled"
	}
	return ""
}
