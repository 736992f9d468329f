// Loading a BertModel: checks the file's tensors against its config, starts the threads, chooses the kernel tables
// and builds the linear layers (XNNPACK operators or Headlight's packed int8 weights).
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "model/bert.h"
#include "model/bert_parts.h"
#include "model/tensor_names.h"
#include "model/tokenizer_header.h"

namespace hl {

BertModel::~BertModel() {
  layers_.clear();
  mlm_transform_.reset();
  mlm_decoder_.reset();
  quantizer_.reset();
  if (pool_) pthreadpool_destroy(pool_);
}

bool BertModel::is_int8() const { return !layers_.empty() && layers_[0]->query.is_int8(); }

int32_t BertModel::num_threads() const { return pool_ ? static_cast<int32_t>(pthreadpool_get_threads_count(pool_)) : 1; }

Status BertModel::Load(AlignedBuffer file, const LoadOptions& options, std::unique_ptr<BertModel>* out) {
  std::unique_ptr<BertModel> m(new (std::nothrow) BertModel());
  if (!m) return OutOfMemory("model object");
  m->file_ = std::move(file);
  ModelFileView view;
  HL_RETURN_IF_ERROR(ParseModelFile(m->file_.data(), m->file_.size(), &view));
  HL_RETURN_IF_ERROR(m->Build(view, options));
  *out = std::move(m);
  return Status::Ok();
}

Status BertModel::Build(const ModelFileView& view, const LoadOptions& options) {
  config_ = view.config;
  meta_ = view.meta;
  TokenizerOptions topt;
  std::vector<std::string> vocab;
  BpeMerges merges;
  HL_RETURN_IF_ERROR(TokenizerFromHeader(view.tokenizer, &topt, &vocab, &merges));
  if (vocab.size() > static_cast<size_t>(config_.vocab_size))
    return BadModel("model tokenizer has " + std::to_string(vocab.size()) + " entries, more than vocab_size " +
                    std::to_string(config_.vocab_size));
  HL_RETURN_IF_ERROR(Tokenizer::Create(std::move(vocab), std::move(merges), topt, &tokenizer_));

  HeadSet heads;
  heads.mlm = view.find("cls.predictions.transform.dense.weight") != nullptr;
  heads.untied_decoder = view.find("cls.predictions.decoder.weight") != nullptr;
  heads.pooler = view.find("pooler.dense.weight") != nullptr;
  heads.nsp = view.find("cls.seq_relationship.weight") != nullptr;
  has_mlm_ = heads.mlm;
  // Every expected tensor must be present with the config's shape and a dtype its role allows.
  for (const ExpectedTensor& e : ExpectedTensors(config_, heads)) {
    const TensorView* t = view.find(e.name);
    if (!t) return BadModel("model file: missing tensor \"" + e.name + "\"");
    if (t->shape != e.shape) return BadModel("model file: tensor \"" + e.name + "\" has the wrong shape for this config");
    if (e.role == TensorRole::kF32 && t->dtype != TensorDtype::kF32)
      return BadModel("model file: tensor \"" + e.name + "\" must be f32");
    if (e.role != TensorRole::kLinearWeight && t->layout != Int8Layout::kRows)  // the embedding lookup reads rows
      return BadModel("model file: tensor \"" + e.name + "\" must be stored in rows");
  }
  auto T = [&](const std::string& name) -> const TensorView& { return *view.find(name); };

  if (options.num_threads > 1) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
    // single-thread wasm build: stay on one thread (the page picks the threaded build when it can)
#else
    pool_ = pthreadpool_create(static_cast<size_t>(options.num_threads));
    if (!pool_) return OutOfMemory("could not start " + std::to_string(options.num_threads) + " threads");
#endif
  }
  quantizer_ = std::make_unique<RowQuantizer>();  // its XNNPACK operator is made last, below
  // Chosen once: the fast kernels (and the int8 GEMM the layers below are built for), and their __ref twins.
  kernels_ = FastKernels(config_.hidden_act, pool_, quantizer_.get());
  ref_kernels_ = ReferenceKernels(kernels_, config_.hidden_act);

  word_ = T("embeddings.word_embeddings.weight");
  position_ = T("embeddings.position_embeddings.weight");
  if (config_.type_vocab_size > 0) token_type_ = T("embeddings.token_type_embeddings.weight");
  emb_ln_gamma_ = T("embeddings.LayerNorm.weight");
  emb_ln_beta_ = T("embeddings.LayerNorm.bias");

