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

const BY_STATUS = [
  null,
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

// Rebuilds a typed error from its structured-clone form (Worker messages).
export function errorFromJSON({ name, message, hint }) {
  const classes = { InvalidArgumentError, BadModelError, OutOfMemoryError, UnsupportedError, InternalError };
  const e = new (classes[name] ?? HeadlightError)(message, hint);
  return e;
}
export function errorToJSON(e) {
  return { name: e.name ?? 'Error', message: e.message ?? String(e), hint: e.hint };
}
