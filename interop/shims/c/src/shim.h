/* netipc-shim-c: the suite's shim for the C implementation of netipc, written against the
 * library's public headers (netipc_protocol.h, L1 transports). Shared declarations. */
#ifndef SHIM_H
#define SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netipc/netipc_protocol.h"
#include "shim_config.h"

/* Exit codes of the shim contract (SHIM-EXIT-001). */
enum { EXIT_OK_ = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_ENV = 3, EXIT_UNSUPPORTED = 4,
       EXIT_REJECTED = 5 };

/* An error in the suite's names: `kind` a transport error kind, `rule` a codec rule (or
 * NULL), `requirement` the ID it reports, `text` the library's own words. */
typedef struct {
    const char *kind;
    const char *rule;
    const char *requirement;
    char text[256];
    int exit_code; /* what the client exits with when this error ends its run */
} shim_err_t;

void err_set(shim_err_t *e, const char *kind, const char *rule, const char *req, int exit_code,
             const char *fmt, ...);

enum service_kind { KIND_INCREMENT, KIND_STRING_REVERSE, KIND_SNAPSHOT, KIND_ECHO };

/* Every flag of the shim contract (spec/shim-contract.md). */
typedef struct {
    int role; /* 's' server, 'c' client */
    const char *transport;
    const char *run_dir;
    const char *service;
    const char *kind_name;
    enum service_kind kind;
    uint64_t auth_token;
    uint32_t profiles, preferred;
    uint32_t max_request_payload, max_response_payload, packet_size;
    uint32_t timeout_ms;
    uint32_t snapshot_items;
    uint64_t snapshot_seed;
    uint32_t echo_method;
    uint64_t sessions; /* 0 = forever */
    const char *scenario;
    uint64_t count;
    uint32_t items, depth;
    uint64_t size;
    uint32_t max_request_batch;
    const char *expect_error;
    uint64_t duration_ms; /* bench: measuring time */
    double rate;          /* bench: target requests/s, 0 = as fast as possible */
} shim_args_t;

/* The method code a service kind serves. */
uint16_t kind_method(const shim_args_t *a);

/* ---- L1 session wrapper (link_posix.c / link_win.c) ---- */

typedef struct shim_link shim_link_t;
typedef struct shim_listener shim_listener_t;

typedef struct {
    uint32_t profile;
    uint64_t session_id;
    uint32_t packet_size;
    uint32_t max_request_payload, max_request_batch;
    uint32_t max_response_payload, max_response_batch;
} link_info_t;

typedef struct {
    uint32_t supported_profiles, preferred_profiles;
    uint32_t max_request_payload, max_request_batch;
    uint32_t max_response_payload, max_response_batch;
    uint64_t auth_token;
    uint32_t packet_size;
} link_config_t;

/* The packet size the transport would choose by itself (UDS-PKT-001). */
uint32_t link_native_packet_size(void);

/* Client: connect, handshake and (for a shared-memory profile) attach. 0 on success. */
int link_connect(const char *run_dir, const char *service, const link_config_t *cfg,
                 uint32_t timeout_ms, shim_link_t **out, shim_err_t *err);
/* Called by link_connect for each failed shared-memory attach (the client then connects
 * again without shared memory, as the library's L2 client does). */
void link_note_attach_failure(const shim_err_t *e);
/* Sends one message; hdr's kind/code/flags/item_count/message_id are the caller's. */
int link_send(shim_link_t *l, nipc_header_t *hdr, const void *payload, size_t len, shim_err_t *err);
/* Receives one message (waiting at most timeout_ms, 0 = no limit). The payload stays valid
 * until the next receive. Returns 0, or -1 with err set; -2 when `stop` became true while
 * waiting (servers only). */
int link_recv(shim_link_t *l, uint32_t timeout_ms, volatile int *stop, nipc_header_t *hdr,
              const uint8_t **payload, size_t *len, shim_err_t *err);
void link_get_info(const shim_link_t *l, link_info_t *out);
bool link_is_shm(const shim_link_t *l);
void link_close(shim_link_t *l);
/* Ends a session from another thread (its blocked receive returns). */
void link_interrupt(shim_link_t *l);
/* Removes the session's region file now (stop path: no unmapping while others run). */
void link_unlink_files(shim_link_t *l);

int listener_open(const char *run_dir, const char *service, const link_config_t *cfg,
                  shim_listener_t **out, shim_err_t *err);
const char *listener_endpoint(const shim_listener_t *l);
/* Waits up to poll_ms for a connection; 1 = one is pending, 0 = none, -1 = error. */
int listener_wait(shim_listener_t *l, uint32_t poll_ms);
/* Accepts one connection and runs the library's handshake; the SHM region of the session
 * is prepared first when the server offers a shared-memory profile. 0 on success. */
int listener_accept(shim_listener_t *l, uint64_t session_id, shim_link_t **out, shim_err_t *err);
void listener_close(shim_listener_t *l);
/* Unlinks the endpoint now (stop path). */
void listener_unlink(shim_listener_t *l);

/* Roles. */
int run_server(const shim_args_t *a);
int run_client(const shim_args_t *a);
int run_codec(void);

#endif
