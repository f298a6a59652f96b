// deny-write-execute PROGRAM [ARG...]: runs PROGRAM under the seccomp rules
// systemd installs for MemoryDenyWriteExecute=yes (systemd 252,
// seccomp_memory_deny_write_execute() in src/shared/seccomp-util.c, x86-64):
//
//   mmap(..., prot, ...)            EPERM if prot has both PROT_WRITE and PROT_EXEC
//   mprotect / pkey_mprotect(prot)  EPERM if prot has PROT_EXEC
//   shmat(..., flags)               EPERM if flags has SHM_EXEC
//
// The filter survives execve and is inherited by every child, as under
// systemd, so `make verify-systemd` can run the real fleet under it and see
// whether the Swift runtime, Foundation and libcurl ever need W+X memory.
// No C is part of Sluice itself; this is a test tool, built by the Makefile.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n)) // x86-64 is little-endian

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: deny-write-execute PROGRAM [ARG...]\n");
        return 2;
    }
    // Jump offsets count instructions skipped; the comment on each line is its index.
    struct sock_filter rules[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),    //  0
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),                //  1: → 3 | 2
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),                        //  2
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),      //  3
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 3),                         //  4: → 5 | 8
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),                              //  5: mmap's prot
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, PROT_WRITE | PROT_EXEC),                 //  6
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PROT_WRITE | PROT_EXEC, 7, 8),           //  7: W+X → 15 | 16
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mprotect, 1, 0),                     //  8: → 10 | 9
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pkey_mprotect, 0, 2),                //  9: → 10 | 12
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),                              // 10: mprotect's prot
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 3, 4),                       // 11: X → 15 | 16
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_shmat, 0, 3),                        // 12: → 13 | 16
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),                              // 13: shmat's flags
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SHM_EXEC, 0, 1),                        // 14: → 15 | 16
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),   // 15: refused
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                                // 16
    };
    struct sock_fprog program = {.len = sizeof rules / sizeof rules[0], .filter = rules};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        fprintf(stderr, "deny-write-execute: cannot install the filter: %s\n", strerror(errno));
        return 126;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "deny-write-execute: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
}
