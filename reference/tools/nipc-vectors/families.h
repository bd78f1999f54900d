// The seventeen vector families, one builder each (vectors/README.md lists the files).
#ifndef NIPC_TOOLS_NIPC_VECTORS_FAMILIES_H_
#define NIPC_TOOLS_NIPC_VECTORS_FAMILIES_H_

#include <vector>

#include "nipc-vectors/vector_set.h"

namespace nipc::vectors {

Family outer_header_family();        // header_families.cpp
Family chunk_header_family();        // header_families.cpp
Family hello_family();               // hello_families.cpp
Family hello_ack_family();           // hello_families.cpp
Family batch_family();               // batch_family.cpp
Family chunked_message_family();     // chunked_family.cpp
Family increment_family();           // payload_families.cpp
Family string_reverse_family();      // payload_families.cpp
Family snapshot_request_family();    // snapshot_families.cpp
Family snapshot_response_family();   // snapshot_families.cpp
Family handshake_decide_family();    // handshake_families.cpp
Family handshake_check_ack_family(); // handshake_families.cpp
Family windows_names_family();       // names_family.cpp
Family cgroups_lookup_request_family();   // lookup_families.cpp
Family cgroups_lookup_response_family();  // lookup_families.cpp
Family apps_lookup_request_family();      // lookup_families.cpp
Family apps_lookup_response_family();     // lookup_families.cpp

/// Every family, in file-table order.
std::vector<Family> all_families();

}  // namespace nipc::vectors

#endif  // NIPC_TOOLS_NIPC_VECTORS_FAMILIES_H_
