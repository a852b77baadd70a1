/* Hand-written guest programs for the exec and --run-request tests, in the
 * native calling convention of lifted code (abi/native.h): rdi = ctx,
 * rsi = guest pointer to the request view, rdx = guest stack top. The tests
 * copy the bytes between guest_code_start and guest_code_end into a blob's
 * code section, so everything here is position-independent. */
        .intel_syntax noprefix
        .section .rodata, "a"
        .globl guest_code_start, guest_code_end
        .globl prog_respond, prog_file, prog_proxy, prog_fault, prog_loop, prog_next, prog_bad, prog_root

        .equ RO, 0x100000              /* ZS_CAGE_RODATA_OFF */

/* helper call: id in the table at ctx->helpers; ctx is kept in rbx */
.macro HCALL id
        mov rdi, rbx
        mov rax, [rbx + 8]
        call [rax + 8 * \id]
.endm

guest_code_start:
prog_respond:                          /* 201, "hello " + path, x-a: v1 */
        push rbx
        mov rbx, rdi
        mov esi, 201
        HCALL 1
        xor esi, esi
        mov edx, RO + 0
        mov ecx, 6
        HCALL 3
        xor esi, esi
        mov edx, 3                     /* ZS_VAR_path */
        HCALL 4
        mov esi, 1
        mov edx, RO + 16
        mov ecx, 2
        HCALL 3
        xor esi, esi                   /* ZS_HDR_SET */
        mov edx, RO + 32
        mov ecx, 3
        HCALL 5
        mov eax, 1                     /* ZS_ACT_RESPOND */
        pop rbx
        ret

prog_file:                             /* strip "/static", file_server 0 */
        push rbx
        mov rbx, rdi
        mov esi, RO + 48
        mov edx, 7
        HCALL 6
        mov eax, 2                     /* ZS_ACT_FILE, id 0 */
        pop rbx
        ret

prog_proxy:                            /* add x-a: v1, reverse_proxy 0 */
        push rbx
        mov rbx, rdi
        mov esi, 1
        mov edx, RO + 16
        mov ecx, 2
        HCALL 3
        mov esi, 1                     /* ZS_HDR_ADD */
        mov edx, RO + 32
        mov ecx, 3
        HCALL 5
        mov eax, 3                     /* ZS_ACT_PROXY, id 0 */
        pop rbx
        ret

prog_fault:                            /* reads guest address 0 */
        mov rax, [rdi]
        mov eax, [rax]
        ret

prog_loop:                             /* polls the budget forever, as lifted loops do */
        dec qword ptr [rdi + 16]
        jns prog_loop
        sub rsp, 8
        mov esi, 2                     /* ZS_TRAP_BUDGET */
        call [rdi + 24]

prog_next:
        xor eax, eax
        ret

prog_bad:                              /* an action kind that does not exist */
        mov eax, 0x7f
        ret

prog_root:                             /* root = rodata string at RO+64 (length at RO+60) */
        push rbx
        mov rbx, rdi
        mov rax, [rbx]
        mov ecx, [rax + RO + 60]
        mov esi, 1
        mov edx, RO + 64
        HCALL 3
        mov esi, 15                    /* ZS_VAR_root */
        mov edx, 1
        HCALL 7
        mov eax, 2 + (1 << 8)          /* ZS_ACT_FILE, id 1 */
        pop rbx
        ret
guest_code_end:
        .section .note.GNU-stack, "", @progbits
