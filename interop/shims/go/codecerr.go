package main

import (
	"errors"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/protocol"
)

// mapCodecError names an outer-header decode error of the library's protocol package.
func mapCodecError(err error, kind string) *shimError {
	e := &shimError{kind: kind, text: err.Error()}
	switch {
	case errors.Is(err, protocol.ErrTruncated):
		e.rule = "HeaderTruncated"
	case errors.Is(err, protocol.ErrBadMagic):
		e.rule = "HeaderBadMagic"
	case errors.Is(err, protocol.ErrBadVersion):
		e.rule = "HeaderBadVersion"
	case errors.Is(err, protocol.ErrBadHeaderLen):
		e.rule = "HeaderBadHeaderLen"
	case errors.Is(err, protocol.ErrBadKind):
		e.rule = "HeaderBadKind"
	}
	return e
}
