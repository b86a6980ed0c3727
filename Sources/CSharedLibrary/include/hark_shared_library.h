#ifndef HARK_SHARED_LIBRARY_H
#define HARK_SHARED_LIBRARY_H

// Loads an optional C library with dlopen on first use, so that a run only maps the libraries it
// needs (each one linked at start-up costs hundreds of KB of resident memory, with its own
// dependencies, even when never called). The C module shims (CSoxr, COggOpus, ...) use this through
// HARK_SHARED_LIBRARY_LOADER; Swift never calls it directly.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opens `soname` (once per process; later calls return the first outcome) and stores the
/// address of each of the `count` symbols in `names` into `functions`, in order. Returns NULL on
/// success, or a message naming the library and what failed (dlerror's text), valid for the life
/// of the process. `loaded` is the caller's once-flag, zero before the first call.
const char *hark_shared_library_load(const char *soname, const char *const *names, void **functions,
                                     size_t count, int *loaded, const char **failure);

#ifdef __cplusplus
}
#endif

/// Defines, in a shim header, `typedef struct PREFIX_functions` with one non-null function
/// pointer per symbol in LIST (an X-macro over the library's own declarations, so the compiler
/// checks every signature against the library's header) and
/// `static inline const PREFIX_functions *PREFIX_load(const char **error)`, which returns the
/// table, or NULL with `*error` set when the library cannot be loaded.
#define HARK_SHARED_LIBRARY_FIELD(name) __typeof__(name) *_Nonnull name;
#define HARK_SHARED_LIBRARY_NAME(name) #name,
#define HARK_SHARED_LIBRARY_LOADER(PREFIX, SONAME, LIST)                                             \
    typedef struct PREFIX##_functions {                                                            \
        LIST(HARK_SHARED_LIBRARY_FIELD)                                                            \
    } PREFIX##_functions;                                                                          \
    static inline const PREFIX##_functions *_Nullable PREFIX##_load(                               \
        const char *_Nullable *_Nonnull error) {                                                   \
        static PREFIX##_functions functions;                                                       \
        static const char *const names[] = {LIST(HARK_SHARED_LIBRARY_NAME)};                       \
        static int loaded;                                                                         \
        static const char *failure;                                                                \
        *error = hark_shared_library_load(SONAME, names, (void **)&functions,                      \
                                          sizeof names / sizeof *names, &loaded, &failure);        \
        return *error == NULL ? &functions : NULL;                                                 \
    }

#endif
