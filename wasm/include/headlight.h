/* headlight.h — the engine's whole C API: integer handles, flat buffers, a status on every call.
   The one home of the C/JS contract: hl::Code (wasm/src/common/status.h) takes its values from HL_STATUS_*, the
   wasm modules export exactly the hl_* functions declared here (cmake/targets.cmake reads them from this file: a
   declaration starts its line with its return type), and web/engine/errors.js and web/engine/headlight.js mirror the
   status codes and result fields; tests/js/contract.test.mjs checks all of them against this file. */
#ifndef HEADLIGHT_H_
#define HEADLIGHT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes (hl::Code). On failure hl_last_error() says what went wrong and what to do. */
#define HL_STATUS_OK 0
#define HL_STATUS_INVALID_ARGUMENT 1
#define HL_STATUS_BAD_MODEL 2
#define HL_STATUS_OUT_OF_MEMORY 3
#define HL_STATUS_UNSUPPORTED 4
#define HL_STATUS_INTERNAL 5

/* Result fields for hl_result_get. */
#define HL_FIELD_SUMMARY_JSON 0 /* UTF-8 JSON: n, layers, heads_per_layer, head_size, hidden_size, tokens (text, id,
                                   segment, word, begin, end), truncation, mlm, timings_ms (tokenize, embeddings, linear,
                                   attention, norm_act, mlm, value_norms, total) */
#define HL_FIELD_TOKEN_IDS 1    /* int32 [n] */
#define HL_FIELD_ATTENTION 2    /* f32 [L][A][n][n] */
#define HL_FIELD_QUERIES 3      /* f32 [L][A][n][D] */
#define HL_FIELD_KEYS 4         /* f32 [L][A][n][D] */
#define HL_FIELD_HIDDEN 5       /* f32 [n][H] */
/* Norm-based attention (Kobayashi et al. 2020), with f^h(x_j) = v^h_j W_O^h (head h's value of token j, bias included,
   through the head's columns of the output projection); only from runs with HL_OUTPUT_VALUE_NORMS: */
#define HL_FIELD_VALUE_NORMS 6     /* f32 [L][A][n] ‖f^h(x_j)‖ */
#define HL_FIELD_NORM_SUMMED 7     /* f32 [L][n][n] ‖Σ_h α^h_ij f^h(x_j)‖ */
#define HL_FIELD_NORM_ATTENTION 8  /* f32 [L][A][n][n] α^h_ij ‖f^h(x_j)‖, each row renormalised to sum to 1 */
/* Only from runs with HL_OUTPUT_LAYER_STATES: */
#define HL_FIELD_LAYER_STATES 9    /* f32 [L+1][n][H] the embeddings' output, then each layer's (the last is HL_FIELD_HIDDEN) */

/* What a run computes beyond attention, q and k (hl_run's and hl_step_begin's `outputs`, bits or'ed). */
#define HL_OUTPUT_VALUE_NORMS 1  /* the HL_FIELD_VALUE_NORMS / NORM_SUMMED / NORM_ATTENTION fields: one extra f32 matrix
                                    product of the size of the attention output per layer */
#define HL_OUTPUT_LAYER_STATES 2  /* the HL_FIELD_LAYER_STATES field: (L+1)·n·H floats kept (probes read them) */
#define HL_OUTPUT_ALL 3

/* The attention a statistic reads (hl_result_stats): the softmax weights, or HL_FIELD_NORM_ATTENTION. */
#define HL_WEIGHTING_ATTENTION 0
#define HL_WEIGHTING_NORM 1

/* How hl_result_combined combines the layers (Abnar & Zuidema 2020). */
#define HL_COMBINE_ROLLOUT 0
#define HL_COMBINE_FLOW 1

