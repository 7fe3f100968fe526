// Correct, written differently from the model: an AbortController with a timer, and
// errors sorted by a small helper.

/**
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<{status: number, text: string}>}
 */
async function getText(url, timeoutMs) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal });
    return { status: response.status, text: await response.text() };
  } catch (err) {
    if (controller.signal.aborted) {
      throw new Error(`${url} timed out after ${timeoutMs} ms`);
    }
    const code = err instanceof Error && err.cause instanceof Error ? /** @type {any} */ (err.cause).code : undefined;
    throw new Error(`${url} could not be fetched: ${code ?? String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @param {string} url
 * @param {number} [timeoutMs]
 * @returns {Promise<Record<string, unknown>>}
 */
export async function getUserData(url, timeoutMs = 5000) {
  const { status, text } = await getText(url, timeoutMs);
  if (status < 200 || status > 299) throw new Error(`${url} answered HTTP ${status}`);
  /** @type {unknown} */
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${url} sent invalid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${url} sent JSON that is not an object`);
  }
  return /** @type {Record<string, unknown>} */ (value);
}

/**
 * @param {string} url
 * @param {number} timeoutMs
 * @returns {Promise<string>}
 */
export async function fetchText(url, timeoutMs) {
  const { status, text } = await getText(url, timeoutMs);
  if (status >= 300 || status < 200) throw new Error(`${url} answered HTTP ${status}`);
  return text;
}
