/* The server role: the library's L1 listener and handshake, one thread per session, and the
 * service answered through the library's dispatch helpers. The session policy follows the
 * library's own managed server: a request for another method is answered UNSUPPORTED and
 * the session goes on; an item that does not decode (BAD_ENVELOPE), an answer that does not
 * fit (LIMIT_EXCEEDED) or a failed handler (INTERNAL_ERROR) is answered and the session is
 * closed; a message that is not a request, or any receive error, closes the session. */
#include "plat.h"
#include "shim.h"
#include "workload.h"
#include "json.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif

static volatile int g_stop;
static const shim_args_t *g_args;
static snapshot_t g_snap;
static shim_listener_t *g_listener;

#define MAX_LIVE 256
static plat_mutex_t g_lock;
static shim_link_t *g_live[MAX_LIVE];
static int g_active;       /* session threads running */
static int g_accept_done;  /* the accept loop has returned */

static void live_add(shim_link_t *l) {
    plat_lock(&g_lock);
    for (int i = 0; i < MAX_LIVE; i++)
        if (!g_live[i]) { g_live[i] = l; break; }
    plat_unlock(&g_lock);
}

static void live_remove(shim_link_t *l) {
    plat_lock(&g_lock);
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live[i] == l) g_live[i] = NULL;
    g_active--;
    plat_unlock(&g_lock);
}

static int send_status(shim_link_t *l, const nipc_header_t *req, uint16_t status) {
    nipc_header_t h;
    memset(&h, 0, sizeof(h));
    h.kind = NIPC_KIND_RESPONSE;
    h.code = req->code;
    h.message_id = req->message_id;
    h.transport_status = status;
    h.item_count = 1;
    shim_err_t e;
    return link_send(l, &h, NULL, 0, &e);
}

/* Answers one request; returns false when the session must end. */
static bool handle_request(shim_link_t *l, const link_info_t *info, const nipc_header_t *req,
                           const uint8_t *payload, size_t len, uint8_t *out, uint8_t *item,
                           size_t cap) {
    if (req->code != kind_method(g_args)) {
        send_status(l, req, NIPC_STATUS_UNSUPPORTED);
        return true;
    }
    nipc_header_t resp;
    memset(&resp, 0, sizeof(resp));
    resp.kind = NIPC_KIND_RESPONSE;
    resp.code = req->code;
    resp.message_id = req->message_id;
    size_t out_len = 0;
    uint16_t status = NIPC_STATUS_OK;
    if (req->flags & NIPC_FLAG_BATCH) {
        uint32_t n = req->item_count;
        nipc_batch_builder_t b;
        nipc_batch_builder_init(&b, out, cap, n);
        for (uint32_t i = 0; i < n && status == NIPC_STATUS_OK; i++) {
            const void *ip = NULL;
            uint32_t il = 0;
            if (nipc_batch_item_get(payload, len, n, i, &ip, &il) != NIPC_OK) {
                status = NIPC_STATUS_BAD_ENVELOPE;
                break;
            }
            size_t ol = 0;
            status = wl_serve(g_args, &g_snap, ip, il, item, cap, &ol);
            if (status == NIPC_STATUS_OK && nipc_batch_builder_add(&b, item, ol) != NIPC_OK)
                status = NIPC_STATUS_LIMIT_EXCEEDED;
        }
        if (status == NIPC_STATUS_OK) {
            uint32_t count = 0;
            out_len = n ? nipc_batch_builder_finish(&b, &count) : 0;
            resp.flags = NIPC_FLAG_BATCH;
            resp.item_count = n;
        }
    } else {
        status = wl_serve(g_args, &g_snap, payload, len, out, cap, &out_len);
        resp.item_count = 1;
    }
    (void)info;
    if (status != NIPC_STATUS_OK) {
        send_status(l, req, status);
        return false;
    }
    resp.transport_status = NIPC_STATUS_OK;
    shim_err_t e;
    if (link_send(l, &resp, out, out_len, &e) != 0) {
        fprintf(stderr, "netipc-shim-c server: send failed: %s %s\n", e.kind, e.text);
        return false;
    }
    return true;
}

