/**
 * The one canonical form of each value a blind index is computed over, so
 * "Alice@Example.com " and "alice@example.com" find the same cardholder.
 * Import validation normalises with the same functions before storing.
 */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/** E.164 without separators: "+44 7700 900-123" → "+447700900123". */
export const normalisePhone = (phone: string): string => phone.replace(/[\s().-]/g, '');

/** Digits only: "1234 5678-9012 3456" → "1234567890123456". */
export const normalisePan = (pan: string): string => pan.replace(/[\s-]/g, '');
