// Entry point for executables with `int main(int argc, char** argv)` in the relaxed-SIMD builds (tests, hl-bench).
// clang >= 15 names that function __main_argc_argv on wasm; Emscripten 3.1.6 (made for clang 14) exports and calls
// `main`, and without this shim the linker drops the program as unreferenced (an empty module). The asm label keeps
// clang from renaming this definition too.
int __main_argc_argv(int argc, char** argv);
int hl_main_shim(int argc, char** argv) __asm__("main");
int hl_main_shim(int argc, char** argv) { return __main_argc_argv(argc, argv); }
