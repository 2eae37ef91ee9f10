/* curl.h turns curl_easy_setopt into a type-checking macro under GCC and Clang, which would also
   rewrite calls through the resolved function pointers of the same name. */
#define CURL_DISABLE_TYPECHECK
#include "sluice_curl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Every libcurl function Sluice calls: return type, name, parameters. */
#define SLUICE_CURL_FUNCTIONS(X) \
    X(CURLcode, curl_global_init, (long)) \
    X(CURL *, curl_easy_init, (void)) \
    X(void, curl_easy_cleanup, (CURL *)) \
    X(void, curl_easy_reset, (CURL *)) \
    X(CURLcode, curl_easy_perform, (CURL *)) \
    X(const char *, curl_easy_strerror, (CURLcode)) \
    X(CURLcode, curl_easy_setopt, (CURL *, CURLoption, ...)) \
    X(CURLcode, curl_easy_getinfo, (CURL *, CURLINFO, ...)) \
    X(struct curl_slist *, curl_slist_append, (struct curl_slist *, const char *)) \
    X(void, curl_slist_free_all, (struct curl_slist *)) \
    X(curl_mime *, curl_mime_init, (CURL *)) \
    X(void, curl_mime_free, (curl_mime *)) \
    X(curl_mimepart *, curl_mime_addpart, (curl_mime *)) \
    X(CURLcode, curl_mime_name, (curl_mimepart *, const char *)) \
    X(CURLcode, curl_mime_data, (curl_mimepart *, const char *, size_t)) \
    X(CURLcode, curl_mime_filedata, (curl_mimepart *, const char *)) \
    X(CURLcode, curl_mime_filename, (curl_mimepart *, const char *)) \
    X(CURLcode, curl_mime_type, (curl_mimepart *, const char *))

struct sluice_curl_table {
#define SLUICE_CURL_FIELD(result, name, parameters) result (*name) parameters;
    SLUICE_CURL_FUNCTIONS(SLUICE_CURL_FIELD)
#undef SLUICE_CURL_FIELD
};

/* Opens `soname` and fills `table`; on failure closes it again and writes dlerror's text to `error`. */
static void *open_into(const char *soname, struct sluice_curl_table *table, char *error, size_t capacity) {
    /* RTLD_LOCAL: libcurl's symbols stay out of the global namespace, so nothing else binds to them by accident. */
    void *library = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(error, capacity, "%s", reason != NULL ? reason : "dlopen failed");
        return NULL;
    }
#define SLUICE_CURL_RESOLVE(result, name, parameters) \
    dlerror(); \
    *(void **)(&table->name) = dlsym(library, #name); \
    if (table->name == NULL) { \
        const char *reason = dlerror(); \
        if (reason != NULL) snprintf(error, capacity, "%s", reason); \
        else snprintf(error, capacity, "%s: undefined symbol: %s", soname, #name); \
        dlclose(library); \
        memset(table, 0, sizeof *table); \
        return NULL; \
    }
    SLUICE_CURL_FUNCTIONS(SLUICE_CURL_RESOLVE)
#undef SLUICE_CURL_RESOLVE
    return library;
}

static struct sluice_curl_table curl;  /* filled once by load(), read-only afterwards */
static int loaded;
static char load_error[512];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    loaded = open_into(SLUICE_CURL_SONAME, &curl, load_error, sizeof load_error) != NULL;
}

int sluice_curl_load(void) {
    pthread_once(&load_once, load);
    return loaded;
}

const char *sluice_curl_load_error(void) {
    pthread_once(&load_once, load);
    return load_error;
}

int sluice_curl_probe(const char *soname, char *error, size_t capacity) {
    struct sluice_curl_table table;
    void *library = open_into(soname, &table, error, capacity);
    if (library == NULL) return 0;
    dlclose(library);
    return 1;
}

CURLcode sluice_curl_global_init(long flags) { return curl.curl_global_init(flags); }
CURL *sluice_curl_easy_init(void) { return curl.curl_easy_init(); }
void sluice_curl_easy_cleanup(CURL *handle) { curl.curl_easy_cleanup(handle); }
void sluice_curl_easy_reset(CURL *handle) { curl.curl_easy_reset(handle); }
CURLcode sluice_curl_easy_perform(CURL *handle) { return curl.curl_easy_perform(handle); }
const char *sluice_curl_easy_strerror(CURLcode code) {
    if (curl.curl_easy_strerror == NULL) return "libcurl is not loaded";
    return curl.curl_easy_strerror(code);
}

struct curl_slist *sluice_curl_slist_append(struct curl_slist *list, const char *line) { return curl.curl_slist_append(list, line); }
void sluice_curl_slist_free_all(struct curl_slist *list) { curl.curl_slist_free_all(list); }

curl_mime *sluice_curl_mime_init(CURL *handle) { return curl.curl_mime_init(handle); }
void sluice_curl_mime_free(curl_mime *mime) { curl.curl_mime_free(mime); }
curl_mimepart *sluice_curl_mime_addpart(curl_mime *mime) { return curl.curl_mime_addpart(mime); }
CURLcode sluice_curl_mime_name(curl_mimepart *part, const char *name) { return curl.curl_mime_name(part, name); }
CURLcode sluice_curl_mime_data(curl_mimepart *part, const char *data, size_t size) { return curl.curl_mime_data(part, data, size); }
CURLcode sluice_curl_mime_filedata(curl_mimepart *part, const char *path) { return curl.curl_mime_filedata(part, path); }
CURLcode sluice_curl_mime_filename(curl_mimepart *part, const char *name) { return curl.curl_mime_filename(part, name); }
CURLcode sluice_curl_mime_type(curl_mimepart *part, const char *type) { return curl.curl_mime_type(part, type); }

CURLcode sluice_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl.curl_easy_setopt(h, o, v); }
CURLcode sluice_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl.curl_easy_setopt(h, o, v); }
CURLcode sluice_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl.curl_easy_setopt(h, o, v); }
CURLcode sluice_curl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v) { return curl.curl_easy_setopt(h, o, v); }
CURLcode sluice_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl.curl_easy_setopt(h, o, v); }
CURLcode sluice_curl_setopt_blob(CURL *h, CURLoption o, struct curl_blob *v) { return curl.curl_easy_setopt(h, o, v); }
CURLcode sluice_curl_setopt_data_callback(CURL *h, CURLoption o, sluice_curl_data_callback cb) { return curl.curl_easy_setopt(h, o, cb); }
CURLcode sluice_curl_setopt_xferinfo_callback(CURL *h, CURLoption o, sluice_curl_xferinfo_callback cb) { return curl.curl_easy_setopt(h, o, cb); }
CURLcode sluice_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl.curl_easy_getinfo(h, i, v); }
CURLcode sluice_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl.curl_easy_getinfo(h, i, v); }
CURLcode sluice_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl.curl_easy_getinfo(h, i, v); }
CURLcode sluice_curl_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v) { return curl.curl_easy_getinfo(h, i, v); }
