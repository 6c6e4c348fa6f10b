// python-wsgi's page check: the one check its scenario file cannot express (exact row count).
export const PAGE_PRODUCTS = 50;

export function checkPage(status: number, body: string): string | null {
  if (status !== 200) return `status ${status}`;
  if (!body.startsWith('<!DOCTYPE html>') || !body.trimEnd().endsWith('</html>')) return 'not a complete HTML page';
  const rows = body.match(/<tr><td>SKU-\d{4}<\/td>/g)?.length ?? 0;
  if (rows !== PAGE_PRODUCTS) return `expected ${PAGE_PRODUCTS} product rows, got ${rows}`;
  if (!body.includes('Toys &lt;Kids&gt;') || body.includes('<Kids>')) return 'category names not HTML-escaped';
  if (!body.includes('&quot;Deluxe&quot; &amp; more')) return 'product names not HTML-escaped';
  if (!body.includes(`<p id="summary">${PAGE_PRODUCTS} products, total `)) return 'summary missing';
  return null;
}
