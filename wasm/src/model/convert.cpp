// Hugging Face checkpoint → Headlight file: name mapping, shape checks, int8 quantization, header.
#include "model/convert.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "model/config.h"
#include "model/model_file.h"
#include "model/safetensors.h"
#include "model/tensor_names.h"
#include "model/tokenizer_header.h"
#include "quant/quantize.h"
#include "tokenizer/tokenizer.h"

namespace hl {
namespace {

std::string ShapeString(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

}  // namespace

Status ConvertHuggingFace(const HfCheckpoint& ckpt, const ConvertOptions& options, std::vector<uint8_t>* out,
                          std::string* report) {
  const nlohmann::json cj = nlohmann::json::parse(ckpt.config_json.begin(), ckpt.config_json.end(), nullptr, false);
  if (cj.is_discarded()) return BadModel("config.json is not valid JSON");
  BertConfig config;
  HL_RETURN_IF_ERROR(ConfigFromHuggingFace(cj, &config));

  std::vector<std::string> vocab;
  BpeMerges merges;
  TokenizerOptions topt;
  std::string tokenizer_how;
  HL_RETURN_IF_ERROR(TokenizerFromHuggingFaceFiles(ckpt.vocab_txt, ckpt.vocab_json, ckpt.merges_txt, ckpt.tokenizer_json,
                                                   ckpt.tokenizer_config_json, &topt, &vocab, &merges, &tokenizer_how));
  if (vocab.size() > static_cast<size_t>(config.vocab_size))
    return BadModel(std::string(topt.kind == TokenizerKind::kByteLevelBpe ? "the BPE vocabulary" : "vocab.txt") + " has " +
                    std::to_string(vocab.size()) + " entries but config.json's vocab_size is " + std::to_string(config.vocab_size));
  std::unique_ptr<Tokenizer> check;
  HL_RETURN_IF_ERROR(Tokenizer::Create(vocab, merges, topt, &check));  // validates special tokens (and merges) against the vocab

  SafetensorsFile st;
  HL_RETURN_IF_ERROR(SafetensorsFile::Parse(ckpt.safetensors, ckpt.safetensors_size, &st));
  std::map<std::string, const StTensor*> by_name;  // canonical name → tensor
  std::set<std::string> ignored;
  for (const auto& kv : st.tensors()) {
    const std::string c = HeadlightTensorName(config.family, kv.first);
    if (c.empty()) { ignored.insert(kv.first); continue; }
    if (!by_name.emplace(c, &kv.second).second)
      return BadModel("model.safetensors holds \"" + kv.first + "\" twice (with and without the bert. prefix)");
  }

  HeadSet heads;
  heads.mlm = by_name.count("cls.predictions.transform.dense.weight") > 0;
  heads.pooler = by_name.count("pooler.dense.weight") > 0;
  heads.nsp = by_name.count("cls.seq_relationship.weight") > 0;
  if (heads.nsp && !heads.pooler) return BadModel("model.safetensors has cls.seq_relationship but no pooler.dense");

  std::vector<float> word_f32;  // needed to compare against an explicit decoder
  if (auto it = by_name.find("embeddings.word_embeddings.weight"); it != by_name.end())
    HL_RETURN_IF_ERROR(SafetensorsFile::ToF32(*it->second, &word_f32));
  if (auto it = by_name.find("cls.predictions.decoder.weight"); it != by_name.end()) {
    std::vector<float> dec;
    HL_RETURN_IF_ERROR(SafetensorsFile::ToF32(*it->second, &dec));
    heads.untied_decoder = dec != word_f32;
    if (!heads.untied_decoder) ignored.insert("cls.predictions.decoder.weight");
  }

  const std::vector<ExpectedTensor> expected = ExpectedTensors(config, heads);
  std::set<std::string> expected_names;
  for (const auto& e : expected) expected_names.insert(e.name);
  for (const auto& kv : by_name)
    if (!expected_names.count(kv.first) && !ignored.count(kv.first))
      return BadModel("model.safetensors: unexpected tensor \"" + kv.first +
                      "\" (this converter reads BertModel, BertForMaskedLM and BertForPreTraining checkpoints)");

  nlohmann::json meta{{"name", options.name},
                      {"source", options.source},
                      {"weights", options.int8 ? "int8" : "f32"},
                      {"int8_embeddings", options.int8 && options.int8_embeddings},
                      {"qk_input", options.int8 && !options.f32_qk_input ? "int8" : "f32"},
                      {"tokenizer_settings_from", tokenizer_how},
                      {"converter", "headlight-convert 1"}};
  ModelFileWriter writer(config, TokenizerToHeader(topt, vocab, merges), meta);
  std::vector<float> f32;
  std::vector<int8_t> q;
  std::vector<float> scales;
  size_t n_int8 = 0, n_f32 = 0;
  for (const ExpectedTensor& e : expected) {
    auto it = by_name.find(e.name);
    if (it == by_name.end()) return BadModel("model.safetensors: missing tensor \"" + e.name + "\" (with or without \"bert.\")");
    const StTensor& t = *it->second;
    if (t.shape != e.shape)
      return BadModel("model.safetensors: tensor \"" + e.name + "\" has shape " + ShapeString(t.shape) + " but config.json implies " +
                      ShapeString(e.shape));
    HL_RETURN_IF_ERROR(SafetensorsFile::ToF32(t, &f32));
    const bool quantize = options.int8 && (e.role == TensorRole::kLinearWeight ||
                                           (e.role == TensorRole::kEmbedding && options.int8_embeddings));
    if (quantize) {
      const size_t rows = static_cast<size_t>(e.shape[0]), cols = static_cast<size_t>(e.shape[1]);
      q.resize(rows * cols);
      scales.resize(rows);
      quantize_rows_qs8__ref(q.data(), scales.data(), f32.data(), rows, cols);
      writer.AddI8(e.name, e.shape, q.data(), scales.data());
      ++n_int8;
    } else {
      writer.AddF32(e.name, e.shape, f32.data());
      ++n_f32;
    }
  }
  HL_RETURN_IF_ERROR(writer.Finish(out));
  *report = "config: L=" + std::to_string(config.num_layers) + " H=" + std::to_string(config.hidden_size) +
            " A=" + std::to_string(config.num_heads) + " F=" + std::to_string(config.intermediate_size) +
            " V=" + std::to_string(config.vocab_size) + "; heads: mlm=" + (heads.mlm ? "yes" : "no") +
            (heads.untied_decoder ? " (untied decoder)" : "") + " pooler=" + (heads.pooler ? "yes" : "no") +
            " nsp=" + (heads.nsp ? "yes" : "no") + "; tensors: " + std::to_string(n_int8) + " int8, " + std::to_string(n_f32) +
            " f32; tokenizer: " + tokenizer_how +
            (topt.kind == TokenizerKind::kByteLevelBpe ? "" : topt.lowercase ? ", lower-case" : ", cased") + "; " +
            std::to_string(out->size()) + " bytes";
  return Status::Ok();
}

}  // namespace hl
