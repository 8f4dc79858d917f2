/** What a person sees at the root of the gateway until the web app is served there. */
export const landingPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tend</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem; color: #1d2b27; }
  h1 { font-weight: 600; color: #1f6f5c; }
  code { background: #eef5f2; padding: 0.1rem 0.3rem; border-radius: 4px; }
</style>
</head>
<body>
<h1>Tend</h1>
<p>A voice-first personal health assistant. This gateway is running.</p>
<ul>
  <li><a href="/healthz"><code>/healthz</code></a> liveness</li>
  <li><a href="/readyz"><code>/readyz</code></a> readiness of this process and its dependencies</li>
  <li><a href="/metrics"><code>/metrics</code></a> Prometheus metrics</li>
</ul>
</body>
</html>
`;
