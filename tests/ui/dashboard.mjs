// The dashboard end to end in headless Chromium (Debian's), driven by playwright-core:
// issue a card in the form, see it in the list; issue a phone's certificates in the
// form, suspend the phone (its auth `certificateHold` to `openssl ocsp`), resume it
// (good again, the signing certificate re-issued); a phone cause without its platform
// shows the API's message under the field; report the card lost, see both certificates
// `revoked (certificateHold)`, confirm with `openssl ocsp`, move the clock past the
// expiry and see `expired`, set a tryLater fault and see it listed and then consumed
// in the request log; a wrong input shows the API's message next to its field; every
// control has a label; the pages fit a narrow window; off loopback the token is asked
// once. Screenshots of each page go to $SCREENSHOTS.
//
// usage: node dashboard.mjs   (scripts/test-ui.sh sets JPKI_MOCK_BIN, SCREENSHOTS)
import { chromium } from "playwright-core";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";

const bin = process.env.JPKI_MOCK_BIN;
const shots = process.env.SCREENSHOTS || join(tmpdir(), "jpki-mock-ui");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
assert.ok(bin, "set JPKI_MOCK_BIN");
mkdirSync(shots, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), "jpki-ui-"));

let failures = 0;
let passed = 0;
async function step(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL ${name}\n     ${String(e.stack || e).split("\n").slice(0, 6).join("\n     ")}`);
  }
}

/** `jpki-mock serve` on a free port with a fresh state; resolves to its base URL. */
function serve(extraEnv = {}) {
  const state = mkdtempSync(join(scratch, "state-"));
  const env = { PATH: process.env.PATH, JPKI_MOCK_LOG: "warn", ...extraEnv };
  const child = spawn(bin, ["--state", state, "serve", "--listen", "127.0.0.1:0"],
    { env, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", chunk => {
      out += chunk;
      const line = out.split("\n").find(l => l.includes('"jpki_mock":"ready"'));
      if (line) resolve({ child, base: JSON.parse(line).base_url, state });
    });
    child.on("exit", code => reject(new Error(`serve exited with ${code}`)));
  });
}

function openssl(args) {
  try {
    return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    return `${e.stdout}${e.stderr}`;
  }
}

let page, base;

/** `openssl ocsp` about one of our certificates (the PEM the page offers) at the mock. */
async function ocspOf(kind, serial) {
  const pem = await (await page.request.get(`${base}/ui/certs/${serial}.pem`)).text();
  const ca = await (await fetch(`${base}/ca/${kind}.pem`)).text();
  const [certFile, caFile] = [join(scratch, `${serial}.pem`), join(scratch, `ca-${kind}.pem`)];
  writeFileSync(certFile, pem);
  writeFileSync(caFile, ca);
  return openssl(["ocsp", "-issuer", caFile, "-cert", certFile, "-url", `${base}/ocsp/${kind}`, "-CAfile", caFile]);
}

const server = await serve();
base = server.base;
const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
page = await context.newPage();
const shot = name => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const statusOf = (serial) => page.locator(`[data-status="${serial}"]`).first();

let card, sign, auth, phoneSign, phoneAuth;

await step("a wrong input shows the API's message next to its field, and issues nothing", async () => {
  await page.goto(`${base}/ui`);
  await page.getByLabel("Name (surname and given name, a space between)").fill("山田 太郎");
  await page.getByLabel("Date of birth").fill("2099-01-01");
  await page.getByLabel("Address (Japanese, from the prefecture)").fill("東京都品川区広町2-1-36");
  await page.getByRole("button", { name: "Issue card" }).click();
  const error = page.locator("#error-birth");
  await error.waitFor({ state: "visible" });
  await page.waitForFunction(() => document.querySelector("#error-birth").textContent.length > 0);
  const text = await error.textContent();
  assert.match(text, /^birth: /, text);
  const api = await (await fetch(`${base}/api/v1/cards`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "山田 太郎", birth: "2099-01-01", gender: "male", address: "東京都品川区広町2-1-36" }),
  })).json();
  assert.equal(text, api.message, "the message is the API's, word for word");
  assert.equal(await page.locator("#cards tbody tr").count(), 0);
});

await step("issue a card in the form and see it in the list", async () => {
  await page.getByLabel("Date of birth").fill("1990-10-01");
  await page.getByLabel("Key algorithm").selectOption("p256");
  await Promise.all([page.waitForURL(/issued=1/), page.getByRole("button", { name: "Issue card" }).click()]);
  const row = page.locator('#cards tr[data-card="1"]');
  assert.match(await row.textContent(), /山田 太郎.*1990-10-01.*Tokyo-to\/Shinagawa-ku/);
  assert.equal(await row.locator('td[data-kind="sign"]').textContent(), "good");
  assert.equal(await row.locator('td[data-kind="auth"]').textContent(), "good");
  card = await (await fetch(`${base}/api/v1/cards/1`)).json();
  [sign, auth] = ["sign", "auth"].map(k => card.certificates.find(c => c.kind === k).serial);
  await shot("cards");
});

await step("the card page decodes both certificates; renewal is refused with its reason", async () => {
  await page.locator("#cards").getByRole("link", { name: "1", exact: true }).click();
  await page.waitForURL(/\/ui\/cards\/1$/);
  const body = await page.locator("main").textContent();
  for (const want of [`signing certificate ${sign}`, `authentication certificate ${auth}`,
    "subjectAltName: name", "山田　太郎", "1990-10-01", "Valid until", "JST",
    `${base}/ocsp/sign`, "Authority info access: OCSP", "Policy", "CRL distribution point"]) {
    assert.ok(body.includes(want), `the card page lacks ${want}`);
  }
  const renew = page.getByRole("button", { name: "Renew" });
  assert.equal(await renew.isDisabled(), true);
  assert.match(await page.locator("#renew-reason").textContent(), /Renewal is open from \d{4}-\d\d-\d\d to/);
});

await step("a phone cause without its platform shows the API's message under the field", async () => {
  await page.getByLabel("Cause").selectOption("phone_lost");
  assert.match(await page.locator("#cause-preview").textContent(), /^Choose the phone's platform/);
  assert.equal(await page.getByLabel(/^Phone platform/).isDisabled(), false);
  await page.getByRole("button", { name: "Apply cause" }).click();
  await page.waitForFunction(() => document.querySelector("#cause-error-platform").textContent.length > 0);
  const text = await page.locator("#cause-error-platform").textContent();
  const api = await (await fetch(`${base}/api/v1/cards/1/events`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ cause: "phone_lost" }),
  })).json();
  assert.match(text, /^platform: /, text);
  assert.equal(text, api.message, "the message is the API's, word for word");
  await page.getByLabel("Cause").selectOption("stop");
  assert.equal(await page.getByLabel(/^Phone platform/).isDisabled(), true, "a card cause takes no platform");
});

await step("issue a phone's certificates in the form: shown apart, per platform, decoded", async () => {
  await page.getByLabel("Platform", { exact: true }).selectOption("android");
  await page.getByLabel("Device id (optional)").fill("pixel-ui-1");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Issue phone certificates" }).click()]);
  card = await (await fetch(`${base}/api/v1/cards/1`)).json();
  const phone = card.certificates.filter(c => c.platform === "android");
  [phoneSign, phoneAuth] = ["sign", "auth"].map(k => phone.find(c => c.kind === k).serial);
  assert.match(await page.locator("#flash").textContent(), new RegExp(`Issued: sign ${phoneSign}, auth ${phoneAuth}\\.`));
  const section = page.locator('#phones section[data-platform="android"]');
  const text = await section.textContent();
  for (const want of ["Android phone", "pixel-ui-1", `Android phone signing certificate ${phoneSign}`,
    `Android phone authentication certificate ${phoneAuth}`, "subjectAltName: name", "Valid until"]) {
    assert.ok(text.includes(want), `the phone section lacks ${want}`);
  }
  assert.equal(await statusOf(phoneSign).textContent(), "good");
  assert.equal(await statusOf(phoneAuth).textContent(), "good");
  assert.equal(await page.locator(`#certs-heading ~ article[data-serial="${phoneSign}"]`).count(), 0,
    "not among the card's certificates");
  const links = await page.locator(`[data-links="${phoneSign}"]`).textContent();
  assert.match(links, new RegExp(`Pair${phoneAuth}`), links);
  assert.match(links, new RegExp(`Current${phoneSign}`), links);
});

