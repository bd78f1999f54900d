/* The codec testee's live-connection probes on Windows, over named pipes: `decide` hands the
 * HELLO packet to nipc_np_accept, `check_ack` lets nipc_np_connect read the ACK packet and
 * `chunked_message` lets nipc_np_receive reassemble the packets. The shim only carries
 * bytes; every verdict is the library's. */
#if defined(_WIN32)
#include "handshake_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static LONG g_probe_seq;

/* A run directory string no other probe or server uses: only its hash names the pipe. */
static void unique_run_dir(char *out, size_t n) {
    snprintf(out, n, "C:\\netipc-shim-probe-%lu-%ld", (unsigned long)GetCurrentProcessId(),
             (long)InterlockedIncrement(&g_probe_seq));
}

static HANDLE open_client(const char *run_dir, const char *service) {
    wchar_t name[NIPC_NP_MAX_PIPE_NAME];
    if (nipc_np_build_pipe_name(name, NIPC_NP_MAX_PIPE_NAME, run_dir, service) != 0)
        return INVALID_HANDLE_VALUE;
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) return h;
    DWORD mode = PIPE_READMODE_MESSAGE;
    SetNamedPipeHandleState(h, &mode, NULL, NULL);
    return h;
}

typedef struct {
    nipc_np_listener_t *l;
    uint64_t sid;
    nipc_np_session_t s;
    nipc_np_error_t e;
} accept_job_t;

static DWORD WINAPI accept_main(LPVOID p) {
    accept_job_t *j = p;
    j->e = nipc_np_accept(j->l, j->sid, &j->s);
    return 0;
}

/* Opens the probe's own end of the pipe for overlapped I/O, in message read mode. */
static HANDLE open_client_overlapped(const char *run_dir, const char *service) {
    wchar_t name[NIPC_NP_MAX_PIPE_NAME];
    if (nipc_np_build_pipe_name(name, NIPC_NP_MAX_PIPE_NAME, run_dir, service) != 0)
        return INVALID_HANDLE_VALUE;
    HANDLE h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                           FILE_FLAG_OVERLAPPED, NULL);
    if (h == INVALID_HANDLE_VALUE) return h;
    DWORD mode = PIPE_READMODE_MESSAGE;
    SetNamedPipeHandleState(h, &mode, NULL, NULL);
    return h;
}

int probe_decide(const probe_server_config_t *policy, uint64_t session_id,
                 const uint8_t *hello, size_t hello_len, probe_result_t *out) {
    memset(out, 0, sizeof(*out));
    char run_dir[96];
    unique_run_dir(run_dir, sizeof(run_dir));
    nipc_np_listener_t l;
    memset(&l, 0, sizeof(l));
    if (nipc_np_listen(run_dir, "probe", policy, &l) != NIPC_NP_OK) return -1;
    accept_job_t j;
    memset(&j, 0, sizeof(j));
    j.l = &l;
    j.sid = session_id;
    HANDLE t = CreateThread(NULL, 0, accept_main, &j, 0, NULL);
    if (!t) { nipc_np_close_listener(&l); return -1; }
    HANDLE c = open_client_overlapped(run_dir, "probe");
    if (c == INVALID_HANDLE_VALUE) {
        /* Unblock the accept with a connection of our own, then give up. */
        HANDLE u = open_client(run_dir, "probe");
        WaitForSingleObject(t, 3000);
        if (u != INVALID_HANDLE_VALUE) CloseHandle(u);
        CloseHandle(t);
        nipc_np_close_listener(&l);
        return -1;
    }
    /* The read is pending before the HELLO goes out, as a client's would be, so the reply
     * is received even when the server disconnects right after writing it. */
    OVERLAPPED rov, wov;
    memset(&rov, 0, sizeof(rov));
    memset(&wov, 0, sizeof(wov));
    rov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    wov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    DWORD got = 0, wrote = 0;
    BOOL rdone = ReadFile(c, out->reply, sizeof(out->reply), NULL, &rov);
    bool rpending = !rdone && GetLastError() == ERROR_IO_PENDING;
    if (!WriteFile(c, hello, (DWORD)hello_len, NULL, &wov) && GetLastError() == ERROR_IO_PENDING)
        WaitForSingleObject(wov.hEvent, 3000);
    if (WaitForSingleObject(t, 3000) != WAIT_OBJECT_0) {
        CancelIo(c);
        CloseHandle(c); /* a server waiting for more reads the end of the pipe */
        c = INVALID_HANDLE_VALUE;
        WaitForSingleObject(t, INFINITE);
    } else if (rdone || rpending) {
        if (rpending && WaitForSingleObject(rov.hEvent, 1000) != WAIT_OBJECT_0) CancelIo(c);
        if (GetOverlappedResult(c, &rov, &got, FALSE)) out->reply_len = got;
    }
    (void)wrote;
    CloseHandle(t);
    out->accepted = j.e == NIPC_NP_OK;
    out->lib_error = (int)j.e;
    if (c != INVALID_HANDLE_VALUE) CloseHandle(c);
    CloseHandle(rov.hEvent);
    CloseHandle(wov.hEvent);
    if (out->accepted) nipc_np_close_session(&j.s);
    nipc_np_close_listener(&l);
    return 0;
}

