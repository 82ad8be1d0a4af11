// The pages' only script: sign-in, step-up (one-time code or passkey), the
// push, polling a result, the saved-card controls, and the ops dashboard. It talks to the issuer's
// JSON API on this origin with the session cookie; every rule is the API's.

const MESSAGES = JSON.parse(document.getElementById('messages')?.textContent || '{}');
const messageFor = (code, fallback) => MESSAGES[code] || fallback || MESSAGES.UNEXPECTED;
const $ = (selector) => document.querySelector(selector);
const LANG = document.documentElement.lang || undefined;

// Moments are rendered in UTC (a server cannot know the reader's zone); here they become the reader's own.
const TIME_FORMATS = {
  date: { dateStyle: 'medium' },
  datetime: { dateStyle: 'medium', timeStyle: 'short' },
  seconds: { dateStyle: 'medium', timeStyle: 'medium' },
};
const localTime = (iso, style = 'datetime') => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : new Intl.DateTimeFormat(LANG, TIME_FORMATS[style] ?? TIME_FORMATS.datetime).format(date);
};
function localTimes(root = document) {
  for (const time of root.querySelectorAll('time[datetime]'))
    time.textContent = localTime(time.dateTime, time.dataset.style);
}

class ApiError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

async function api(method, path, body, headers = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError('NETWORK', messageFor('NETWORK'));
  }
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = parsed?.error ?? {};
    throw new ApiError(error.code ?? 'UNEXPECTED', error.message ?? '', error.details);
  }
  return parsed;
}

function showError(error) {
  const box = $('#error');
  if (!box) return;
  const code = error instanceof ApiError ? error.code : 'UNEXPECTED';
  // A field the API refused is worded for people, never shown as the validator's text.
  const field = code === 'VALIDATION_FAILED' ? error.details?.field : undefined;
  box.textContent =
    (field && MESSAGES[`${code}.${field}`]) ||
    messageFor(code, code === 'VALIDATION_FAILED' ? undefined : error.message);
  box.dataset.code = code;
  box.hidden = false;
  // Focus moves to the message so keyboard and screen-reader users land on it.
  box.tabIndex = -1;
  box.focus();
}

function clearError() {
  const box = $('#error');
  if (box) box.hidden = true;
}

function progress(text) {
  const box = $('#progress');
  if (box) box.textContent = text;
}

// ---- WebAuthn: the API speaks base64url JSON, the browser ArrayBuffers.

const fromB64url = (s) => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
};
const toB64url = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const withIds = (list) => (list ?? []).map((c) => ({ ...c, id: fromB64url(c.id) }));

async function credential(kind, options) {
  try {
    const result = await navigator.credentials[kind]({ publicKey: options });
    if (!result) throw new Error('no credential');
    return result;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The authenticator already holds one of the excluded (registered) passkeys: not a cancel.
    if (kind === 'create' && error?.name === 'InvalidStateError')
      throw new ApiError('WEBAUTHN_CREDENTIAL_EXISTS', messageFor('WEBAUTHN_CREDENTIAL_EXISTS'));
    throw new ApiError('PASSKEY_CANCELLED', messageFor('PASSKEY_CANCELLED'));
  }
}

async function passkeyGrant() {
  const options = await api('POST', '/v1/sca/webauthn/authentication/options');
  const assertion = await credential('get', {
    ...options,
    challenge: fromB64url(options.challenge),
    allowCredentials: withIds(options.allowCredentials),
  });
  const r = assertion.response;
  return api('POST', '/v1/sca/webauthn/authentication/verify', {
    id: assertion.id,
    rawId: toB64url(assertion.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      authenticatorData: toB64url(r.authenticatorData),
      signature: toB64url(r.signature),
      ...(r.userHandle ? { userHandle: toB64url(r.userHandle) } : {}),
    },
    clientExtensionResults: assertion.getClientExtensionResults(),
  });
}

async function registerPasskey(grant) {
  const options = await api('POST', '/v1/sca/webauthn/registration/options', undefined, {
    'pushprov-sca-grant': grant,
  });
  const created = await credential('create', {
    ...options,
    challenge: fromB64url(options.challenge),
    user: { ...options.user, id: fromB64url(options.user.id) },
    excludeCredentials: withIds(options.excludeCredentials),
  });
  const r = created.response;
  return api('POST', '/v1/sca/webauthn/registration/verify', {
    id: created.id,
    rawId: toB64url(created.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: toB64url(r.clientDataJSON),
      attestationObject: toB64url(r.attestationObject),
      ...(r.getTransports ? { transports: r.getTransports() } : {}),
    },
    clientExtensionResults: created.getClientExtensionResults(),
  });
}

