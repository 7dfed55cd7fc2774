/* process_vm_readv(2) on a child: prints "read" or the errno's name, exits 0 or 1.
 * With the argument "nodump" the child makes itself non-dumpable first, so that the
 * kernel's ptrace access check needs CAP_SYS_PTRACE. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char secret[16] = "child-memory";

int main(int argc, char **argv) {
    int ready[2];
    if (pipe(ready) != 0) return 2;
    pid_t pid = fork();
    if (pid < 0) return 2;
    if (pid == 0) {
        if (argc > 1 && strcmp(argv[1], "nodump") == 0) prctl(PR_SET_DUMPABLE, 0);
        if (write(ready[1], "x", 1) != 1) return 2;
        pause();
        return 0;
    }
    char c;
    if (read(ready[0], &c, 1) != 1) return 2;
    char buf[16] = {0};
    struct iovec local = {buf, sizeof buf}, remote = {secret, sizeof buf};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (n == (ssize_t)sizeof buf && strcmp(buf, "child-memory") == 0) {
        puts("read");
        return 0;
    }
    puts(n < 0 ? (err == EPERM ? "EPERM" : strerror(err)) : "short read");
    return 1;
}