static void *session_main(void *arg) {
    shim_link_t *l = arg;
    link_info_t info;
    link_get_info(l, &info);
    size_t cap = info.max_response_payload ? info.max_response_payload : NIPC_MAX_PAYLOAD_DEFAULT;
    uint8_t *out = malloc(cap + 8);
    uint8_t *item = malloc(cap + 8);
    while (out && item && !g_stop) {
        nipc_header_t h;
        memset(&h, 0, sizeof(h));
        const uint8_t *p = NULL;
        size_t n = 0;
        shim_err_t e;
        memset(&e, 0, sizeof(e));
        int r = link_recv(l, 0, &g_stop, &h, &p, &n, &e);
        if (r == -2) break;
        if (r != 0) {
            if (e.kind && !strcmp(e.kind, "LimitExceeded") && h.kind == NIPC_KIND_REQUEST)
                send_status(l, &h, NIPC_STATUS_LIMIT_EXCEEDED);
            if (e.kind && strcmp(e.kind, "PeerClosed"))
                fprintf(stderr, "netipc-shim-c server: session %llu ends: %s %s\n",
                        (unsigned long long)info.session_id, e.kind, e.text);
            break;
        }
        if (h.kind != NIPC_KIND_REQUEST) {
            fprintf(stderr, "netipc-shim-c server: session %llu ends: message kind %u\n",
                    (unsigned long long)info.session_id, h.kind);
            break;
        }
        if (!handle_request(l, &info, &h, p, n, out, item, cap)) break;
    }
    free(out);
    free(item);
    /* Off the live list before closing, so a stop never touches a closed session; counted
     * as ended only once closed, so the process never exits halfway through a close. */
    plat_lock(&g_lock);
    for (int i = 0; i < MAX_LIVE; i++)
        if (g_live[i] == l) g_live[i] = NULL;
    plat_unlock(&g_lock);
    link_close(l);
    plat_lock(&g_lock);
    g_active--;
    plat_unlock(&g_lock);
    return NULL;
}

static void *accept_main(void *arg) {
    (void)arg;
    uint64_t accepted = 0, next_id = 1;
    while (!g_stop && (g_args->sessions == 0 || accepted < g_args->sessions)) {
        int r = listener_wait(g_listener, 100);
        if (r < 0) {
            if (!g_stop) fprintf(stderr, "netipc-shim-c server: listener failed\n");
            break;
        }
        if (r == 0) continue;
        shim_link_t *l = NULL;
        shim_err_t e;
        memset(&e, 0, sizeof(e));
        int rc = listener_accept(g_listener, next_id++, &l, &e);
        if (g_stop) { if (rc == 0) link_close(l); break; }
        accepted++;
        if (rc != 0) {
            fprintf(stderr, "netipc-shim-c server: handshake refused or failed: %s/%s %s\n",
                    e.kind, e.rule ? e.rule : "-", e.text);
            continue;
        }
        plat_lock(&g_lock);
        g_active++;
        plat_unlock(&g_lock);
        live_add(l);
        if (plat_thread_start(session_main, l) != 0) {
            live_remove(l);
            link_close(l);
        }
    }
    plat_lock(&g_lock);
    g_accept_done = 1;
    plat_unlock(&g_lock);
    return NULL;
}

static int active_sessions(void) {
    plat_lock(&g_lock);
    int n = g_active;
    plat_unlock(&g_lock);
    return n;
}

#if defined(_WIN32)
static HANDLE g_stop_event;

static BOOL WINAPI on_console(DWORD ev) {
    if (ev == CTRL_C_EVENT || ev == CTRL_BREAK_EVENT || ev == CTRL_CLOSE_EVENT) {
        g_stop = 1;
        return TRUE;
    }
    return FALSE;
}

static void *stop_watch(void *arg) {
    (void)arg;
    if (WaitForSingleObject(g_stop_event, INFINITE) == WAIT_OBJECT_0) g_stop = 1;
    return NULL;
}

static int install_stop(void) {
    SetConsoleCtrlHandler(on_console, TRUE);
    wchar_t name[64];
    swprintf(name, 64, L"Local\\netipc-shim-stop-%lu", (unsigned long)GetCurrentProcessId());
    g_stop_event = CreateEventW(NULL, TRUE, FALSE, name);
    if (!g_stop_event) return -1;
    return plat_thread_start(stop_watch, NULL);
}
#else
static sigset_t g_sigs;

static void *signal_watch(void *arg) {
    (void)arg;
    int sig = 0;
    sigwait(&g_sigs, &sig);
    g_stop = 1;
    return NULL;
}