/* The int8 layers' GEMM of the models loaded from now on (hl_set_int8_gemm; hl_model_info names the one a model got):
   AUTO picks the fastest exact one (Headlight's relaxed-SIMD kernel where the relaxed int8 dot is exact, as with
   AVX-VNNI; else its plain-SIMD one in wasm), HEADLIGHT forces Headlight's plain-SIMD kernel (what a CPU without AVX-VNNI
   runs; wasm builds only), XNNPACK XNNPACK's. */
#define HL_INT8_GEMM_AUTO 0
#define HL_INT8_GEMM_HEADLIGHT 1
#define HL_INT8_GEMM_XNNPACK 2

/* The longest text A or B that hl_run, hl_tokenize and hl_step_begin take, in bytes of UTF-8; a longer one is refused
   with HL_STATUS_INVALID_ARGUMENT before any work. */
#define HL_MAX_TEXT_BYTES 1048576

int32_t hl_version(void);
int32_t hl_set_int8_gemm(int32_t gemm);

/* 64-byte-aligned memory for model files and conversion outputs; NULL when out of memory. */
void* hl_alloc(size_t size);
void hl_free(void* p);

/* Loads a Headlight model file from `data` (allocated with hl_alloc), taking ownership of it
   whether or not the load succeeds. num_threads > 1 needs a threaded build; at most 256. */
int32_t hl_model_load(void* data, size_t size, int32_t num_threads, int32_t* out_model);
/* JSON describing the model (config, meta, int8, threads, special tokens); valid until the model is freed. */
int32_t hl_model_info(int32_t model, const char** json, size_t* length);
int32_t hl_model_free(int32_t model);

/* Runs text A (and B when has_b != 0) through the model. max_tokens 0 = the model's maximum; outputs: HL_OUTPUT_* bits. */
int32_t hl_run(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b, int32_t top_k,
               int32_t max_tokens, int32_t outputs, int32_t* out_result);
/* Runs given token ids / types (int32 [n]); the summary then has no tokens' text or spans. */
int32_t hl_run_ids(int32_t model, const int32_t* ids, const int32_t* types, size_t n, int32_t top_k, int32_t* out_result);
/* Tokenizes A (and B) as hl_run does, with the same cut, and runs nothing: UTF-8 JSON {n, tokens, truncation} with the
   summary's keys, valid until this thread's next hl_tokenize. */
int32_t hl_tokenize(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b,
                    int32_t max_tokens, const char** json, size_t* length);
/* A run that stops before each layer's attention heads so that the caller computes them (the page's WebGPU path).
   hl_step_begin takes hl_run's arguments and runs up to layer 0's attention. hl_step_buffers points at the current
   layer's qkv f32 [n][3H] (Q | K | V per token; read it), probs f32 [A][n][n] and context f32 [n][H] (write them:
   softmax(q·k/sqrt(D)) rows per head, and per head probs·V into columns h·D..(h+1)·D-1). hl_step_next takes them (or,
   with engine_heads != 0, computes this layer's heads itself) and goes on: *out_result stays 0 until the last layer is
   done, then it is a result handle as from hl_run and the step is gone. hl_step_free abandons a step. While a step is
   open its model refuses other runs. */
int32_t hl_step_begin(int32_t model, const char* a, size_t a_length, const char* b, size_t b_length, int32_t has_b,
                      int32_t top_k, int32_t max_tokens, int32_t outputs, int32_t* out_step);
int32_t hl_step_buffers(int32_t step, int32_t* out_layer, int32_t* out_n, const float** qkv, float** probs, float** context);
int32_t hl_step_next(int32_t step, int32_t engine_heads, int32_t* out_result);
int32_t hl_step_free(int32_t step);

/* Points at one field of a result; valid until the result is freed. */
int32_t hl_result_get(int32_t result, int32_t field, const void** data, size_t* bytes);
int32_t hl_result_free(int32_t result);