typedef struct {
    char run_dir[96];
    nipc_np_client_config_t cfg;
    nipc_np_session_t s;
    nipc_np_error_t e;
} connect_job_t;

static DWORD WINAPI connect_main(LPVOID p) {
    connect_job_t *j = p;
    j->e = nipc_np_connect(j->run_dir, "ack", &j->cfg, &j->s);
    return 0;
}

int probe_check_ack(const probe_client_config_t *hello, const uint8_t *ack, size_t ack_len,
                    probe_result_t *out) {
    memset(out, 0, sizeof(*out));
    connect_job_t *j = calloc(1, sizeof(*j));
    if (!j) return -1;
    unique_run_dir(j->run_dir, sizeof(j->run_dir));
    j->cfg = *hello;
    wchar_t name[NIPC_NP_MAX_PIPE_NAME];
    if (nipc_np_build_pipe_name(name, NIPC_NP_MAX_PIPE_NAME, j->run_dir, "ack") != 0) { free(j); return -1; }
    HANDLE srv = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX,
                                  PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, 65536,
                                  65536, 0, NULL);
    if (srv == INVALID_HANDLE_VALUE) { free(j); return -1; }
    HANDLE t = CreateThread(NULL, 0, connect_main, j, 0, NULL);
    if (!t) { CloseHandle(srv); free(j); return -1; }
    if (!ConnectNamedPipe(srv, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
        WaitForSingleObject(t, 3000);
        CloseHandle(t);
        CloseHandle(srv);
        free(j);
        return -1;
    }
    uint8_t buf[256];
    DWORD got = 0, wrote = 0;
    ReadFile(srv, buf, sizeof(buf), &got, NULL); /* the client's HELLO */
    WriteFile(srv, ack, (DWORD)ack_len, &wrote, NULL);
    if (WaitForSingleObject(t, 3000) != WAIT_OBJECT_0) {
        DisconnectNamedPipe(srv); /* a client waiting for more reads a broken pipe */
        WaitForSingleObject(t, INFINITE);
    }
    CloseHandle(t);
    out->accepted = j->e == NIPC_NP_OK;
    out->lib_error = (int)j->e;
    if (out->accepted) nipc_np_close_session(&j->s);
    FlushFileBuffers(srv);
    DisconnectNamedPipe(srv);
    CloseHandle(srv);
    free(j);
    return 0;
}

int probe_receive(const uint8_t *const *packets, const size_t *lens, size_t count,
                  uint32_t packet_size, uint32_t max_payload, uint32_t max_batch,
                  probe_receive_t *out) {
    memset(out, 0, sizeof(*out));
    char run_dir[96];
    unique_run_dir(run_dir, sizeof(run_dir));
    wchar_t name[NIPC_NP_MAX_PIPE_NAME];
    if (nipc_np_build_pipe_name(name, NIPC_NP_MAX_PIPE_NAME, run_dir, "rx") != 0) return -1;
    /* Buffers large enough that every packet is written before anything is read. */
    DWORD bufsize = 1 << 22;
    HANDLE srv = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX,
                                  PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, bufsize,
                                  bufsize, 0, NULL);
    if (srv == INVALID_HANDLE_VALUE) return -1;
    HANDLE c = open_client(run_dir, "rx");
    if (c == INVALID_HANDLE_VALUE) { CloseHandle(srv); return -1; }
    ConnectNamedPipe(srv, NULL);
    for (size_t i = 0; i < count; i++) {
        DWORD wrote = 0;
        WriteFile(c, packets[i], (DWORD)lens[i], &wrote, NULL);
    }
    CloseHandle(c); /* a receiver wanting more packets reads a broken pipe, never blocks */
    nipc_np_session_t s;
    memset(&s, 0, sizeof(s));
    s.pipe = srv;
    s.role = NIPC_NP_ROLE_SERVER; /* no in-flight bookkeeping: the packets are judged alone */
    s.packet_size = packet_size;
    s.max_request_payload_bytes = s.max_response_payload_bytes = max_payload;
    s.max_request_batch_items = s.max_response_batch_items = max_batch;
    size_t bsz = packet_size ? packet_size : 65536;
    uint8_t *buf = malloc(bsz);
    if (!buf) { CloseHandle(srv); return -1; }
    const void *pl = NULL;
    size_t pn = 0;
    nipc_np_error_t e = nipc_np_receive(&s, buf, bsz, &out->hdr, &pl, &pn);
    if (e == NIPC_NP_OK) {
        out->payload = malloc(pn ? pn : 1);
        if (out->payload && pn) memcpy(out->payload, pl, pn);
        out->payload_len = pn;
        DWORD avail = 0;
        if (PeekNamedPipe(srv, NULL, 0, NULL, &avail, NULL) && avail > 0) {
            nipc_header_t h2;
            nipc_np_error_t e2 = nipc_np_receive(&s, buf, bsz, &h2, &pl, &pn);
            if (e2 != NIPC_NP_OK) e = e2;
            out->leftover = true;
        }
    }
    out->ok = e == NIPC_NP_OK;
    out->lib_error = (int)e;
    free(buf);
    nipc_np_close_session(&s); /* closes the pipe handle and frees the receive buffer */
    return 0;
}
#endif
