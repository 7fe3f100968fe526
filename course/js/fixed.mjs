// getUserData as it should ship: a deadline, a status check, one clear error per failure,
// and a caller that catches it. Options: --timeout-ms N (default 1000), then the URLs.
import { serve, userUrl } from "./_service.mjs";

export class UserFetchError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "UserFetchError";
  }
}

function why(err) {
  if (err?.name === "TimeoutError") return "no answer in time";
  const cause = err?.cause;
  return cause?.code ? `${err.message} (${cause.code})` : String(err?.message ?? err);
}

async function getUserData(id, { timeoutMs = 1000 } = {}) {
  const url = userUrl(id);
  // One deadline for the whole exchange: connecting, waiting for headers, reading the body.
  const signal = AbortSignal.timeout(timeoutMs);
  let resp;
  try {
    resp = await fetch(url, { signal });
  } catch (err) {
    throw new UserFetchError(`user ${id}: request failed: ${why(err)}`, { cause: err });
  }
  if (!resp.ok) {
    await resp.body?.cancel(); // nobody will read it: let the connection go
    throw new UserFetchError(`user ${id}: HTTP ${resp.status} ${resp.statusText}`);
  }
  try {
    return await resp.json();
  } catch (err) {
    const what = err instanceof SyntaxError ? `invalid JSON (${err.message})` : why(err);
    throw new UserFetchError(`user ${id}: bad body: ${what}`, { cause: err });
  }
}

const args = process.argv.slice(2);
const at = args.indexOf("--timeout-ms");
const timeoutMs = at === -1 ? 1000 : Number(args[at + 1]);
if (!(timeoutMs > 0)) {
  console.error("usage: node fixed.mjs [--timeout-ms N] URL [URL ...]");
  process.exit(64);
}
if (at !== -1) process.argv.splice(2 + at, 2); // _service.mjs reads the URLs that remain

serve(async (id) => {
  const started = performance.now();
  const ms = () => `${Math.round(performance.now() - started)} ms`;
  try {
    const user = await getUserData(id, { timeoutMs });
    return `ok ${JSON.stringify(user)} in ${ms()}`;
  } catch (err) {
    if (!(err instanceof UserFetchError)) throw err; // a bug, not a failed request: crash
    return `${err.name}: ${err.message} after ${ms()}`;
  }
});
