//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"github.com/netdata/plugin-ipc/go/pkg/netipc/service/raw"
	"github.com/netdata/plugin-ipc/go/pkg/netipc/transport/windows"
)

var (
	kernel32          = syscall.NewLazyDLL("kernel32.dll")
	procWaitNamedPipe = kernel32.NewProc("WaitNamedPipeW")
	procCreateEvent   = kernel32.NewProc("CreateEventW")
)

const errorSemTimeout = 121 // ERROR_SEM_TIMEOUT: the pipe exists, no instance is free

// runServer serves with the library's managed server until a console control event or
// the stop event Local\netipc-shim-stop-<pid> (SHIM-STOP-002).
func runServer(o *options) int {
	if rc := serverPrecheck(o); rc >= 0 {
		return rc
	}
	method, handler := dispatchFor(o)
	cfg := windows.ServerConfig{
		SupportedProfiles:       o.profiles,
		PreferredProfiles:       o.preferred,
		MaxRequestPayloadBytes:  o.maxReq,
		MaxResponsePayloadBytes: o.maxResp,
		AuthToken:               o.authToken,
		PacketSize:              o.packetSize,
	}
	pipeName, err := windows.BuildPipeName(o.runDir, o.service)
	if err != nil {
		fmt.Fprintf(os.Stderr, "netipc-shim-go server: %v\n", err)
		return exitUsage
	}

	// Console Ctrl+C / Ctrl+Break (and close) arrive as os.Interrupt / SIGTERM in Go.
	stop := make(chan struct{}, 4)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() { <-sigs; stop <- struct{}{} }()
	evName, _ := syscall.UTF16PtrFromString("Local\\netipc-shim-stop-" + strconv.Itoa(os.Getpid()))
	evRaw, _, err := procCreateEvent.Call(0, 1, 0, uintptr(unsafe.Pointer(evName)))
	ev := syscall.Handle(evRaw)
	if evRaw != 0 {
		defer syscall.CloseHandle(ev)
		go func() {
			if ev2, _ := syscall.WaitForSingleObject(ev, syscall.INFINITE); ev2 == syscall.WAIT_OBJECT_0 {
				stop <- struct{}{}
			}
		}()
	} else {
		fmt.Fprintf(os.Stderr, "netipc-shim-go server: stop event: %v\n", err)
	}

	srv := raw.NewServer(o.runDir, o.service, cfg, method, handler)
	done := make(chan error, 1)
	go func() { done <- srv.Run() }()

	// The managed server has no "listening" callback: it is ready once its pipe exists.
	started := time.Now()
	for {
		select {
		case err := <-done:
			return serverStartError(err)
		case <-stop:
			srv.Stop()
			return finishServer(srv, done)
		case <-time.After(5 * time.Millisecond):
		}
		r, _, e := procWaitNamedPipe.Call(uintptr(unsafe.Pointer(&pipeName[0])), 1)
		if r != 0 || e == syscall.Errno(errorSemTimeout) {
			break
		}
		if time.Since(started) > 10*time.Second {
			fmt.Fprintln(os.Stderr, "netipc-shim-go server: the pipe did not appear within 10 s")
			srv.Stop()
			finishServer(srv, done)
			return exitEnvironment
		}
	}
	printReady(o, syscall.UTF16ToString(pipeName))
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(os.Stderr, "netipc-shim-go server: %v\n", err)
			return exitFailed
		}
		return exitOK
	case <-stop:
		srv.Stop()
		return finishServer(srv, done)
	}
}

func finishServer(srv *raw.Server, done chan error) int {
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		fmt.Fprintln(os.Stderr, "netipc-shim-go server: sessions did not end within 3 s")
	}
	return exitOK
}

func serverStartError(err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(os.Stderr, "netipc-shim-go server: %v\n", err)
	if errors.Is(err, windows.ErrBadParam) {
		return exitUsage
	}
	return exitEnvironment
}
