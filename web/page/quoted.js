// A value read from an untrusted file, quoted for an error message: short whatever its size, and safe whatever its
// shape (String() and JSON.stringify overflow the stack on arrays nested 10,000 deep, and would print megabytes).

/** A string in quotes (cut after 40 characters), "an array", "an object", or any other value as String() writes it. */
export function quoted(v) {
  if (typeof v === 'string') return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}… (${v.length} characters)` : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}
