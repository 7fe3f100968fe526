// Does fetch(url, { timeout }) time out? node fetch_timeout.mjs option|signal URL MS
//   option: fetch(url, { timeout: MS })                     (a plausible, made-up option)
//   signal: fetch(url, { signal: AbortSignal.timeout(MS) }) (the real one)
const [how, url, msText] = process.argv.slice(2);
const ms = Number(msText);
if (!["option", "signal"].includes(how) || !url || !(ms > 0)) {
  console.error("usage: node fetch_timeout.mjs option|signal URL MS");
  process.exit(64);
}
const init = how === "option" ? { timeout: ms } : { signal: AbortSignal.timeout(ms) };
const started = performance.now();
const elapsed = () => Math.round(performance.now() - started);
try {
  const resp = await fetch(url, init);
  await resp.json();
  console.log(`${how}: HTTP ${resp.status} after ${elapsed()} ms (asked for ${ms} ms)`);
} catch (err) {
  console.log(`${how}: ${err.name}: ${err.message} after ${elapsed()} ms (asked for ${ms} ms)`);
}
