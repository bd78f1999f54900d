/* L1 sessions on POSIX: the library's UDS SEQPACKET transport (netipc_uds.h) and, when the
 * handshake selects a shared-memory profile, its SHM region (netipc_shm.h). */
#include "shim.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netipc/netipc_shm.h"
#include "netipc/netipc_uds.h"

#define SHM_PROFILES (NIPC_PROFILE_SHM_HYBRID | NIPC_PROFILE_SHM_FUTEX)

struct shim_link {
    nipc_uds_session_t s;
    nipc_shm_ctx_t shm;
    bool has_shm;
    bool server;
    uint8_t *rbuf;
    size_t rbuf_size;
    uint8_t *sbuf;
    size_t sbuf_size;
};

struct shim_listener {
    nipc_uds_listener_t l;
    nipc_uds_server_config_t base;
    char run_dir[512];
    char service[256];
    char endpoint[512];
    char pending[256]; /* region prepared for the handshake in progress */
};

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* Poll that retries EINTR (the one wrapper every wait goes through). */
static int poll_retry(struct pollfd *p, nfds_t n, int timeout_ms) {
    for (;;) {
        int r = poll(p, n, timeout_ms);
        if (r >= 0 || errno != EINTR) return r;
    }
}

static const char *uds_name(nipc_uds_error_t e) {
    switch (e) {
    case NIPC_UDS_OK: return "OK";
    case NIPC_UDS_ERR_PATH_TOO_LONG: return "NIPC_UDS_ERR_PATH_TOO_LONG";
    case NIPC_UDS_ERR_SOCKET: return "NIPC_UDS_ERR_SOCKET";
    case NIPC_UDS_ERR_CONNECT: return "NIPC_UDS_ERR_CONNECT";
    case NIPC_UDS_ERR_ACCEPT: return "NIPC_UDS_ERR_ACCEPT";
    case NIPC_UDS_ERR_SEND: return "NIPC_UDS_ERR_SEND";
    case NIPC_UDS_ERR_RECV: return "NIPC_UDS_ERR_RECV";
    case NIPC_UDS_ERR_HANDSHAKE: return "NIPC_UDS_ERR_HANDSHAKE";
    case NIPC_UDS_ERR_AUTH_FAILED: return "NIPC_UDS_ERR_AUTH_FAILED";
    case NIPC_UDS_ERR_NO_PROFILE: return "NIPC_UDS_ERR_NO_PROFILE";
    case NIPC_UDS_ERR_INCOMPATIBLE: return "NIPC_UDS_ERR_INCOMPATIBLE";
    case NIPC_UDS_ERR_PROTOCOL: return "NIPC_UDS_ERR_PROTOCOL";
    case NIPC_UDS_ERR_ADDR_IN_USE: return "NIPC_UDS_ERR_ADDR_IN_USE";
    case NIPC_UDS_ERR_CHUNK: return "NIPC_UDS_ERR_CHUNK";
    case NIPC_UDS_ERR_ALLOC: return "NIPC_UDS_ERR_ALLOC";
    case NIPC_UDS_ERR_LIMIT_EXCEEDED: return "NIPC_UDS_ERR_LIMIT_EXCEEDED";
    case NIPC_UDS_ERR_BAD_PARAM: return "NIPC_UDS_ERR_BAD_PARAM";
    case NIPC_UDS_ERR_DUPLICATE_MSG_ID: return "NIPC_UDS_ERR_DUPLICATE_MSG_ID";
    case NIPC_UDS_ERR_UNKNOWN_MSG_ID: return "NIPC_UDS_ERR_UNKNOWN_MSG_ID";
#if SHIM_HAVE_RECEIVE_TIMEOUT
    case NIPC_UDS_ERR_TIMEOUT: return "NIPC_UDS_ERR_TIMEOUT";
    case NIPC_UDS_ERR_ABORTED: return "NIPC_UDS_ERR_ABORTED";
#endif
    }
    return "NIPC_UDS_ERR_?";
}

/* Maps a library UDS error onto the suite's names. `handshake` says the error came from
 * connect (where AUTH_FAILED & co. are the server's HELLO_ACK status). */
