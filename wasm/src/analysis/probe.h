// Linear probes on word vectors (Tenney et al. 2019, Liu et al. 2019): softmax regression with L2, trained by Adam on
// shuffled mini-batches; control tasks (Hewitt & Liang 2019: each word type a random but fixed label) and selectivity.
// Deterministic: the same data, options and seed give the same probe, bit for bit (one thread, a fixed order).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace hl {

struct ProbeOptions {
  uint64_t seed = 1;            // the shuffles and the initial weights
  int epochs = 20;              // passes over the training rows
  size_t batch = 32;            // rows per Adam step
  float learning_rate = 0.01f;  // Adam's step size
  float l2 = 1e-4f;             // weight decay on W (not on the bias), per row of the batch
};

// A linear classifier over standardised features: logits = W·((x − mean)·scale) + b.
struct SoftmaxProbe {
  size_t dim = 0, classes = 0;
  std::vector<float> mean, scale;  // [dim]: the training rows' mean and 1/std (1 where a feature is constant)
  std::vector<float> weights;      // [classes][dim]
  std::vector<float> bias;         // [classes]
};

// Trains on x [rows][dim] with labels y [rows] in [0, classes). InvalidArgument for no rows, no dimensions, fewer than
// two classes, a label out of range, a non-finite feature or an option out of range.
Status TrainSoftmaxProbe(SoftmaxProbe* out, const float* x, const int32_t* y, size_t rows, size_t dim, size_t classes,
                         const ProbeOptions& options);

// The probe's class (the largest logit, the first on ties) for each row: out [rows]; x [rows][dim].
void PredictSoftmaxProbe(int32_t* out, const SoftmaxProbe& probe, const float* x, size_t rows);

// The fraction of rows whose prediction equals the label; 0 for no rows.
double ProbeAccuracy(const int32_t* predicted, const int32_t* gold, size_t rows);

// The most frequent label of y [rows] (the smallest on ties), and the fraction of rows that have it.
int32_t MajorityLabel(const int32_t* y, size_t rows, double* fraction);

// Hewitt & Liang's control task for a tagging property: every word type (its form, lowercased ASCII) gets one label,
// drawn at random from the labels' distribution over the rows of `forms`/`labels` (the seed fixes the draws; a type's
// label does not depend on the order in which types are met). Called once over the training and held-out rows
// together, so that a type has the same label in both. control [rows].
void ControlLabels(std::vector<int32_t>* control, const std::vector<std::string>& forms, const int32_t* labels,
                   size_t rows, size_t classes, uint64_t seed);

// How a word's vector is made from its tokens' (a word split into pieces has several).
enum class WordPooling { kFirstPiece, kMeanOfPieces };

// One layer's word vectors for one sentence: each word's first token's state, or the mean of its tokens' states.
// out: [words][H] (zero for a word without tokens); has_token: [words]; states: [n][H]; token_word: [n] in [-1, words)
// (-1: a token of no word, [CLS]/[SEP]).
void PoolWordVectors(float* out, std::vector<bool>* has_token, const float* states, const int32_t* token_word, size_t n,
                     size_t hidden, size_t words, WordPooling pooling);

// Whether a treebank sentence is held out for testing: a hash of its id and the seed, so that the split depends on
// neither the order of the sentences nor which other sentences are used; about held_out_percent of them are.
bool HeldOutSentence(const std::string& sentence_id, uint64_t seed, int held_out_percent);

// A 64-bit hash of a word type (FNV-1a over its lowercased ASCII bytes), mixed with the seed: the control tasks' key.
uint64_t WordTypeKey(const std::string& form, uint64_t seed);

}  // namespace hl
