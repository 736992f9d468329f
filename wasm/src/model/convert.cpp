// Hugging Face checkpoint → Headlight file, streamed: safetensors header parsing as bytes arrive, name mapping, shape
// checks, int8 quantization straight into the planned output file.
#include "model/convert.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "model/tokenizer_header.h"
#include "quant/quantize.h"
#include "tokenizer/tokenizer.h"

namespace hl {
namespace {

constexpr uint64_t kMaxStHeader = 100ull << 20;  // a safetensors header beyond 100 MB is not a checkpoint's

std::string ShapeString(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

std::string Megabytes(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MB"; }

bool IsFloat(StDtype d) { return d == StDtype::kF32 || d == StDtype::kF16 || d == StDtype::kBF16 || d == StDtype::kF64; }

// A shard's file name as the index gives it: a plain name ending in .safetensors (it becomes part of a URL or path).
bool PlainShardName(const std::string& f) {
  if (f.size() < 13 || f.size() > 200 || f.compare(f.size() - 12, 12, ".safetensors") != 0 || f[0] == '.') return false;
  return std::all_of(f.begin(), f.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

Status IndexWeightMap(std::string_view index_json, const nlohmann::json** map, nlohmann::json* holder) {
  *holder = nlohmann::json::parse(index_json.begin(), index_json.end(), nullptr, false);
  if (holder->is_discarded() || !holder->is_object()) return BadModel("model.safetensors.index.json is not a JSON object");
  auto it = holder->find("weight_map");
  if (it == holder->end() || !it->is_object() || it->empty())
    return BadModel("model.safetensors.index.json has no \"weight_map\" (tensor name → file)");
  for (auto e = it->begin(); e != it->end(); ++e)
    if (!e->is_string() || !PlainShardName(e->get<std::string>()))
      return BadModel("model.safetensors.index.json: tensor \"" + e.key() + "\" maps to " + e->dump() +
                      ", not a plain file name ending in .safetensors");
  *map = &*it;
  return Status::Ok();
}

}  // namespace

Status Converter::ShardFiles(std::string_view index_json, std::vector<std::string>* files) {
  nlohmann::json holder;
  const nlohmann::json* map = nullptr;
  HL_RETURN_IF_ERROR(IndexWeightMap(index_json, &map, &holder));
  std::set<std::string> unique;
  for (const auto& f : *map) unique.insert(f.get<std::string>());
  files->assign(unique.begin(), unique.end());
  return Status::Ok();
}

Status Converter::Begin(const HfCheckpoint& texts, const ConvertOptions& options, std::unique_ptr<Converter>* out) {
  std::unique_ptr<Converter> c(new (std::nothrow) Converter());
  if (!c) return OutOfMemory("converter");
  const nlohmann::json cj = nlohmann::json::parse(texts.config_json.begin(), texts.config_json.end(), nullptr, false);
  if (cj.is_discarded()) return BadModel("config.json is not valid JSON");
  HL_RETURN_IF_ERROR(ConfigFromHuggingFace(cj, &c->config_));

  std::vector<std::string> vocab;
  BpeMerges merges;
  TokenizerOptions topt;
  HL_RETURN_IF_ERROR(TokenizerFromHuggingFaceFiles(texts.vocab_txt, texts.vocab_json, texts.merges_txt, texts.tokenizer_json,
                                                   texts.tokenizer_config_json, &topt, &vocab, &merges, &c->tokenizer_how_));
  if (vocab.size() > static_cast<size_t>(c->config_.vocab_size))
    return BadModel(std::string(topt.kind == TokenizerKind::kByteLevelBpe ? "the BPE vocabulary" : "vocab.txt") + " has " +
                    std::to_string(vocab.size()) + " entries but config.json's vocab_size is " + std::to_string(c->config_.vocab_size));
  std::unique_ptr<Tokenizer> check;
  HL_RETURN_IF_ERROR(Tokenizer::Create(vocab, merges, topt, &check));  // validates special tokens (and merges) against the vocab
  c->tokenizer_ = TokenizerToHeader(topt, vocab, merges);
  c->tokenizer_case_ = topt.kind == TokenizerKind::kByteLevelBpe ? "" : topt.lowercase ? ", lower-case" : ", cased";

  c->options_ = options;
  c->meta_ = {{"name", options.name},
              {"source", options.source},
              {"weights", options.int8 ? "int8" : "f32"},
              {"int8_embeddings", options.int8 && options.int8_embeddings},
              {"qk_input", options.int8 && !options.f32_qk_input ? "int8" : "f32"},
              {"tokenizer_settings_from", c->tokenizer_how_},
              {"converter", "headlight-convert 3"}};
  if (!texts.index_json.empty()) {
    nlohmann::json holder;
    const nlohmann::json* map = nullptr;
    HL_RETURN_IF_ERROR(IndexWeightMap(texts.index_json, &map, &holder));
    std::vector<std::string> names;
    for (auto e = map->begin(); e != map->end(); ++e) names.push_back(e.key());
    c->sharded_ = true;
    HL_RETURN_IF_ERROR(c->PlanFrom(names));
  }
  *out = std::move(c);
  return Status::Ok();
}

// Knowing every tensor name: which heads the checkpoint has, the output layout, and the memory it needs.
Status Converter::PlanFrom(const std::vector<std::string>& hf_names) {
  const char* file = sharded_ ? "model.safetensors.index.json" : "model.safetensors";
  std::map<std::string, std::string> names;  // Headlight name → checkpoint name
  for (const std::string& n : hf_names) {
    HL_RETURN_IF_ERROR(CheckTensorFamily(config_.family, n));
    const std::string c = HeadlightTensorName(config_.family, n);
    if (c.empty()) continue;
    if (!names.emplace(c, n).second)
      return BadModel(std::string(file) + " holds \"" + c + "\" twice (as \"" + names[c] + "\" and \"" + n + "\")");
  }
  heads_.mlm = names.count("cls.predictions.transform.dense.weight") > 0;
  heads_.pooler = names.count("pooler.dense.weight") > 0;
  heads_.nsp = names.count("cls.seq_relationship.weight") > 0;
  heads_.untied_decoder = names.count("cls.predictions.decoder.weight") > 0;  // until Finish compares it with the embeddings
  if (heads_.nsp && !heads_.pooler) return BadModel(std::string(file) + " has cls.seq_relationship but no pooler.dense");

  std::vector<ExpectedTensor> expected = ExpectedTensors(config_, heads_);
  for (const ExpectedTensor& e : expected) expected_.emplace(e.name, e);
  for (const auto& kv : names)
    if (!expected_.count(kv.first))
      return BadModel(std::string(file) + ": unexpected tensor \"" + kv.second + "\" (this converter reads " +
                      CheckpointClasses(config_.family) + " checkpoints)");
  for (const ExpectedTensor& e : expected)
    if (!names.count(e.name))
      return BadModel(std::string(file) + ": missing tensor \"" + CheckpointTensorName(config_.family, e.name) +
                      "\" (with or without \"" + FamilyName(config_.family) + ".\")");

  // The decoder goes last, so that the layout without it (tied: it equals the embeddings) is a prefix of this one's data.
  std::stable_partition(expected.begin(), expected.end(), [](const ExpectedTensor& e) { return e.name != "cls.predictions.decoder.weight"; });
  std::vector<TensorSpec> specs;
  uint64_t largest = 0;
  for (const ExpectedTensor& e : expected) {
    const bool q8 = options_.int8 && (e.role == TensorRole::kLinearWeight || (e.role == TensorRole::kEmbedding && options_.int8_embeddings));
    const bool panels = q8 && e.role == TensorRole::kLinearWeight && !options_.int8_rows;  // loaded without packing
    specs.push_back({e.name, q8 ? TensorDtype::kI8 : TensorDtype::kF32, e.shape, panels ? Int8Layout::kPanels8c2 : Int8Layout::kRows});
    uint64_t n = 4;
    for (int64_t d : e.shape) n *= static_cast<uint64_t>(d);
    largest = std::max(largest, n);
  }
  HL_RETURN_IF_ERROR(ModelFileLayout::Plan(config_, tokenizer_, meta_, specs, &layout_));
  if (heads_.untied_decoder) {
    specs.pop_back();
    HL_RETURN_IF_ERROR(ModelFileLayout::Plan(config_, tokenizer_, meta_, specs, &tied_layout_));
  }
  const std::string need = "the converted model needs " + Megabytes(layout_.file_size()) + ", plus " + Megabytes(largest) +
                           " for one tensor while converting";
  const bool addressable = layout_.file_size() <= SIZE_MAX && largest <= SIZE_MAX;  // wasm32: size_t is 32 bits
  if (!addressable || !out_.allocate(static_cast<size_t>(layout_.file_size())) || !tensor_.allocate(static_cast<size_t>(largest)))
    return OutOfMemory(need + ", and the engine could not get that much memory (a browser tab's WebAssembly memory is at "
                       "most 4 GB, less what is already in use): choose a smaller model, or close other models first");
  std::memset(out_.data(), 0, out_.size());  // alignment padding is part of the checksum
  planned_ = true;
  return Status::Ok();
}

// A file's header has arrived: its tensors in data order, checked against the plan before any of their bytes come.
Status Converter::StartFile(const uint8_t* json, size_t length) {
  SafetensorsFile file;
  HL_RETURN_IF_ERROR(SafetensorsFile::ParseHeader(json, length, UINT64_MAX, &file));
  if (!planned_) {
    if (files_ > 0) return InvalidArgument("a checkpoint of several safetensors files needs its model.safetensors.index.json");
    std::vector<std::string> names;
    for (const auto& kv : file.tensors()) names.push_back(kv.first);
    HL_RETURN_IF_ERROR(PlanFrom(names));
  }
  pending_.clear();
  size_t largest = 0;
  std::set<std::string> here;
  for (const auto& kv : file.tensors()) {
    HL_RETURN_IF_ERROR(CheckTensorFamily(config_.family, kv.first));
    Pending p{kv.first, HeadlightTensorName(config_.family, kv.first), kv.second};
    if (!p.name.empty()) {
      auto e = expected_.find(p.name);
      if (e == expected_.end())
        return BadModel("safetensors file " + std::to_string(files_ + 1) + ": unexpected tensor \"" + p.hf_name + "\"");
      if (done_.count(p.name) || !here.insert(p.name).second)
        return BadModel("tensor \"" + p.name + "\" appears twice in the checkpoint's safetensors files");
      if (p.t.shape != e->second.shape)
        return BadModel("model.safetensors: tensor \"" + CheckpointTensorName(config_.family, p.name) + "\" has shape " +
                        ShapeString(p.t.shape) + " but config.json implies " + ShapeString(e->second.shape));
      if (!IsFloat(p.t.dtype))
        return BadModel("model.safetensors: tensor \"" + p.hf_name + "\" has dtype " + StDtypeName(p.t.dtype) +
                        ", expected F32, F16, BF16 or F64");
      largest = std::max(largest, p.t.bytes);
    }
    pending_.push_back(std::move(p));
  }
  std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) { return a.t.offset < b.t.offset; });
  data_end_ = 0;
  for (const Pending& p : pending_) {
    if (p.t.offset < data_end_) return BadModel("model.safetensors: the data of \"" + p.hf_name + "\" overlaps another tensor's");
    data_end_ = p.t.offset + p.t.bytes;
  }
  if (largest > tensor_.size() && !tensor_.allocate(largest))
    return OutOfMemory("no memory for one tensor of " + Megabytes(largest) + " while converting");
  next_ = 0;
  at_ = 0;
  tensor_fill_ = 0;
  phase_ = data_end_ == 0 ? Phase::kDone : Phase::kData;
  return Status::Ok();
}

Status Converter::Feed(const uint8_t* data, size_t size) {
  if (size) hash_.Update(data, size);
  while (size > 0) {
    if (phase_ == Phase::kLength || phase_ == Phase::kHeader) {
      const size_t want = phase_ == Phase::kLength ? 8 : static_cast<size_t>(8 + header_len_);
      const size_t take = std::min(size, want - head_.size());
      head_.insert(head_.end(), data, data + take);
      data += take;
      size -= take;
      if (head_.size() < want) break;
      if (phase_ == Phase::kLength) {
        header_len_ = load_u64le(head_.data());
        if (header_len_ == 0 || header_len_ > kMaxStHeader)
          return BadModel("model.safetensors: header length " + std::to_string(header_len_) + " is not a safetensors file's");
        phase_ = Phase::kHeader;
      } else {
        HL_RETURN_IF_ERROR(StartFile(head_.data() + 8, static_cast<size_t>(header_len_)));
      }
      continue;
    }
    if (phase_ == Phase::kDone)
      return BadModel("model.safetensors: " + std::to_string(size) + " bytes more after the last tensor's data");
    const Pending& p = pending_[next_];
    if (at_ < p.t.offset) {  // a gap before this tensor (none in files written by the safetensors library)
      const size_t skip = static_cast<size_t>(std::min<uint64_t>(size, p.t.offset - at_));
      data += skip, size -= skip, at_ += skip;
      continue;
    }
    const size_t take = std::min(size, p.t.bytes - tensor_fill_);
    if (!p.name.empty()) std::memcpy(tensor_.data() + tensor_fill_, data, take);
    tensor_fill_ += take, data += take, size -= take, at_ += take;
    if (tensor_fill_ < p.t.bytes) break;
    if (!p.name.empty()) HL_RETURN_IF_ERROR(TakeTensor(p, tensor_.data()));
    tensor_fill_ = 0;
    while (++next_ < pending_.size() && pending_[next_].t.bytes == 0 && pending_[next_].t.offset <= at_) {}
    if (next_ == pending_.size()) phase_ = Phase::kDone;
  }
  return Status::Ok();
}

// One tensor's bytes (as stored) → f32 → its slot in the output (int8 rows + scales, or f32).
Status Converter::TakeTensor(const Pending& p, const uint8_t* bytes) {
  StTensor t = p.t;
  t.data = bytes;
  const float* f32 = reinterpret_cast<const float*>(bytes);  // tensor_ is 64-byte aligned; wasm and x86 are little-endian
  if (t.dtype != StDtype::kF32) {
    try {
      f32_.resize(static_cast<size_t>(t.numel()));
    } catch (const std::bad_alloc&) {
      return OutOfMemory("no memory to widen \"" + p.hf_name + "\" to f32 while converting");
    }
    HL_RETURN_IF_ERROR(SafetensorsFile::ToF32(t, f32_.data()));
    f32 = f32_.data();
  }
  const size_t n = static_cast<size_t>(t.numel());
  if (p.name == "embeddings.word_embeddings.weight") word_hash_ = Checksum64(reinterpret_cast<const uint8_t*>(f32), 4 * n);
  if (p.name == "cls.predictions.decoder.weight") decoder_hash_ = Checksum64(reinterpret_cast<const uint8_t*>(f32), 4 * n);
  HL_RETURN_IF_ERROR(Store(expected_.at(p.name), f32));
  done_.insert(p.name);
  return Status::Ok();
}

Status Converter::Store(const ExpectedTensor& e, const float* f32) {
  const ModelFileLayout::Slot* slot = layout_.find(e.name);
  if (!slot) return Internal("converter: no slot for \"" + e.name + "\"");
  uint8_t* base = out_.data() + layout_.data_start();
  if (slot->spec.dtype == TensorDtype::kI8) {
    const size_t rows = static_cast<size_t>(e.shape[0]), cols = static_cast<size_t>(e.shape[1]);
    int8_t* q = reinterpret_cast<int8_t*>(base + slot->offset);
    float* scales = reinterpret_cast<float*>(base + slot->scales_offset);
    if (slot->spec.layout == Int8Layout::kRows) {
      quantize_rows_qs8__ref(q, scales, f32, rows, cols);
      return Status::Ok();
    }
    try {
      rows_.resize(rows * cols);
    } catch (const std::bad_alloc&) {
      return OutOfMemory("no memory to pack \"" + e.name + "\" while converting");
    }
    quantize_rows_qs8__ref(rows_.data(), scales, f32, rows, cols);
    pack_8c2(q, rows_.data(), rows, cols);
  } else {
    std::memcpy(base + slot->offset, f32, slot->bytes);
  }
  return Status::Ok();
}

Status Converter::EndFile() {
  const bool complete = phase_ == Phase::kDone;
  const std::string got = std::to_string(phase_ == Phase::kData ? 8 + header_len_ + at_ : head_.size());
  if (!complete) {
    if (phase_ == Phase::kLength && head_.empty()) return BadModel("safetensors file " + std::to_string(files_ + 1) + " is empty");
    return BadModel("model.safetensors ended after " + got + " bytes" +
                    (phase_ == Phase::kData ? " of " + std::to_string(8 + header_len_ + data_end_) + ", inside \"" + pending_[next_].hf_name + "\""
                                            : ", inside its header") +
                    " (truncated download?)");
  }
  head_.clear();
  pending_.clear();
  phase_ = Phase::kLength;
  last_sha256_ = hash_.HexDigest();
  ++files_;
  return Status::Ok();
}

Status Converter::Finish(AlignedBuffer* out, std::string* report) {
  if (!planned_ || files_ == 0) return InvalidArgument("no safetensors file was given to convert");
  if (phase_ != Phase::kLength) return InvalidArgument("the last safetensors file was not ended (EndFile)");
  for (const auto& kv : expected_)
    if (!done_.count(kv.first))
      return BadModel("tensor \"" + kv.first + "\" never arrived" + (sharded_ ? " (the index lists it, its file does not hold it)" : ""));
  const bool tied = heads_.untied_decoder && decoder_hash_ == word_hash_;
  const ModelFileLayout& layout = tied ? tied_layout_ : layout_;
  if (tied)  // its header is shorter: the data (all but the decoder, which was last) moves down to where it starts
    std::memmove(out_.data() + layout.data_start(), out_.data() + layout_.data_start(), layout.file_size() - 8 - layout.data_start());
  out_.truncate(layout.file_size());
  layout.Seal(out_.data());
  const BertConfig& c = config_;
  const size_t n_int8 = std::count_if(layout.slots().begin(), layout.slots().end(),
                                      [](const ModelFileLayout::Slot& s) { return s.spec.dtype == TensorDtype::kI8; });
  *report = std::string("config: ") + FamilyName(c.family) + " L=" + std::to_string(c.num_layers) + " H=" + std::to_string(c.hidden_size) +
            " A=" + std::to_string(c.num_heads) + " F=" + std::to_string(c.intermediate_size) + " V=" + std::to_string(c.vocab_size) +
            "; heads: mlm=" + (heads_.mlm ? "yes" : "no") + (heads_.untied_decoder && !tied ? " (untied decoder)" : "") +
            " pooler=" + (heads_.pooler ? "yes" : "no") + " nsp=" + (heads_.nsp ? "yes" : "no") + "; tensors: " +
            std::to_string(n_int8) + " int8, " + std::to_string(layout.slots().size() - n_int8) + " f32; files: " +
            std::to_string(files_) + "; tokenizer: " + tokenizer_how_ + tokenizer_case_ + "; " + std::to_string(out_.size()) + " bytes";
  *out = std::move(out_);
  planned_ = false;
  return Status::Ok();
}

Status ConvertHuggingFace(const HfCheckpoint& ckpt, const ConvertOptions& options, std::vector<uint8_t>* out,
                          std::string* report) {
  std::unique_ptr<Converter> c;
  HL_RETURN_IF_ERROR(Converter::Begin(ckpt, options, &c));
  std::vector<ByteSpan> files = ckpt.shards;
  if (ckpt.index_json.empty()) files = {{ckpt.safetensors, ckpt.safetensors_size}};  // none at all: "is empty"
  for (const ByteSpan& f : files) {
    HL_RETURN_IF_ERROR(c->Feed(f.data, f.size));
    HL_RETURN_IF_ERROR(c->EndFile());
  }
  AlignedBuffer file;
  HL_RETURN_IF_ERROR(c->Finish(&file, report));
  out->assign(file.data(), file.data() + file.size());
  return Status::Ok();
}

}  // namespace hl
