// Linux calls that Swift's Glibc module leaves out because they are declared only under _GNU_SOURCE.
#ifndef OPINE_CLINUX_SHIM_H
#define OPINE_CLINUX_SHIM_H

#include <stddef.h>
#include <stdint.h>

// sync_file_range(2): start writeback of a file's dirty pages without waiting (SYNC_FILE_RANGE_WRITE).
int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags);
static const unsigned int OPINE_SYNC_FILE_RANGE_WRITE = 2;

// syncfs(2): commit one file system's dirty data and metadata, with a single cache flush; since Linux 5.8 it
// reports writeback errors that occurred after the descriptor was opened.
int syncfs(int fd);

// memmem(3): glibc's two-way substring search, for finding a token in a file's bytes as they stream past.
void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);

// renameat2(2) with RENAME_NOREPLACE: a rename that fails with EEXIST rather than replace anything at the new
// name (an empty directory included), in one step.
int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);
static const unsigned int OPINE_RENAME_NOREPLACE = 1;

// O_DIRECT, which <fcntl.h> defines only under _GNU_SOURCE; its value differs by architecture.
#if defined(__x86_64__)
static const int OPINE_O_DIRECT = 040000;
#elif defined(__aarch64__)
static const int OPINE_O_DIRECT = 0200000;
#else
#error "OPINE_O_DIRECT: add this architecture's O_DIRECT value from <asm/fcntl.h>"
#endif

#endif