static void map_uds(nipc_uds_error_t e, bool handshake, int sys_errno, shim_err_t *err) {
    const char *n = uds_name(e);
    switch (e) {
    case NIPC_UDS_ERR_PATH_TOO_LONG:
        err_set(err, "PathTooLong", NULL, "UDS-SUN-001", EXIT_ENV, "%s", n); return;
    case NIPC_UDS_ERR_BAD_PARAM:
        err_set(err, "BadParameter", NULL, "UDS-NAME-001", EXIT_USAGE, "%s", n); return;
    case NIPC_UDS_ERR_SOCKET: case NIPC_UDS_ERR_ACCEPT: case NIPC_UDS_ERR_ALLOC:
        err_set(err, "System", NULL, "", EXIT_ENV, "%s (%s)", n, strerror(sys_errno)); return;
    case NIPC_UDS_ERR_CONNECT:
        err_set(err, "NotFound", NULL, "UDS-CONNECT-001", EXIT_ENV, "%s (%s)", n,
                strerror(sys_errno));
        return;
    case NIPC_UDS_ERR_ADDR_IN_USE:
        err_set(err, "AddressInUse", NULL, "UDS-LIVE-001", EXIT_ENV, "%s", n); return;
    case NIPC_UDS_ERR_SEND: case NIPC_UDS_ERR_RECV:
        err_set(err, "PeerClosed", NULL, "UDS-EOF-001", EXIT_FAILED, "%s", n); return;
    case NIPC_UDS_ERR_AUTH_FAILED:
        err_set(err, "Rejected", "AckRejectedAuth", "HS-CLI-STATUS-001", EXIT_REJECTED, "%s", n);
        return;
    case NIPC_UDS_ERR_NO_PROFILE:
        err_set(err, "Rejected", "AckRejectedUnsupported", "HS-CLI-STATUS-002", EXIT_REJECTED,
                "%s", n);
        return;
    case NIPC_UDS_ERR_INCOMPATIBLE:
        /* The library also reports an ACK it cannot decode as INCOMPATIBLE. */
        err_set(err, "Rejected", "AckRejectedIncompatible", "HS-CLI-STATUS-003", EXIT_REJECTED,
                "%s", n);
        return;
    case NIPC_UDS_ERR_HANDSHAKE:
        err_set(err, "Rejected", "AckRejectedOther", "HS-CLI-STATUS-005", EXIT_REJECTED, "%s", n);
        return;
    case NIPC_UDS_ERR_LIMIT_EXCEEDED:
        if (handshake)
            err_set(err, "Rejected", "AckRejectedLimit", "HS-CLI-STATUS-004", EXIT_REJECTED,
                    "%s", n);
        else
            err_set(err, "LimitExceeded", NULL, "ENV-LIMIT-001", EXIT_FAILED, "%s", n);
        return;
    case NIPC_UDS_ERR_DUPLICATE_MSG_ID:
        err_set(err, "Protocol", "DuplicateMessageId", "SESS-MSGID-001", EXIT_FAILED, "%s", n);
        return;
    case NIPC_UDS_ERR_UNKNOWN_MSG_ID:
        err_set(err, "Protocol", "UnknownMessageId", "SESS-MSGID-002", EXIT_FAILED, "%s", n);
        return;
#if SHIM_HAVE_RECEIVE_TIMEOUT
    case NIPC_UDS_ERR_TIMEOUT: case NIPC_UDS_ERR_ABORTED:
        err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED, "%s", n); return;
#endif
    case NIPC_UDS_ERR_PROTOCOL: case NIPC_UDS_ERR_CHUNK: default:
        err_set(err, handshake ? "HandshakeFailed" : "Protocol", NULL, "", EXIT_FAILED, "%s", n);
        return;
    }
}

static const char *shm_name(nipc_shm_error_t e) {
    static const char *names[] = {"OK", "NIPC_SHM_ERR_PATH_TOO_LONG", "NIPC_SHM_ERR_OPEN",
        "NIPC_SHM_ERR_TRUNCATE", "NIPC_SHM_ERR_MMAP", "NIPC_SHM_ERR_BAD_MAGIC",
        "NIPC_SHM_ERR_BAD_VERSION", "NIPC_SHM_ERR_BAD_HEADER", "NIPC_SHM_ERR_BAD_SIZE",
        "NIPC_SHM_ERR_ADDR_IN_USE", "NIPC_SHM_ERR_NOT_READY", "NIPC_SHM_ERR_MSG_TOO_LARGE",
        "NIPC_SHM_ERR_TIMEOUT", "NIPC_SHM_ERR_BAD_PARAM", "NIPC_SHM_ERR_PEER_DEAD",
        "NIPC_SHM_ERR_ALLOCATE"};
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "NIPC_SHM_ERR_?";
}