await step("the cause preview is right for phone causes", async () => {
  const preview = () => page.locator("#cause-preview").textContent();
  await page.getByLabel("Cause").selectOption("phone_lost");
  await page.getByLabel(/^Phone platform/).selectOption("android");
  assert.equal(await preview(), `Will revoke: Android phone signing ${phoneSign}, Android phone authentication ${phoneAuth}.`);
  await page.getByLabel(/^Phone platform/).selectOption("ios");
  assert.equal(await preview(), "Will revoke nothing: no good certificate of that kind.");
  await page.getByLabel("Cause").selectOption("emigration");
  assert.equal(await preview(), `Will revoke: signing ${sign}, Android phone signing ${phoneSign}.`);
  await page.getByLabel("Cause").selectOption("stolen");
  assert.equal(await preview(), `Will revoke: signing ${sign}, authentication ${auth}.`);
});

await step("suspend the phone: its auth is certificateHold to openssl ocsp", async () => {
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Suspend Android phone" }).click()]);
  assert.match(await page.locator("#flash").textContent(),
    new RegExp(`Revoked: ${phoneSign} \\(certificateHold\\), ${phoneAuth} \\(certificateHold\\)`));
  assert.equal(await statusOf(phoneAuth).textContent(), "revoked (certificateHold)");
  assert.equal(await statusOf(sign).textContent(), "good", "the card's stay");
  assert.equal(await page.getByRole("button", { name: "Suspend Android phone" }).isDisabled(), true);
  const out = await ocspOf("auth", phoneAuth);
  assert.match(out, /: revoked/, out);
  assert.match(out, /Reason: certificateHold/, out);
  await shot("card-phone-suspended");
});

