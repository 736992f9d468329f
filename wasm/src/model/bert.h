// BertModel: a loaded Headlight file (weights, tokenizer, XNNPACK operators) and its forward pass.
#pragma once
#include <cstddef>
#include <cstdint>
#include <chrono>
#include <memory>
#include <string_view>
#include <vector>

#include <pthreadpool.h>

#include "analysis/head_stats.h"
#include "common/buffer.h"
#include "common/status.h"
#include "model/config.h"
#include "model/model_file.h"
#include "ops/kernels.h"
#include "ops/linear.h"
#include "tokenizer/tokenizer.h"

namespace hl {

struct LoadOptions {
  int32_t num_threads = 1;  // > 1 needs a threaded build (native, or wasm with pthreads)
};

struct RunOptions {
  int32_t top_k = 5;               // masked-LM predictions per [MASK]
  size_t max_tokens = 0;           // 0 = the model's max_position_embeddings
  bool reference_kernels = false;  // every op through its plain __ref version (tests)
  bool value_norms = false;        // also Kobayashi et al.'s value norms (RunResult::value_norms, norm_summed)
  bool layer_states = false;       // also every layer's output (RunResult::layer_states)
};

struct MaskPrediction {
  int32_t position = 0;            // token index of the [MASK]
  std::vector<int32_t> ids;        // top-k token ids, most probable first
  std::vector<float> probs;        // their softmax probabilities
};

struct Timings {  // milliseconds
  double tokenize = 0, embeddings = 0, linear = 0, attention = 0, norm_act = 0, mlm = 0, value_norms = 0, total = 0;
};

struct RunResult {
  Encoding encoding;               // tokens with ids, segments and character spans
  int32_t n = 0;                   // tokens
  std::vector<float> attention;    // [L][A][n][n] softmax probabilities
  std::vector<float> queries;      // [L][A][n][D] after bias, before scaling
  std::vector<float> keys;         // [L][A][n][D]
  std::vector<float> hidden;       // [n][H] final hidden states
  // With RunOptions::value_norms (analysis/norms.h), else empty:
  std::vector<float> value_norms;  // [L][A][n] ‖f^h(x_j)‖ = ‖v^h_j W_O^h‖
  std::vector<float> norm_summed;  // [L][n][n] ‖Σ_h α^h_ij f^h(x_j)‖
  // With RunOptions::layer_states, else empty:
  std::vector<float> layer_states; // [L+1][n][H] the embeddings' output, then each layer's output
  std::vector<MaskPrediction> mlm; // one per [MASK] token (empty without an MLM head)
  Timings timings;
};

// A run that stops before each layer's attention heads so that the caller computes them (the page's WebGPU path):
// BeginSteps embeds and projects layer 0's Q, K, V; the caller fills StepBuffers' probs and context; NextStep goes on to
// the next layer's attention, or to the end (*done). While a stepped run is open the model refuses other runs.
struct Steps {
  RunOptions options;
  RunResult* out = nullptr;
  std::vector<int32_t> ids, types;  // [n]
  size_t n = 0, layer = 0;          // layer: whose attention the caller computes now
  std::chrono::steady_clock::time_point t0, handed;  // run start; when this layer's Q, K, V were handed out
};

class BertModel {
 public:
  ~BertModel();
  // Takes ownership of the file bytes; validates the file, builds the tokenizer and the operators.
  static Status Load(AlignedBuffer file, const LoadOptions& options, std::unique_ptr<BertModel>* out);

  // Tokenizes A (and B when has_b) as Run does, cut at options.max_tokens or the model's positions; runs nothing.
  Status Encode(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, Encoding* enc) const;
  // Tokenizes A (and B when has_b) and runs the model.
  Status Run(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, RunResult* out);
  // Runs on given ids / token types (n ≤ max positions); out->encoding is left empty.
  Status RunIds(const int32_t* ids, const int32_t* types, size_t n, const RunOptions& options, RunResult* out);

  // A stepped run (see Steps): tokenizes and runs up to layer 0's attention.
  Status BeginSteps(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, RunResult* out, Steps* st);
  // Layer st.layer's attention: reads qkv [n][3H] (Q | K | V per row), writes probs [A][n][n] and context [n][H].
  void StepBuffers(const Steps& st, const float** qkv, float** probs, float** context);
  // Takes the layer's probs and context (or computes them itself when engine_heads: short inputs, where the GPU would
  // not win); continues to the next layer's attention or to the end (*done = true).
  Status NextStep(Steps* st, bool engine_heads, bool* done);
  // Abandons an open stepped run (its result is incomplete); the model runs again.
  void EndSteps() { stepping_ = false; }

