/* Live-connection probes of the library's handshake (POSIX only). */
#ifndef SHIM_HANDSHAKE_PROBE_H
#define SHIM_HANDSHAKE_PROBE_H
#if !defined(_WIN32)
#include "netipc/netipc_uds.h"

typedef struct {
    bool accepted;       /* the library completed the handshake */
    int lib_error;       /* its nipc_uds_error_t otherwise */
    uint8_t reply[256];  /* decide: the packet the server sent, if any */
    size_t reply_len;
} probe_result_t;

/* 0 when the probe ran (its outcome in *out), -1 when the local connection failed. */
int probe_decide(const nipc_uds_server_config_t *policy, uint64_t session_id,
                 const uint8_t *hello, size_t hello_len, probe_result_t *out);
int probe_check_ack(const nipc_uds_client_config_t *hello, const uint8_t *ack, size_t ack_len,
                    probe_result_t *out);
#endif
#endif
