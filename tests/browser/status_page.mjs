// Drives the status page in headless Chromium (Debian's, through playwright-core) through a
// run's life: it must show the running well and the last frame and follow new frames without
// a reload; say "paused" (no time counting down) during a pause; and once the run is over
// show nothing as running, say idle, keep the run in the recent runs with its outcome and a
// link to its view. A second microscope's failed run and its run with skipped FOVs must show
// their outcome, a partial well and the per-well errors. Prints what it saw as one JSON line.
import { chromium } from "playwright-core";

const [url, shot, argsJson] = process.argv.slice(2);
const { api, admin, task, faulty } = JSON.parse(argsJson);
const control = async (method, path) => {
  const r = await fetch(api + path, { method, headers: { Authorization: `Bearer ${admin}` } });
  if (!r.ok && r.status !== 202) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const errors = [];
const out = {};
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(url);
  const wait = (f, arg) => page.waitForFunction(f, arg, { timeout: 90000, polling: 50 });
  const sim = "#m-squid-sim";
  await wait((m) => /^[A-Z]+\d+$/.test(document.querySelector(m + " .running-well")?.textContent || "")
    && document.querySelector(m).dataset.state === "running", sim);
  await wait((m) => {
    const i = document.querySelector(m + " img.thumb");
    return i && i.complete && i.naturalWidth > 0 && i.dataset.frame;
  }, sim);
  const seen = () => page.evaluate((m) => {
    const s = document.querySelector(m);
    const all = (sel) => [...s.querySelectorAll(sel)];
    return {
      url: location.pathname + location.search,
      state: s.dataset.state ?? null,
      well: s.querySelector(".running-well")?.textContent ?? null,
      frames: Number(s.querySelector(".frames")?.dataset.frames ?? -1),
      frame: s.querySelector("img.thumb").dataset.frame ?? null,
      thumb: [s.querySelector("img.thumb").naturalWidth, s.querySelector("img.thumb").naturalHeight],
      updates: Number(document.body.dataset.updates),
      plate: all(".plate:not(.focus) .w[data-state]").map((w) => w.dataset.well + ":" + w.dataset.state),
      focus: all(".plate.focus .w[data-well]").map((w) => w.dataset.well + ":" + w.textContent),
      map: s.querySelector(".card.map")?.hidden === false,
      surface: all(".plate.surface .w[data-point]").map((w) => w.dataset.well + ":" + w.dataset.point),
      surfaced: all(".plate.surface .w[data-well]").filter((w) => w.textContent !== "").length,
      sub: s.querySelector(".sub").textContent,
      head: s.querySelector(".card h3").textContent,
      task: s.querySelector(".task").textContent,
      eta: s.querySelector(".eta")?.textContent ?? null,
      idle: !!s.querySelector(".task .idle"),
      bar: s.querySelector(".bar > div").style.width,
      errors: all("ul.errors li").map((li) => li.textContent),
      queue: all("table.queue tr[data-task]").map((r) => r.dataset.task + ":" + r.dataset.state),
      hist: all("table.hist tr[data-task]").map((r) => r.dataset.task + ":" + r.dataset.state + ":" + (r.querySelector("a.view")?.getAttribute("href") ?? "")),
      conn: document.getElementById("conn").textContent,
    };
  }, sim);
  out.first = await seen();
  // A new frame: more frames counted and a new thumbnail, with no reload.
  await wait((f) => Number(document.querySelector("#m-squid-sim .frames")?.dataset.frames) > f.frames
    && document.querySelector("#m-squid-sim img.thumb").dataset.frame !== f.frame, out.first);
  out.second = await seen();
  // A pause: the page says so and counts no time down.
  await control("POST", `/v1/tasks/${task}/pause?microscope=squid-sim`);
  await wait(() => document.querySelector("#m-squid-sim .eta")?.dataset.paused === "1"
    && document.querySelector("#m-squid-sim").dataset.state === "paused");
  out.paused = await seen();
  await control("POST", `/v1/tasks/${task}/unpause?microscope=squid-sim`);
  await wait(() => document.querySelector("#m-squid-sim .eta")?.dataset.paused === "");
  out.unpaused = await seen();
  // The end: cancelled, idle, nothing running, the run in the recent runs with a link.
  await control("DELETE", `/v1/tasks/${task}?microscope=squid-sim`);
  await wait((id) => !!document.querySelector(`#m-squid-sim table.hist tr[data-task="${id}"]`)
    && !!document.querySelector("#m-squid-sim .task .idle")
    && document.querySelector("#m-squid-sim").dataset.state === "idle", task);
  out.ended = await seen();
  await page.screenshot({ path: shot.replace(".png", "-ended.png"), fullPage: true });
  // The other microscope: its last run had skipped FOVs, the one before failed.
  const f = "#m-" + faulty.name;
  out.faulty = await page.evaluate((m) => {
    const s = document.querySelector(m);
    return {
      head: s.querySelector(".card h3").textContent,
      task: s.querySelector(".task").textContent,
      plate: [...s.querySelectorAll(".plate:not(.focus) .w[data-state]")].map((w) => w.dataset.well + ":" + w.dataset.state),
      errors: [...s.querySelectorAll("ul.errors li")].map((li) => li.textContent),
      hist: [...s.querySelectorAll("table.hist tr[data-task]")].map((r) => r.dataset.task + ":" + r.dataset.state),
      queue: [...s.querySelectorAll("table.queue tr[data-task]")].map((r) => r.textContent),
    };
  }, f);
  // The failed run's link opens its view.
  await page.click(`${f} table.hist tr[data-task="${faulty.failed}"] a.view`);
  await wait((a) => location.search.includes("task=" + a.failed)
    && document.querySelector(`#m-${a.name} .last-run`)?.dataset.task === String(a.failed), faulty);
  out.chosen = await page.evaluate((m) => {
    const s = document.querySelector(m);
    return {
      url: location.pathname + location.search,
      head: s.querySelector(".card h3").textContent,
      task: s.querySelector(".task").textContent,
      state: s.querySelector(".last-run").dataset.state,
      errors: [...s.querySelectorAll("ul.errors li")].map((li) => li.textContent),
    };
  }, f);
  await page.screenshot({ path: shot, fullPage: true });
} catch (e) {
  out.failed = String(e);
  process.exitCode = 1;
} finally {
  out.errors = errors;
  console.log(JSON.stringify(out));
  await browser.close();
}
