/* What each service kind sends, what it must get back (SHIM-VERIFY-001) and how a server
 * answers one item (SHIM-SERVICE-001), all through the library's codec functions. */
#ifndef SHIM_WORKLOAD_H
#define SHIM_WORKLOAD_H

#include "shim.h"
#include "snapshot.h"

/* The request payload for request `index`; `size` > 0 asks for exactly that many payload
 * bytes (kinds with fixed-size requests return -1). The caller frees *out. */
int wl_request(const shim_args_t *a, uint64_t index, size_t size, uint8_t **out, size_t *len);
/* True when `p` is the correct answer to request `index`; otherwise `why` says what differs. */
bool wl_verify(const shim_args_t *a, const snapshot_t *snap, uint64_t index, size_t size,
               const uint8_t *p, size_t n, char *why, size_t why_size);
/* Answers one request item into out (capacity = what the response may still carry).
 * Returns the transport status: NIPC_STATUS_OK with *out_len set, BAD_ENVELOPE (the item
 * does not decode), LIMIT_EXCEEDED (the answer does not fit) or INTERNAL_ERROR. */
uint16_t wl_serve(const shim_args_t *a, const snapshot_t *snap, const uint8_t *req,
                  size_t req_len, uint8_t *out, size_t cap, size_t *out_len);

#endif
