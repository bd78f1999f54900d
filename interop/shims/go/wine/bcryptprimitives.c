/* A compatibility bcryptprimitives.dll for wine versions that lack it (wine 8): Go >= 1.22
 * programs for Windows import ProcessPrng from it at start-up. ProcessPrng fills the buffer
 * from the system RNG (advapi32's RtlGenRandom, exported as SystemFunction036). Test-only:
 * it is placed next to the shim's .exe, never installed. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  (void)instance; (void)reason; (void)reserved;
  return TRUE;
}
