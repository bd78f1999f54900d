/* The codec testee's ops that the library performs only on a live connection, answered by
 * its own L1 code on a local socket: `decide` hands the HELLO packet to nipc_uds_accept and
 * reports what the server sent back; `check_ack` lets nipc_uds_connect read the ACK packet
 * and reports whether it accepted it; `chunked_message` lets nipc_uds_receive reassemble
 * the packets. The shim only carries bytes; every verdict is the library's. */
#include "shim.h"

#if !defined(_WIN32)
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "netipc/netipc_uds.h"

#include "handshake_probe.h"

static int send_retry(int fd, const void *p, size_t n) {
    for (;;) {
        ssize_t r = send(fd, p, n, MSG_NOSIGNAL);
        if (r >= 0) return 0;
        if (errno != EINTR) return -1;
    }
}

/* Waits up to ms for fd to be readable; 1 readable (or closed), 0 timeout. */
static int wait_readable(int fd, int ms) {
    struct pollfd p = {fd, POLLIN, 0};
    for (;;) {
        int r = poll(&p, 1, ms);
        if (r >= 0) return r > 0;
        if (errno != EINTR) return 0;
    }
}

int probe_decide(const nipc_uds_server_config_t *policy, uint64_t session_id,
                 const uint8_t *hello, size_t hello_len, probe_result_t *out) {
    memset(out, 0, sizeof(*out));
    int lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (lfd < 0) return -1;
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    /* An abstract address: nothing on disk. */
    int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "netipc-shim-c-%d", (int)getpid());
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(lfd, (struct sockaddr *)&a, alen) != 0 || listen(lfd, 1) != 0) { close(lfd); return -1; }
    int cfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, alen) != 0) {
        if (cfd >= 0) close(cfd);
        close(lfd);
        return -1;
    }
    send_retry(cfd, hello, hello_len);
    shutdown(cfd, SHUT_WR); /* a server wanting more reads end-of-stream, never blocks */
    nipc_uds_listener_t l;
    memset(&l, 0, sizeof(l));
    l.fd = lfd;
    l.config = *policy;
    nipc_uds_session_t s;
    memset(&s, 0, sizeof(s));
    nipc_uds_error_t e = nipc_uds_accept(&l, session_id, &s);
    out->accepted = e == NIPC_UDS_OK;
    out->lib_error = (int)e;
    if (wait_readable(cfd, 200)) {
        ssize_t r = recv(cfd, out->reply, sizeof(out->reply), MSG_DONTWAIT);
        if (r > 0) out->reply_len = (size_t)r;
    }
    if (out->accepted) nipc_uds_close_session(&s);
    close(cfd);
    close(lfd);
    return 0;
}

typedef struct {
    char dir[64];
    nipc_uds_client_config_t cfg;
    nipc_uds_session_t s;
    nipc_uds_error_t e;
    volatile int done;
} connect_job_t;

static void *connect_main(void *arg) {
    connect_job_t *j = arg;
    j->e = nipc_uds_connect(j->dir, "ack", &j->cfg, &j->s);
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

int probe_check_ack(const nipc_uds_client_config_t *hello, const uint8_t *ack, size_t ack_len,
                    probe_result_t *out) {
    memset(out, 0, sizeof(*out));
    connect_job_t *j = calloc(1, sizeof(*j));
    if (!j) return -1;
    snprintf(j->dir, sizeof(j->dir), "/tmp/netipc-shim-c-XXXXXX");
    if (!mkdtemp(j->dir)) { free(j); return -1; }
    char path[128];
    snprintf(path, sizeof(path), "%s/ack.sock", j->dir);
    int lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    int rc = -1;
    pthread_t t;
    bool started = false;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 1) != 0) goto out;
    j->cfg = *hello;
    if (pthread_create(&t, NULL, connect_main, j) != 0) goto out;
    started = true;
    if (!wait_readable(lfd, 2000)) goto out;
    int sfd = accept(lfd, NULL, NULL);
    if (sfd < 0) goto out;
    if (wait_readable(sfd, 2000)) {
        uint8_t buf[256];
        (void)recv(sfd, buf, sizeof(buf), MSG_DONTWAIT); /* the client's HELLO */
    }
    send_retry(sfd, ack, ack_len);
    for (int i = 0; i < 200 && !__atomic_load_n(&j->done, __ATOMIC_ACQUIRE); i++) usleep(10000);
    if (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) shutdown(sfd, SHUT_RDWR); /* still waiting: end it */
    pthread_join(t, NULL);
    started = false;
    close(sfd);
    out->accepted = j->e == NIPC_UDS_OK;
    out->lib_error = (int)j->e;
    if (out->accepted) nipc_uds_close_session(&j->s);
    rc = 0;
out:
    if (started) {
        shutdown(lfd, SHUT_RDWR);
        pthread_join(t, NULL);
        if (j->e == NIPC_UDS_OK) nipc_uds_close_session(&j->s);
    }
    if (lfd >= 0) close(lfd);
    unlink(path);
    rmdir(j->dir);
    free(j);
    return rc;
}

int probe_receive(const uint8_t *const *packets, const size_t *lens, size_t count,
                  uint32_t packet_size, uint32_t max_payload, uint32_t max_batch,
                  probe_receive_t *out) {
    memset(out, 0, sizeof(*out));
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) return -1;
    int big = 8 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    for (size_t i = 0; i < count; i++) send_retry(sv[1], packets[i], lens[i]);
    close(sv[1]); /* a receiver wanting more packets reads end-of-stream, never blocks */
    nipc_uds_session_t s;
    memset(&s, 0, sizeof(s));
    s.fd = sv[0];
    s.role = NIPC_UDS_ROLE_SERVER; /* no in-flight bookkeeping: the packets are judged alone */
    s.packet_size = packet_size;
    s.max_request_payload_bytes = s.max_response_payload_bytes = max_payload;
    s.max_request_batch_items = s.max_response_batch_items = max_batch;
    uint8_t *buf = malloc(packet_size ? packet_size : 65536);
    if (!buf) { nipc_uds_close_session(&s); return -1; }
    const void *pl = NULL;
    size_t pn = 0;
    nipc_uds_error_t e = nipc_uds_receive(&s, buf, packet_size ? packet_size : 65536, &out->hdr, &pl, &pn);
    if (e == NIPC_UDS_OK) {
        out->payload = malloc(pn ? pn : 1);
        if (out->payload && pn) memcpy(out->payload, pl, pn);
        out->payload_len = pn;
        /* Packets left over belong to no message: the session reads them as the next one. */
        char c;
        if (recv(sv[0], &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0) {
            nipc_header_t h2;
            nipc_uds_error_t e2 = nipc_uds_receive(&s, buf, packet_size ? packet_size : 65536, &h2, &pl, &pn);
            if (e2 != NIPC_UDS_OK) e = e2;
            out->leftover = true;
        }
    }
    out->ok = e == NIPC_UDS_OK;
    out->lib_error = (int)e;
    free(buf);
    nipc_uds_close_session(&s);
    return 0;
}
#endif
