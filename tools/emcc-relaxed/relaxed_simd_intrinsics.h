/* The relaxed-SIMD intrinsics of <wasm_simd128.h> (as in LLVM 17+), for clang 16, whose header lacks them but whose
 * builtins are there. Force-included into every compile of the relaxed-SIMD builds by tools/emcc-relaxed/emcc; a no-op
 * without -mrelaxed-simd. Same names and signatures as LLVM 17's header, so code written for it (XNNPACK's wasmsdot,
 * wasmusdot, wasmrelaxedsimd kernels; ours) compiles unchanged. Define HL_HAVE_WASM_RELAXED_INTRINSICS when the
 * compiler's header already has them (clang >= 17). */
#ifndef HL_RELAXED_SIMD_INTRINSICS_H_
#define HL_RELAXED_SIMD_INTRINSICS_H_
#if defined(__wasm_relaxed_simd__) && !defined(HL_HAVE_WASM_RELAXED_INTRINSICS) && defined(__clang__) && __clang_major__ < 17
#include <wasm_simd128.h>

#define __HL_RELAXED_FN static __inline__ __attribute__((__always_inline__, __nodebug__, __target__("relaxed-simd"), __min_vector_width__(128)))

__HL_RELAXED_FN v128_t wasm_f32x4_relaxed_madd(v128_t __a, v128_t __b, v128_t __c) {
  return (v128_t)__builtin_wasm_relaxed_madd_f32x4((__f32x4)__a, (__f32x4)__b, (__f32x4)__c);
}
__HL_RELAXED_FN v128_t wasm_f32x4_relaxed_nmadd(v128_t __a, v128_t __b, v128_t __c) {
  return (v128_t)__builtin_wasm_relaxed_nmadd_f32x4((__f32x4)__a, (__f32x4)__b, (__f32x4)__c);
}
__HL_RELAXED_FN v128_t wasm_f64x2_relaxed_madd(v128_t __a, v128_t __b, v128_t __c) {
  return (v128_t)__builtin_wasm_relaxed_madd_f64x2((__f64x2)__a, (__f64x2)__b, (__f64x2)__c);
}
__HL_RELAXED_FN v128_t wasm_f64x2_relaxed_nmadd(v128_t __a, v128_t __b, v128_t __c) {
  return (v128_t)__builtin_wasm_relaxed_nmadd_f64x2((__f64x2)__a, (__f64x2)__b, (__f64x2)__c);
}
__HL_RELAXED_FN v128_t wasm_i8x16_relaxed_laneselect(v128_t __a, v128_t __b, v128_t __m) {
  return (v128_t)__builtin_wasm_relaxed_laneselect_i8x16((__i8x16)__a, (__i8x16)__b, (__i8x16)__m);
}
__HL_RELAXED_FN v128_t wasm_i16x8_relaxed_laneselect(v128_t __a, v128_t __b, v128_t __m) {
  return (v128_t)__builtin_wasm_relaxed_laneselect_i16x8((__i16x8)__a, (__i16x8)__b, (__i16x8)__m);
}
__HL_RELAXED_FN v128_t wasm_i32x4_relaxed_laneselect(v128_t __a, v128_t __b, v128_t __m) {
  return (v128_t)__builtin_wasm_relaxed_laneselect_i32x4((__i32x4)__a, (__i32x4)__b, (__i32x4)__m);
}
__HL_RELAXED_FN v128_t wasm_i64x2_relaxed_laneselect(v128_t __a, v128_t __b, v128_t __m) {
  return (v128_t)__builtin_wasm_relaxed_laneselect_i64x2((__i64x2)__a, (__i64x2)__b, (__i64x2)__m);
}
__HL_RELAXED_FN v128_t wasm_i8x16_relaxed_swizzle(v128_t __a, v128_t __s) {
  return (v128_t)__builtin_wasm_relaxed_swizzle_i8x16((__i8x16)__a, (__i8x16)__s);
}
__HL_RELAXED_FN v128_t wasm_f32x4_relaxed_min(v128_t __a, v128_t __b) {
  return (v128_t)__builtin_wasm_relaxed_min_f32x4((__f32x4)__a, (__f32x4)__b);
}
__HL_RELAXED_FN v128_t wasm_f32x4_relaxed_max(v128_t __a, v128_t __b) {
  return (v128_t)__builtin_wasm_relaxed_max_f32x4((__f32x4)__a, (__f32x4)__b);
}
__HL_RELAXED_FN v128_t wasm_f64x2_relaxed_min(v128_t __a, v128_t __b) {
  return (v128_t)__builtin_wasm_relaxed_min_f64x2((__f64x2)__a, (__f64x2)__b);
}
__HL_RELAXED_FN v128_t wasm_f64x2_relaxed_max(v128_t __a, v128_t __b) {
  return (v128_t)__builtin_wasm_relaxed_max_f64x2((__f64x2)__a, (__f64x2)__b);
}
__HL_RELAXED_FN v128_t wasm_i32x4_relaxed_trunc_f32x4(v128_t __a) {
  return (v128_t)__builtin_wasm_relaxed_trunc_s_i32x4_f32x4((__f32x4)__a);
}
__HL_RELAXED_FN v128_t wasm_u32x4_relaxed_trunc_f32x4(v128_t __a) {
  return (v128_t)__builtin_wasm_relaxed_trunc_u_i32x4_f32x4((__f32x4)__a);
}
__HL_RELAXED_FN v128_t wasm_i32x4_relaxed_trunc_f64x2_zero(v128_t __a) {
  return (v128_t)__builtin_wasm_relaxed_trunc_s_zero_i32x4_f64x2((__f64x2)__a);
}
__HL_RELAXED_FN v128_t wasm_u32x4_relaxed_trunc_f64x2_zero(v128_t __a) {
  return (v128_t)__builtin_wasm_relaxed_trunc_u_zero_i32x4_f64x2((__f64x2)__a);
}
__HL_RELAXED_FN v128_t wasm_i16x8_relaxed_q15mulr(v128_t __a, v128_t __b) {
  return (v128_t)__builtin_wasm_relaxed_q15mulr_s_i16x8((__i16x8)__a, (__i16x8)__b);
}
/* i8 × i7 products: the second operand's lanes must lie in [0, 127] for the result to be the same on every engine. */
__HL_RELAXED_FN v128_t wasm_i16x8_relaxed_dot_i8x16_i7x16(v128_t __a, v128_t __b) {
  return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_s_i16x8((__i8x16)__a, (__i8x16)__b);
}
__HL_RELAXED_FN v128_t wasm_i32x4_relaxed_dot_i8x16_i7x16_add(v128_t __a, v128_t __b, v128_t __c) {
  return (v128_t)__builtin_wasm_relaxed_dot_i8x16_i7x16_add_s_i32x4((__i8x16)__a, (__i8x16)__b, (__i32x4)__c);
}

#undef __HL_RELAXED_FN
#endif
#endif /* HL_RELAXED_SIMD_INTRINSICS_H_ */