  const size_t H = config_.hidden_size, F = config_.intermediate_size;
  auto init_linear = [&](Linear& lin, const std::string& prefix, size_t y_stride, Int8Input input) -> Status {
    const TensorView& w = T(prefix + ".weight");
    const TensorView& b = T(prefix + ".bias");
    return lin.Init(static_cast<size_t>(w.shape[1]), static_cast<size_t>(w.shape[0]), y_stride, w.f32, w.i8, w.layout, w.scales,
                    b.f32, input, kernels_.int8_gemm);
  };
  // meta "qk_input" (hl-convert --f32-qk-input): with "f32", int8 queries and keys read f32 activations.
  // The attention shown is softmax(q·k); int8 inputs there moved the built-in model's most-attended token
  // in 2.12% of rows (1.55% with f32 inputs), but f32_qc8w runs Q and K ~5× slower in wasm.
  const nlohmann::json qk = meta_.value("qk_input", nlohmann::json("int8"));
  if (qk != "int8" && qk != "f32") return BadModel("model file: meta qk_input must be \"int8\" or \"f32\"");
  const Int8Input kQK = qk == "f32" ? Int8Input::kF32 : Int8Input::kQuantized, kRest = Int8Input::kQuantized;
  for (int32_t l = 0; l < config_.num_layers; ++l) {
    auto layer = std::make_unique<Layer>();
    HL_RETURN_IF_ERROR(init_linear(layer->query, LayerTensor(l, "attention.self.query"), 3 * H, kQK));
    HL_RETURN_IF_ERROR(init_linear(layer->key, LayerTensor(l, "attention.self.key"), 3 * H, kQK));
    HL_RETURN_IF_ERROR(init_linear(layer->value, LayerTensor(l, "attention.self.value"), 3 * H, kRest));
    HL_RETURN_IF_ERROR(init_linear(layer->attn_out, LayerTensor(l, "attention.output.dense"), H, kRest));
    HL_RETURN_IF_ERROR(init_linear(layer->ff_in, LayerTensor(l, "intermediate.dense"), F, kRest));
    HL_RETURN_IF_ERROR(init_linear(layer->ff_out, LayerTensor(l, "output.dense"), H, kRest));
    const bool int8 = layer->query.is_int8();
    for (Linear* lin : {&layer->key, &layer->value, &layer->attn_out, &layer->ff_in, &layer->ff_out})
      if (lin->is_int8() != int8) return BadModel("model file mixes int8 and f32 linear weights within layer " + std::to_string(l));
    layer->ln1_gamma = T(LayerTensor(l, "attention.output.LayerNorm.weight")).f32;
    layer->ln1_beta = T(LayerTensor(l, "attention.output.LayerNorm.bias")).f32;
    layer->ln2_gamma = T(LayerTensor(l, "output.LayerNorm.weight")).f32;
    layer->ln2_beta = T(LayerTensor(l, "output.LayerNorm.bias")).f32;
    layers_.push_back(std::move(layer));
  }
  if (has_mlm_) {
    mlm_transform_ = std::make_unique<Linear>();
    HL_RETURN_IF_ERROR(init_linear(*mlm_transform_, "cls.predictions.transform.dense", H, kRest));
    mlm_ln_gamma_ = T("cls.predictions.transform.LayerNorm.weight").f32;
    mlm_ln_beta_ = T("cls.predictions.transform.LayerNorm.bias").f32;
    mlm_bias_ = T("cls.predictions.bias").f32;
    const TensorView& dec = heads.untied_decoder ? T("cls.predictions.decoder.weight") : word_;
    mlm_decoder_ = std::make_unique<Linear>();
    HL_RETURN_IF_ERROR(mlm_decoder_->Init(H, static_cast<size_t>(config_.vocab_size), static_cast<size_t>(config_.vocab_size),
                                          dec.f32, dec.i8, dec.layout, dec.scales, mlm_bias_, kRest, kernels_.int8_gemm));
  }
  HL_RETURN_IF_ERROR(quantizer_->Init());
  ws_ = std::make_unique<Workspace>();
  return Status::Ok();
}

}  // namespace hl
