/**
 * Supervisor secret hashes. The implementation (versioned scrypt, constant-time comparison, a
 * per-process memo of verified secrets) lives with the rest of issue #6 in src/auth.
 */
export { hashSecret, verifySecret, needsRehash } from '../auth/secret-hash.js';