const codeGrant = (code) => api('POST', '/v1/sca/totp/verify', { code: code.trim() });

// ---- Pages

function wireSignIn() {
  const form = $('#signin');
  for (const button of document.querySelectorAll('[data-action="fill"]')) {
    button.addEventListener('click', () => {
      form.username.value = button.dataset.username;
      form.password.value = button.dataset.password;
      form.querySelector('button[type="submit"]').focus();
    });
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    try {
      await api('POST', '/v1/session', { username: form.username.value, password: form.password.value });
      // The page rendered `next` only when it is one of the bank's own pages.
      location.assign(form.next?.value || '/app/cards');
    } catch (error) {
      showError(error);
    }
  });
}

function wirePush() {
  const form = $('#push');
  // A step-up at the bank's identity provider is a redirect there: the form posts as it is.
  if (form.querySelector('[data-step-up="idp"]')) return;
  const { cardId, trid } = document.body.dataset;
  // One key per page view: a double submit or a retry after a lost answer is the same push.
  const idempotencyKey = `web-${crypto.randomUUID()}`;
  const codeField = $('#code-field');
  const syncMethod = () => {
    codeField.hidden = form.method.value !== 'code';
  };
  for (const radio of form.querySelectorAll('input[name="method"]'))
    radio.addEventListener('change', syncMethod);
  syncMethod();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    if (!form.consent.checked) {
      showError(new ApiError('CONSENT_REQUIRED', ''));
      form.consent.focus();
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      progress(messageFor('ui.confirming'));
      const { grant } =
        form.method.value === 'passkey' ? await passkeyGrant() : await codeGrant(form.code.value);
      progress(messageFor('ui.sending'));
      const view = await api(
        'POST',
        '/v1/provisionings',
        { cardIds: [cardId], tokenRequestorId: trid, consent: true },
        { 'idempotency-key': idempotencyKey, 'pushprov-sca-grant': grant },
      );
      if (view.redirectUrl) {
        progress(messageFor('ui.redirecting'));
        location.assign(view.redirectUrl);
      } else {
        location.assign(`/app/provisionings/${view.id}`);
      }
    } catch (error) {
      progress('');
      showError(error);
      submit.disabled = false;
    }
  });
}

function wireResult() {
  let { provisioningId, state, final } = document.body.dataset;
  if (final === 'true') return;
  let delay = 300;
  // The page as the bank renders it now, swapped in place: the live region's text changes (and is
  // announced) instead of the whole page reloading under the cardholder.
  const refresh = async () => {
    const response = await fetch(location.href, { credentials: 'same-origin' });
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    for (const selector of ['.result-cards', '.panel.result']) {
      const now = $(selector);
      const next = fresh.querySelector(selector);
      if (!now || !next) continue;
      if (selector === '.panel.result') {
        const live = $('#state');
        const nextLive = next.querySelector('#state');
        now.className = next.className;
        for (const child of [...now.children]) if (child !== live) child.remove();
        for (const child of [...next.children])
          if (child.id !== 'state') now.append(document.importNode(child, true));
        if (live && nextLive) {
          live.innerHTML = nextLive.innerHTML;
          live.dataset.state = nextLive.dataset.state;
        }
      } else {
        now.replaceWith(document.importNode(next, true));
      }
    }
    localTimes();
    ({ state, final } = fresh.body.dataset);
    document.body.dataset.state = state;
    document.body.dataset.final = final;
  };
  // What the page shows depends on the state and on each card's reported result and error.
  const signatureOf = (view) =>
    [view.state, ...view.cards.map((c) => `${c.reportedResult}/${c.errorCode}`)].join(' ');
  let shown;
  const poll = async () => {
    try {
      const view = await api('GET', `/v1/provisionings/${provisioningId}`);
      const signature = signatureOf(view);
      // The first answer is what the page was rendered from, unless the state moved meanwhile.
      if (shown === undefined && view.state === state) shown = signature;
      if (signature !== shown) {
        await refresh();
        shown = signature;
      }
    } catch {
      // A failed poll is retried; the page still says where things stood.
    }
    if (final === 'true') return;
    delay = Math.min(delay * 1.5, 10_000);
    setTimeout(poll, delay);
  };
  poll();
}

