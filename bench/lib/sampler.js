// Resource sampling for the in-process server: this process's RSS (every second, as the
// brief asks) and its child processes — the sandboxes — read from /proc (more often,
// because a JavaScript sandbox lives only a few hundred milliseconds).
import { readdirSync, readFileSync } from "node:fs";
import { clearInterval, setInterval } from "node:timers";

const PAGE = 4096;

/** Direct children of this process (every thread's /proc/self/task/<tid>/children), or null where /proc cannot say. */
export function childPids() {
  try {
    const pids = [];
    for (const tid of readdirSync("/proc/self/task")) {
      const text = readFileSync(`/proc/self/task/${tid}/children`, "utf8").trim();
      if (text) for (const p of text.split(/\s+/)) pids.push(Number(p));
    }
    return pids;
  } catch {
    return null;
  }
}

function rssOf(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE;
  } catch {
    return 0; // it exited between listing and reading
  }
}

/**
 * Start sampling. `stop()` returns
 * { rss: {startMb, peakMb, endMb, samples}, children: {peak, supported}, childrenRssPeakMb, totalRssPeakMb }.
 */
export function startSampler({ rssEveryMs = 1000, childrenEveryMs = 100 } = {}) {
  const rss = [process.memoryUsage().rss];
  let childPeak = 0;
  let childRssPeak = 0;
  let totalPeak = rss[0];
  let supported = childPids() !== null;
  const sampleChildren = () => {
    const pids = childPids();
    if (pids === null) {
      supported = false;
      return;
    }
    childPeak = Math.max(childPeak, pids.length);
    const childRss = pids.reduce((s, p) => s + rssOf(p), 0);
    childRssPeak = Math.max(childRssPeak, childRss);
    totalPeak = Math.max(totalPeak, childRss + process.memoryUsage().rss);
  };
  sampleChildren();
  const rssTimer = setInterval(() => rss.push(process.memoryUsage().rss), rssEveryMs);
  const childTimer = supported ? setInterval(sampleChildren, childrenEveryMs) : null;
  rssTimer.unref();
  childTimer?.unref();
  return {
    stop() {
      clearInterval(rssTimer);
      if (childTimer) clearInterval(childTimer);
      rss.push(process.memoryUsage().rss);
      const mb = (b) => Math.round(b / 1024 / 102.4) / 10;
      return {
        rss: { startMb: mb(rss[0]), peakMb: mb(Math.max(...rss)), endMb: mb(rss.at(-1)), samples: rss.length },
        children: { peak: supported ? childPeak : null, supported },
        childrenRssPeakMb: supported ? mb(childRssPeak) : null,
        totalRssPeakMb: supported ? mb(totalPeak) : null,
      };
    },
  };
}
