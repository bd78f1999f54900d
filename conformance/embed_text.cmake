# Writes OUT, a C++ source whose function NAME() returns the text of IN: the peer carries
# vectors/sessions.json inside itself, so a peer started under a launcher (wine) needs no
# path to the source tree. Run as `cmake -DIN=... -DOUT=... -DNAME=... -P embed_text.cmake`.
file(READ "${IN}" text)
string(FIND "${text}" ")nipc_embedded\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )nipc_embedded\"")
endif()
file(WRITE "${OUT}.tmp"
"// Generated from ${IN} by conformance/embed_text.cmake; do not edit.\n"
"#include <string_view>\n"
"namespace nipc::peer {\n"
"std::string_view ${NAME}() {\n"
"  static constexpr char kText[] = R\"nipc_embedded(${text})nipc_embedded\";\n"
"  return std::string_view(kText, sizeof kText - 1);\n"
"}\n"
"}  // namespace nipc::peer\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