  const BertConfig& config() const { return config_; }
  const Tokenizer& tokenizer() const { return *tokenizer_; }
  // Its special tokens and how its pieces join into words, as the statistics read them (analysis/head_stats.h).
  TokenConventions token_conventions() const {
    const TokenizerOptions& t = tokenizer_->options();
    return TokenConventions{t.cls_token, t.sep_token, t.kind == TokenizerKind::kByteLevelBpe};
  }
  const nlohmann::json& meta() const { return meta_; }
  bool has_mlm_head() const { return has_mlm_; }
  bool is_int8() const;
  int32_t num_threads() const;
  Int8Gemm int8_gemm() const { return kernels_.int8_gemm; }  // the int8 layers' GEMM, chosen at load
  size_t file_size() const { return file_.size(); }

 private:
  BertModel() = default;
  struct Layer;
  struct Workspace;
  struct Pass;
  Status Build(const ModelFileView& view, const LoadOptions& options);  // bert_load.cpp
  Status Tokenize(std::string_view a, std::string_view b, bool has_b, const RunOptions& options, Encoding* enc,
                  std::vector<int32_t>* ids, std::vector<int32_t>* types) const;
  Status CheckNotStepping() const;
  // The forward pass and its steps (bert.cpp); the stepped run (bert_stepped.cpp) calls the same steps.
  Status Forward(const int32_t* ids, const int32_t* types, size_t n, const RunOptions& options, RunResult* out);
  Status Allocate(size_t n, const RunOptions& options, RunResult* out);
  void Embed(const Pass& p, float* x, const int32_t* ids, const int32_t* types, size_t n) const;
  Status ProjectQkv(const Pass& p, float* qkv, Layer& ly, const float* x, size_t n);
  void AttentionHeads(const Pass& p, float* probs, float* ctx, const float* qkv, size_t n) const;
  void HandOverQk(const Pass& p, float* queries, float* keys, const float* qkv, size_t n) const;
  void KeepLayerState(RunResult* out, const float* x, size_t index, size_t n) const;
  void HandOverValueNorms(const Pass& p, float* norms, float* summed, const float* probs, const float* qkv, const Layer& ly,
                  size_t n) const;  // bert_norms.cpp
  Status AttentionOutput(const Pass& p, float* x, Layer& ly, const float* ctx, size_t n);
  Status FeedForward(const Pass& p, float* x, Layer& ly, size_t n);
  Status Project(const Pass& p, float* y, Linear& lin, const float* x, size_t n);
  void AddNorm(const Pass& p, float* x, const float* y, const float* gamma, const float* beta, size_t n) const;
  Status Finish(const Pass& p, const int32_t* ids, size_t n, const RunOptions& options, RunResult* out);
  Status MaskedLmHead(const Pass& p, const int32_t* ids, size_t n, const RunOptions& options, RunResult* out);

  AlignedBuffer file_;  // the model file; tensors below point into it
  BertConfig config_;
  nlohmann::json meta_;
  std::unique_ptr<Tokenizer> tokenizer_;
  bool has_mlm_ = false;
  pthreadpool_t pool_ = nullptr;

  // Embeddings: word rows are f32 or int8 with per-row scales (also the tied MLM decoder).
  TensorView word_, position_, token_type_, emb_ln_gamma_, emb_ln_beta_;
  std::vector<std::unique_ptr<Layer>> layers_;
  // MLM head
  std::unique_ptr<Linear> mlm_transform_, mlm_decoder_;
  const float *mlm_ln_gamma_ = nullptr, *mlm_ln_beta_ = nullptr, *mlm_bias_ = nullptr;

  std::unique_ptr<Workspace> ws_;
  bool stepping_ = false;  // a stepped run holds the workspace (x carries the hidden state between steps)
  std::unique_ptr<RowQuantizer> quantizer_;
  Kernels kernels_{}, ref_kernels_{};  // chosen at load: the fast table, and every __ref kernel (RunOptions)
};

}  // namespace hl
