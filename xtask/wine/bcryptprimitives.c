/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Rust test
 * binaries under Wine 8.
 *
 * Rust's standard library draws its randomness (HashMap seeds, and the
 * getrandom crate on Windows 10+) from ProcessPrng, exported by
 * bcryptprimitives.dll since Windows 10. Wine 8.0 (Debian 12) lacks that
 * export, so every Rust program fails to load (exit status 53). This DLL
 * exports ProcessPrng and forwards to RtlGenRandom (advapi32's
 * SystemFunction036), which Wine implements by reading the host's CSPRNG.
 *
 * xtask compiles it with mingw and copies it into the Wine prefix's
 * system32; it is never shipped and never used on real Windows.
 */
#include <windows.h>

/* RtlGenRandom: no header declares it under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* The largest request handed to RtlGenRandom at once (its length is a
 * ULONG, ProcessPrng's a SIZE_T). */
#define CHUNK 0x40000000UL

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > CHUNK ? CHUNK : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
