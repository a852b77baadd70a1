/* No program and no entry point: the linker then keeps stdlib-bpf whole, so
 * bpf.txt and caged-c.txt here show all of it, once, for every case. */
