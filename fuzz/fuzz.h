/* fuzz.h: what the fuzz targets share: libFuzzer's entry point, and the
 * scratch files and database a target may need. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input; the caller frees it. */
char *fuzz_string(const uint8_t *data, size_t size);
/* A file of this process holding the input, rewound; its path in *path. */
int fuzz_file(const uint8_t *data, size_t size, const char **path);
/* A fresh database of this process, open for writing, not synced. */
void fuzz_db(void);
/* Stops the run: an invariant of the target does not hold. */
_Noreturn void fuzz_fail(const char *what);
/* What any reading of a server's answer must leave (libchat.h's struct
 * sent): terminated strings, a reason of one line. */
struct sent;
void fuzz_sent_check(const struct sent *r);
