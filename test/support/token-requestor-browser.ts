/**
 * The cardholder's browser at a token requestor (the demo merchant or Click
 * to Pay): lands on the push link the bank handed out, then submits the
 * page's first form (save / add) or its second (cancel). The token requestor
 * answers with a redirect: to its own result page, followed here, or to the
 * bank's callback, returned as `callbackUrl` for the test to open with the
 * cardholder's session.
 */
export async function atTokenRequestor(
  pushLink: string,
  choice: 'accept' | 'cancel' = 'accept',
  fetch: typeof globalThis.fetch = globalThis.fetch,
) {
  const landing = await fetch(pushLink, { redirect: 'manual' });
  const landingPage = await landing.text();
  const cookie = landing.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const forms = [...landingPage.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/gs)];
  const chosen = forms[choice === 'accept' ? 0 : 1];
  const form = new URLSearchParams();
  for (const m of (chosen?.[2] ?? '').matchAll(/name="([^"]+)" value="([^"]*)"/g))
    form.append(m[1] ?? '', (m[2] ?? '').replace(/&amp;/g, '&'));
  const action = new URL(chosen?.[1] ?? '/', pushLink).toString();
  const submit = async () => {
    const posted = await fetch(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: form,
      redirect: 'manual',
    });
    const location = posted.headers.get('location');
    if (posted.status !== 303 || !location) return { status: posted.status, page: await posted.text() };
    const next = new URL(location, action);
    if (next.origin !== new URL(pushLink).origin)
      return { status: 303, page: '', callbackUrl: next.toString() };
    const result = await fetch(next, { headers: { cookie }, redirect: 'manual' });
    return { status: result.status, page: await result.text(), resultUrl: next.toString() };
  };
  const outcome = await submit();
  const back = /href="([^"]+\/callback\?[^"]*)"/.exec(outcome.page)?.[1]?.replace(/&amp;/g, '&');
  return {
    landingStatus: landing.status,
    landingPage,
    ...outcome,
    /** Where the token requestor sends the cardholder back to the bank. */
    callbackUrl: outcome.callbackUrl ?? back,
    again: submit,
    /** The cardholder's cookie at the token requestor, to see their saved cards later. */
    cookie,
  };
}