await step("resume the phone: openssl says good, the page shows the re-issued signing certificate", async () => {
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Resume Android phone" }).click()]);
  const flash = await page.locator("#flash").textContent();
  const match = /re-issued signing certificate (\d+); hold lifted on (\d+)/.exec(flash);
  assert.ok(match, flash);
  const reissued = Number(match[1]);
  assert.notEqual(reissued, phoneSign);
  assert.equal(Number(match[2]), phoneAuth);
  const section = page.locator('#phones section[data-platform="android"]');
  assert.equal(await section.locator(`[data-status="${reissued}"]`).textContent(), "good");
  assert.equal(await statusOf(phoneAuth).textContent(), "good");
  assert.match(await page.locator(`[data-lifted="${phoneAuth}"]`).textContent(), /^Hold lifted .* JST/);
  assert.match(await page.locator(`[data-links="${phoneSign}"]`).textContent(),
    new RegExp(`Successors${reissued} \\(phone_lost\\)`));
  const out = await ocspOf("auth", phoneAuth);
  assert.match(out, /: good/, out);
  assert.match(await ocspOf("sign", reissued), /: good/);
  phoneSign = reissued;
  await shot("card-phone");
});

await step("the new signing certificate form is refused with its reason while the card's is good", async () => {
  const button = page.getByRole("button", { name: "Issue signing certificate" });
  assert.equal(await button.isDisabled(), true);
  assert.match(await page.locator("#sign-reason").textContent(), new RegExp(`signing certificate ${sign} is good`));
  for (const label of [/^New name/, /^New address$/, /^Locality of the new address/, /^New signing PIN/]) {
    assert.equal(await page.getByLabel(label).count(), 1, String(label));
  }
});

await step("the latest-facts consent toggles", async () => {
  const consent = () => fetch(`${base}/api/v1/certs/${sign}/latest-facts`).then(r => r.status);
  assert.equal(await consent(), 403);
  await page.getByLabel("The holder consents to the latest-facts service").check();
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Save consent" }).click()]);
  assert.equal(await page.locator("#consent-state").textContent(), "given");
  assert.equal(await page.getByLabel("The holder consents to the latest-facts service").isChecked(), true);
  assert.equal(await consent(), 200);
});

