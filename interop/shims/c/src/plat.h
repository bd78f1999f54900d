/* The few platform services the shim needs besides the library: detached threads, a lock,
 * sleeping and a monotonic clock. */
#ifndef SHIM_PLAT_H
#define SHIM_PLAT_H

#include <stdbool.h>
#include <stdint.h>

#if defined(_WIN32)
#include <windows.h>
typedef CRITICAL_SECTION plat_mutex_t;
static inline void plat_mutex_init(plat_mutex_t *m) { InitializeCriticalSection(m); }
static inline void plat_lock(plat_mutex_t *m) { EnterCriticalSection(m); }
static inline void plat_unlock(plat_mutex_t *m) { LeaveCriticalSection(m); }
static inline void plat_sleep_ms(unsigned ms) { Sleep(ms); }
static inline uint64_t plat_now_ms(void) { return (uint64_t)GetTickCount64(); }
typedef struct { void *(*fn)(void *); void *arg; } plat_thread_start_t;
static DWORD WINAPI plat_thread_tramp(LPVOID p) {
    plat_thread_start_t s = *(plat_thread_start_t *)p;
    HeapFree(GetProcessHeap(), 0, p);
    s.fn(s.arg);
    return 0;
}
/* Starts a detached thread; 0 on success. */
static inline int plat_thread_start(void *(*fn)(void *), void *arg) {
    plat_thread_start_t *s = HeapAlloc(GetProcessHeap(), 0, sizeof(*s));
    if (!s) return -1;
    s->fn = fn;
    s->arg = arg;
    HANDLE h = CreateThread(NULL, 0, plat_thread_tramp, s, 0, NULL);
    if (!h) { HeapFree(GetProcessHeap(), 0, s); return -1; }
    CloseHandle(h);
    return 0;
}
#else
#include <errno.h>
#include <pthread.h>
#include <time.h>
typedef pthread_mutex_t plat_mutex_t;
static inline void plat_mutex_init(plat_mutex_t *m) { pthread_mutex_init(m, NULL); }
static inline void plat_lock(plat_mutex_t *m) { pthread_mutex_lock(m); }
static inline void plat_unlock(plat_mutex_t *m) { pthread_mutex_unlock(m); }
static inline void plat_sleep_ms(unsigned ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}
static inline uint64_t plat_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
static inline int plat_thread_start(void *(*fn)(void *), void *arg) {
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    int r = pthread_create(&t, &at, fn, arg);
    pthread_attr_destroy(&at);
    return r == 0 ? 0 : -1;
}
#endif

#endif
