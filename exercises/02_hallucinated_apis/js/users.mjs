// Chapter 02, exercises 4 and 5: two functions an AI assistant wrote for Node 20.
// Edit this file, then run the notebook's check() cells. Each call of your functions runs
// in a fresh Node process against a local server that injects faults (grader/faults).
// `api_check(open("js/users.mjs").read(), language="javascript")` checks the calls you make
// against Node 20's own types.

/**
 * The user object at `url`, parsed from JSON.
 *
 * - Resolves to the JSON object when the status is 2xx and the body is a JSON object.
 * - Rejects with an `Error` (never a TypeError or SyntaxError thrown by your own code or
 *   leaking from fetch) whose message names the URL, and:
 *   - the status code (e.g. "404") when the status is not 2xx;
 *   - "JSON" when the body is not JSON, or is JSON but not an object (null, an array);
 *   - "timed out" when no complete answer came within `timeoutMs` milliseconds;
 *   - the cause (e.g. "ECONNREFUSED") when the server cannot be reached.
 * - Never leaves a promise rejected with nobody listening: that ends a Node process.
 *
 * @param {string} url
 * @param {number} [timeoutMs]
 * @returns {Promise<Record<string, unknown>>}
 */
export async function getUserData(url, timeoutMs = 5000) {
  // The article's AI version (ERROR 1: no status check; ERROR 2: .json_safe() does not
  // exist; ERROR 3: nothing catches a network failure).
  const resp = await fetch(url);
  const data = await resp.json_safe();
  return data;
}

/**
 * The body of `url` as text.
 *
 * - Resolves to the body when the status is 2xx.
 * - Rejects with an `Error` whose message names the URL and the status code when the
 *   status is not 2xx, and says "timed out" when the whole answer (headers and body) did
 *   not arrive within `timeoutMs` milliseconds: a slow server must not hold the caller
 *   for longer than that.
 *
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<string>}
 */
export async function fetchText(url, timeoutMs) {
  // The AI version: `timeout` reads well, and fetch ignores it without a word.
  const resp = await fetch(url, { timeout: timeoutMs });
  if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
  return await resp.text();
}