/* Per-head attention statistics of one result (Clark et al. 2019, Vig & Belinkov 2019) as UTF-8 JSON:
   {"n", "uniform_entropy", "layers", "heads_per_layer", "per_head": [{"layer", "head", "next", "previous", "self", "cls",
   "sep", "punct", "delimiter", "entropy", "cls_entropy", "identical", "identical_count", "other_sentence",
   "other_sentence_count", "subword", "subword_count", "labels": [...], "dominant", "examples": {"next", "previous",
   "delimiter", "identical", "other_sentence", "subword": {"token", "score"} (the row that shows it most) or null}},
   ...]} (per_head in order l·A + h; a pattern that applies to no token is null), of the attention `weighting` names
   (HL_WEIGHTING_*; NORM needs a run with HL_OUTPUT_VALUE_NORMS). Computed on the first call; valid until the result is
   freed. Defined in analysis/head_stats.h. */
int32_t hl_result_stats(int32_t result, int32_t weighting, const char** json, size_t* length);

/* Attention rollout or flow (HL_COMBINE_*, analysis/rollout.h) of a result up to the output of layer `layers` (1..L):
   f32 [n][n], row i = token i at that layer, column j = input token j. Flow refuses texts of more than 48 tokens (it
   solves n² maximum-flow problems; hl_last_error says so). Valid until the next hl_result_combined on this result. */
int32_t hl_result_combined(int32_t result, int32_t method, int32_t layers, const float** data, size_t* bytes);

/* A dependency treebank in CoNLL-U (Universal Dependencies; analysis/treebank.h), parsed and checked. */
int32_t hl_treebank_load(const char* conllu, size_t length, int32_t* out_treebank);
/* sentence < 0: {"sentences", "words"}; else that sentence: {"id", "text", "words": [{"form", "upos", "deprel", "head"
   (0 = root, else 1-based), "begin", "end" (byte span in text)}]}. Valid until this thread's next hl_treebank_json. */
int32_t hl_treebank_json(int32_t treebank, int32_t sentence, const char** json, size_t* length);
int32_t hl_treebank_free(int32_t treebank);

/* Clark et al.'s syntactic heads (analysis/syntax.h): a table accumulated over runs of a treebank's sentences, each run of
   the sentence's "text" as text A alone. The accumulator keeps the treebank alive. */
int32_t hl_syntax_new(int32_t model, int32_t treebank, int32_t* out_acc);
int32_t hl_syntax_add(int32_t acc, int32_t sentence, int32_t result);
/* SyntaxTable::Json: {"sentences", "words", "unaligned_words", "unaligned_examples", "arcs", "skipped_arcs", "layers",
   "heads_per_layer", "relations": [{"relation", "clark", "clark_reversed", "arcs", "dependent_to_head",
   "head_to_dependent": {"accuracy": [L·A], "best": {"layer", "head", "accuracy"}, "baseline": {"offset", "accuracy"}}}]}.
   Valid until the next hl_syntax_json or hl_syntax_free of this accumulator. */
int32_t hl_syntax_json(int32_t acc, const char** json, size_t* length);
int32_t hl_syntax_free(int32_t acc);
/* The table's counts as UTF-8 JSON (SyntaxTable::SumsJson, analysis/syntax.h), and their addition into another table of
   the same model shape: a treebank's parts added in order give the table of the whole, examples included. Valid until
   the next hl_syntax_sums or hl_syntax_free of this accumulator; hl_syntax_add_sums adds nothing from malformed counts. */
int32_t hl_syntax_sums(int32_t acc, const char** json, size_t* length);
int32_t hl_syntax_add_sums(int32_t acc, const char* json, size_t length);
/* One result of a treebank sentence as the table reads it: {"words": W, "token_word": [n] (-1: no word),
   "choices": [L·A][W] (each head's most-attended word for each word, -1 for a word without tokens)}. Valid until this
   thread's next hl_syntax_choices. */
int32_t hl_syntax_choices(int32_t treebank, int32_t sentence, int32_t result, const char** json, size_t* length);

