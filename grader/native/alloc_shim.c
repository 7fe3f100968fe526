/* Heap allocations counted below every allocator a learner's compiled code can reach.
 *
 * Built by grader/native/allocations.py with the system C compiler (never by learner code)
 * and preloaded (LD_PRELOAD) into a fresh worker process that loads only the learner's
 * compiled module. It interposes the C library's allocation entry points: malloc, calloc,
 * realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc and pvalloc. Rust's global allocator (whatever a crate installs, or
 * std::alloc::System called directly), C code and CPython's own large blocks all end up
 * there, so a crate cannot slip past the count by choosing another Rust allocator.
 *
 * Counting happens only inside grader_counted_call(func, args): it arms the counters, makes
 * the call with CPython's PyObject_Call (found at run time: no Python headers needed),
 * disarms them, and writes one fixed-size record (sequence number; allocation events and
 * bytes requested by code outside the interpreter; the same for calls made by the
 * interpreter itself, told apart by the caller's address) with write(2) straight to the file descriptor named by GRADER_ALLOC_FD when the
 * library was loaded, which the trusted controller reads. No Python code sits between the
 * counters and that pipe, so nothing the learner's code does to the worker's Python objects
 * changes a record; every call is counted, the first one included.
 *
 * What this does NOT stop, stated plainly: native code runs in this process with full
 * rights, so it can write this library's memory or the record pipe, call glibc's
 * __libc_malloc, mmap/brk or raw syscalls instead of malloc, or hand out a static arena (which allocates nothing and is
 * honestly not a per-call copy anyway). Those are deliberate attacks on the grader, not
 * clone spam; the speed cells (timed in other fresh processes) are what backs this count.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECORD_MAGIC 0x31434f4c4c41ULL /* "ALLOC1" */

static atomic_int armed;
/* [0]: called from the interpreter (the python executable, libpython); [1]: from anywhere
 * else (the learner's module, its Rust standard library, NumPy...). */
static atomic_ullong events[2];
static atomic_ullong requested[2];
static unsigned long long sequence;
static int record_fd = -1;

/* Executable address ranges of the interpreter, found when the library is loaded (before
 * the learner's module exists): an allocation whose caller is in them is CPython's own (the
 * str made from a returned Rust String, a list growing), not the Rust heap. */
#define MAX_RANGES 16
static uintptr_t range_lo[MAX_RANGES], range_hi[MAX_RANGES];
static int ranges;

/* The C library's own implementations (exported by glibc for exactly this purpose). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

static inline int from_interpreter(const void *caller) {
    uintptr_t at = (uintptr_t)caller;
    for (int i = 0; i < ranges; i++) {
        if (at >= range_lo[i] && at < range_hi[i]) {
            return 1;
        }
    }
    return 0;
}

static inline void count(size_t size, const void *caller) {
    if (atomic_load_explicit(&armed, memory_order_relaxed)) {
        int other = !from_interpreter(caller);
        atomic_fetch_add_explicit(&events[other], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&requested[other], size, memory_order_relaxed);
    }
}

#define CALLER __builtin_return_address(0)

void *malloc(size_t size) {
    count(size, CALLER);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    count(n * size, CALLER);
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size) {
    count(size, CALLER);
    return __libc_realloc(ptr, size);
}

void *reallocarray(void *ptr, size_t n, size_t size) {
    count(n * size, CALLER);
    if (size && n > SIZE_MAX / size) {
        return NULL;
    }
    return __libc_realloc(ptr, n * size);
}

void *memalign(size_t alignment, size_t size) {
    count(size, CALLER);
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count(size, CALLER);
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment % sizeof(void *) || (alignment & (alignment - 1)) || !alignment) {
        return 22; /* EINVAL */
    }
    count(size, CALLER);
    void *ptr = __libc_memalign(alignment, size);
    if (!ptr && size) {
        return 12; /* ENOMEM */
    }
    *out = ptr;
    return 0;
}

void *valloc(size_t size) {
    count(size, CALLER);
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    count(size, CALLER);
    return __libc_pvalloc(size);
}

struct record {
    unsigned long long magic, sequence, events, bytes, interpreter_events, interpreter_bytes;
};

static int add_ranges(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (*name && !strstr(name, "libpython")) {
        return 0; /* "": the main program, the python executable */
    }
    for (int i = 0; i < info->dlpi_phnum && ranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            range_lo[ranges] = info->dlpi_addr + ph->p_vaddr;
            range_hi[ranges] = range_lo[ranges] + ph->p_memsz;
            ranges++;
        }
    }
    return 0;
}

__attribute__((constructor)) static void grader_alloc_init(void) {
    const char *fd = getenv("GRADER_ALLOC_FD");
    if (fd && *fd) {
        record_fd = atoi(fd);
    }
    dl_iterate_phdr(add_ranges, NULL);
}

typedef void *(*call_fn)(void *, void *, void *);

/* func(*args) with every allocation of the call counted; one record per call. Returns what
 * PyObject_Call returns (a new reference, or NULL with the Python exception set). */
void *grader_counted_call(void *func, void *args) {
    static call_fn call;
    if (!call) {
        call = (call_fn)dlsym(RTLD_DEFAULT, "PyObject_Call");
    }
    if (!call) {
        return NULL;
    }
    unsigned long long e0 = atomic_load(&events[1]), b0 = atomic_load(&requested[1]);
    unsigned long long i0 = atomic_load(&events[0]), j0 = atomic_load(&requested[0]);
    atomic_store(&armed, 1);
    void *result = call(func, args, NULL);
    atomic_store(&armed, 0);
    struct record rec = {RECORD_MAGIC, ++sequence,
                         atomic_load(&events[1]) - e0, atomic_load(&requested[1]) - b0,
                         atomic_load(&events[0]) - i0, atomic_load(&requested[0]) - j0};
    if (record_fd >= 0) {
        ssize_t ignored = write(record_fd, &rec, sizeof rec);
        (void)ignored;
    }
    return result;
}