// Mastercard confirms a change with a notification to the bank; until it lands
// the token keeps its old status, so the page waits for the new one.
async function waitForStatus(cardId, tokenId, wanted) {
  let delay = 300;
  for (let waited = 0; waited < 30_000; waited += delay, delay = Math.min(delay * 1.5, 3000)) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    // A lost answer is asked again; a refusal (an ended session, say) is the cardholder's to read now.
    const { tokens } = await api('GET', `/v1/cards/${cardId}/tokens`).catch((error) => {
      if (error.code !== 'NETWORK') throw error;
      return { tokens: [] };
    });
    if (tokens.find((t) => t.id === tokenId)?.status === wanted) return true;
  }
  return false;
}

function wireSaved() {
  const { cardId } = document.body.dataset;
  const flash = $('#flash');
  if (!flash.hidden) flash.focus();
  const tokenPath = (tokenId) => `/v1/cards/${cardId}/tokens/${tokenId}`;
  let busy = false;

  async function change(item, ask, wanted) {
    if (busy) return;
    busy = true;
    clearError();
    flash.hidden = true;
    // aria-disabled, not disabled: a disabled button drops the keyboard focus to the page's start.
    const buttons = item.querySelectorAll('button');
    for (const b of buttons) b.setAttribute('aria-disabled', 'true');
    try {
      progress(messageFor('ui.asking'));
      await ask();
      progress(messageFor('ui.waiting'));
      if (await waitForStatus(cardId, item.dataset.tokenId, wanted)) {
        location.assign(`${location.pathname}?changed=${item.dataset.tokenId}`);
        return;
      }
      progress('');
      showError(new ApiError('CHANGE_UNCONFIRMED', ''));
    } catch (error) {
      progress('');
      showError(error);
    }
    for (const b of buttons) b.removeAttribute('aria-disabled');
    busy = false;
  }

  const panel = (item, role) => item.querySelector(`[data-role="${role}"]`);
  const open = (item, role) => {
    for (const p of item.querySelectorAll('[data-role]')) p.hidden = p.dataset.role !== role;
    panel(item, role)?.querySelector('input[name="code"], button')?.focus();
  };
  const closePanels = (item, focusAction) => {
    for (const p of item.querySelectorAll('[data-role]')) p.hidden = true;
    item.querySelector(`[data-action="${focusAction}"]`)?.focus();
  };

  for (const item of document.querySelectorAll('.saved-item')) {
    const id = item.dataset.tokenId;
    item.addEventListener('click', (event) => {
      const action = event.target.closest('button')?.dataset.action;
      // The buttons are forms' (for a browser without script): here the script acts instead.
      if (action) event.preventDefault();
      if (busy) return;
      if (action === 'suspend') change(item, () => api('POST', `${tokenPath(id)}/suspend`), 'SUSPENDED');
      if (action === 'remove') open(item, 'confirm');
      if (action === 'remove-confirmed') change(item, () => api('DELETE', tokenPath(id)), 'DELETED');
      if (action === 'resume') open(item, 'resume');
      if (action === 'cancel')
        closePanels(
          item,
          event.target.closest('[data-role]')?.dataset.role === 'resume' ? 'resume' : 'remove',
        );
    });
    const form = panel(item, 'resume');
    // A step-up at the bank's identity provider is a redirect there: the form posts as it is.
    if (!form || form.querySelector('[data-step-up="idp"]')) continue;
    const codeField = form.querySelector('.code-field');
    const syncMethod = () => {
      codeField.hidden = form.method.value !== 'code';
    };
    for (const radio of form.querySelectorAll('input[name="method"]'))
      radio.addEventListener('change', syncMethod);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      change(
        item,
        async () => {
          progress(messageFor('ui.confirming'));
          // A code is spent once sent: a retry (say after an expired confirmation) needs the next one.
          const code = form.code.value;
          form.code.value = '';
          const { grant } = form.method.value === 'passkey' ? await passkeyGrant() : await codeGrant(code);
          progress(messageFor('ui.asking'));
          await api('POST', `${tokenPath(id)}/resume`, undefined, { 'pushprov-sca-grant': grant });
        },
        'ACTIVE',
      );
    });
  }
}

function wireSecurity() {
  const flash = $('#flash');
  if (!flash.hidden) flash.focus();
  const form = $('#passkey-register');
  // With the bank's identity provider no passkey is added here.
  if (!form) return;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    try {
      progress(messageFor('ui.confirming'));
      const { grant } = await codeGrant(form.code.value);
      progress(messageFor('ui.passkey-prompt'));
      await registerPasskey(grant);
      // The page as the bank now renders it: the new passkey listed, the flash saying so.
      location.assign('/app/security?done=added');
    } catch (error) {
      progress('');
      showError(error);
    }
  });
}