await step("report the card lost: the preview names both certificates, then both are on hold", async () => {
  await page.getByLabel("Cause").selectOption("lost");
  assert.equal(await page.locator("#cause-preview").textContent(),
    `Will revoke: signing ${sign}, authentication ${auth}.`);
  await page.getByLabel("Cause").selectOption("address_change");
  assert.equal(await page.locator("#cause-preview").textContent(),
    `Will revoke: signing ${sign}, Android phone signing ${phoneSign}.`);
  await page.getByLabel("Cause").selectOption("lost");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Apply cause" }).click()]);
  assert.match(await page.locator("#flash").textContent(), new RegExp(`Revoked: ${sign} \\(certificateHold\\), ${auth} \\(certificateHold\\)`));
  assert.equal(await statusOf(sign).textContent(), "revoked (certificateHold)");
  assert.equal(await statusOf(auth).textContent(), "revoked (certificateHold)");
  assert.equal(await statusOf(phoneSign).textContent(), "good", "a card's cause leaves the phones");
  assert.equal(await page.getByRole("button", { name: "Issue signing certificate" }).isDisabled(), false,
    "a new signing certificate once the card's is not good");
  await shot("card");
  await page.goto(`${base}/ui`);
  const row = page.locator('#cards tr[data-card="1"]');
  assert.equal(await row.locator('td[data-kind="sign"]').textContent(), "revoked (certificateHold)");
  assert.equal(await row.locator('td[data-kind="auth"]').textContent(), "revoked (certificateHold)");
});

await step("openssl ocsp says what the page says", async () => {
  for (const [kind, serial] of [["sign", sign], ["auth", auth]]) {
    const out = await ocspOf(kind, serial);
    assert.match(out, /: revoked/, out);
    assert.match(out, /Reason: certificateHold/, out);
  }
});

await step("a wrong action shows the API's error on the page", async () => {
  await page.goto(`${base}/ui/cards/1`);
  await page.getByLabel("New PIN").fill("12");
  await page.getByRole("button", { name: "Reset PIN" }).click();
  const error = page.locator("#pin-form .error");
  await page.waitForFunction(() => document.querySelector("#pin-form .error").textContent.length > 0);
  assert.match(await error.textContent(), /^400 bad_input: /);
});

await step("move the clock past the expiry: the page says what expired, the list says expired", async () => {
  const issued = await (await fetch(`${base}/api/v1/cards`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "佐藤 花子", birth: "1985-04-02", gender: "female", address: "東京都品川区広町2-1-36", key_alg: "p256" }),
  })).json();
  const expiry = issued.card_expiry;
  await page.goto(`${base}/ui/clock`);
  await page.getByLabel(/^Set the clock to/).fill(`${Number(expiry.slice(0, 4)) + 1}-01-01`);
  await Promise.all([page.waitForURL(/clock\?from=/), page.getByRole("button", { name: "Set", exact: true }).click()]);
  const changes = await page.locator("#clock-changes").textContent();
  assert.match(changes, new RegExp(`signing ${issued.sign.serial}: expiry .*now expired`), changes);
  assert.match(await page.locator("#clock-mode").textContent(), /fixed/);
  await shot("clock");
  await page.goto(`${base}/ui?q=${encodeURIComponent("佐藤")}`);
  const row = page.locator(`#cards tr[data-card="${issued.card_id}"]`);
  assert.equal(await row.locator('td[data-kind="sign"]').textContent(), "expired");
  assert.equal(await page.locator("#cards tbody tr").count(), 1, "the search keeps one card");
  await page.goto(`${base}/ui/clock`);
  await Promise.all([page.waitForURL(/clock\?from=/), page.getByRole("button", { name: "Back to real time" }).click()]);
  assert.match(await page.locator("#clock-mode").textContent(), /system/);
});

await step("a tryLater fault is listed, then consumed, and the request log shows it", async () => {
  await page.goto(`${base}/ui/faults`);
  await page.getByLabel("Fault", { exact: true }).selectOption("ocsp_status");
  await page.getByLabel(/^status/).fill("tryLater");
  await page.getByLabel(/^Times/).fill("1");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Add fault" }).click()]);
  assert.match(await page.locator("#faults").textContent(), /"fault":"ocsp_status","status":"tryLater".*"count":1/);
  await shot("faults");
  const out = await ocspOf("sign", sign);
  assert.match(out, /trylater/, out);
  await page.reload();
  assert.equal(await page.locator("#no-faults").count(), 1, "consumed");
  await page.goto(`${base}/ui/requests?serial=${sign}`);
  await page.waitForFunction(() => document.querySelector("#requests tbody").textContent.includes("tryLater"));
  const log = await page.locator("#requests tbody").textContent();
  assert.ok(log.includes(`sha1 ${sign} (sign)`), log);
  assert.ok(log.includes("successful revoked"), log);
  await shot("requests");
});