static void map_shm(nipc_shm_error_t e, shim_err_t *err) {
    const char *n = shm_name(e);
    switch (e) {
    case NIPC_SHM_ERR_PATH_TOO_LONG:
        err_set(err, "PathTooLong", NULL, "UDS-SUN-001", EXIT_ENV, "%s", n); return;
    case NIPC_SHM_ERR_OPEN: case NIPC_SHM_ERR_MMAP:
        err_set(err, "ShmOpen", NULL, "SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_NOT_READY:
        err_set(err, "ShmNotReady", NULL, "SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_BAD_MAGIC:
        err_set(err, "ShmBadMagic", NULL, "SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_BAD_VERSION:
        err_set(err, "ShmBadVersion", NULL, "SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_BAD_HEADER:
        err_set(err, "ShmBadHeader", NULL, "SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_BAD_SIZE:
        err_set(err, "ShmBadSize", NULL, "SHM-ATTACH-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_ADDR_IN_USE:
        err_set(err, "AddressInUse", NULL, "UDS-LIVE-001", EXIT_ENV, "%s", n); return;
    case NIPC_SHM_ERR_MSG_TOO_LARGE:
        err_set(err, "ShmMessageTooLarge", NULL, "SHM-PUB-002", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_TIMEOUT:
        err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED, "%s", n); return;
    case NIPC_SHM_ERR_PEER_DEAD:
        err_set(err, "PeerClosed", NULL, "UDS-EOF-001", EXIT_FAILED, "%s", n); return;
    default:
        err_set(err, "ShmCreate", NULL, "SHM-CREATE-001", EXIT_ENV, "%s", n); return;
    }
}

static nipc_uds_client_config_t client_cfg(const link_config_t *c) {
    nipc_uds_client_config_t u;
    memset(&u, 0, sizeof(u));
    u.supported_profiles = c->supported_profiles;
    u.preferred_profiles = c->preferred_profiles;
    u.max_request_payload_bytes = c->max_request_payload;
    u.max_request_batch_items = c->max_request_batch;
    u.max_response_payload_bytes = c->max_response_payload;
    u.max_response_batch_items = c->max_response_batch;
    u.auth_token = c->auth_token;
    u.packet_size = c->packet_size;
    return u;
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

int link_connect(const char *run_dir, const char *service, const link_config_t *cfg,
                 uint32_t timeout_ms, shim_link_t **out, shim_err_t *err) {
    nipc_uds_client_config_t u = client_cfg(cfg);
    for (;;) {
        shim_link_t *l = calloc(1, sizeof(*l));
        if (!l) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
        l->s.fd = -1;
        errno = 0;
        nipc_uds_error_t e = nipc_uds_connect(run_dir, service, &u, &l->s);
        if (e != NIPC_UDS_OK) {
            map_uds(e, true, errno, err);
            free(l);
            return -1;
        }
        if (l->s.selected_profile & SHM_PROFILES) {
            /* The library's own client retries the attach for up to 5 s while the region is
             * not there yet (or not initialised); here also never beyond --timeout-ms. */
            uint64_t deadline = now_ms() + ((timeout_ms && timeout_ms < 5000) ? timeout_ms : 5000);
            nipc_shm_error_t se;
            for (;;) {
                se = nipc_shm_client_attach(run_dir, service, l->s.session_id, &l->shm);
                if (se == NIPC_SHM_OK) break;
                if ((se != NIPC_SHM_ERR_NOT_READY && se != NIPC_SHM_ERR_OPEN &&
                     se != NIPC_SHM_ERR_BAD_MAGIC) || now_ms() >= deadline)
                    break;
                sleep_ms(5);
            }
            if (se != NIPC_SHM_OK) {
                /* As the library's L2 client does: close, stop offering shared memory and
                 * connect again over the baseline transport. */
                shim_err_t ae;
                map_shm(se, &ae);
                link_note_attach_failure(&ae);
                nipc_uds_close_session(&l->s);
                free(l);
                u.supported_profiles &= ~SHM_PROFILES;
                u.preferred_profiles &= ~SHM_PROFILES;
                if (u.supported_profiles == 0) {
                    *err = ae;
                    return -1;
                }
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

int link_send(shim_link_t *l, nipc_header_t *hdr, const void *payload, size_t len,
              shim_err_t *err) {
    hdr->magic = NIPC_MAGIC_MSG;
    hdr->version = NIPC_VERSION;
    hdr->header_len = NIPC_HEADER_LEN;
    hdr->payload_len = (uint32_t)len;
    if (!l->has_shm) {
        nipc_uds_error_t e = nipc_uds_send(&l->s, hdr, payload, len);
        if (e != NIPC_UDS_OK) {
            if (e == NIPC_UDS_ERR_LIMIT_EXCEEDED)
                err_set(err, "LimitExceeded", "OutboundPayloadOverLimit", "ENV-LIMIT-003",
                        EXIT_FAILED, "%s", uds_name(e));
            else
                map_uds(e, false, errno, err);
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
    nipc_shm_error_t se = nipc_shm_send(&l->shm, l->sbuf, total);
    if (se != NIPC_SHM_OK) { map_shm(se, err); return -1; }
    return 0;
}

/* True when the peer of the session's socket has closed it. */
static bool peer_gone(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll_retry(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0;
}

int link_recv(shim_link_t *l, uint32_t timeout_ms, volatile int *stop, nipc_header_t *hdr,
              const uint8_t **payload, size_t *len, shim_err_t *err) {
    uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;
    if (l->has_shm) {
        for (;;) {
            size_t msg_len = 0;
            nipc_shm_error_t se = nipc_shm_receive(&l->shm, l->rbuf, l->rbuf_size, &msg_len, 100);
            if (se == NIPC_SHM_OK) {
                nipc_error_t pe = nipc_header_decode(l->rbuf, msg_len, hdr);
                if (pe != NIPC_OK) {
                    err_set(err, "Protocol", NULL, "", EXIT_FAILED,
                            "nipc_header_decode failed (%d) on a %zu-byte SHM message", (int)pe,
                            msg_len);
                    return -1;
                }
                *payload = l->rbuf + NIPC_HEADER_LEN;
                *len = msg_len - NIPC_HEADER_LEN;
                return 0;
            }
            if (se != NIPC_SHM_ERR_TIMEOUT) { map_shm(se, err); return -1; }
            if (stop && *stop) return -2;
            if (peer_gone(l->s.fd)) {
                err_set(err, "PeerClosed", NULL, "UDS-EOF-001", EXIT_FAILED,
                        "the session socket closed while waiting on the SHM region");
                return -1;
            }
            if (deadline && now_ms() >= deadline) {
                err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED,
                        "no message within %u ms", timeout_ms);
                return -1;
            }
        }
    }
    /* Wait for the first packet here so a stop request or a deadline is noticed; the
     * library then reads the whole message. */
    for (;;) {
        int slice = 100;
        if (deadline) {
            uint64_t now = now_ms();
            if (now >= deadline) {
                err_set(err, "Timeout", NULL, "UDS-TIMEOUT-001", EXIT_FAILED,
                        "no message within %u ms", timeout_ms);
                return -1;
            }
            if (deadline - now < (uint64_t)slice) slice = (int)(deadline - now);
        }
        struct pollfd p = {l->s.fd, POLLIN, 0};
        int r = poll_retry(&p, 1, stop ? slice : (deadline ? slice : -1));
        if (r < 0) { err_set(err, "System", NULL, "", EXIT_ENV, "poll: %s", strerror(errno)); return -1; }
        if (r > 0) break;
        if (stop && *stop) return -2;
    }
    const void *pl = NULL;
    errno = 0;
#if SHIM_HAVE_RECEIVE_TIMEOUT
    uint32_t rest = 0;
    if (deadline) {
        uint64_t now = now_ms();
        rest = now < deadline ? (uint32_t)(deadline - now) : 1;
    }
    nipc_uds_error_t e = nipc_uds_receive_timeout(&l->s, l->rbuf, l->rbuf_size, hdr, &pl, len,
                                                  rest, -1);
#else
    nipc_uds_error_t e = nipc_uds_receive(&l->s, l->rbuf, l->rbuf_size, hdr, &pl, len);
#endif
    if (e != NIPC_UDS_OK) {
        map_uds(e, false, errno, err);
        return -1;
    }
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
        if (l->server) nipc_shm_destroy(&l->shm);
        else nipc_shm_close(&l->shm);
    }
    nipc_uds_close_session(&l->s);
    free(l->rbuf);
    free(l->sbuf);
    free(l);
}

void link_interrupt(shim_link_t *l) {
    if (l && l->s.fd >= 0) shutdown(l->s.fd, SHUT_RDWR);
}

void link_unlink_files(shim_link_t *l) {
    if (l && l->has_shm && l->server && l->shm.path[0]) unlink(l->shm.path);
}

/* ---- server ---- */

int listener_open(const char *run_dir, const char *service, const link_config_t *cfg,
                  shim_listener_t **out, shim_err_t *err) {
    shim_listener_t *ls = calloc(1, sizeof(*ls));
    if (!ls) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
    nipc_uds_server_config_t *b = &ls->base;
    b->supported_profiles = cfg->supported_profiles;
    b->preferred_profiles = cfg->preferred_profiles;
    b->max_request_payload_bytes = cfg->max_request_payload;
    b->max_request_batch_items = cfg->max_request_batch;
    b->max_response_payload_bytes = cfg->max_response_payload;
    b->max_response_batch_items = cfg->max_response_batch;
    b->auth_token = cfg->auth_token;
    b->packet_size = cfg->packet_size;
    snprintf(ls->run_dir, sizeof(ls->run_dir), "%s", run_dir);
    snprintf(ls->service, sizeof(ls->service), "%s", service);
    if (cfg->supported_profiles & SHM_PROFILES) nipc_shm_cleanup_stale(run_dir, service);
    errno = 0;
    nipc_uds_error_t e = nipc_uds_listen(run_dir, service, b, &ls->l);
    if (e != NIPC_UDS_OK) {
        map_uds(e, false, errno, err);
        if (e == NIPC_UDS_ERR_PROTOCOL) err->exit_code = EXIT_ENV;
        free(ls);
        return -1;
    }
    snprintf(ls->endpoint, sizeof(ls->endpoint), "%s", ls->l.path);
    *out = ls;
    return 0;
}

const char *listener_endpoint(const shim_listener_t *l) { return l->endpoint; }

int listener_wait(shim_listener_t *l, uint32_t poll_ms) {
    struct pollfd p = {l->l.fd, POLLIN, 0};
    int r = poll_retry(&p, 1, (int)poll_ms);
    if (r < 0) return -1;
    if (r > 0 && (p.revents & (POLLERR | POLLNVAL))) return -1;
    return r > 0;
}

int listener_accept(shim_listener_t *ls, uint64_t session_id, shim_link_t **out,
                    shim_err_t *err) {
    shim_link_t *l = calloc(1, sizeof(*l));
    if (!l) { err_set(err, "System", NULL, "", EXIT_ENV, "out of memory"); return -1; }
    l->server = true;
    l->s.fd = -1;
    nipc_uds_server_config_t cfg = ls->base;
    uint32_t shm_offered = cfg.supported_profiles & SHM_PROFILES;
    if (shm_offered) {
        /* The region must exist before the client reads the HELLO_ACK and attaches, so it
         * is sized for the largest proposal this server accepts. */
        uint32_t req = cfg.max_request_payload_bytes ? cfg.max_request_payload_bytes
                                                     : NIPC_MAX_PAYLOAD_DEFAULT;
        uint32_t resp = cfg.max_response_payload_bytes ? cfg.max_response_payload_bytes
                                                       : NIPC_MAX_PAYLOAD_DEFAULT;
        nipc_shm_error_t se = nipc_shm_server_create(ls->run_dir, ls->service, session_id,
                                                     req + NIPC_HEADER_LEN,
                                                     resp + NIPC_HEADER_LEN, &l->shm);
        if (se == NIPC_SHM_OK) {
            l->has_shm = true;
            snprintf(ls->pending, sizeof(ls->pending), "%s", l->shm.path);
        } else {
            fprintf(stderr, "netipc-shim-c server: SHM region for session %llu: %s\n",
                    (unsigned long long)session_id, shm_name(se));
            cfg.supported_profiles &= ~SHM_PROFILES;
            cfg.preferred_profiles &= ~SHM_PROFILES;
        }
    }
    ls->l.config = cfg;
    errno = 0;
    nipc_uds_error_t e = nipc_uds_accept(&ls->l, session_id, &l->s);
    ls->l.config = ls->base;
    ls->pending[0] = 0;
    if (e != NIPC_UDS_OK) {
        map_uds(e, true, errno, err);
        if (l->has_shm) nipc_shm_destroy(&l->shm);
        free(l);
        return -1;
    }
    if (l->has_shm && !(l->s.selected_profile & SHM_PROFILES)) {
        nipc_shm_destroy(&l->shm);
        l->has_shm = false;
    }
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
    nipc_uds_close_listener(&l->l);
    free(l);
}

void listener_unlink(shim_listener_t *l) {
    if (!l) return;
    if (l->l.fd >= 0) shutdown(l->l.fd, SHUT_RDWR);
    if (l->endpoint[0]) unlink(l->endpoint);
    if (l->pending[0]) unlink(l->pending);
}

uint32_t link_native_packet_size(void) {
    /* What the library detects when the packet size is 0: the socket's send buffer. */
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    int v = 0;
    socklen_t vl = sizeof(v);
    if (fd < 0) return 65536;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &vl) != 0 || v <= 0) v = 65536;
    close(fd);
    return (uint32_t)v;
}
