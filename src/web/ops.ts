import { html, type SafeHtml } from '../core/html.js';

/**
 * The ops dashboard's page. The key is asked once and kept in the tab's
 * sessionStorage: the page holds no data until the script fetches the ops
 * routes with it. Its forms post (to a redirect back here) so that, before
 * the script runs, neither the key nor a search lands in an address or a log.
 */
/**
 * A chart's place: drawn by the script with uPlot. The canvas is hidden from
 * screen readers, which read the same figures in the table that follows it.
 */
const chart = (id: string, caption: string) =>
  html`<figure class="chart"><figcaption>${caption}</figcaption><div id="${id}" class="chart-box" aria-hidden="true"></div></figure>`;

export const opsPage = (): SafeHtml => html`<h1>Operations</h1>
<noscript><p class="notice">The dashboard needs JavaScript: it fetches the figures with the key, which never goes into an address.</p></noscript>
<form id="ops-key" class="panel" method="post" action="/ops" novalidate>
<label for="ops-key-input">Ops API key</label>
<input id="ops-key-input" name="key" type="password" autocomplete="off" required>
<button type="submit" class="btn">Open the dashboard</button>
<button type="button" class="btn secondary" data-action="ops-forget" hidden>Forget the key</button>
</form>
<div id="error" class="error" role="alert" hidden></div>
<div id="ops" hidden>
<section aria-labelledby="funnel-title"><h2 id="funnel-title">Provisioning funnel, last 7 days</h2>
${chart('chart-funnel', 'Pushes by state, all destinations')}
<div class="scroll"><table id="ops-totals"><caption>Totals by destination and state</caption></table></div>
${chart('chart-daily', 'Pushes per day by destination')}
<div class="scroll"><table id="ops-funnel"><caption>By day</caption></table></div></section>
<section aria-labelledby="latency-title"><h2 id="latency-title">Time to settle (created → last update)</h2>
${chart('chart-latency', 'Settle time at the 50th, 90th and 99th percentile, in milliseconds')}
<div class="scroll"><table id="ops-latency"><caption class="sr-only">Percentiles in milliseconds</caption></table></div></section>
<section aria-labelledby="failures-title"><h2 id="failures-title">Recent failures</h2>
${chart('chart-failures', 'Recent failures by error code')}
<div class="scroll"><table id="ops-failures"><caption class="sr-only">Newest first</caption></table></div></section>
<section aria-labelledby="tokens-title"><h2 id="tokens-title">Saved cards by destination and status</h2>
<div class="scroll"><table id="ops-tokens"><caption class="sr-only">The tokens of the bank's cards, as Mastercard last reported them</caption></table></div></section>
<section aria-labelledby="follow-ups-title"><h2 id="follow-ups-title">Card changes not yet at Mastercard</h2>
<p class="muted">Cards replaced, blocked, unblocked or closed whose saved cards are still to follow, newest first. A failed one can be tried again once Mastercard is reachable.</p>
<p id="ops-follow-ups-status" class="muted" role="status"></p>
<div class="scroll"><table id="ops-follow-ups"><caption class="sr-only">Pending and failed, newest first</caption></table></div></section>
<section aria-labelledby="lookup-title"><h2 id="lookup-title">Find a cardholder</h2>
<form id="ops-lookup" class="inline" method="post" action="/ops" novalidate>
<div><label for="ops-query">Name, username, email or last four digits</label>
<input id="ops-query" name="query" autocomplete="off" required aria-describedby="ops-query-help"></div>
<button type="submit" class="btn">Search</button>
</form>
<p id="ops-query-help" class="muted">Words combine: “martin 4444” finds a Martin with a card ending 4444. A <code>chd_…</code> id works too.</p>
<p id="ops-found-status" class="muted" role="status"></p>
<div id="ops-found"></div>
<div id="ops-history"></div></section>
</div>`;
