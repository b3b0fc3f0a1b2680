// Browser tests: Playwright (playwright-core) driving Debian's chromium
// against a running Termino. Started by tests/api/browser.rs, which runs
// the server and passes its address:
//
//   TERMINO_URL=http://127.0.0.1:PORT node tests/browser/run.mjs
//
// A business signs up, sets up staff, hours and a service in the panel; a
// client books on a phone-sized screen; the booking shows in the panel's
// calendar; the client reschedules and cancels through the manage link;
// a client books through the widget on a plain page of another origin;
// the language switches. Any console error on any page fails the run.
// Screenshots go to tests/screenshots/ (ignored by git).

import assert from "node:assert/strict";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const base = process.env.TERMINO_URL;
if (!base) {
  console.error("TERMINO_URL is not set");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const shots = process.env.SCREENSHOT_DIR || path.join(here, "..", "screenshots");
fs.mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const axePath = path.join(here, "node_modules", "axe-core", "axe.min.js");

const slug = "studio-" + Math.random().toString(36).slice(2, 8);
const consoleErrors = [];
// Answers a step asks for on purpose (a form sent with a mistake answers
// 422): Chromium logs those as console errors too.
const expected = [];
function expectAnswer(status, pathPart) {
  expected.push({ status, pathPart });
}
const results = [];

function watch(page, label) {
  page.on("console", (msg) => {
    if (msg.type() === "error") {
      const at = msg.location().url || "";
      const allowed = expected.some(
        (e) => msg.text().includes(`status of ${e.status}`) && at.includes(e.pathPart),
      );
      if (allowed) {
        return;
      }
      consoleErrors.push(`${label}: ${msg.text()} (${at || page.url()})`);
    }
  });
  page.on("pageerror", (err) => consoleErrors.push(`${label}: ${err.message} (${page.url()})`));
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
}

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}\n${err.stack || err}`);
    throw err;
  }
}

// A plain page of another origin (another port on localhost) that embeds
// the widget, as a business's own site would.
function hostServer() {
  const inline = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Salon site</title></head><body style="font-family:serif;background:#fdf6e3">
<h1>Our salon</h1><p>Book below.</p>
<script src="${base}/embed.js" data-business="${slug}"></script>
<footer>Address: Main St 1</footer></body></html>`;
  const button = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Salon site</title></head><body><h1>Our salon</h1>
<script src="${base}/embed.js" data-business="${slug}" data-mode="button" data-label="Book now"></script>
</body></html>`;
  const server = http.createServer((req, res) => {
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.end(req.url.startsWith("/button") ? button : inline);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

const browser = await chromium.launch({
  executablePath,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

// Under CI the browser shares two cores with the rest of the test suite:
// a slow answer is not a failure, a missing one still is.
async function newContext(options) {
  const context = await browser.newContext(options);
  context.setDefaultTimeout(90_000);
  context.setDefaultNavigationTimeout(90_000);
  return context;
}

const host = await hostServer();
// "localhost" and another port: a different origin from the server.
const hostUrl = `http://localhost:${host.address().port}`;
let failed = false;

