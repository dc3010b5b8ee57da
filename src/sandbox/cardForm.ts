/**
 * The stand-in for AsiaBill's browser card form (the web SDK's `elementInit` +
 * `confirmPaymentMethod`), so the "cards without card data" flow runs end to end locally:
 *
 *   GET  /__sandbox/card-form?sessionToken=…&customerId=cus_…[&email=&firstName=&lastName=]
 *        a page with card fields, as AsiaBill's hosted element would show them
 *   POST /__sandbox/sdk/confirmPaymentMethod   {apikey: sessionToken, trnxDetail:{card, billingDetail, customerId}}
 *        what the SDK sends from the browser: creates the pm_… and answers
 *        {code:"0", data:{customerPaymentMethodId,…}} like the real SDK (API.md §5)
 *   GET  /static/v3/js/AsiabillPayment.min.js
 *        a stand-in for the SDK script at AsiaBill's path, for a merchant's own checkout page:
 *        `AsiabillPay(sessionToken).elementInit(containerId)` draws the card fields and
 *        `confirmPaymentMethod({apikey, trnxDetail})` resolves to `{data: {code, data}}`
 *        (cross-origin: the merchant's page is on the merchant's origin)
 *
 * The card goes from the browser to the sandbox (AsiaBill's side) only; the merchant's server
 * gets the pm_…. The sandbox keeps no card number (Accounts stores brand and last four).
 */
import type { FastifyInstance } from 'fastify';
import { SDK_SCRIPT_PATH, SESSION_TOKEN_TTL_MS } from '../asiabill/endpoints.ts';
import { AsiabillValidationError } from '../asiabill/errors.ts';
import type { Accounts } from './accounts.ts';
import { newSessionToken } from './ids.ts';
import { SandboxApiError } from './reply.ts';

/** Session tokens the sandbox issued, with their expiry (AsiaBill: 30 minutes). */
export class SessionTokens {
  private readonly expiry = new Map<string, number>();

  issue(now: Date): string {
    const token = newSessionToken();
    for (const [t, at] of this.expiry) if (at <= now.getTime()) this.expiry.delete(t);
    this.expiry.set(token, now.getTime() + SESSION_TOKEN_TTL_MS);
    return token;
  }

  isValid(token: string, now: Date): boolean {
    const at = this.expiry.get(token);
    return at !== undefined && at > now.getTime();
  }
}

export interface CardFormDeps {
  accounts: Accounts;
  sessionTokens: SessionTokens;
}

export function registerCardForm(app: FastifyInstance, deps: CardFormDeps): void {
  app.get('/__sandbox/card-form', async (_req, reply) => reply.type('text/html; charset=utf-8').send(CARD_FORM_PAGE));

  app.get(SDK_SCRIPT_PATH, async (_req, reply) =>
    reply.type('application/javascript; charset=utf-8').header('access-control-allow-origin', '*').send(SDK_SCRIPT),
  );
  // The SDK posts JSON from the merchant's origin: answer the CORS preflight.
  app.options('/__sandbox/sdk/confirmPaymentMethod', async (_req, reply) =>
    reply
      .code(204)
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'POST')
      .header('access-control-allow-headers', 'content-type')
      .send(),
  );

  app.post('/__sandbox/sdk/confirmPaymentMethod', async (req, reply) => {
    reply.header('access-control-allow-origin', '*');
    let body: { apikey?: unknown; trnxDetail?: unknown };
    try {
      body = JSON.parse(typeof req.body === 'string' ? req.body : '{}') as typeof body;
    } catch {
      return reply.code(400).send({ code: 'P0001', message: 'request param error: body is not JSON', data: null });
    }
    if (typeof body.apikey !== 'string' || !deps.sessionTokens.isValid(body.apikey, new Date())) {
      return reply.code(401).send({ code: 'L0005', message: 'sessionToken is unknown or expired', data: null });
    }
    try {
      const pm = deps.accounts.createPaymentMethod(body.trnxDetail, new Date());
      return { code: '0', message: 'success', data: pm };
    } catch (err) {
      // Messages name the field, never the value (asiabill/validate.ts, accounts.ts).
      if (err instanceof AsiabillValidationError)
        return reply.code(400).send({ code: 'P0001', message: `request param error: ${err.message}`, data: null });
      if (err instanceof SandboxApiError)
        return reply.code(400).send({ code: err.apiCode, message: err.message, data: null });
      throw err;
    }
  });
}