static int install_stop(void) {
    sigemptyset(&g_sigs);
    sigaddset(&g_sigs, SIGTERM);
    sigaddset(&g_sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &g_sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    return plat_thread_start(signal_watch, NULL);
}
#endif

int run_server(const shim_args_t *a) {
    g_args = a;
#if defined(_WIN32)
    if (a->transport && strcmp(a->transport, "pipe") != 0) {
        fprintf(stderr, "netipc-shim-c: transport %s is not available on Windows\n", a->transport);
        return EXIT_UNSUPPORTED;
    }
#else
    if (a->transport && strcmp(a->transport, "uds") != 0) {
        fprintf(stderr, "netipc-shim-c: transport %s is not available on POSIX\n", a->transport);
        return EXIT_UNSUPPORTED;
    }
#endif
    if (a->kind == KIND_SNAPSHOT && snapshot_generate(a->snapshot_seed, a->snapshot_items, &g_snap) != 0) {
        fprintf(stderr, "netipc-shim-c: out of memory for the snapshot\n");
        return EXIT_ENV;
    }
    plat_mutex_init(&g_lock);
    if (install_stop() != 0) {
        fprintf(stderr, "netipc-shim-c: cannot install the stop handler\n");
        return EXIT_ENV;
    }
    link_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.supported_profiles = a->profiles;
    cfg.preferred_profiles = a->preferred;
    cfg.max_request_payload = a->max_request_payload;
    cfg.max_response_payload = a->max_response_payload;
    /* The contract has no server batch flag; the library echoes the client's proposal. */
    cfg.max_request_batch = 0;
    cfg.max_response_batch = 0;
    cfg.auth_token = a->auth_token;
    cfg.packet_size = a->packet_size;
    shim_err_t e;
    memset(&e, 0, sizeof(e));
    if (listener_open(a->run_dir, a->service, &cfg, &g_listener, &e) != 0) {
        fprintf(stderr, "netipc-shim-c server: cannot listen: %s %s\n", e.kind, e.text);
        return e.exit_code ? e.exit_code : EXIT_ENV;
    }
    jbuf_t b;
    jb_init(&b);
    jb_obj_begin(&b);
#if defined(_WIN32)
    jb_key(&b, "pid"); jb_u64(&b, (uint64_t)GetCurrentProcessId());
#else
    jb_key(&b, "pid"); jb_u64(&b, (uint64_t)getpid());
#endif
    jb_key(&b, "profiles"); jb_u64(&b, a->profiles);
    jb_key(&b, "role"); jb_str(&b, "server");
    jb_key(&b, "service"); jb_str(&b, a->service);
    jb_key(&b, "service_kind"); jb_str(&b, a->kind_name);
    jb_key(&b, "socket"); jb_str(&b, listener_endpoint(g_listener));
    jb_obj_end(&b);
    printf("READY %s\n", b.p);
    fflush(stdout);
    jb_free(&b);

    if (plat_thread_start(accept_main, NULL) != 0) {
        listener_close(g_listener);
        return EXIT_ENV;
    }
    /* Wait for a stop request, or for the accept loop to finish its --sessions and every
     * session to end. */
    for (;;) {
        plat_lock(&g_lock);
        bool done = g_accept_done && g_active == 0;
        plat_unlock(&g_lock);
        if (done || g_stop) break;
        plat_sleep_ms(20);
    }
    if (g_stop) {
        plat_lock(&g_lock);
        for (int i = 0; i < MAX_LIVE; i++) link_interrupt(g_live[i]);
        plat_unlock(&g_lock);
#if defined(_WIN32)
        /* The accept thread waits in ConnectNamedPipe, which nothing here can end: only
         * the sessions are waited for. */
        const bool need_accept_done = false;
#else
        const bool need_accept_done = true;
#endif
        uint64_t until = plat_now_ms() + 2000;
        while (plat_now_ms() < until) {
            plat_lock(&g_lock);
            bool quiet = (g_accept_done || !need_accept_done) && g_active == 0;
            plat_unlock(&g_lock);
            if (quiet) break;
            plat_sleep_ms(10);
        }
        plat_lock(&g_lock);
        bool quiet = g_accept_done && g_active == 0;
        if (!quiet) {
            /* A session or a handshake is still blocked inside the library: remove what
             * this server owns on disk and leave without unwinding it. */
            for (int i = 0; i < MAX_LIVE; i++) link_unlink_files(g_live[i]);
            listener_unlink(g_listener);
            fprintf(stderr, "netipc-shim-c server: stopped with a blocked session\n");
            fflush(stderr);
#if defined(_WIN32)
            ExitProcess(0);
#else
            _exit(0);
#endif
        }
        plat_unlock(&g_lock);
    }
    listener_close(g_listener);
    snapshot_free(&g_snap);
    return 0;
}