// ---- Ops dashboard

const OPS_KEY = 'pushprov-ops-key';

function table(element, head, rows) {
  const caption = element.querySelector('caption');
  element.replaceChildren(...(caption ? [caption] : []));
  const thead = element.createTHead().insertRow();
  for (const h of head) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    thead.append(th);
  }
  const body = element.createTBody();
  if (rows.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = head.length;
    cell.textContent = 'Nothing yet.';
  }
  for (const row of rows) {
    const tr = body.insertRow();
    // A cell is text, or an element (a button) placed as it is.
    for (const value of row) {
      const cell = tr.insertCell();
      if (value instanceof Node) cell.append(value);
      else cell.textContent = String(value ?? '—');
    }
  }
}

const STATES = ['pending', 'receipt_issued', 'completed', 'cancelled', 'failed', 'expired'];
// What ops read: states and destinations in words, not the stored names.
const NAMES = {
  pending: 'Sending to Mastercard',
  receipt_issued: 'Waiting for the cardholder',
  completed: 'Completed',
  cancelled: 'Cancelled by the cardholder',
  failed: 'Failed',
  expired: 'Expired',
  done: 'Done',
  click_to_pay: 'Click to Pay',
  merchant: 'Merchants',
  ACTIVE: 'Active',
  SUSPENDED: 'Paused',
  DELETED: 'Removed',
  replaced: 'Card replaced',
  closed: 'Card closed',
  blocked: 'Card blocked',
  unblocked: 'Card unblocked',
};
const stateName = (name) => NAMES[name] ?? name;

// ---- Ops charts (uPlot, served from this origin). Each draws figures its table beside it also holds.

// 3:1 or more against the white chart background (WCAG 1.4.11), and told apart by more than hue.
const CHART_COLOURS = ['#1a1f71', '#b45309', '#0f766e', '#9d174d'];

/**
 * One chart in `box`: labels along x (states, days, percentiles, codes), one
 * or more series, as bars or as lines with points. Nothing is drawn when the
 * chart library did not load: the tables still say it all.
 */
function drawChart(box, { labels, series, bars = false, yLabel }) {
  if (!box || typeof uPlot === 'undefined') return;
  box.replaceChildren();
  const xs = labels.map((_, i) => i);
  if (xs.length === 0) {
    box.textContent = 'Nothing yet.';
    return;
  }
  const opts = {
    width: Math.max(260, box.clientWidth || 600),
    height: 220,
    // A key to the series only (no live values: there is no cursor to follow).
    legend: { show: series.length > 1, live: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: () => [-0.5, xs.length - 0.5] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.15] },
    },
    axes: [
      { splits: () => xs, values: (_u, splits) => splits.map((i) => labels[i] ?? ''), gap: 4, size: 40 },
      { label: yLabel, size: 56 },
    ],
    series: [
      {},
      ...series.map((s, i) => {
        const colour = CHART_COLOURS[i % CHART_COLOURS.length];
        return {
          label: s.label,
          stroke: colour,
          width: 2,
          ...(bars
            ? { fill: `${colour}cc`, paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }
            : { points: { show: true, size: 7 }, dash: i % 2 ? [6, 4] : undefined }),
        };
      }),
    ],
  };
  new uPlot(opts, [xs, ...series.map((s) => s.values)], box);
}

let chartedStats;
// Charts take their box's width when drawn: a new window width draws them again.
let redraw;
window.addEventListener('resize', () => {
  clearTimeout(redraw);
  redraw = setTimeout(() => chartedStats && drawOpsCharts(chartedStats), 50);
});

