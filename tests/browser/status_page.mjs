// Drives the status page in headless Chromium (Debian's, through playwright-core): it must
// load, show the running well and the last frame, and update as frames arrive without a
// reload. Prints what it saw as one JSON line; takes a screenshot.
import { chromium } from "playwright-core";

const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 820 } });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(url);
  const wait = (f, arg) => page.waitForFunction(f, arg, { timeout: 60000, polling: 50 });
  await wait(() => /^[A-Z]+\d+$/.test(document.querySelector(".running-well")?.textContent || ""));
  await wait(() => {
    const i = document.querySelector("img.thumb");
    return i && i.complete && i.naturalWidth > 0 && i.dataset.frame;
  });
  const seen = () => page.evaluate(() => ({
    url: location.pathname + location.search,
    well: document.querySelector(".running-well").textContent,
    frames: Number(document.querySelector(".frames").dataset.frames),
    frame: document.querySelector("img.thumb").dataset.frame,
    thumb: [document.querySelector("img.thumb").naturalWidth, document.querySelector("img.thumb").naturalHeight],
    updates: Number(document.body.dataset.updates),
    plate: [...document.querySelectorAll(".plate:not(.focus) .w[data-state]")].map((w) => w.dataset.well + ":" + w.dataset.state),
    focus: [...document.querySelectorAll(".plate.focus .w[data-well]")].map((w) => w.dataset.well + ":" + w.textContent),
    conn: document.getElementById("conn").textContent,
  }));
  const first = await seen();
  // A new frame: more frames counted and a new thumbnail, with no reload.
  await wait((f) => Number(document.querySelector(".frames")?.dataset.frames) > f.frames
    && document.querySelector("img.thumb").dataset.frame !== f.frame, first);
  const second = await seen();
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ first, second, errors }));
} catch (e) {
  console.log(JSON.stringify({ failed: String(e), errors }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
