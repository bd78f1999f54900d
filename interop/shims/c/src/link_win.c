/* L1 sessions on Windows: the library's named pipe transport (netipc_named_pipe.h) and,
 * when the handshake selects a shared-memory profile, its Windows SHM region
 * (netipc_win_shm.h). */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "netipc/netipc_named_pipe.h"
#include "netipc/netipc_win_shm.h"

#define SHM_PROFILES (NIPC_WIN_SHM_PROFILE_HYBRID | NIPC_WIN_SHM_PROFILE_BUSYWAIT)

struct shim_link {
    nipc_np_session_t s;
    nipc_win_shm_ctx_t shm;
    bool has_shm;
    bool server;
    uint8_t *rbuf;
    size_t rbuf_size;
    uint8_t *sbuf;
    size_t sbuf_size;
};

struct shim_listener {
    nipc_np_listener_t l;
    nipc_np_server_config_t base;
    char run_dir[512];
    char service[256];
    char endpoint[512];
};

static const char *np_name(nipc_np_error_t e) {
    static const char *names[] = {"OK", "NIPC_NP_ERR_PIPE_NAME", "NIPC_NP_ERR_CREATE_PIPE",
        "NIPC_NP_ERR_CONNECT", "NIPC_NP_ERR_ACCEPT", "NIPC_NP_ERR_SEND", "NIPC_NP_ERR_RECV",
        "NIPC_NP_ERR_HANDSHAKE", "NIPC_NP_ERR_AUTH_FAILED", "NIPC_NP_ERR_NO_PROFILE",
        "NIPC_NP_ERR_INCOMPATIBLE", "NIPC_NP_ERR_PROTOCOL", "NIPC_NP_ERR_ADDR_IN_USE",
        "NIPC_NP_ERR_CHUNK", "NIPC_NP_ERR_ALLOC", "NIPC_NP_ERR_LIMIT_EXCEEDED",
        "NIPC_NP_ERR_BAD_PARAM", "NIPC_NP_ERR_DUPLICATE_MSG_ID", "NIPC_NP_ERR_UNKNOWN_MSG_ID",
        "NIPC_NP_ERR_DISCONNECTED", "NIPC_NP_ERR_TIMEOUT", "NIPC_NP_ERR_ABORTED"};
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "NIPC_NP_ERR_?";
}

static void map_np(nipc_np_error_t e, bool handshake, shim_err_t *err) {
    const char *n = np_name(e);
    DWORD le = GetLastError();
    switch (e) {
    case NIPC_NP_ERR_PIPE_NAME:
        err_set(err, "NameTooLong", NULL, "WIN-NAME-LEN-001", EXIT_ENV, "%s", n); return;
    case NIPC_NP_ERR_BAD_PARAM:
        err_set(err, "BadParameter", NULL, "UDS-NAME-001", EXIT_USAGE, "%s", n); return;
    case NIPC_NP_ERR_CREATE_PIPE: case NIPC_NP_ERR_ACCEPT: case NIPC_NP_ERR_ALLOC:
        err_set(err, "System", NULL, "", EXIT_ENV, "%s (GetLastError %lu)", n, (unsigned long)le); return;
    case NIPC_NP_ERR_CONNECT:
        err_set(err, "NotFound", NULL, "UDS-CONNECT-001", EXIT_ENV, "%s (GetLastError %lu)", n,
                (unsigned long)le);
        return;
    case NIPC_NP_ERR_ADDR_IN_USE:
        err_set(err, "PipeInUse", NULL, "WIN-PIPE-FIRST-001", EXIT_ENV, "%s", n); return;
    case NIPC_NP_ERR_SEND: case NIPC_NP_ERR_RECV: case NIPC_NP_ERR_DISCONNECTED:
        err_set(err, "PeerClosed", NULL, "UDS-EOF-001", EXIT_FAILED, "%s", n); return;
    case NIPC_NP_ERR_AUTH_FAILED:
        err_set(err, "Rejected", "AckRejectedAuth", "HS-CLI-STATUS-001", EXIT_REJECTED, "%s", n); return;
    case NIPC_NP_ERR_NO_PROFILE:
        err_set(err, "Rejected", "AckRejectedUnsupported", "HS-CLI-STATUS-002", EXIT_REJECTED, "%s", n); return;
    case NIPC_NP_ERR_INCOMPATIBLE:
        err_set(err, "Rejected", "AckRejectedIncompatible", "HS-CLI-STATUS-003", EXIT_REJECTED, "%s", n); return;
    case NIPC_NP_ERR_HANDSHAKE:
        err_set(err, "Rejected", "AckRejectedOther", "HS-CLI-STATUS-005", EXIT_REJECTED, "%s", n); return;
    case NIPC_NP_ERR_LIMIT_EXCEEDED:
        if (handshake)
            err_set(err, "Rejected", "AckRejectedLimit", "HS-CLI-STATUS-004", EXIT_REJECTED, "%s", n);
        else
            err_set(err, "LimitExceeded", NULL, "ENV-LIMIT-001", EXIT_FAILED, "%s", n);
        return;
    case NIPC_NP_ERR_DUPLICATE_MSG_ID:
        err_set(err, "Protocol", "DuplicateMessageId", "SESS-MSGID-001", EXIT_FAILED, "%s", n); return;
    case NIPC_NP_ERR_UNKNOWN_MSG_ID:
        err_set(err, "Protocol", "UnknownMessageId", "SESS-MSGID-002", EXIT_FAILED, "%s", n); return;
#if SHIM_HAVE_RECEIVE_TIMEOUT
    case NIPC_NP_ERR_TIMEOUT: case NIPC_NP_ERR_ABORTED:
        err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED, "%s", n); return;
#endif
    default:
        err_set(err, handshake ? "HandshakeFailed" : "Protocol", NULL, "", EXIT_FAILED, "%s", n);
        return;
    }
}