function drawOpsCharts(stats) {
  chartedStats = stats;
  const total = (state) => stats.totals.reduce((sum, t) => sum + (t.states[state] ?? 0), 0);
  drawChart($('#chart-funnel'), {
    labels: STATES.map(stateName),
    series: [{ label: 'Pushes', values: STATES.map(total) }],
    bars: true,
    yLabel: 'Pushes',
  });
  const days = [...new Set(stats.funnel.map((f) => f.day))].sort();
  const destinations = [...new Set(stats.funnel.map((f) => f.destination))].sort();
  const count = (day, destination) => {
    const row = stats.funnel.find((f) => f.day === day && f.destination === destination);
    return row ? Object.values(row.states).reduce((a, b) => a + b, 0) : 0;
  };
  drawChart($('#chart-daily'), {
    labels: days.map((day) => localTime(`${day}T12:00:00Z`, 'date')),
    series: destinations.map((d) => ({ label: stateName(d), values: days.map((day) => count(day, d)) })),
    yLabel: 'Pushes',
  });
  drawChart($('#chart-latency'), {
    labels: ['p50', 'p90', 'p99'],
    series: stats.latency.map((l) => ({ label: stateName(l.destination), values: [l.p50, l.p90, l.p99] })),
    yLabel: 'ms',
  });
  const codes = new Map();
  for (const f of stats.failures)
    codes.set(f.errorCode ?? 'none', (codes.get(f.errorCode ?? 'none') ?? 0) + 1);
  const sorted = [...codes].sort((a, b) => b[1] - a[1]);
  drawChart($('#chart-failures'), {
    labels: sorted.map(([code]) => code),
    series: [{ label: 'Failures', values: sorted.map(([, n]) => n) }],
    bars: true,
    yLabel: 'Failures',
  });
}

