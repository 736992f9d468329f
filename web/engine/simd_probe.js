// Feature test for the relaxed-SIMD engine builds (the Worker's choice of build).

// The smallest module that uses relaxed SIMD's int8 dot product, the instruction the relaxed builds are for (XNNPACK's
// wasmsdot/wasmusdot kernels). Browsers without relaxed SIMD (Safari) reject it, and would reject the relaxed builds.
export const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,        // type section: one type, () -> v128
  0x03, 0x02, 0x01, 0x00,                          // function section: one function, of type 0
  0x0a, 0x13, 0x01, 0x11, 0x00,                    // code section: one body of 17 bytes, no locals
  0x41, 0x00, 0xfd, 0x0f,                          //   i32.const 0, i8x16.splat
  0x41, 0x00, 0xfd, 0x0f,                          //   i32.const 0, i8x16.splat
  0x41, 0x00, 0xfd, 0x11,                          //   i32.const 0, i32x4.splat
  0xfd, 0x93, 0x02,                                //   i32x4.relaxed_dot_i8x16_i7x16_add_s (0xfd 0x113, LEB128)
  0x0b,                                            // end
]);
/** Whether this engine runs relaxed SIMD (the relaxed builds can load). */
export const hasRelaxedSimd = () => { try { return WebAssembly.validate(RELAXED_SIMD_PROBE); } catch { return false; } };
