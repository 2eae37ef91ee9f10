#ifndef SLUICE_CURL_LOADER_H
#define SLUICE_CURL_LOADER_H
#include <stddef.h>
#include <curl/curl.h>

/* libcurl, opened with dlopen on first use instead of by the dynamic loader at process start:
   libcurl and its TLS, Kerberos and LDAP libraries cost the runtime agent about 5.6 MiB of RSS, and an
   agent with nothing deployed never makes a request. */

/* The library opened. */
#define SLUICE_CURL_SONAME "libcurl.so.4"

/* Opens libcurl and resolves every function below, once per process (later calls return the first
   result). Returns 1 when loaded; 0 otherwise, and then sluice_curl_load_error() says why.
   Every other function here may be called only after this returned 1. */
int sluice_curl_load(void);
/* Why sluice_curl_load() failed (dlerror's text), or "" when it did not. */
const char *sluice_curl_load_error(void);

/* Opens `soname` and resolves the same functions, then closes it again; the process's libcurl is not
   touched. Returns 1 when everything resolves, else 0 with the reason in `error` (`capacity` bytes). */
int sluice_curl_probe(const char *soname, char *error, size_t capacity);

CURLcode sluice_curl_global_init(long flags);
CURL *sluice_curl_easy_init(void);
void sluice_curl_easy_cleanup(CURL *handle);
void sluice_curl_easy_reset(CURL *handle);
CURLcode sluice_curl_easy_perform(CURL *handle);
/* Safe before loading too: then it says that libcurl is not loaded. */
const char *sluice_curl_easy_strerror(CURLcode code);

struct curl_slist *sluice_curl_slist_append(struct curl_slist *list, const char *line);
void sluice_curl_slist_free_all(struct curl_slist *list);

curl_mime *sluice_curl_mime_init(CURL *handle);
void sluice_curl_mime_free(curl_mime *mime);
curl_mimepart *sluice_curl_mime_addpart(curl_mime *mime);
CURLcode sluice_curl_mime_name(curl_mimepart *part, const char *name);
CURLcode sluice_curl_mime_data(curl_mimepart *part, const char *data, size_t size);
CURLcode sluice_curl_mime_filedata(curl_mimepart *part, const char *path);
CURLcode sluice_curl_mime_filename(curl_mimepart *part, const char *name);
CURLcode sluice_curl_mime_type(curl_mimepart *part, const char *type);

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call; these typed wrappers
   are the only way Swift code reaches them. */
CURLcode sluice_curl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode sluice_curl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode sluice_curl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode sluice_curl_setopt_off_t(CURL *h, CURLoption o, curl_off_t v);
CURLcode sluice_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode sluice_curl_setopt_blob(CURL *h, CURLoption o, struct curl_blob *v);
typedef size_t (*sluice_curl_data_callback)(char *, size_t, size_t, void *);
CURLcode sluice_curl_setopt_data_callback(CURL *h, CURLoption o, sluice_curl_data_callback cb);
typedef int (*sluice_curl_xferinfo_callback)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t);
CURLcode sluice_curl_setopt_xferinfo_callback(CURL *h, CURLoption o, sluice_curl_xferinfo_callback cb);
CURLcode sluice_curl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode sluice_curl_getinfo_double(CURL *h, CURLINFO i, double *v);
CURLcode sluice_curl_getinfo_string(CURL *h, CURLINFO i, char **v);
CURLcode sluice_curl_getinfo_off_t(CURL *h, CURLINFO i, curl_off_t *v);
#endif
