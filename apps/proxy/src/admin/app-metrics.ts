// The app's own Prometheus metrics, fetched from localhost and served after Outrigger's on the
// sidecar's /metrics, so one scrape config keeps working after injection. A failure is counted
// and the scrape still answers with Outrigger's series.
export type AppScrape = { ok: true; body: string } | { ok: false; reason: 'timeout' | 'refused' | 'status' | 'invalid' };

export async function scrapeApp(url: string, timeoutMs: number): Promise<AppScrape> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain;version=0.0.4' } });
  } catch (err) {
    return { ok: false, reason: (err as Error).name === 'TimeoutError' ? 'timeout' : 'refused' };
  }
  if (!res.ok) return { ok: false, reason: 'status' };
  const body = await res.text().catch(() => null);
  // The text format only: an OpenMetrics or protobuf answer would corrupt the merged page.
  if (body === null || /^# EOF/m.test(body) || /[\0]/.test(body)) return { ok: false, reason: 'invalid' };
  return { ok: true, body: body.endsWith('\n') ? body : `${body}\n` };
}
