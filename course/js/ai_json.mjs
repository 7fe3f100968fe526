// The article's getUserData after the one-word patch the TypeError asks for:
// .json_safe() -> .json(). Nothing else changed: no status check, no timeout, no catch.
import { serve, userUrl } from "./_service.mjs";

async function getUserData(id) {
  const resp = await fetch(userUrl(id));
  const data = await resp.json();
  return data;
}

serve(async (id) => JSON.stringify(await getUserData(id)));