/* Head distances accumulated over results of one model: Σ over every token row of every text of the Jensen–Shannon
   divergence between two heads' smoothed rows, laid out in 2-D by metric MDS (classical start, then SMACOF), of the
   attention `weighting` names (HL_WEIGHTING_*: NORM reads each result's HL_FIELD_NORM_ATTENTION). */
int32_t hl_distances_new(int32_t model, int32_t weighting, int32_t* out_acc);
/* Adds one result (of the accumulator's model; for the norm weighting, of a run with HL_OUTPUT_VALUE_NORMS); the result
   can be freed afterwards. */
int32_t hl_distances_add(int32_t acc, int32_t result);
/* {"texts", "rows", "total_heads": H = L·A, "layers", "heads_per_layer", "distance": [H*H], "points": [[x, y], ...] (H),
   "stress" (Kruskal stress-1), "iterations", "aggregate": the same texts' per-head statistics, token-weighted, in
   hl_result_stats's form (with labels and dominant behaviour; examples null)}; needs at least one result added. Valid until the next
   hl_distances_mds or hl_distances_free of this accumulator. */
int32_t hl_distances_mds(int32_t acc, const char** json, size_t* length);
int32_t hl_distances_free(int32_t acc);
/* The accumulator's sums, not yet laid out, as UTF-8 JSON (HeadMap::SumsJson in analysis/head_map.h, with "weighting":
   "attention" or "norm"): a part of a corpus analysed in another process or on another machine. Valid until the next
   hl_distances_sums or hl_distances_free of this accumulator. */
int32_t hl_distances_sums(int32_t acc, const char** json, size_t* length);
/* Adds hl_distances_sums' JSON of another accumulator (same layers, heads and weighting) into this one: the parts of a
   corpus added up give the sums of the whole (up to the order of floating-point additions). Checks all of it first:
   nothing is added from malformed sums. */
int32_t hl_distances_add_sums(int32_t acc, const char* json, size_t length);

/* Streaming conversion of a Hugging Face checkpoint to a model file (model/convert.h). Begin with its text files
   (optional ones NULL with length 0; vocab_txt (BERT) may be NULL when tokenizer_json holds a byte-level BPE model
   (RoBERTa); index_json: model.safetensors.index.json of a sharded checkpoint, whose files are
   then fed in sorted order); feed each safetensors file's bytes in chunks of any size, end_of_file = 1 with a file's
   last chunk (which may be empty); then finish. The output is allocated once the tensor list is known (at begin with an
   index, else when the first file's header has arrived): a model too large for memory fails there, before its weights
   are fed. A failed feed or finish ends the conversion (its handle is then unknown); hl_convert_free abandons one.
   *out is allocated as hl_alloc's: pass it to hl_model_load, or free it with hl_free. */
int32_t hl_convert_begin(const char* config_json, size_t config_length, const char* vocab_txt, size_t vocab_length,
                         const char* tokenizer_config_json, size_t tokenizer_config_length, const char* tokenizer_json,
                         size_t tokenizer_json_length, const char* index_json, size_t index_length, int32_t int8,
                         int32_t* out_conversion);
int32_t hl_convert_feed(int32_t conversion, const uint8_t* data, size_t length, int32_t end_of_file);
/* The SHA-256 (64 hex digits, NUL-terminated) of the last safetensors file ended: to check a download against the
   digest its server publishes. Valid until the next call on this conversion. */
int32_t hl_convert_file_sha256(int32_t conversion, const char** hex);
int32_t hl_convert_finish(int32_t conversion, void** out, size_t* out_length);
int32_t hl_convert_free(int32_t conversion);

/* The engine's live handles as UTF-8 JSON {"models", "results", "steps", "distances", "syntax", "treebanks",
   "conversions", "total"}: what has been made and not yet freed (a caller that frees everything it made sees 0).
   Valid until this thread's next hl_live_handles. */
int32_t hl_live_handles(const char** json, size_t* length);

/* Message of the last failed call on this thread ("" if none). */
const char* hl_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* HEADLIGHT_H_ */
