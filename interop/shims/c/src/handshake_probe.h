/* Live-connection probes of the library's handshake and receive path: over UDS on POSIX
 * (handshake_probe.c), over named pipes on Windows (probe_win.c). */
#ifndef SHIM_HANDSHAKE_PROBE_H
#define SHIM_HANDSHAKE_PROBE_H
#include "shim.h"
#if defined(_WIN32)
#include "netipc/netipc_named_pipe.h"
typedef nipc_np_server_config_t probe_server_config_t;
typedef nipc_np_client_config_t probe_client_config_t;
#else
#include "netipc/netipc_uds.h"
typedef nipc_uds_server_config_t probe_server_config_t;
typedef nipc_uds_client_config_t probe_client_config_t;
#endif

typedef struct {
    bool accepted;       /* the library completed the handshake */
    int lib_error;       /* its nipc_uds_error_t / nipc_np_error_t otherwise */
    uint8_t reply[256];  /* decide: the packet the server sent, if any */
    size_t reply_len;
} probe_result_t;

/* 0 when the probe ran (its outcome in *out), -1 when the local connection failed. */
int probe_decide(const probe_server_config_t *policy, uint64_t session_id,
                 const uint8_t *hello, size_t hello_len, probe_result_t *out);
int probe_check_ack(const probe_client_config_t *hello, const uint8_t *ack, size_t ack_len,
                    probe_result_t *out);

typedef struct {
    bool ok;              /* the library received one whole message */
    bool leftover;        /* packets were left after it */
    int lib_error;        /* the library's transport error otherwise */
    nipc_header_t hdr;
    uint8_t *payload;     /* owned by the caller (free) */
    size_t payload_len;
} probe_receive_t;

/* Sends the packets over a local SEQPACKET pair (a message-mode pipe on Windows) and lets
 * the library's receive function read them as a
 * session with this packet size and these receive limits. */
int probe_receive(const uint8_t *const *packets, const size_t *lens, size_t count,
                  uint32_t packet_size, uint32_t max_payload, uint32_t max_batch,
                  probe_receive_t *out);
#endif
