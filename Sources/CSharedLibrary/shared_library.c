#include "hark_shared_library.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// One lock for every library: loads happen a handful of times per process.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static const char *copy_message(const char *first, const char *second, const char *third) {
    size_t length = strlen(first) + strlen(second) + strlen(third) + 1;
    char *message = malloc(length);
    if (message == NULL) return "out of memory";
    snprintf(message, length, "%s%s%s", first, second, third);
    return message;
}

const char *hark_shared_library_load(const char *soname, const char *const *names, void **functions,
                                     size_t count, int *loaded, const char **failure) {
    pthread_mutex_lock(&lock);
    if (!*loaded) {
        *loaded = 1;
        *failure = NULL;
        // RTLD_LOCAL keeps the library's symbols out of the global scope; the handle is never
        // closed: the functions stay in use until the process ends.
        void *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL) {
            const char *reason = dlerror();
            *failure = copy_message(reason != NULL ? reason : soname, "", "");
        } else {
            for (size_t index = 0; index < count; index++) {
                functions[index] = dlsym(handle, names[index]);
                if (functions[index] == NULL) {
                    *failure = copy_message(soname, " has no function ", names[index]);
                    break;
                }
            }
        }
    }
    const char *result = *failure;
    pthread_mutex_unlock(&lock);
    return result;
}