try {
  const desk = await newContext({
    viewport: { width: 1280, height: 900 },
    locale: "en-GB",
    timezoneId: "Europe/Warsaw",
  });
  const owner = await desk.newPage();
  // A 390 px phone (the width the pages must fit), and the owner signed in on one.
  const PHONE = {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: "pl-PL",
    timezoneId: "Europe/Warsaw",
  };
  const ownerOnPhone = async () =>
    newContext({ ...PHONE, locale: "en-GB", storageState: await desk.storageState() });

  watch(owner, "panel");

  await step("a business signs up", async () => {
    await owner.goto(`${base}/signup`);
    await shot(owner, "01-signup");
    await owner.getByLabel("Company name").fill("Studio Testowe");
    await owner.getByLabel("Booking page address").fill(slug);
    await owner.getByLabel("Your name").fill("Olga Owner");
    await owner.getByLabel("E-mail").fill(`${slug}@example.com`);
    await owner.getByLabel("Phone").fill("+48 601 234 567");
    await owner.getByLabel("Password").fill("wiosenny-las-nad-rzeka-42");
    await owner.getByLabel("Time zone").selectOption("Europe/Warsaw");
    // Its clients are Polish: the booking page speaks Polish.
    await owner.getByLabel("Language for your clients").selectOption("pl");
    await owner.getByRole("button", { name: "Create" }).click();
    await owner.waitForURL(`${base}/app`);
    await assert.doesNotReject(owner.getByRole("heading", { name: "Today's agenda" }).waitFor());
    await shot(owner, "02-panel-today");
  });

  await step("the owner accepts the data-processing agreement", async () => {
    // Until then the panel says so and the booking page takes nothing.
    await owner.getByText("Accept the data-processing agreement to start taking bookings.").waitFor();
    await owner.getByRole("link", { name: "Agreement", exact: true }).first().click();
    await owner.getByRole("heading", { name: "Data-processing agreement" }).waitFor();
    await owner.getByText("Data Processing Agreement — version 2026-11").waitFor();
    // A typo in the tax id: the error shows beside it and the input stays.
    expectAnswer(422, "/app/dpa");
    await owner.getByLabel("Company tax id (NIP)").fill("123-456-78-80");
    await owner.getByLabel("I am authorised").check();
    await owner.getByRole("button", { name: "Accept the agreement" }).click();
    const nip = owner.getByLabel("Company tax id (NIP)");
    assert.equal(await nip.inputValue(), "123-456-78-80");
    assert.equal(await nip.getAttribute("aria-invalid"), "true");
    assert.equal(await owner.getByLabel("Company name").inputValue(), "Studio Testowe");
    await nip.fill("123-456-78-83");
    await owner.getByRole("button", { name: "Accept the agreement" }).click();
    await owner.getByText("Accepted: version 2026-11").waitFor();
    assert.equal(await owner.getByText("Accept the data-processing agreement to start taking bookings.").count(), 0);
    // The signed acceptance downloads with the exact text.
    const [download] = await Promise.all([
      owner.waitForEvent("download"),
      owner.getByRole("link", { name: "Download" }).click(),
    ]);
    const text = fs.readFileSync(await download.path(), "utf8");
    assert.match(text, /tax_id: 1234567883/);
    assert.match(text, /method: panel/);
    await shot(owner, "02b-dpa-accepted");
  });

  await step("the owner adds a staff member with working hours", async () => {
    await owner.getByRole("link", { name: "Staff", exact: true }).click();
    await owner.getByLabel("Name").fill("Ola Fryzjerka");
    await owner.getByRole("button", { name: "Add" }).click();
    await owner.getByRole("heading", { name: "Ola Fryzjerka" }).waitFor();
    for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
      await owner.getByLabel(day, { exact: true }).fill("08:00-20:00");
    }
    // A mistake first: the error shows beside the field and the input stays.
    expectAnswer(422, "/hours");
    await owner.getByLabel("Monday", { exact: true }).fill("8 to 20");
    await owner.getByRole("button", { name: "Save" }).first().click();
    const monday = owner.getByLabel("Monday", { exact: true });
    assert.equal(await monday.inputValue(), "8 to 20");
    assert.equal(await owner.getByLabel("Tuesday", { exact: true }).inputValue(), "08:00-20:00");
    assert.equal(await monday.getAttribute("aria-invalid"), "true");
    await shot(owner, "03-staff-hours-error");
    await monday.fill("08:00-20:00");
    await owner.getByRole("button", { name: "Save" }).first().click();
    await owner.getByText("Saved.").waitFor();
    assert.equal(await owner.getByLabel("Sunday", { exact: true }).inputValue(), "08:00-20:00");
    await shot(owner, "04-staff");
  });

  await step("the owner adds a service", async () => {
    await owner.getByRole("link", { name: "Services", exact: true }).click();
    await owner.getByRole("link", { name: "New service" }).click();
    await owner.getByLabel("Name").fill("Strzyżenie damskie");
    await owner.getByLabel("Duration (minutes)").fill("30");
    await owner.getByLabel("Price", { exact: true }).fill("80,50");
    await owner.getByLabel("Book at least this many minutes ahead").fill("0");
    await owner.getByRole("button", { name: "Save" }).click();
    await owner.getByText("Saved.").waitFor();
    await owner.getByText("Strzyżenie damskie").waitFor();
    await owner.getByText("80.50 PLN").waitFor();
    await shot(owner, "05-services");
  });

  await step("the owner sets the booking rules and the booking page's text", async () => {
    await owner.getByRole("link", { name: "Settings", exact: true }).click();
    await owner.getByLabel(/Clients may change or cancel until/).fill("0");
    await owner.getByLabel("Text at the top of your booking page").fill("Zapraszamy! Parking na podwórzu.");
    expectAnswer(422, "/app/settings");
    await owner.getByLabel("Address of your privacy notice").fill("ftp://example.com/privacy");
    await owner.getByRole("button", { name: "Save" }).click();
    // Kept input, the error beside the field.
    await owner.getByText("Give an address starting with https://.").waitFor();
    assert.equal(
      await owner.getByLabel("Text at the top of your booking page").inputValue(),
      "Zapraszamy! Parking na podwórzu.",
    );
    await owner.getByLabel("Address of your privacy notice").fill("https://example.com/privacy");
    await owner.getByRole("button", { name: "Save" }).click();
    await owner.getByText("Saved.").waitFor();
    await shot(owner, "06-settings");
  });

  const phone = await newContext({
    viewport: { width: 360, height: 740 },
    isMobile: true,
    hasTouch: true,
    locale: "pl-PL",
    timezoneId: "Europe/Warsaw",
  });
  const client = await phone.newPage();
  watch(client, "booking page");
  let manageUrl = "";
  let firstTime = "";

  await step("a client books on a phone", async () => {
    await client.goto(`${base}/b/${slug}`);
    await shot(client, "07-book-services-phone");
    await client.getByText("Zapraszamy! Parking na podwórzu.").waitFor();
    await client.getByRole("link", { name: /Strzyżenie damskie/ }).click();
    // One person does the service: the calendar comes straight away, with
    // the first free day chosen.
    const slot = client.locator(".slot").first();
    await slot.waitFor();
    firstTime = (await slot.textContent()).trim();
    const width = await client.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `the page is ${width}px wide on a 360px screen`);
    await shot(client, "08-book-calendar-phone");
    await slot.click();
    await client.getByLabel("Imię i nazwisko").fill("Kasia Klientka");
    await client.getByLabel("E-mail").fill("kasia@example.com");
    await client.getByLabel("Telefon (opcjonalnie)").fill("+48 602 000 111");
    await shot(client, "09-book-details-phone");
    await client.getByRole("button", { name: "Rezerwuję" }).click();
    await client.getByRole("heading", { name: "Zarezerwowano!" }).waitFor();
    manageUrl = await client.getByLabel(/Twój link do tej rezerwacji/).inputValue();
    assert.match(manageUrl, new RegExp(`/b/${slug}/manage/[A-Za-z0-9_-]{43}$`));
    const ics = client.getByRole("link", { name: /Dodaj do kalendarza/ });
    const href = await ics.getAttribute("href");
    const resp = await client.request.get(base + href);
    assert.equal(resp.status(), 200);
    assert.match(await resp.text(), /BEGIN:VEVENT[\s\S]*Strzyżenie damskie/);
    await shot(client, "10-booked-phone");
  });

  await step("a client abroad sees the times in their own time zone", async () => {
    const abroad = await newContext({
      viewport: { width: 390, height: 800 },
      locale: "en-GB",
      timezoneId: "Europe/London",
    });
    const page = await abroad.newPage();
    watch(page, "booking page abroad");
    await page.goto(`${base}/b/${slug}?lang=en`);
    await page.getByRole("link", { name: /Strzyżenie damskie/ }).click();
    // The page script finds the browser's zone and shows the times in it.
    await page.waitForURL(/tz=Europe%2FLondon|tz=Europe\/London/);
    assert.equal(await page.locator("select[data-zone]").inputValue(), "Europe/London");
    // The day's last time, compared by the moment in its link: the first
    // one may pass while the test runs.
    const slotsByStart = () =>
      page.locator(".slot").evaluateAll((links) =>
        links.map((a) => [new URL(a.href).searchParams.get("start"), a.textContent.trim()]),
      );
    const inLondon = await slotsByStart();
    const [start, london] = inLondon[inLondon.length - 1];
    // Warsaw is an hour ahead of London all year.
    const [h, m] = london.split(":").map(Number);
    assert.ok(h >= 7 && h <= 19 && (m === 0 || m === 15 || m === 30 || m === 45), london);
    // The zone can be changed by hand.
    await page.locator("select[data-zone]").selectOption("Europe/Warsaw");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/tz=Europe%2FWarsaw|tz=Europe\/Warsaw/);
    const inWarsaw = new Map(await slotsByStart());
    const warsaw = inWarsaw.get(start);
    assert.ok(warsaw, `${start} is offered in both zones`);
    const [wh, wm] = warsaw.split(":").map(Number);
    assert.equal(wh * 60 + wm - (h * 60 + m), 60, `${london} in London is ${warsaw} in Warsaw`);
    await shot(page, "11-book-london");
    await abroad.close();
  });

  await step("the booking shows in the panel's calendar", async () => {
    await owner.getByRole("link", { name: "Calendar", exact: true }).click();
    await owner.getByRole("link", { name: "Week" }).click();
    let block = owner.locator(".cal__block", { hasText: "Kasia Klientka" });
    if ((await block.count()) === 0) {
      // The first free time may be next week.
      await owner.getByRole("link", { name: /Next/ }).click();
      block = owner.locator(".cal__block", { hasText: "Kasia Klientka" });
    }
    await block.first().waitFor();
    assert.match(await block.first().textContent(), new RegExp(firstTime));
    await shot(owner, "11-panel-calendar-week");
    await block.first().click();
    await owner.getByRole("heading", { name: /Booking: Strzyżenie damskie/ }).waitFor();
    await owner.getByText("Confirmed").waitFor();
    await shot(owner, "12-panel-booking");
  });

  await step("the client reschedules and cancels through the manage link", async () => {
    await client.goto(manageUrl.replace(/^https?:\/\/[^/]+/, base));
    const slots = client.locator(".slot");
    await slots.first().waitFor();
    // Another time than the booked one.
    const count = await slots.count();
    let target = null;
    for (let i = 0; i < count; i++) {
      const text = (await slots.nth(i).textContent()).trim();
      if (text !== firstTime) {
        target = slots.nth(i);
        firstTime = text;
        break;
      }
    }
    assert.ok(target, "another free time is offered");
    await target.click();
    await client.getByRole("button", { name: "Przenieś" }).click();
    await client.getByText("Rezerwacja została przeniesiona.").waitFor();
    assert.match(await client.locator(".facts").textContent(), new RegExp(firstTime));
    await shot(client, "13-manage-moved-phone");
    await client.getByLabel("Powód (opcjonalnie)").fill("Wyjazd");
    await client.getByRole("button", { name: "Odwołaj rezerwację" }).click();
    await client.getByText("Ta rezerwacja jest odwołana.").waitFor();
    assert.equal((await client.locator(".status").textContent()).trim(), "Odwołana");
    await shot(client, "14-manage-cancelled-phone");
    // The panel sees it cancelled too.
    await owner.reload();
    await owner.getByText("Cancelled").first().waitFor();
  });

  await step("a client asks about their data from the booking page", async () => {
    await client.goto(`${base}/b/${slug}`);
    await client.getByRole("link", { name: /Twoje dane: zobacz, popraw lub usuń/ }).click();
    await client.getByRole("heading", { name: "Twoje dane" }).waitFor();
    // A wrong address is named beside the field and kept.
    expectAnswer(422, `/b/${slug}/your-data`);
    await client.getByLabel("E-mail").fill("kasia.example.com");
    await client.getByRole("button", { name: "Wyślij link" }).click();
    assert.equal(await client.getByLabel("E-mail").inputValue(), "kasia.example.com");
    await client.getByLabel("E-mail").fill("kasia@example.com");
    await client.getByRole("button", { name: "Wyślij link" }).click();
    await client.getByText("Jeśli adres jest poprawny, link jest już w drodze.").waitFor();
    await shot(client, "14b-your-data-link-sent");
  });

  await step("the owner sets the reminders on a phone", async () => {
    const small = await ownerOnPhone();
    const page = await small.newPage();
    watch(page, "reminder settings");
    await page.goto(`${base}/app`);
    await page.getByRole("link", { name: "Reminders", exact: true }).click();
    await page.getByRole("heading", { name: "Reminders" }).first().waitFor();
    await page.getByLabel("Reminder 1: hours before (0 = off)").fill("48");
    await page.getByLabel("Address printed in reminders").fill("ul. Kwiatowa 5, Kraków");
    // Quiet hours the wrong way round: the error beside the field, the
    // rest kept.
    await page.getByLabel("Send reminders until (quiet hours after)").fill("07:00");
    expectAnswer(422, "/app/settings/reminders");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("The end of the sending hours must be after their start.").waitFor();
    assert.equal(await page.getByLabel("Reminder 1: hours before (0 = off)").inputValue(), "48");
    assert.equal(
      await page.getByLabel("Address printed in reminders").inputValue(),
      "ul. Kwiatowa 5, Kraków",
    );
    await page.getByLabel("Send reminders until (quiet hours after)").fill("20:00");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    assert.equal(await page.getByLabel("Reminder 1: hours before (0 = off)").inputValue(), "48");
    // Nothing wider than the phone's screen.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await shot(page, "14d-reminder-settings-phone");
    await small.close();
  });

  await step("the owner chooses notices and a daily agenda on a phone", async () => {
    const small = await ownerOnPhone();
    const page = await small.newPage();
    watch(page, "notice settings");
    await page.goto(`${base}/app`);
    await page.getByRole("link", { name: "Notices", exact: true }).click();
    await page.getByRole("heading", { name: "E-mail notices I get" }).first().waitFor();
    const hour = page.getByLabel("Daily agenda by e-mail at this hour (0–23, empty: off)");
    assert.equal(await hour.inputValue(), "", "no agenda until chosen");
    await page.getByLabel("A deposit paid").uncheck();
    // An hour that does not exist: the error beside the field, the rest kept.
    await hour.fill("25");
    expectAnswer(422, "/app/notices");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Give a whole hour from 0 to 23, or leave it empty.").waitFor();
    assert.equal(await hour.inputValue(), "25");
    assert.equal(await hour.getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("A deposit paid").isChecked(), false);
    await hour.fill("7");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    assert.equal(await hour.inputValue(), "7");
    assert.equal(await page.getByLabel("A deposit paid").isChecked(), false);
    // Nothing wider than the phone's screen.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await shot(page, "14e-notice-settings-phone");
    // The recent changes, from the menu: the client's cancellation above.
    await page.getByRole("link", { name: "Recent changes", exact: true }).click();
    await page.getByRole("heading", { name: "Recent changes" }).first().waitFor();
    await page.getByText("Cancelled by the client").first().waitFor();
    const wider = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wider <= 390, `the changes page is ${wider} px wide`);
    await shot(page, "14f-recent-changes-phone");
    await small.close();
  });

  await step("the owner makes a calendar feed on a phone", async () => {
    const small = await ownerOnPhone();
    const page = await small.newPage();
    watch(page, "calendar sync");
    await page.goto(`${base}/app`);
    await page.getByRole("link", { name: "Calendar sync", exact: true }).click();
    await page.getByRole("heading", { name: "Calendar sync" }).first().waitFor();
    await page.getByLabel("Client details in the calendar").selectOption("none");
    await page.getByRole("button", { name: "Create the feed" }).click();
    const webcal = await page.getByLabel("Address to subscribe (webcal)").inputValue();
    assert.ok(webcal.startsWith("webcal://") && webcal.endsWith(".ics"), webcal);
    await page.getByText("No client details").first().waitFor();
    // Nothing wider than the phone's screen, the long address included.
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await shot(page, "14g-calendar-feed-phone");
    await small.close();
  });

  await step("a client gives SMS consent on a phone and the owner counts the SMS text", async () => {
    const small = await newContext(PHONE);
    const page = await small.newPage();
    watch(page, "booking page, SMS consent");
    await page.goto(`${base}/b/${slug}`);
    await page.getByRole("link", { name: /Strzyżenie damskie/ }).click();
    const slot = page.locator(".slot").first();
    await slot.waitFor();
    await slot.click();
    await page.getByLabel("Imię i nazwisko").fill("Ola Esemes");
    await page.getByLabel("E-mail").fill("ola@example.com");
    await page.getByLabel("Telefon (opcjonalnie)").fill("603 000 222");
    // Offered because a gateway is configured; ticked by a tap.
    const consent = page.getByLabel(/Przypomnij mi SMS-em/);
    await consent.tap();
    assert.ok(await consent.isChecked());
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    await shot(page, "14h-book-sms-consent-phone");
    await page.getByRole("button", { name: "Rezerwuję" }).click();
    await page.getByRole("heading", { name: "Zarezerwowano!" }).waitFor();
    await small.close();

    // The owner: the client card raises nothing about texts; the SMS page
    // counts the text while it is typed, on a phone too.
    const panel = await ownerOnPhone();
    const ownerPhone = await panel.newPage();
    watch(ownerPhone, "SMS settings");
    await ownerPhone.goto(`${base}/app/clients`);
    await ownerPhone.getByRole("link", { name: "Ola Esemes" }).first().click();
    await ownerPhone.getByRole("heading", { name: "Ola Esemes" }).waitFor();
    assert.equal(await ownerPhone.locator(".client-sms").count(), 0);
    await ownerPhone.goto(`${base}/app/settings/sms`);
    await ownerPhone.getByRole("heading", { name: "Text messages (SMS)" }).waitFor();
    await ownerPhone.getByLabel("Text of the SMS reminder").fill("{business}: wizyta {time}");
    await ownerPhone.locator("[data-sms-segments]", { hasText: "1" }).waitFor();
    assert.match(await ownerPhone.locator("[data-sms-encoding]").textContent(), /GSM-7/);
    await ownerPhone.getByLabel("Text of the SMS reminder").fill("Zażółć {time}");
    await ownerPhone.locator("[data-sms-encoding]", { hasText: "Unicode" }).waitFor();
    assert.equal((await ownerPhone.locator("[data-sms-length]").textContent()).trim(), "12");
    // "Without Polish characters" makes it GSM-7 again.
    await ownerPhone.getByLabel(/Send without Polish characters/).tap();
    await ownerPhone.locator("[data-sms-encoding]", { hasText: "GSM-7" }).waitFor();
    assert.match(await ownerPhone.locator("[data-sms-preview]").textContent(), /^Zazolc 10:00$/);
    await ownerPhone.getByRole("button", { name: "Save" }).click();
    await ownerPhone.getByText("Saved.").waitFor();
    assert.equal(await ownerPhone.getByLabel("Text of the SMS reminder").inputValue(), "Zażółć {time}");
    const panelWide = await ownerPhone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(panelWide <= 390, `the page is ${panelWide} px wide`);
    await shot(ownerPhone, "14i-sms-settings-phone");
    await panel.close();
  });

  await step("the owner lets support in for a day and sees it in the audit log", async () => {
    await owner.getByRole("link", { name: "Security", exact: true }).first().click();
    await owner.getByRole("heading", { name: "Security and accountability" }).waitFor();
    await owner.getByLabel("For how many hours (1–168)").fill("24");
    await owner.getByLabel("What should support look at").fill("Import of the old client list");
    await owner.getByRole("button", { name: "Let support in" }).click();
    await owner.getByText(/Active until/).waitFor();
    await owner.getByRole("link", { name: "Audit log", exact: true }).click();
    await owner.getByText("support_access.granted").first().waitFor();
    await shot(owner, "14c-audit-log");
  });

  await step("a client books through the widget on another site", async () => {
    const visitor = await desk.newPage();
    watch(visitor, "host page");
    await visitor.goto(hostUrl);
    const frameEl = visitor.locator("iframe");
    await frameEl.waitFor();
    const frame = visitor.frameLocator("iframe");
    await frame.getByRole("link", { name: /Strzyżenie damskie/ }).click();
    await frame.locator(".slot").first().click();
    await frame.getByLabel("Imię i nazwisko").fill("Wiktor Widżet");
    await frame.getByLabel("E-mail").fill("wiktor@example.com");
    await frame.getByRole("button", { name: "Rezerwuję" }).click();
    await frame.getByRole("heading", { name: "Zarezerwowano!" }).waitFor();
    // The iframe grows with its content: no inner scroll bar.
    await visitor.waitForFunction(() => {
      const f = document.querySelector("iframe");
      return f && parseInt(f.style.height, 10) > 600;
    });
    // The host page's look stays out: the page inside knows it is framed.
    const embedded = await frame.locator("body").evaluate((b) => b.classList.contains("embedded"));
    assert.ok(embedded);
    await shot(visitor, "15-widget-booked");
    await visitor.goto(`${hostUrl}/button`);
    await visitor.getByRole("button", { name: "Book now" }).click();
    const dialog = visitor.getByRole("dialog");
    await dialog.waitFor();
    await visitor.frameLocator("iframe").getByRole("link", { name: /Strzyżenie damskie/ }).waitFor();
    await shot(visitor, "16-widget-overlay");
    await visitor.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    // The widget's booking is in the panel.
    await owner.goto(`${base}/app/clients?q=wiktor`);
    await owner.getByRole("link", { name: /Wiktor Widżet/ }).waitFor();
  });

  await step("the language switches", async () => {
    await owner.goto(`${base}/app`);
    await owner.getByRole("link", { name: "Polski" }).click();
    await owner.getByRole("heading", { name: "Plan dnia" }).waitFor();
    await owner.getByRole("link", { name: "Kalendarz", exact: true }).waitFor();
    await shot(owner, "17-panel-polish");
    await client.goto(`${base}/b/${slug}`);
    await client.getByRole("heading", { name: "1. Wybierz usługę" }).waitFor();
    await client.getByRole("link", { name: "English" }).click();
    await client.getByRole("heading", { name: "1. Choose a service" }).waitFor();
  });

  await step("the main pages pass an accessibility audit (axe, WCAG 2.1 A/AA)", async () => {
    // axe is injected as a script, which the pages' CSP rightly forbids: this
    // one context bypasses CSP, and only for the audit.
    const audit = await newContext({
      viewport: { width: 360, height: 740 },
      locale: "en-GB",
      timezoneId: "Europe/Warsaw",
      bypassCSP: true,
      storageState: await desk.storageState(),
    });
    const page = await audit.newPage();
    const pages = [
      "/login?lang=en",
      "/signup?lang=en",
      "/app",
      "/app/calendar?view=week",
      "/app/changes",
      "/app/notices",
      "/app/clients",
      "/app/bookings/new",
      "/app/closures",
      "/app/services/new",
      "/app/staff",
      "/app/settings",
      "/app/team",
      "/app/api-keys",
      "/app/plan",
      "/app/payments",
      "/app/dpa",
      "/app/account",
      "/app/requests",
      "/app/security",
      "/app/audit",
      "/app/records",
      `/b/${slug}/your-data`,
      "/ops/login",
      "/subprocessors?lang=en",
      `/b/${slug}`,
      manageUrl.replace(/^https?:\/\/[^/]+/, ""),
    ];
    const problems = [];
    for (const p of pages) {
      await page.goto(base + p);
      await page.addScriptTag({ path: axePath });
      const result = await page.evaluate(async () =>
        // eslint-disable-next-line no-undef
        axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
      );
      for (const v of result.violations) {
        problems.push(`${p}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
      }
      // Phone-sized: nothing wider than the screen (the calendar scrolls
      // inside its own box).
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 360) {
        problems.push(`${p}: ${width}px wide on a 360px screen`);
      }
    }
    await shot(page, "18-panel-phone-api-keys");
    await audit.close();
    assert.deepEqual(problems, []);
  });

  await step("no console errors on any page", async () => {
    assert.deepEqual(consoleErrors, []);
  });
} catch (err) {
  failed = true;
} finally {
  await browser.close();
  host.close();
}

const passed = results.filter((r) => r.ok).length;
console.log(`${passed} of ${results.length} browser steps passed; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);