function wireOps() {
  const keyForm = $('#ops-key');
  const forget = $('[data-action="ops-forget"]');
  const opsApi = (path, method = 'GET', body = {}) =>
    api(method, path, method === 'GET' ? undefined : body, {
      authorization: `Bearer ${sessionStorage.getItem(OPS_KEY)}`,
    });
  const when = (iso) => (iso ? localTime(iso, 'seconds') : null);

  function retryButton(followUp) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary small';
    button.textContent = 'Retry';
    button.setAttribute('aria-label', `Retry the ${followUp.kind} change of card ${followUp.cardId}`);
    button.addEventListener('click', async () => {
      // aria-disabled keeps the focus on the button, but does not stop a second press by itself.
      if (button.getAttribute('aria-disabled') === 'true') return;
      clearError();
      button.setAttribute('aria-disabled', 'true');
      try {
        await opsApi(`/v1/ops/token-follow-ups/${encodeURIComponent(followUp.id)}/retry`, 'POST');
        $('#ops-follow-ups-status').textContent =
          `The ${followUp.kind} change of card ${followUp.cardId} is queued again.`;
        await loadFollowUps();
      } catch (error) {
        button.removeAttribute('aria-disabled');
        showError(error);
      }
    });
    return button;
  }

  async function loadFollowUps() {
    const { followUps } = await opsApi('/v1/ops/token-follow-ups');
    table(
      $('#ops-follow-ups'),
      ['Queued', 'Card', 'Change', 'State', 'Attempts', 'Last error', 'Next attempt', 'Action'],
      followUps.map((f) => [
        when(f.createdAt),
        f.cardId,
        stateName(f.kind),
        stateName(f.state),
        f.attempts,
        f.lastError,
        when(f.nextAttemptAt),
        f.state === 'failed' ? retryButton(f) : null,
      ]),
    );
  }

  async function load() {
    clearError();
    try {
      const stats = await opsApi('/v1/ops/provisioning-stats?days=7');
      table(
        $('#ops-totals'),
        ['Destination', ...STATES.map(stateName)],
        stats.totals.map((t) => [stateName(t.destination), ...STATES.map((s) => t.states[s] ?? 0)]),
      );
      table(
        $('#ops-funnel'),
        ['Day (UTC)', 'Destination', ...STATES.map(stateName)],
        stats.funnel.map((f) => [f.day, stateName(f.destination), ...STATES.map((s) => f.states[s] ?? 0)]),
      );
      table(
        $('#ops-latency'),
        ['Destination', 'Settled', 'p50 (ms)', 'p90 (ms)', 'p99 (ms)'],
        stats.latency.map((l) => [stateName(l.destination), l.count, l.p50, l.p90, l.p99]),
      );
      table(
        $('#ops-failures'),
        ['When', 'Provisioning', 'Destination', 'State', 'Error code'],
        stats.failures.map((f) => [
          when(f.at),
          f.id,
          f.tokenRequestor,
          stateName(f.state),
          // A decline the bank never decided: Mastercard stood in (the bank did not answer) or applied its rules.
          f.declinedBy === 'mastercard' ? `${f.errorCode} (by Mastercard, bank not asked)` : f.errorCode,
        ]),
      );
      // Drawn once the section shows, so that each chart takes its box's width.
      $('#ops').hidden = false;
      drawOpsCharts(stats);
      const { counts } = await opsApi('/v1/ops/tokens/counts');
      table(
        $('#ops-tokens'),
        ['Destination', 'Status', 'Saved cards'],
        counts.map((c) => [c.tokenRequestorName, stateName(c.status), c.count]),
      );
      await loadFollowUps();
      $('#ops').hidden = false;
      keyForm.querySelector('label').textContent = 'Ops API key (kept for this tab only)';
      forget.hidden = false;
    } catch (error) {
      if (error.code?.startsWith('OPS_')) sessionStorage.removeItem(OPS_KEY);
      showError(error);
    }
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(OPS_KEY, keyForm.key.value.trim());
    keyForm.reset();
    load();
  });
  forget.addEventListener('click', () => {
    sessionStorage.removeItem(OPS_KEY);
    $('#ops').hidden = true;
    forget.hidden = true;
  });
  const heading = (text) => {
    const h = document.createElement('h3');
    h.textContent = text;
    return h;
  };
  const scroll = (t) => {
    const wrapper = document.createElement('div');
    wrapper.className = 'scroll';
    wrapper.append(t);
    return wrapper;
  };

  async function showHistory(match) {
    clearError();
    const out = $('#ops-history');
    try {
      const history = await opsApi(`/v1/ops/cardholders/${encodeURIComponent(match.cardholderId)}/history`);
      const provisionings = document.createElement('table');
      table(
        provisionings,
        ['Provisioning', 'Destination', 'State', 'Error code', 'Created'],
        history.provisionings.map((p) => [
          p.id,
          p.tokenRequestor.name,
          stateName(p.state === 'failed' && p.error?.code === 'CARDHOLDER_CANCELLED' ? 'cancelled' : p.state),
          p.error?.code,
          when(p.createdAt),
        ]),
      );
      const audit = document.createElement('table');
      audit.className = 'audit';
      table(
        audit,
        ['#', 'When', 'Actor', 'Action', 'Subject', 'Outcome'],
        history.audit.map((a) => [a.seq, when(a.at), a.actor, a.action, a.subject, a.outcome]),
      );
      out.replaceChildren(
        heading(`History of ${match.name}`),
        heading('Provisionings'),
        scroll(provisionings),
        heading('Audit trail'),
        scroll(audit),
      );
      out.firstChild.tabIndex = -1;
      out.firstChild.focus();
    } catch (error) {
      out.replaceChildren();
      showError(error);
    }
  }

  function historyButton(match) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary small';
    button.textContent = 'Show history';
    // The accessible name starts with the visible label (WCAG 2.5.3), then says whose.
    button.setAttribute('aria-label', `Show history of ${match.name}`);
    button.addEventListener('click', () => showHistory(match));
    return button;
  }

  $('#ops-lookup').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearError();
    const found = $('#ops-found');
    $('#ops-history').replaceChildren();
    try {
      // A POST: a name or an email is PII, kept out of URLs and request logs.
      const { cardholders, truncated } = await opsApi('/v1/ops/cardholders/search', 'POST', {
        query: event.target.query.value.trim(),
      });
      const results = document.createElement('table');
      table(
        results,
        ['Name', 'Username', 'Email', 'Cards', 'Id', 'History'],
        cardholders.map((c) => [
          c.name,
          c.usernames.join(', '),
          c.email,
          c.cards
            .map((card) => `•••• ${card.lastFour}${card.status === 'active' ? '' : ` (${card.status})`}`)
            .join(', '),
          c.cardholderId,
          historyButton(c),
        ]),
      );
      $('#ops-found-status').textContent =
        cardholders.length === 0
          ? 'No cardholder matches.'
          : `${cardholders.length} found${truncated ? '; more may match: add the last four digits to narrow it' : ''}.`;
      found.replaceChildren(scroll(results));
      if (cardholders.length === 1) await showHistory(cardholders[0]);
    } catch (error) {
      found.replaceChildren();
      showError(error);
    }
  });
  if (sessionStorage.getItem(OPS_KEY)) load();
}

// ---- Everywhere

for (const button of document.querySelectorAll('[data-action="sign-out"]')) {
  button.addEventListener('click', async (event) => {
    event.preventDefault();
    await api('DELETE', '/v1/session').catch(() => undefined);
    location.assign('/app/signin');
  });
}

localTimes();

const WIRING = {
  signin: wireSignIn,
  consent: wirePush,
  // The consent's step-up at the bank's identity provider: on to its sign-in at once.
  'step-up': () => location.assign($('#step-up').href),
  result: wireResult,
  saved: wireSaved,
  security: wireSecurity,
  ops: wireOps,
};
WIRING[document.body.dataset.page]?.();
