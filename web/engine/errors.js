// Typed engine errors: one class per C status code, each with a hint saying what to do.
export class HeadlightError extends Error {
  constructor(message, hint) {
    super(message);
    this.name = new.target.name;
    this.hint = hint;
  }
}
export class InvalidArgumentError extends HeadlightError {}
export class BadModelError extends HeadlightError {}
export class OutOfMemoryError extends HeadlightError {}
export class UnsupportedError extends HeadlightError {}
export class InternalError extends HeadlightError {}
/** The engine Worker stopped (a wasm trap or abort, after which its memory cannot be trusted; an exception in the Worker
 *  itself): EngineClient starts a new one with the same models and says so (its 'restart' event). No status code. */
export class EngineCrashedError extends HeadlightError {}
export const ENGINE_CRASHED_HINT = 'A new engine is started with the same model and the text runs again; if this text or '
  + 'model stops it again, please report it with the message.';

// Index = the engine's status code: one entry per HL_STATUS_* of wasm/include/headlight.h, in its order, each class
// named after its code (tests/js/contract.test.mjs checks both).
export const BY_STATUS = [
  null,  // HL_STATUS_OK
  [InvalidArgumentError, 'Check the input (text, model handle, options).'],
  [BadModelError, 'The model file is damaged or not a Headlight/BERT model: download or convert it again.'],
  [OutOfMemoryError, 'Try a shorter text, a smaller model, or close other tabs.'],
  [UnsupportedError, 'This checkpoint uses a feature Headlight does not support (see the message).'],
  [InternalError, 'This is a bug in Headlight: please report it with the message.'],
];

export function errorForStatus(status, message) {
  const [Cls, hint] = BY_STATUS[status] ?? [InternalError, 'Unknown status ' + status];
  return new Cls(message || `engine status ${status}`, hint);
}

/** An error of class Cls (one of BY_STATUS's) raised on the JS side, with its code's hint. */
export function errorOfClass(Cls, message) {
  const [, hint] = BY_STATUS.find((e) => e?.[0] === Cls);
  return new Cls(message, hint);
}

// Rebuilds a typed error from its structured-clone form (Worker messages).
export function errorFromJSON({ name, message, hint }) {
  const Cls = BY_STATUS.find((e) => e?.[0].name === name)?.[0] ?? (name === EngineCrashedError.name ? EngineCrashedError : HeadlightError);
  return new Cls(message, hint);
}
export function errorToJSON(e) {
  return { name: e.name ?? 'Error', message: e.message ?? String(e), hint: e.hint };
}