await step("the revocation page lists each CRL with its entries", async () => {
  await page.goto(`${base}/ui/revocation`);
  const rows = await page.locator("#lists tbody tr").allTextContents();
  const signCrl = rows.find(r => r.startsWith("sign CRL, generation 1"));
  assert.ok(signCrl, rows.join("\n"));
  const entries = await page.locator("#lists tbody tr").filter({ hasText: "sign CRL, generation 1" }).locator("td.entries").textContent();
  // The card's signing certificate on hold, and the resumed phone's old one (held,
  // re-issued: its hold is never lifted).
  assert.equal(entries, "2");
  const href = await page.locator("#lists tbody tr").filter({ hasText: "sign CRL, generation 1" }).getByRole("link").getAttribute("href");
  const der = Buffer.from(await (await fetch(new URL(href, base))).arrayBuffer());
  writeFileSync(join(scratch, "sign.crl"), der);
  const text = openssl(["crl", "-inform", "DER", "-in", join(scratch, "sign.crl"), "-noout", "-text"]);
  assert.match(text, new RegExp(`Serial Number: 0?${sign.toString(16).toUpperCase()}`), text);
  await shot("revocation");
  await page.goto(`${base}/ui`);
  await shot("cards-statuses");
});

await step("every control has a label, and the pages fit a narrow window", async () => {
  const narrow = await context.newPage();
  await narrow.setViewportSize({ width: 360, height: 800 });
  for (const path of ["", "/cards/1", "/clock", "/revocation", "/requests", "/faults"]) {
    await narrow.goto(`${base}/ui${path}`);
    const unlabelled = await narrow.evaluate(() => [...document.querySelectorAll("input, select, textarea")]
      .filter(e => e.type !== "hidden" && e.labels.length === 0).map(e => e.outerHTML));
    assert.deepEqual(unlabelled, [], `${path}: controls without a label`);
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${path}: ${overflow}px wider than the window`);
  }
  await narrow.goto(`${base}/ui/cards/1`);
  await narrow.screenshot({ path: join(shots, "card-narrow.png"), fullPage: true });
  // The keyboard reaches the cause picker and applies nothing by accident.
  await narrow.keyboard.press("Tab");
  const focused = await narrow.evaluate(() => document.activeElement.tagName);
  assert.ok(["A", "INPUT", "SELECT", "BUTTON"].includes(focused), focused);
  await narrow.close();
});

await step("off loopback the dashboard asks for the token once and acts with it", async () => {
  const guarded = await serve({ JPKI_MOCK_ADMIN_TOKEN: "ui-secret" });
  try {
    const other = await browser.newContext();
    const p = await other.newPage();
    await p.goto(`${guarded.base}/ui`);
    assert.match(p.url(), /\/ui\/login$/);
    await p.getByLabel("Admin token").fill("wrong");
    await p.getByRole("button", { name: "Sign in" }).click();
    assert.match(await p.locator(".error").textContent(), /not the admin token/);
    await p.getByLabel("Admin token").fill("ui-secret");
    await Promise.all([p.waitForURL(/\/ui$/), p.getByRole("button", { name: "Sign in" }).click()]);
    await p.getByLabel("Name (surname and given name, a space between)").fill("鈴木 一郎");
    await p.getByLabel("Date of birth").fill("1970-01-01");
    await p.getByLabel("Address (Japanese, from the prefecture)").fill("東京都品川区広町2-1-36");
    await p.getByLabel("Key algorithm").selectOption("p256");
    await Promise.all([p.waitForURL(/issued=1/), p.getByRole("button", { name: "Issue card" }).click()]);
    await p.goto(`${guarded.base}/ui/faults`);
    assert.match(await p.locator("h1").textContent(), /Faults/, "still signed in");
    const anonymous = await fetch(`${guarded.base}/api/v1/cards/1`);
    assert.equal(anonymous.status, 401);
    await other.close();
  } finally {
    guarded.child.kill();
  }
});

await browser.close();
server.child.kill();
console.log(`ui: ${passed} passed, ${failures} failed; screenshots in ${shots}`);
process.exit(failures ? 1 : 0);
