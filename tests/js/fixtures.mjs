// Test helpers: the repository root and the Hugging Face-layout fixture checkpoints that tests/fixtures/make_fixtures.sh writes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** build/fixtures/<name>: {config, vocab, tokenizerConfig, safetensors} as the engine's convert takes them. */
export function checkpoint(name) {
  const dir = path.join(root, 'build', 'fixtures', name);
  return {
    config: readFileSync(path.join(dir, 'config.json'), 'utf8'),
    vocab: readFileSync(path.join(dir, 'vocab.txt'), 'utf8'),
    tokenizerConfig: readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'),
    safetensors: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))),
  };
}
