// Helpers shared by the engine tests: fixture paths, a seeded generator, building small models in memory.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/file_io.h"
#include "headlight.h"
#include "model/checkpoint_dir.h"
#include "model/convert.h"

namespace hltest {

inline std::string Fixture(const std::string& name) { return std::string(HL_FIXTURES_DIR) + "/" + name; }

// Two UD sentences in CoNLL-U for the syntactic-head tests: det, nsubj, obj and punct arcs, one SpaceAfter=No.
inline constexpr char kTwoSentences[] =
    "# sent_id = a\n"
    "1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_\n"
    "2\tstrawberries\tstrawberry\tNOUN\tNNS\t_\t3\tnsubj\t_\t_\n"
    "3\tgrew\tgrow\tVERB\tVBD\t_\t0\troot\t_\tSpaceAfter=No\n"
    "4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_\n"
    "\n"
    "# sent_id = b\n"
    "1\tShe\tshe\tPRON\tPRP\t_\t2\tnsubj\t_\t_\n"
    "2\tread\tread\tVERB\tVBD\t_\t0\troot\t_\t_\n"
    "3\tthe\tthe\tDET\tDT\t_\t4\tdet\t_\t_\n"
    "4\tbook\tbook\tNOUN\tNN\t_\t2\tobj\t_\t_\n\n";

// A fixture the test script generates; failing loudly (never skipping) when it is absent.
inline std::string RequireFixture(const std::string& name) {
  const std::string p = Fixture(name);
  INFO("missing fixture " << p << ": run `bash tools/test.sh` (it generates checkpoints with tools/reference/)");
  REQUIRE(hl::FileExists(p));
  return p;
}

inline std::vector<uint8_t> ConvertFixture(const std::string& dir, bool int8, bool f32_qk_input = false) {
  hl::CheckpointFiles files;
  hl::Status s = hl::ReadCheckpointDir(RequireFixture(dir).substr(0, Fixture(dir).size()), &files);
  INFO(s.message());
  REQUIRE(s.ok());
  hl::ConvertOptions opt;
  opt.int8 = int8;
  opt.f32_qk_input = f32_qk_input;
  opt.name = dir;
  std::vector<uint8_t> out;
  std::string report;
  s = hl::ConvertHuggingFace(files.view(), opt, &out, &report);
  INFO(s.message());
  REQUIRE(s.ok());
  return out;
}

inline hl::AlignedBuffer ToAligned(const std::vector<uint8_t>& bytes) {
  hl::AlignedBuffer b;
  REQUIRE(b.allocate(bytes.size()));
  std::copy(bytes.begin(), bytes.end(), b.data());
  return b;
}

// A model file's bytes loaded through the C API (hl_alloc, then hl_model_load, which owns them); its status.
inline int32_t LoadThroughApi(const std::vector<uint8_t>& bytes, int32_t* model) {
  void* p = hl_alloc(bytes.size());
  REQUIRE(p != nullptr);
  std::copy(bytes.begin(), bytes.end(), static_cast<uint8_t*>(p));
  return hl_model_load(p, bytes.size(), 1, model);
}

// n values ~ N(0, sd²), plus 16 zeros of slack: XNNPACK may read up to XNN_EXTRA_BYTES past an input.
inline std::vector<float> Random(std::mt19937& rng, size_t n, float sd) {
  std::normal_distribution<float> nd(0.0f, sd);
  std::vector<float> v(n + 16, 0.0f);
  for (size_t i = 0; i < n; ++i) v[i] = nd(rng);
  return v;
}

}  // namespace hltest
