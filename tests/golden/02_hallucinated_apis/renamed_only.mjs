// Each hallucinated name swapped for the real one, and nothing else.
export async function getUserData(url, timeoutMs = 5000) {
  const resp = await fetch(url);
  const data = await resp.json();
  return data;
}

export async function fetchText(url, timeoutMs) {
  const resp = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
  return await resp.text();
}