static const char *wshm_name(nipc_win_shm_error_t e) {
    static const char *names[] = {"OK", "NIPC_WIN_SHM_ERR_BAD_PARAM",
        "NIPC_WIN_SHM_ERR_CREATE_MAPPING", "NIPC_WIN_SHM_ERR_OPEN_MAPPING",
        "NIPC_WIN_SHM_ERR_MAP_VIEW", "NIPC_WIN_SHM_ERR_CREATE_EVENT",
        "NIPC_WIN_SHM_ERR_OPEN_EVENT", "NIPC_WIN_SHM_ERR_ADDR_IN_USE",
        "NIPC_WIN_SHM_ERR_BAD_MAGIC", "NIPC_WIN_SHM_ERR_BAD_VERSION",
        "NIPC_WIN_SHM_ERR_BAD_HEADER", "NIPC_WIN_SHM_ERR_BAD_PROFILE",
        "NIPC_WIN_SHM_ERR_MSG_TOO_LARGE", "NIPC_WIN_SHM_ERR_TIMEOUT",
        "NIPC_WIN_SHM_ERR_DISCONNECTED"};
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "NIPC_WIN_SHM_ERR_?";
}

static void map_wshm(nipc_win_shm_error_t e, shim_err_t *err) {
    const char *n = wshm_name(e);
    switch (e) {
    case NIPC_WIN_SHM_ERR_OPEN_MAPPING: case NIPC_WIN_SHM_ERR_OPEN_EVENT: case NIPC_WIN_SHM_ERR_MAP_VIEW:
        err_set(err, "WinShmOpen", NULL, "WIN-SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_BAD_MAGIC:
        err_set(err, "WinShmBadMagic", NULL, "WIN-SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_BAD_VERSION:
        err_set(err, "WinShmBadVersion", NULL, "WIN-SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_BAD_HEADER:
        err_set(err, "WinShmBadHeaderLen", NULL, "WIN-SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_BAD_PROFILE:
        err_set(err, "WinShmBadProfile", NULL, "WIN-SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_MSG_TOO_LARGE:
        err_set(err, "WinShmMessageTooLarge", NULL, "WIN-SHM-LEN-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_TIMEOUT:
        err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED, "%s", n); return;
    case NIPC_WIN_SHM_ERR_DISCONNECTED:
        err_set(err, "PeerClosed", NULL, "UDS-EOF-001", EXIT_FAILED, "%s", n); return;
    default:
        err_set(err, "WinShmCreate", NULL, "WIN-SHM-CREATE-001", EXIT_ENV, "%s", n); return;
    }
}

static int alloc_buffers(shim_link_t *l) {
    uint32_t in = l->server ? l->s.max_request_payload_bytes : l->s.max_response_payload_bytes;
    uint32_t out = l->server ? l->s.max_response_payload_bytes : l->s.max_request_payload_bytes;
    l->rbuf_size = (size_t)NIPC_HEADER_LEN + in + 64;
    l->sbuf_size = (size_t)NIPC_HEADER_LEN + out + 64;
    l->rbuf = malloc(l->rbuf_size);
    l->sbuf = malloc(l->sbuf_size);
    return (l->rbuf && l->sbuf) ? 0 : -1;
}

uint32_t link_native_packet_size(void) { return NIPC_NP_DEFAULT_PACKET_SIZE; }

int link_connect(const char *run_dir, const char *service, const link_config_t *c,
                 uint32_t timeout_ms, shim_link_t **out, shim_err_t *err) {
    nipc_np_client_config_t u;
    memset(&u, 0, sizeof(u));
    u.supported_profiles = c->supported_profiles;
    u.preferred_profiles = c->preferred_profiles;
    u.max_request_payload_bytes = c->max_request_payload;
    u.max_request_batch_items = c->max_request_batch;
    u.max_response_payload_bytes = c->max_response_payload;
    u.max_response_batch_items = c->max_response_batch;
    u.auth_token = c->auth_token;
    u.packet_size = c->packet_size;
    for (;;) {
        shim_link_t *l = calloc(1, sizeof(*l));
        if (!l) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
        nipc_np_error_t e = nipc_np_connect(run_dir, service, &u, &l->s);
        if (e != NIPC_NP_OK) { map_np(e, true, err); free(l); return -1; }
        if (l->s.selected_profile & SHM_PROFILES) {
            /* The library's own client retries for up to 5 s while the objects are not
             * visible yet; here also never beyond --timeout-ms. */
            ULONGLONG deadline = GetTickCount64() + ((timeout_ms && timeout_ms < 5000) ? timeout_ms : 5000);
            nipc_win_shm_error_t se;
            for (;;) {
                se = nipc_win_shm_client_attach(run_dir, service, c->auth_token, l->s.session_id,
                                                l->s.selected_profile, &l->shm);
                if (se == NIPC_WIN_SHM_OK) break;
                if ((se != NIPC_WIN_SHM_ERR_OPEN_MAPPING && se != NIPC_WIN_SHM_ERR_OPEN_EVENT &&
                     se != NIPC_WIN_SHM_ERR_BAD_MAGIC) ||
                    GetTickCount64() >= deadline)
                    break;
                Sleep(5);
            }
            if (se != NIPC_WIN_SHM_OK) {
                /* As the library's L2 client does: close, stop offering shared memory and
                 * connect again over the named pipe. */
                shim_err_t ae;
                map_wshm(se, &ae);
                link_note_attach_failure(&ae);
                nipc_np_close_session(&l->s);
                free(l);
                u.supported_profiles &= ~SHM_PROFILES;
                u.preferred_profiles &= ~SHM_PROFILES;
                if (u.supported_profiles == 0) { *err = ae; return -1; }
                continue;
            }
            l->has_shm = true;
        }
        if (alloc_buffers(l) != 0) {
            link_close(l);
            err_set(err, "System", NULL, "", EXIT_ENV, "out of memory");
            return -1;
        }
        *out = l;
        return 0;
    }
}

int link_send(shim_link_t *l, nipc_header_t *hdr, const void *payload, size_t len, shim_err_t *err) {
    hdr->magic = NIPC_MAGIC_MSG;
    hdr->version = NIPC_VERSION;
    hdr->header_len = NIPC_HEADER_LEN;
    hdr->payload_len = (uint32_t)len;
    if (!l->has_shm) {
        nipc_np_error_t e = nipc_np_send(&l->s, hdr, payload, len);
        if (e != NIPC_NP_OK) {
            if (e == NIPC_NP_ERR_LIMIT_EXCEEDED)
                err_set(err, "LimitExceeded", "OutboundPayloadOverLimit", "ENV-LIMIT-003",
                        EXIT_FAILED, "%s", np_name(e));
            else
                map_np(e, false, err);
            return -1;
        }
        return 0;
    }
    size_t total = NIPC_HEADER_LEN + len;
    if (total > l->sbuf_size) {
        uint8_t *p = realloc(l->sbuf, total);
        if (!p) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
        l->sbuf = p;
        l->sbuf_size = total;
    }
    nipc_header_encode(hdr, l->sbuf, NIPC_HEADER_LEN);
    if (len) memcpy(l->sbuf + NIPC_HEADER_LEN, payload, len);
    nipc_win_shm_error_t se = nipc_win_shm_send(&l->shm, l->sbuf, total);
    if (se != NIPC_WIN_SHM_OK) { map_wshm(se, err); return -1; }
    return 0;
}

int link_recv(shim_link_t *l, uint32_t timeout_ms, volatile int *stop, nipc_header_t *hdr,
              const uint8_t **payload, size_t *len, shim_err_t *err) {
    ULONGLONG deadline = timeout_ms ? GetTickCount64() + timeout_ms : 0;
    if (l->has_shm) {
        for (;;) {
            size_t msg_len = 0;
            nipc_win_shm_error_t se = nipc_win_shm_receive(&l->shm, l->rbuf, l->rbuf_size, &msg_len, 100);
            if (se == NIPC_WIN_SHM_OK) {
                nipc_error_t pe = nipc_header_decode(l->rbuf, msg_len, hdr);
                if (pe != NIPC_OK) {
                    err_set(err, "Protocol", NULL, "", EXIT_FAILED,
                            "nipc_header_decode failed (%d) on a %zu-byte SHM message", (int)pe, msg_len);
                    return -1;
                }
                *payload = l->rbuf + NIPC_HEADER_LEN;
                *len = msg_len - NIPC_HEADER_LEN;
                return 0;
            }
            if (se != NIPC_WIN_SHM_ERR_TIMEOUT) { map_wshm(se, err); return -1; }
            if (stop && *stop) return -2;
            if (deadline && GetTickCount64() >= deadline) {
                err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED, "no message within %u ms", timeout_ms);
                return -1;
            }
        }
    }
    for (;;) {
        bool readable = false;
        uint32_t slice = 100;
        if (deadline) {
            ULONGLONG now = GetTickCount64();
            if (now >= deadline) {
                err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED, "no message within %u ms", timeout_ms);
                return -1;
            }
            if (deadline - now < slice) slice = (uint32_t)(deadline - now);
        }
        nipc_np_error_t we = nipc_np_wait_readable(&l->s, slice, &readable);
        if (we != NIPC_NP_OK) { map_np(we, false, err); return -1; }
        if (readable) break;
        if (stop && *stop) return -2;
    }
    const void *pl = NULL;
    nipc_np_error_t e = nipc_np_receive(&l->s, l->rbuf, l->rbuf_size, hdr, &pl, len);
    if (e != NIPC_NP_OK) { map_np(e, false, err); return -1; }
    *payload = pl;
    return 0;
}

void link_get_info(const shim_link_t *l, link_info_t *o) {
    o->profile = l->s.selected_profile;
    o->session_id = l->s.session_id;
    o->packet_size = l->s.packet_size;
    o->max_request_payload = l->s.max_request_payload_bytes;
    o->max_request_batch = l->s.max_request_batch_items;
    o->max_response_payload = l->s.max_response_payload_bytes;
    o->max_response_batch = l->s.max_response_batch_items;
}

bool link_is_shm(const shim_link_t *l) { return l->has_shm; }

void link_close(shim_link_t *l) {
    if (!l) return;
    if (l->has_shm) {
        if (l->server) nipc_win_shm_destroy(&l->shm);
        else nipc_win_shm_close(&l->shm);
    }
    nipc_np_close_session(&l->s);
    free(l->rbuf);
    free(l->sbuf);
    free(l);
}

void link_interrupt(shim_link_t *l) {
    if (l && l->s.pipe && l->s.pipe != INVALID_HANDLE_VALUE) CancelIoEx(l->s.pipe, NULL);
}

void link_unlink_files(shim_link_t *l) { (void)l; /* kernel objects vanish with the process */ }

int listener_open(const char *run_dir, const char *service, const link_config_t *c,
                  shim_listener_t **out, shim_err_t *err) {
    shim_listener_t *ls = calloc(1, sizeof(*ls));
    if (!ls) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
    nipc_np_server_config_t *b = &ls->base;
    b->supported_profiles = c->supported_profiles;
    b->preferred_profiles = c->preferred_profiles;
    b->max_request_payload_bytes = c->max_request_payload;
    b->max_request_batch_items = c->max_request_batch;
    b->max_response_payload_bytes = c->max_response_payload;
    b->max_response_batch_items = c->max_response_batch;
    b->auth_token = c->auth_token;
    b->packet_size = c->packet_size;
    snprintf(ls->run_dir, sizeof(ls->run_dir), "%s", run_dir);
    snprintf(ls->service, sizeof(ls->service), "%s", service);
    nipc_np_error_t e = nipc_np_listen(run_dir, service, b, &ls->l);
    if (e != NIPC_NP_OK) { map_np(e, false, err); free(ls); return -1; }
    wchar_t w[NIPC_NP_MAX_PIPE_NAME];
    if (nipc_np_build_pipe_name(w, NIPC_NP_MAX_PIPE_NAME, run_dir, service) == 0)
        WideCharToMultiByte(CP_UTF8, 0, w, -1, ls->endpoint, sizeof(ls->endpoint), NULL, NULL);
    *out = ls;
    return 0;
}

const char *listener_endpoint(const shim_listener_t *l) { return l->endpoint; }

/* The library's accept waits for the client itself; the stop path ends the process. */
int listener_wait(shim_listener_t *l, uint32_t poll_ms) { (void)l; (void)poll_ms; return 1; }

int listener_accept(shim_listener_t *ls, uint64_t session_id, shim_link_t **out, shim_err_t *err) {
    shim_link_t *l = calloc(1, sizeof(*l));
    if (!l) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
    l->server = true;
    nipc_np_server_config_t cfg = ls->base;
    /* Regions for every offered SHM profile exist before the HELLO_ACK goes out, sized for
     * the largest proposal accepted; the one not selected is destroyed after. */
    nipc_win_shm_ctx_t prepared[2];
    bool have[2] = {false, false};
    const uint32_t profs[2] = {NIPC_WIN_SHM_PROFILE_HYBRID, NIPC_WIN_SHM_PROFILE_BUSYWAIT};
    uint32_t req = cfg.max_request_payload_bytes ? cfg.max_request_payload_bytes : NIPC_MAX_PAYLOAD_DEFAULT;
    uint32_t resp = cfg.max_response_payload_bytes ? cfg.max_response_payload_bytes : NIPC_MAX_PAYLOAD_DEFAULT;
    for (int i = 0; i < 2; i++) {
        if (!(cfg.supported_profiles & profs[i])) continue;
        memset(&prepared[i], 0, sizeof(prepared[i]));
        nipc_win_shm_error_t se = nipc_win_shm_server_create(ls->run_dir, ls->service, cfg.auth_token,
                                                             session_id, profs[i], req + NIPC_HEADER_LEN,
                                                             resp + NIPC_HEADER_LEN, &prepared[i]);
        if (se == NIPC_WIN_SHM_OK) {
            have[i] = true;
        } else {
            fprintf(stderr, "netipc-shim-c server: SHM region (profile %u) for session %llu: %s\n",
                    profs[i], (unsigned long long)session_id, wshm_name(se));
            cfg.supported_profiles &= ~profs[i];
            cfg.preferred_profiles &= ~profs[i];
        }
    }
    ls->l.config = cfg;
    nipc_np_error_t e = nipc_np_accept(&ls->l, session_id, &l->s);
    ls->l.config = ls->base;
    for (int i = 0; i < 2; i++) {
        if (!have[i]) continue;
        if (e == NIPC_NP_OK && l->s.selected_profile == profs[i]) {
            l->shm = prepared[i];
            l->has_shm = true;
        } else {
            nipc_win_shm_destroy(&prepared[i]);
        }
    }
    if (e != NIPC_NP_OK) { map_np(e, true, err); free(l); return -1; }
    if (alloc_buffers(l) != 0) {
        link_close(l);
        err_set(err, "System", NULL, "", EXIT_ENV, "out of memory");
        return -1;
    }
    *out = l;
    return 0;
}

void listener_close(shim_listener_t *l) {
    if (!l) return;
    nipc_np_close_listener(&l->l);
    free(l);
}

void listener_unlink(shim_listener_t *l) { (void)l; }
