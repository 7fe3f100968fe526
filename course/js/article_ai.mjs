// The article's getUserData, verbatim apart from the URL (see _service.mjs).
import { serve, userUrl } from "./_service.mjs";

async function getUserData(id) {
  const resp = await fetch(userUrl(id));
  // ERROR 1: No status check (AI assumes 200 OK)
  // ERROR 2: Hallucination - .json_safe() doesn't exist in standard Fetch API
  const data = await resp.json_safe();
  return data;
  // ERROR 3: No global Try/Catch - one network hiccup and the process crashes
}

serve(async (id) => JSON.stringify(await getUserData(id)));