const CARD_FORM_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AsiaBill sandbox card form</title>
<style>body{font:14px system-ui,sans-serif;max-width:420px;margin:30px auto}label{display:block;margin:8px 0 2px}
input{width:100%;padding:6px;box-sizing:border-box}.row{display:flex;gap:8px}.row div{flex:1}button{margin-top:14px;padding:8px 16px}
#result{margin-top:14px;font-family:monospace}.err{color:#b3261e}</style></head><body>
<h2>AsiaBill sandbox · card form</h2>
<p>Stands in for AsiaBill's browser SDK: the card goes to AsiaBill (this sandbox), never to the merchant.</p>
<form id="f">
<label for="cardNumber">Card number</label><input id="cardNumber" autocomplete="cc-number" inputmode="numeric">
<div class="row"><div><label for="expMonth">Month</label><input id="expMonth" placeholder="12"></div>
<div><label for="expYear">Year</label><input id="expYear" placeholder="2030"></div>
<div><label for="cvc">CVC</label><input id="cvc" placeholder="123"></div></div>
<label for="email">Email</label><input id="email">
<div class="row"><div><label for="firstName">First name</label><input id="firstName"></div><div><label for="lastName">Last name</label><input id="lastName"></div></div>
<button id="pay" type="submit">Save card</button></form>
<div id="result"></div>
<script>
const q = new URLSearchParams(location.search);
for (const k of ['email', 'firstName', 'lastName']) document.getElementById(k).value = q.get(k) || '';
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const v = (id) => document.getElementById(id).value.trim();
  const trnxDetail = {
    card: { cardNo: v('cardNumber').replace(/[\\s-]/g, ''), cardExpireMonth: v('expMonth').padStart(2, '0'), cardExpireYear: v('expYear'), cardSecurityCode: v('cvc') },
    billingDetail: { address: { line1: 'Not provided', city: 'Not provided', country: 'HK' }, email: v('email'), firstName: v('firstName'), lastName: v('lastName'), phone: '0000000000' },
    ...(q.get('customerId') ? { customerId: q.get('customerId') } : {}),
  };
  const out = document.getElementById('result');
  const r = await fetch('/__sandbox/sdk/confirmPaymentMethod', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apikey: q.get('sessionToken'), trnxDetail }) });
  const body = await r.json();
  if (body.code === '0') { out.textContent = body.data.customerPaymentMethodId; out.dataset.pm = body.data.customerPaymentMethodId; }
  else { out.className = 'err'; out.textContent = body.code + ': ' + body.message; out.dataset.error = body.code; }
  for (const id of ['cardNumber', 'cvc']) document.getElementById(id).value = '';
});
</script></body></html>`;

/** The stand-in SDK script. Card fields live in the page only until they are posted to the sandbox. */
const SDK_SCRIPT = `(function () {
  var origin = new URL(document.currentScript.src).origin;
  var FIELDS = [['cardNo', 'Card number', 'cc-number'], ['cardExpireMonth', 'MM', 'cc-exp-month'], ['cardExpireYear', 'YYYY', 'cc-exp-year'], ['cardSecurityCode', 'CVC', 'cc-csc']];
  window.AsiabillPay = function (sessionToken) {
    var root = null;
    return {
      elementInit: function (containerId) {
        root = document.getElementById(containerId);
        root.innerHTML = FIELDS.map(function (f) {
          return '<input data-asiabill="' + f[0] + '" placeholder="' + f[1] + '" autocomplete="' + f[2] + '">';
        }).join(' ');
        return Promise.resolve({ data: { code: '0' } });
      },
      confirmPaymentMethod: function (opts) {
        var card = {};
        FIELDS.forEach(function (f) { card[f[0]] = root.querySelector('[data-asiabill="' + f[0] + '"]').value.replace(/[\\s-]/g, ''); });
        card.cardExpireMonth = card.cardExpireMonth.padStart(2, '0');
        var trnxDetail = Object.assign({}, opts.trnxDetail, { card: card });
        return fetch(origin + '/__sandbox/sdk/confirmPaymentMethod', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apikey: opts.apikey || sessionToken, trnxDetail: trnxDetail }),
        }).then(function (r) { return r.json(); }).then(function (body) {
          root.querySelectorAll('input').forEach(function (i) { i.value = ''; });
          return { data: body };
        });
      },
    };
  };
})();
`;
